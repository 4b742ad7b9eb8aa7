"""Raw GX checks through Dagster: a clean sample load passes; a corrupted table blocks."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    ExecuteInProcessResult,
    asset,
    materialize,
)
from dagster_dlt import DagsterDltResource

from expectations.raw import raw_suites
from expectations.raw.builder import DUCKDB_TYPES, LINEAGE_TYPES
from ingestion.config import load_sources_config
from ingestion.kinds import KINDS
from orchestration.assets.ingestion import build_ingestion_assets
from orchestration.checks import RATES_CHECK, STRUCTURE_CHECK, build_gx_checks

from ..isolation import isolate_data_dir
from .conftest import Sample
from .results import gx_evaluations

CUSTOMERS = AssetKey(["raw_crm", "customers"])


def test_raw_suites_are_generated_from_kinds_and_mapping() -> None:
    config = load_sources_config()
    suites = {suite.name: suite for suite in raw_suites(config)}
    assert set(suites) == {
        f"raw_{name}.{table}" for name, source in config.sources.items() for table in source.tables
    }
    customers = suites["raw_crm.customers"]
    fields = KINDS["crm"].entities["customers"].fields
    assert dict(customers.columns) == {
        **{f.name: DUCKDB_TYPES[f.type] for f in fields},
        **LINEAGE_TYPES,
    }
    assert customers.columns["updated_at"] == "TIMESTAMP WITH TIME ZONE"
    assert suites["raw_events.events"].columns["traits"] == "JSON"
    # national_id is not mapped in sources.yml: null by design, so not checked for collapse.
    assert "non_blank__email" in customers.aggregates
    assert "non_blank__national_id" not in customers.aggregates


def test_clean_sample_load_passes_every_raw_check(gx_sample: Sample) -> None:
    settings, evaluations = gx_sample.settings, gx_sample.evaluations
    config = load_sources_config()
    tables = [f"raw_{n}/{t}" for n, s in config.sources.items() for t in s.tables]
    assert set(evaluations) == {(t, c) for t in tables for c in (STRUCTURE_CHECK, RATES_CHECK)}
    failed = {key: e.metadata["failed_expectations"] for key, e in evaluations.items()}
    assert {key for key, e in evaluations.items() if not e.passed} == set(), failed
    structure = evaluations[("raw_events/events", STRUCTURE_CHECK)]
    assert structure.blocking and structure.severity == AssetCheckSeverity.ERROR
    rates = evaluations[("raw_events/events", RATES_CHECK)]
    assert not rates.blocking and rates.severity == AssetCheckSeverity.WARN
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        (events,) = con.execute("select count(*) from raw_events.events").fetchall()[0]
    assert structure.metadata["rows"].value == events
    docs = Path(structure.metadata["data_docs"].value)
    assert docs.is_file() and docs.is_relative_to(settings.data_dir / "gx" / "data_docs")


def test_corrupted_raw_table_fails_structure_and_blocks_downstream(
    gx_sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    shutil.copytree(gx_sample.settings.data_dir, data)
    settings = isolate_data_dir(monkeypatch, data)
    ran: list[str] = []

    @asset(deps=[CUSTOMERS])
    def customer_profiles() -> None:
        """Stands in for any asset built from raw_crm.customers."""
        ran.append("customer_profiles")

    crm = next(a for a in build_ingestion_assets() if CUSTOMERS in a.keys)
    (checks,) = build_gx_checks([s for s in raw_suites() if s.name == "raw_crm.customers"])

    def run() -> ExecuteInProcessResult:
        # The load finds no new file and leaves the table as it is; then the checks run.
        with DagsterInstance.ephemeral() as instance:
            return materialize(
                [crm, checks, customer_profiles],
                resources={"dlt": DagsterDltResource()},
                instance=instance,
                raise_on_error=False,
            )

    assert run().success and ran == ["customer_profiles"]  # clean: the downstream asset runs
    with duckdb.connect(str(settings.duckdb_path)) as con:
        # Two copies of one customer (a merge that went wrong), an export without emails, and
        # birth dates that arrive as timestamps (type drift).
        con.execute(
            "insert into raw_crm.customers select * from raw_crm.customers "
            "where record_key = (select min(record_key) from raw_crm.customers)"
        )
        con.execute("update raw_crm.customers set email = null")
        con.execute("alter table raw_crm.customers alter birth_date type timestamp")
        (duplicated,) = con.execute("select min(record_key) from raw_crm.customers").fetchall()[0]
    result = run()
    evaluations = gx_evaluations(result)
    structure = evaluations[("raw_crm/customers", STRUCTURE_CHECK)]
    assert not structure.passed and structure.severity == AssetCheckSeverity.ERROR
    assert evaluations[("raw_crm/customers", RATES_CHECK)].passed
    failed = {
        (f["expectation"], f["column"]): f for f in structure.metadata["failed_expectations"].value
    }
    assert set(failed) == {
        ("expect_column_values_to_be_unique", "record_key"),
        ("expect_column_min_to_be_between", "non_blank__email"),
        ("expect_column_pair_values_to_be_equal", "actual_type"),
    }
    # type drift names the column whose type changed
    assert failed[("expect_column_pair_values_to_be_equal", "actual_type")]["failing_keys"] == [
        "birth_date"
    ]
    assert failed[("expect_column_values_to_be_unique", "record_key")]["failing_keys"] == [
        duplicated,
        duplicated,
    ]
    # The blocking check failed its step, so the downstream step was never started.
    assert ran == ["customer_profiles"]
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert started == {"load_raw_crm", "gx_raw_crm__customers"}
    assert result.asset_materializations_for_node("customer_profiles") == []
    assert not result.success
