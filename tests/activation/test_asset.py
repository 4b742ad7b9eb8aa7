"""The Dagster asset: materialized alone on hand-built marts; metadata and checks."""

from __future__ import annotations

from pathlib import Path

import yaml
from dagster import AssetKey, materialize

from ingestion.settings import Settings
from orchestration.assets.activation import (
    AUDIENCE_EXPORTS_KEY,
    AUDIENCE_MEMBERS_KEY,
    AUDIENCE_SUMMARY_KEY,
    IN_SYNC_CHECK,
    ROUTED_CHECK,
    build_activation_assets,
)

from .conftest import write_marts

MEMBERS = [
    ("vip_email", "email", "c1", "ann@example.com", None, None),
    ("vip_ads", "ads", "c1", "ann@example.com", "+8613800138000", None),
]


def _config(tmp_path: Path, audiences: object) -> Path:
    path = tmp_path / "activation.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "destinations": {
                    "out": {"kind": "files", "format": "parquet", "audiences": audiences}
                }
            }
        ),
        encoding="utf-8",
    )
    return path


def test_asset_depends_on_the_audience_marts() -> None:
    (asset_def,) = build_activation_assets()
    assert asset_def.key == AUDIENCE_EXPORTS_KEY
    assert set(asset_def.dependency_keys) == {AUDIENCE_MEMBERS_KEY, AUDIENCE_SUMMARY_KEY}
    assert AssetKey(["marts", "audience_members"]) == AUDIENCE_MEMBERS_KEY
    assert asset_def.group_names_by_key[AUDIENCE_EXPORTS_KEY] == "activation"
    assert asset_def.descriptions_by_key[AUDIENCE_EXPORTS_KEY]


def test_asset_materializes_with_metadata_and_checks(
    cdp_settings: Settings, tmp_path: Path
) -> None:
    write_marts(cdp_settings, MEMBERS, {"vip_email": "email", "vip_ads": "ads"})
    assets = build_activation_assets(_config(tmp_path, ["vip_email", "vip_ads", "missing"]))
    result = materialize(assets)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("activation__audience_exports")
    metadata = materialization.metadata
    assert metadata["members_added"].value == 2
    assert metadata["members_removed"].value == 0
    assert metadata["currently_exported"].value == 2
    rows = {row["audience"]: row for row in metadata["exports_json"].value}
    assert rows["vip_ads"]["added"] == 1 and rows["vip_ads"]["currently_exported"] == 1
    checks = {
        evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()
    }
    assert checks[IN_SYNC_CHECK].passed
    assert not checks[ROUTED_CHECK].passed  # 'missing' is not defined: a warning
    assert checks[ROUTED_CHECK].metadata["undefined_audiences"].value == {"out": ["missing"]}

    again = materialize(assets)
    (materialization,) = again.asset_materializations_for_node("activation__audience_exports")
    assert materialization.metadata["members_added"].value == 0


def test_audience_marts_are_dbt_assets_with_blocking_checks(
    dbt_manifest: tuple[Path, Path],
) -> None:
    """The deps are the keys dagster-dbt gives the models, so their blocking tests gate us."""
    from orchestration.assets.dbt import cdp_dbt_assets

    assert {AUDIENCE_MEMBERS_KEY, AUDIENCE_SUMMARY_KEY} <= set(cdp_dbt_assets.keys)
    blocking = {
        spec.asset_key
        for spec in cdp_dbt_assets.check_specs
        if spec.blocking and spec.asset_key in (AUDIENCE_MEMBERS_KEY, AUDIENCE_SUMMARY_KEY)
    }
    assert blocking == {AUDIENCE_MEMBERS_KEY, AUDIENCE_SUMMARY_KEY}
