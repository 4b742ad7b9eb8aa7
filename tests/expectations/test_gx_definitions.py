"""The GX checks in the code location: two per validated table, the structure one blocking."""

from __future__ import annotations

import json

from dagster import AssetCheckKey, AssetCheckSpec, AssetKey, Definitions

from ingestion.config import load_sources_config
from orchestration.checks import RATES_CHECK, STRUCTURE_CHECK
from orchestration.project import dbt_project

RAW_STEPS = "gx_raw_"


def _validated_assets() -> set[AssetKey]:
    config = load_sources_config()
    manifest = json.loads(dbt_project.manifest_path.read_text())
    raw = {AssetKey([f"raw_{n}", t]) for n, s in config.sources.items() for t in s.tables}
    staging = {
        AssetKey(["staging", node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"].startswith("stg_")
    }
    return raw | staging


def _gx_specs(defs: Definitions) -> dict[AssetCheckKey, AssetCheckSpec]:
    graph = defs.resolve_asset_graph()
    return {
        spec.key: spec
        for assets_def in graph.assets_defs
        for spec in assets_def.check_specs
        if spec.name.startswith("gx_")
    }


def _upstream_steps(defs: Definitions, job_name: str) -> dict[str, set[str]]:
    job = defs.resolve_job_def(job_name)
    structure = job.graph.dependency_structure
    return {
        node.name: {
            output.node.name
            for outputs in structure.input_to_upstream_outputs_for_node(node.name).values()
            for output in outputs
        }
        for node in job.graph.nodes
    }


def test_definitions_have_gx_checks_on_every_raw_table_and_staging_model(
    defs: Definitions,
) -> None:
    specs = _gx_specs(defs)
    assert set(specs) == {
        AssetCheckKey(asset, name)
        for asset in _validated_assets()
        for name in (STRUCTURE_CHECK, RATES_CHECK)
    }
    assert {key.name for key, spec in specs.items() if spec.blocking} == {STRUCTURE_CHECK}


def test_ingestion_job_runs_the_raw_checks(defs: Definitions) -> None:
    job = defs.resolve_job_def("ingestion")
    selected = job.asset_layer.asset_graph.asset_check_keys
    raw = {key for key in _gx_specs(defs) if key.asset_key.path[0].startswith("raw_")}
    assert raw <= set(selected)


def test_raw_structure_checks_gate_the_phone_step(defs: Definitions) -> None:
    upstream = _upstream_steps(defs, "all_assets")
    config = load_sources_config()
    with_phones = {
        f"{RAW_STEPS}{name}__{table}"
        for name, source in config.sources.items()
        for table in source.tables
        if "phone" in source.tables[table].mapping
    }
    assert with_phones <= upstream["reference__phone_numbers"]


def test_raw_structure_checks_gate_every_dbt_step(defs: Definitions) -> None:
    """Every raw table a dbt step reads reaches it through its blocking structure check.

    Dagster splits `dbt build` into several steps (the Splink asset sits between dbt models), so
    a step may read some tables of a source and not others: the gate is per table.
    """
    job = defs.resolve_job_def("all_assets")
    structure = job.graph.dependency_structure
    dbt_steps = [node.name for node in job.graph.nodes if node.name.startswith("cdp_dbt_assets")]
    assert len(dbt_steps) > 1
    gated = 0
    for step in dbt_steps:
        for outputs in structure.input_to_upstream_outputs_for_node(step).values():
            names = {(o.node.name, o.output_def.name) for o in outputs}
            for node_name, output_name in names:
                if node_name.startswith("load_raw_"):
                    check = (
                        f"{RAW_STEPS}{output_name.split('__', 1)[0].removeprefix('raw_')}"
                        f"__{output_name.split('__', 1)[1]}",
                        f"{output_name}_{STRUCTURE_CHECK}",
                    )
                    assert check in names, (step, output_name)
                    gated += 1
    assert gated >= 8  # every raw entity table is read by some dbt step
