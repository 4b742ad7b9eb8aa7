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


def _entity_keys() -> set[AssetKey]:
    return {
        AssetKey([f"raw_{name}", table])
        for name, source in SOURCES.sources.items()
        for table in source.tables
    }


def _dbt_keys() -> set[AssetKey]:
    """[schema, name] of every dbt model, seed and snapshot."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {
        AssetKey([node["schema"], node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
    }


def test_definitions_have_every_raw_table_and_model(defs: Definitions) -> None:
    keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    dbt_keys = _dbt_keys()
    tables = [(name, table) for name, s in SOURCES.sources.items() for table in s.tables]
    # a base model (normalise, flag the rules) and a staging model (the rows that pass) per table
    for name, table in tables:
        assert AssetKey(["staging", f"base_{name}__{table}"]) in dbt_keys
        assert AssetKey(["staging", f"stg_{name}__{table}"]) in dbt_keys
    assert AssetKey(["intermediate", "int_rows_quarantined"]) in dbt_keys
    for model in ("dim_customers", "dim_customer_identifiers", "dim_customer_records"):
        assert AssetKey(["marts", model]) in dbt_keys
    for model in ("fct_customer_tags", "dim_customer_tags", "tag_catalog", "fct_customer_features"):
        assert AssetKey(["marts", model]) in dbt_keys
    for model in (
        "customer_360",
        "fct_sessions",
        "conversion_funnel",
        "dim_customer_consent",
        "audience_members",
        "audience_membership_history",
        "customer_recommendations",
        "recommendation_evaluation",
    ):
        assert AssetKey(["marts", model]) in dbt_keys
    assert AssetKey(["snapshots", "snp_customer_tags"]) in dbt_keys
    assert AssetKey(["snapshots", "snp_crm_customer_consent"]) in dbt_keys
    python_assets = {
        AssetKey(["reference", "phone_numbers"]),
        AssetKey(["identity", "probabilistic_pairs"]),
        AssetKey(["identity", "accuracy"]),
        AssetKey(["ml", "propensity_scores"]),
        AssetKey(["activation", "audience_exports"]),
        AssetKey(["bi", "published_copy"]),
    }
    assert keys == _raw_keys() | dbt_keys | python_assets


def test_splink_asset_sits_between_dbt_models(defs: Definitions) -> None:
    """dbt's profiles feed the Splink asset, whose pairs feed dbt's final clustering."""
    graph = defs.resolve_asset_graph()
    pairs = AssetKey(["identity", "probabilistic_pairs"])
    assert graph.get(pairs).parent_keys == {AssetKey(["intermediate", "int_identity_profiles"])}
    edges = AssetKey(["intermediate", "int_identity_probabilistic_edges"])
    assert pairs in graph.get(edges).parent_keys


def test_propensity_asset_sits_between_dbt_models(defs: Definitions) -> None:
    """The feature table feeds the model, whose scores feed the model-score tags."""
    graph = defs.resolve_asset_graph()
    scores = AssetKey(["ml", "propensity_scores"])
    assert AssetKey(["marts", "fct_customer_features"]) in graph.get(scores).parent_keys
    model_scores = AssetKey(["intermediate", "int_customer_model_scores"])
    assert scores in graph.get(model_scores).parent_keys


def test_definitions_link_staging_models_to_dlt_assets(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for name, source in SOURCES.sources.items():
        for table in source.tables:
            base = AssetKey(["staging", f"base_{name}__{table}"])
            raw = {key for key in graph.get(base).parent_keys if key.path[0].startswith("raw_")}
            assert raw == {AssetKey([f"raw_{name}", table])}
            model = AssetKey(["staging", f"stg_{name}__{table}"])
            assert graph.get(model).parent_keys == {base}


def test_exports_and_publication_run_after_the_marts_they_read(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    exports = graph.get(AssetKey(["activation", "audience_exports"]))
    assert AssetKey(["marts", "audience_members"]) in exports.parent_keys
    published = graph.get(AssetKey(["bi", "published_copy"])).parent_keys
    marts = {key for key in _dbt_keys() if key.path[0] in ("marts", "snapshots")}
    assert marts <= published


def test_definitions_group_and_describe_every_asset(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.group_name == key.path[0], key


def test_definitions_check_raw_assets_with_gx_suites_only(defs: Definitions) -> None:
    checks = defs.resolve_asset_graph().asset_check_keys
    raw = {(c.asset_key, c.name) for c in checks if c.asset_key.path[0].startswith("raw_")}
    # dbt's source tests run inside `dbt build` but are not checks of the raw assets, so the
    # blocking gx_structure suites gate the one dbt step.
    assert raw == {(key, name) for key in _entity_keys() for name in ("gx_structure", "gx_rates")}


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
