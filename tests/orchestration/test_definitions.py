from __future__ import annotations

import json
from pathlib import Path

from dagster import AssetKey, Definitions

from ingestion.config import load_sources_config
from ingestion.pipeline import RAW_META_TABLES, build_dlt_source
from orchestration.project import dbt_project
from orchestration.translators import CdpDltTranslator

SOURCES = load_sources_config()


def _raw_keys() -> set[AssetKey]:
    return {
        AssetKey([f"raw_{name}", table])
        for name, source in SOURCES.sources.items()
        for table in [*source.tables, *RAW_META_TABLES]
    }


def _staging_keys() -> set[AssetKey]:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {
        AssetKey(["staging", node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "staging"
    }


def test_definitions_have_every_raw_table_and_model(defs: Definitions) -> None:
    keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    staging = _staging_keys()
    assert len(staging) == sum(len(s.tables) for s in SOURCES.sources.values())
    assert keys == _raw_keys() | staging


def test_definitions_link_staging_models_to_dlt_assets(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for name, source in SOURCES.sources.items():
        for table in source.tables:
            model = AssetKey(["staging", f"stg_{name}__{table}"])
            assert graph.get(model).parent_keys == {AssetKey([f"raw_{name}", table])}


def test_definitions_group_and_describe_every_asset(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        expected = "staging" if key.path[0] == "staging" else key.path[0]
        assert node.group_name == expected, key


def test_definitions_turn_source_tests_into_checks_on_raw_assets(defs: Definitions) -> None:
    checks = defs.resolve_asset_graph().asset_check_keys
    assert any(
        check.asset_key == AssetKey(["raw_crm", "customers"]) and "unique" in check.name
        for check in checks
    )


def test_definitions_jobs_schedule_and_sensor(defs: Definitions) -> None:
    all_assets = defs.resolve_job_def("all_assets")
    ingestion = defs.resolve_job_def("ingestion")
    assert all_assets.executor_def.name == "in_process"
    assert ingestion.executor_def.name == "in_process"
    graph = defs.resolve_asset_graph()
    assert ingestion.asset_layer.selected_asset_keys == _raw_keys()
    assert all_assets.asset_layer.selected_asset_keys == set(graph.get_all_asset_keys())
    schedule = defs.resolve_schedule_def("daily_all_assets")
    assert schedule.job_name == "all_assets"
    assert schedule.cron_schedule == "0 3 * * *"
    assert defs.resolve_sensor_def("landing_files_sensor").job_name == "ingestion"


def test_dlt_translator_keys_match_the_loader_resources(tmp_path: Path) -> None:
    from dagster_dlt import build_dlt_asset_specs

    from ingestion.pipeline import make_pipeline
    from ingestion.settings import Settings

    settings = Settings(
        data_dir=tmp_path,
        duckdb_path=tmp_path / "cdp.duckdb",
        landing_dir=tmp_path / "landing",
        ground_truth_dir=tmp_path / "truth",
        sources_config=Path("sources.yml"),
        dlt_pipelines_dir=tmp_path / "dlt",
    )
    for name, source in SOURCES.sources.items():
        translator = CdpDltTranslator(source_name=name, kind=source.kind)
        specs = build_dlt_asset_specs(
            dlt_source=build_dlt_source(name, source, settings.landing_dir),
            dlt_pipeline=make_pipeline(name, settings),
            dagster_dlt_translator=translator,
        )
        assert {spec.key for spec in specs} == {
            AssetKey([f"raw_{name}", table]) for table in source.tables
        }
