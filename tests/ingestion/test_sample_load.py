"""The generated sample data loads with counts that match what the generator says it wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingestion.config import load_sources_config
from ingestion.pipeline import load_all
from ingestion.sample_data import generate
from ingestion.settings import Settings
from ingestion.sources.landing.shaping import warehouse_name

from ..isolation import isolate_data_dir

PERSONS = 1500
# Generator issues that make a row unloadable, and the reason the loader must give.
ROW_ISSUES = {
    "bad_json": {"invalid_json"},
    "bad_field_count": {"wrong_field_count"},
    "missing_key": {"missing_required_field"},
    "missing_type": {"missing_required_field"},
    "bad_timestamp": {"missing_required_field", "invalid_timestamp"},
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict]]:
    data = tmp_path_factory.mktemp("sample")
    with pytest.MonkeyPatch.context() as patch:
        settings = isolate_data_dir(patch, data)
        generate(persons=PERSONS, seed=7, out=data)
        load_all(settings)
        manifest = json.loads((data / "ground_truth" / "manifest.json").read_text())
        yield settings, manifest


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _tables() -> list[tuple[str, str]]:
    config = load_sources_config()
    return [(name, table) for name, source in config.sources.items() for table in source.tables]


def _issue_counts(manifest: dict, source: str, table: str) -> dict[str, int]:
    return manifest[f"{source}.{table}"]["issues"]


@pytest.mark.parametrize(("source", "table"), _tables())
def test_every_row_written_is_read_and_reconciles(loaded, source: str, table: str) -> None:
    settings, manifest = loaded
    expected = manifest[f"{source}.{table}"]
    ledger = _query(
        settings,
        "select file_name, rows_read, rows_loaded, rows_quarantined "
        f"from raw_{source}.loaded_files where table_name = '{table}' order by file_name",
    )
    assert {row[0]: row[1] for row in ledger} == expected["files"]
    for _, read, loaded_rows, quarantined in ledger:
        assert read == loaded_rows + quarantined


@pytest.mark.parametrize(("source", "table"), _tables())
def test_raw_table_holds_one_row_per_loadable_key(loaded, source: str, table: str) -> None:
    settings, manifest = loaded
    issues = _issue_counts(manifest, source, table)
    # rows that carry a key but are quarantined for another field
    keyed_but_broken = issues.get("missing_type", 0) + issues.get("bad_timestamp", 0)
    (count, keys) = _query(
        settings, f"select count(*), count(distinct record_key) from raw_{source}.{table}"
    )[0]
    assert count == keys == manifest[f"{source}.{table}"]["distinct_keys"] - keyed_but_broken


@pytest.mark.parametrize(("source", "table"), _tables())
def test_broken_rows_are_quarantined_where_the_generator_put_them(
    loaded, source: str, table: str
) -> None:
    settings, manifest = loaded
    truth = settings.ground_truth_dir / "ground_truth.parquet"
    broken = _query(
        settings,
        f"select file, row, issue from '{truth}' where source = '{source}' and \"table\" = "
        f"'{table}' and issue in ({', '.join(repr(i) for i in ROW_ISSUES)}) order by file, row",
    )
    quarantined = _query(
        settings,
        "select file_name, row_number, list(reason) from "
        f"raw_{source}.quarantined_rows where table_name = '{table}' "
        "and action = 'row_quarantined' group by all order by file_name, row_number",
    )
    assert [(f, r) for f, r, _ in quarantined] == [(f, r) for f, r, _ in broken]
    for (_, _, reasons), (_, _, issue) in zip(quarantined, broken, strict=True):
        assert set(reasons) <= ROW_ISSUES[issue]
    assert len(broken) == sum(
        n for issue, n in _issue_counts(manifest, source, table).items() if issue in ROW_ISSUES
    )


def test_impossible_birth_dates_are_nulled_not_dropped(loaded) -> None:
    settings, manifest = loaded
    nulled = _query(
        settings,
        "select count(*) from raw_crm.quarantined_rows "
        "where field = 'birth_date' and reason = 'invalid_date' and action = 'value_nulled'",
    )
    assert nulled == [(manifest["crm.customers"]["impossible_birth_dates"],)]


@pytest.mark.parametrize(("source", "table"), _tables())
def test_unmapped_columns_are_kept(loaded, source: str, table: str) -> None:
    settings, manifest = loaded
    unmapped = manifest[f"{source}.{table}"].get("unmapped_columns", [])
    columns = {
        row[0]
        for row in _query(
            settings,
            "select column_name from information_schema.columns "
            f"where table_schema = 'raw_{source}' and table_name = '{table}'",
        )
    }
    assert {warehouse_name(column) for column in unmapped} <= columns


@pytest.mark.parametrize(("source", "table"), _tables())
def test_every_loaded_record_has_a_true_person(loaded, source: str, table: str) -> None:
    settings, _ = loaded
    truth = settings.ground_truth_dir / "ground_truth.parquet"
    unmatched = _query(
        settings,
        f"select count(*) from raw_{source}.{table} as raw where not exists (select 1 from "
        f"'{truth}' as truth where truth.source = '{source}' and truth.\"table\" = '{table}' "
        "and truth.record_key = raw.record_key)",
    )
    assert unmatched == [(0,)]


def test_the_same_files_loaded_again_change_nothing(loaded) -> None:
    settings, _ = loaded
    before = _fingerprints(settings)
    load_all(settings)
    assert _fingerprints(settings) == before


def _fingerprints(settings: Settings) -> dict[str, tuple]:
    """Row count and an order-free hash of every row's key, origin and load of each table."""
    return {
        f"{source}.{table}": _query(
            settings,
            "select count(*), sum(hash(record_key, _source_file, _source_row, _dlt_load_id)) "
            f"from raw_{source}.{table}",
        )[0]
        for source, table in _tables()
    }


def test_late_events_are_loaded(loaded) -> None:
    settings, manifest = loaded
    # an event is late when it happened before the month of the file it arrived in
    (late,) = _query(
        settings,
        "select count(*) from raw_events.events where strftime(occurred_at at time zone 'UTC', "
        "'%Y-%m') < regexp_extract(_source_file, '(\\d{4}-\\d{2})', 1)",
    )[0]
    assert late >= manifest["events.events"]["late_events"] * 0.9
    assert Path(settings.duckdb_path).exists()
