"""The ``bi/published_copy`` asset: runs after the marts, is skipped when they fail."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetKey,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    asset,
    asset_check,
    define_asset_job,
    in_process_executor,
)

from ingestion.settings import Settings, get_settings
from orchestration.assets.publishing import (
    MATCHES_LIVE_CHECK,
    PUBLISHED_COPY_KEY,
    build_publishing_assets,
    dbt_keys_in_schemas,
    published_schema_dbt_keys,
)
from orchestration.publishing.settings import PublishSettings
from orchestration.publishing.writer import publish

from .warehouse import CUSTOMERS, build_live_warehouse, published_names

MART = AssetKey(["marts", "dim_customers"])
PUBLISH_STEP = "bi__published_copy"


def _run(*, mart_fails: bool = False, check_passes: bool = True) -> ExecuteInProcessResult:
    """A small graph: one mart (it builds the test warehouse) with a blocking check, then the
    published copy depending on it as it depends on the dbt marts."""

    @asset(key=MART)
    def dim_customers() -> None:
        if mart_fails:
            raise RuntimeError("dbt build failed (injected)")
        build_live_warehouse(get_settings().duckdb_path)

    @asset_check(asset=MART, blocking=True)
    def dim_customers_key_unique() -> AssetCheckResult:
        return AssetCheckResult(passed=check_passes)

    defs = Definitions(
        assets=[dim_customers, *build_publishing_assets(deps=[MART])],
        asset_checks=[dim_customers_key_unique],
        jobs=[define_asset_job("all_assets", executor_def=in_process_executor)],
    )
    with DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def("all_assets").execute_in_process(
            instance=instance, raise_on_error=False
        )


def _published_run_ids(path: Path) -> list[tuple[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select distinct run_id from main._published").fetchall()


def _started_steps(result: ExecuteInProcessResult) -> set[str]:
    # Dagster does not start a step whose upstream step or blocking check failed (in process it
    # emits no skip event either): not started is what "skipped" means here.
    return {event.step_key for event in result.all_events if event.is_step_start}


def _publish_good_copy(settings: Settings, publish_settings: PublishSettings) -> None:
    build_live_warehouse(settings.duckdb_path)
    publish(
        settings.duckdb_path,
        publish_settings.path,
        run_id="run-good",
        storage_version=publish_settings.storage_version,
        schemas=publish_settings.schemas,
    )


def test_published_copy_asset_publishes_after_the_marts(
    cdp_settings: Settings, publish_settings: PublishSettings
) -> None:
    result = _run()

    assert result.success
    assert PUBLISH_STEP in _started_steps(result)
    [materialization] = [
        event.step_materialization_data.materialization
        for event in result.get_asset_materialization_events()
        if event.asset_key == PUBLISHED_COPY_KEY
    ]
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["path"] == str(publish_settings.path)
    assert metadata["table_count"] == len(published_names())
    assert metadata["storage_version"] == "v1.0.0"
    assert metadata["bytes"] == publish_settings.path.stat().st_size
    assert metadata["dagster/row_count"] == CUSTOMERS + 1000 + 50 + 3 + 400
    assert "| marts.customer_order_summary | view | 50 |" in metadata["tables"]
    [evaluation] = result.get_asset_check_evaluations()[-1:]
    assert evaluation.check_name == MATCHES_LIVE_CHECK
    assert evaluation.passed
    assert json.loads(json.dumps(evaluation.metadata["problems"].value)) == []
    assert _published_run_ids(publish_settings.path) == [(result.run_id,)]


def test_published_copy_is_skipped_when_a_blocking_check_fails(
    cdp_settings: Settings, publish_settings: PublishSettings
) -> None:
    _publish_good_copy(cdp_settings, publish_settings)

    result = _run(check_passes=False)

    assert result.is_node_success("marts__dim_customers")  # the mart itself was built
    assert PUBLISH_STEP not in _started_steps(result)
    assert not any(
        event.asset_key == PUBLISHED_COPY_KEY for event in result.get_asset_materialization_events()
    )
    assert _published_run_ids(publish_settings.path) == [("run-good",)]


def test_published_copy_is_skipped_when_a_mart_fails(
    cdp_settings: Settings, publish_settings: PublishSettings
) -> None:
    _publish_good_copy(cdp_settings, publish_settings)

    result = _run(mart_fails=True)

    assert not result.success
    assert "marts__dim_customers" in _started_steps(result)
    assert PUBLISH_STEP not in _started_steps(result)
    assert _published_run_ids(publish_settings.path) == [("run-good",)]


def test_dbt_keys_in_schemas_reads_models_snapshots_and_skips_disabled() -> None:
    manifest = {
        "nodes": {
            "model.cdp.a": {"resource_type": "model", "schema": "marts", "name": "a"},
            "model.cdp.off": {
                "resource_type": "model",
                "schema": "marts",
                "name": "off",
                "config": {"enabled": False},
            },
            "snapshot.cdp.s": {"resource_type": "snapshot", "schema": "snapshots", "name": "s"},
            "model.cdp.stg": {"resource_type": "model", "schema": "staging", "name": "stg"},
            "test.cdp.t": {"resource_type": "test", "schema": "marts", "name": "t"},
        }
    }

    class Translator:
        def get_asset_key(self, node: dict) -> AssetKey:
            return AssetKey([node["schema"], node["name"]])

    keys = dbt_keys_in_schemas(manifest, Translator(), ("marts", "snapshots"))

    assert keys == [AssetKey(["marts", "a"]), AssetKey(["snapshots", "s"])]


def test_published_copy_depends_on_every_dbt_mart_of_the_project(
    dbt_manifest: tuple[Path, Path], publish_settings: PublishSettings
) -> None:
    from orchestration.assets.dbt import cdp_dbt_assets

    manifest_path, _ = dbt_manifest
    manifest = json.loads(manifest_path.read_text())
    in_marts = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "snapshot")
        and node["schema"] in ("marts", "snapshots")
    }
    extra = AssetKey(["activation", "audience_exports"])

    [published] = build_publishing_assets(extra_deps=[extra])

    deps = set(published.dependency_keys)
    assert extra in deps
    dbt_deps = deps - {extra}
    assert dbt_deps <= set(cdp_dbt_assets.keys)
    assert {key.path[-1] for key in dbt_deps} == in_marts
    assert {
        AssetKey(["marts", "dim_customers"]),
        AssetKey(["snapshots", "snp_customer_tags"]),
    } <= deps
    assert set(published_schema_dbt_keys(cdp_dbt_assets, ["marts"])) < dbt_deps
