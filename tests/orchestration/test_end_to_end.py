"""The whole graph on generated sample data: generate, load every source, build staging."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, Definitions, ExecuteInProcessResult

from ingestion.config import load_sources_config
from ingestion.pipeline import RAW_META_TABLES
from ingestion.settings import Settings
from orchestration.demo import generate_sample_data, print_summary

from ..isolation import isolate_data_dir

pytestmark = pytest.mark.slow

PERSONS = 500
PROPENSITY_KEY = AssetKey(["ml", "propensity_scores"])


@pytest.fixture(scope="module")
def pipeline_run(
    tmp_path_factory: pytest.TempPathFactory, defs: Definitions
) -> Iterator[tuple[Settings, ExecuteInProcessResult, dict, float]]:
    """Generate ~500 persons, then run `all_assets` once for every test of this module."""
    monkeypatch = pytest.MonkeyPatch()
    data = tmp_path_factory.mktemp("e2e") / "data"
    settings = isolate_data_dir(monkeypatch, data)
    seconds = generate_sample_data(settings, PERSONS, seed=7)
    manifest = json.loads((settings.ground_truth_dir / "manifest.json").read_text())
    with DagsterInstance.ephemeral() as instance:
        # Everything but the propensity model: on 500 persons its test cut-off holds a few dozen
        # buyers, too few for its check against the naive baseline to mean anything (tests/tags
        # trains it on 2,000, as tests/identity leaves it out on 400).
        selection = set(defs.resolve_asset_graph().get_all_asset_keys()) - {PROPENSITY_KEY}
        result = defs.resolve_job_def("all_assets").execute_in_process(
            instance=instance, raise_on_error=False, asset_selection=list(selection)
        )
    yield settings, result, manifest, seconds
    monkeypatch.undo()


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _latest_metadata(result: ExecuteInProcessResult) -> dict[AssetKey, dict]:
    metadata = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        metadata[materialization.asset_key] = {
            key: value.value for key, value in materialization.metadata.items()
        }
    return metadata


def test_end_to_end_run_succeeds(pipeline_run) -> None:
    _, result, _, _ = pipeline_run
    assert result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert not failed, failed


def test_end_to_end_reads_every_generated_row(pipeline_run) -> None:
    settings, _, manifest, _ = pipeline_run
    for name, source in load_sources_config().sources.items():
        for table in source.tables:
            expected = manifest[f"{name}.{table}"]
            ledger = _query(
                settings,
                f"select file_name, rows_read, rows_loaded, rows_quarantined "
                f"from raw_{name}.loaded_files where table_name = '{table}'",
            )
            assert {row[0] for row in ledger} == set(expected["files"]), (name, table)
            assert sum(row[1] for row in ledger) == expected["rows"], (name, table)
            for _, read, loaded, quarantined in ledger:
                assert read == loaded + quarantined


def test_end_to_end_raw_row_counts_match_the_manifest(pipeline_run) -> None:
    settings, _, manifest, _ = pipeline_run
    for name, source in load_sources_config().sources.items():
        for table in source.tables:
            raw = _query(settings, f"select count(*) from raw_{name}.{table}")[0][0]
            lost = _keys_lost_to_quarantine(settings, name, table)
            assert raw == manifest[f"{name}.{table}"]["distinct_keys"] - lost, (name, table)


def _keys_lost_to_quarantine(settings: Settings, source: str, table: str) -> int:
    """Usable ground-truth keys whose every record the loader quarantined (matched by file, row).

    The manifest's ``distinct_keys`` counts keys the generator considers usable; a key can still
    lose all its records to a row-level problem (an unparseable required timestamp, say).
    """
    if not _has_table(settings, f"raw_{source}", "quarantined_rows"):
        return 0
    truth = settings.ground_truth_dir / "ground_truth.parquet"
    return _query(
        settings,
        f"""
        with

        truth as (
            select * from read_parquet('{truth}')
            where source = '{source}'
                and "table" = '{table}'
                and coalesce(issue, '') not in ('bad_json', 'missing_key', 'bad_field_count')
        ),

        quarantined as (
            select * from raw_{source}.quarantined_rows
            where table_name = '{table}' and action = 'row_quarantined'
        ),

        kept as (
            select distinct truth.record_key
            from truth
            left join quarantined
                on truth.file = quarantined.file_name and truth.row = quarantined.row_number
            where quarantined.file_name is null
        )

        select count(distinct truth.record_key) - (select count(*) from kept) from truth
        """,
    )[0][0]


def _has_table(settings: Settings, schema: str, table: str) -> bool:
    return bool(
        _query(
            settings,
            "select 1 from information_schema.tables "
            f"where table_schema = '{schema}' and table_name = '{table}'",
        )
    )


def test_end_to_end_metadata_row_counts_are_right(pipeline_run) -> None:
    settings, result, _, _ = pipeline_run
    metadata = _latest_metadata(result)
    for name, source in load_sources_config().sources.items():
        for table in [*source.tables, *RAW_META_TABLES]:
            key = AssetKey([f"raw_{name}", table])
            actual = (
                _query(settings, f"select count(*) from raw_{name}.{table}")[0][0]
                if _has_table(settings, f"raw_{name}", table)
                else 0
            )
            assert metadata[key]["dagster/row_count"] == actual, key
        ledger = metadata[AssetKey([f"raw_{name}", "loaded_files"])]
        assert ledger["files_loaded"] == ledger["files_found"] > 0
        assert ledger["files_skipped"] == 0
        quarantine = metadata[AssetKey([f"raw_{name}", "quarantined_rows"])]
        # rows, as the ledger counts them (a row may have several entries, one per field)
        assert (
            quarantine["rows_quarantined_this_run"],
            quarantine["values_nulled_this_run"],
        ) == _query(
            settings,
            f"select sum(rows_quarantined), sum(values_nulled) from raw_{name}.loaded_files",
        )[0]
        entries = _query(
            settings,
            f"select action || ': ' || reason, count(*) from raw_{name}.quarantined_rows "
            "group by all",
        )
        assert quarantine["entries_by_reason"] == dict(entries)


def test_end_to_end_staged_plus_quarantined_rows_are_the_raw_rows(pipeline_run) -> None:
    settings, result, manifest, _ = pipeline_run
    metadata = _latest_metadata(result)
    quarantined = dict(
        _query(
            settings,
            "select source_name || '.' || table_name, count(*) "
            "from intermediate.int_rows_quarantined group by all",
        )
    )
    for name, source in load_sources_config().sources.items():
        for table in source.tables:
            raw = _query(settings, f"select count(*) from raw_{name}.{table}")[0][0]
            view = _query(settings, f"select count(*) from staging.stg_{name}__{table}")[0][0]
            assert view + quarantined.get(f"{name}.{table}", 0) == raw > 0, (name, table)
            key = AssetKey(["staging", f"stg_{name}__{table}"])
            assert metadata[key]["dagster/row_count"] == view
    # The generator's negative quantities are the order lines quarantined for their quantity;
    # the other lines of an order quarantined for its negative total follow their order.
    rules = dict(
        _query(
            settings,
            "select rule, count(*) from intermediate.int_rows_quarantined "
            "where table_name = 'order_lines' group by all",
        )
    )
    assert (
        rules.pop("non_positive_quantity") == manifest["orders.order_lines"]["negative_quantities"]
    )
    assert set(rules) <= {"order_quarantined"}
    (orphans,) = _query(
        settings,
        "select count(*) from staging.stg_orders__order_lines as lines "
        "where not exists (select 1 from staging.stg_orders__orders as orders "
        "where orders.order_id = lines.order_id)",
    )[0]
    assert orphans == 0
    summary = metadata[AssetKey(["intermediate", "int_rows_quarantined"])]
    assert summary["rows_quarantined"] == sum(quarantined.values())
    assert summary["rows_by_table"] == quarantined


def test_end_to_end_junk_identifiers_are_never_valid(pipeline_run) -> None:
    settings, _, _, _ = pipeline_run
    # The generator writes these placeholders into CRM rows (ingestion/sample_data/settings.py);
    # every one is junk by the seed, and no other sample email is.
    flagged, placeholders, valid_junk_emails, valid_junk_phones = _query(
        settings,
        "select count(*) filter (where email_invalid_reason = 'junk'), "
        "count(*) filter (where lower(trim(email_original)) in "
        "('test@test.com', 'noemail@example.com', 'null', 'n/a')), "
        "count(*) filter (where email_is_valid and lower(email_original) in "
        "('test@test.com', 'noemail@example.com', 'null', 'n/a')), "
        "count(*) filter (where phone_is_valid and phone_original in "
        "('00000000000', '13888888888', 'null', 'N/A')) "
        "from staging.stg_crm__customers",
    )[0]
    assert flagged == placeholders
    assert (valid_junk_emails, valid_junk_phones) == (0, 0)
    distinct_emails = _query(
        settings,
        "select count(*) from staging.stg_crm__customers "
        "where email_is_valid and email != lower(trim(email_original))",
    )[0][0]
    assert distinct_emails == 0  # the normalised address is the trimmed lowercase original


def test_end_to_end_rerun_skips_loaded_files(pipeline_run, defs: Definitions) -> None:
    settings, _, _, _ = pipeline_run
    before = _query(settings, "select count(*) from raw_crm.customers")[0][0]
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("ingestion").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert result.success
    metadata = _latest_metadata(result)
    ledger = metadata[AssetKey(["raw_crm", "loaded_files"])]
    assert ledger["files_loaded"] == 0
    assert ledger["files_skipped"] == ledger["files_found"]
    assert _query(settings, "select count(*) from raw_crm.customers")[0][0] == before


def test_end_to_end_summary_prints_tables_and_timings(pipeline_run, capsys) -> None:
    settings, _, _, seconds = pipeline_run
    print_summary(settings, {"generate": seconds})
    out = capsys.readouterr().out
    assert "raw_crm.customers" in out
    assert "generate" in out


def test_end_to_end_keeps_dbt_artifacts_in_the_data_folder(pipeline_run) -> None:
    settings, result, _, _ = pipeline_run
    assert (settings.data_dir / "dbt_runs" / result.run_id / "run_results.json").is_file()
