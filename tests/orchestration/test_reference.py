"""The phone-number reference asset: its place in the graph and what it records."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, Definitions, materialize

from ingestion.config import load_sources_config
from orchestration.assets.reference import PHONE_NUMBERS_KEY, build_reference_assets
from orchestration.project import dbt_project

from ..isolation import isolate_data_dir

SOURCE_ID = "source.cdp.reference.phone_numbers"
PHONES = [
    ("13800138000", "CN"),
    ("+86 138 0013 8000", "China"),
    ("(010) 6552 9988", None),
    ("+1 617 555 0123", "USA"),
    ("N/A", "CN"),
    ("12345", "CN"),
    ("   ", "CN"),
    (None, "CN"),
]


def _models_reading_the_source() -> set[AssetKey]:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {
        AssetKey(["staging", node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and SOURCE_ID in node["depends_on"]["nodes"]
    }


def test_reference_asset_sits_between_raw_phones_and_staging(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    node = graph.get(PHONE_NUMBERS_KEY)
    assert AssetKey(["reference", "phone_numbers"]) == PHONE_NUMBERS_KEY
    assert node.group_name == "reference"
    assert node.parent_keys == {
        AssetKey(["raw_crm", "customers"]),
        AssetKey(["raw_orders", "orders"]),
        AssetKey(["raw_service", "tickets"]),
        AssetKey(["raw_wechat", "followers"]),
        AssetKey(["raw_events", "events"]),
    }
    # the dbt source reference.phone_numbers resolves to this asset: every model reading it
    # hangs under it
    assert node.child_keys == _models_reading_the_source()
    assert PHONE_NUMBERS_KEY in defs.resolve_job_def("all_assets").asset_layer.selected_asset_keys
    assert any(check.asset_key == PHONE_NUMBERS_KEY for check in graph.asset_check_keys)


def test_reference_asset_runs_between_the_loads_and_the_dbt_steps(defs: Definitions) -> None:
    from dagster._core.execution.api import create_execution_plan

    plan = create_execution_plan(defs.resolve_job_def("all_assets"))
    deps = plan.get_all_step_deps()
    # Dagster runs `dbt build` in several steps (the Splink asset sits between dbt models); the
    # phone step waits for every load and comes before the dbt steps, never after one.
    dbt_steps = [step for step in deps if step.startswith("cdp_dbt_assets")]
    assert len(dbt_steps) > 1
    assert any("reference__phone_numbers" in deps[step] for step in dbt_steps)
    assert not any(step in deps["reference__phone_numbers"] for step in dbt_steps)
    assert {
        "load_raw_crm",
        "load_raw_orders",
        "load_raw_service",
        "load_raw_wechat",
        "load_raw_events",
    } <= deps["reference__phone_numbers"]


def test_reference_asset_records_counts_never_phones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = isolate_data_dir(monkeypatch, tmp_path / "data")
    settings.duckdb_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute("create schema raw_crm")
        con.execute("create table raw_crm.customers (phone varchar, country varchar)")
        con.executemany("insert into raw_crm.customers values (?, ?)", PHONES)
    assets = build_reference_assets(load_sources_config())

    first = materialize(assets)
    [event] = first.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert metadata["pairs_parsed_this_run"] == 6
    assert metadata["dagster/row_count"] == 6
    assert metadata["valid_share"] == round(4 / 6, 4)
    assert metadata["rows_by_invalid_reason"] == {
        "valid": 4,
        "unparseable": 1,
        "local_only": 1,
    }
    assert metadata["rows_by_number_type"] == {
        "mobile": 2,
        "fixed_line": 1,
        "fixed_line_or_mobile": 1,
        "unknown": 2,
    }
    text = json.dumps(metadata, default=str)
    assert not [phone for phone, _ in PHONES if phone and phone.strip() and phone in text]

    second = materialize(assets)
    [event] = second.get_asset_materialization_events()
    assert event.materialization.metadata["pairs_parsed_this_run"].value == 0
    assert event.materialization.metadata["dagster/row_count"].value == 6
