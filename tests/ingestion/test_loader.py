"""Loading landing files with dlt into a real DuckDB file: exact counts, quarantine, idempotency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from ingestion.config import ConfigError, load_sources_config
from ingestion.pipeline import load_source, preflight
from ingestion.settings import Settings

from .landing_files import write_crm, write_events


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _load(settings: Settings, name: str):
    config = load_sources_config(settings.sources_config)
    return load_source(name, config.sources[name], settings)


def _table(settings: Settings, table: str, order: str = "record_key") -> list[tuple]:
    columns = _query(
        settings,
        "select column_name from information_schema.columns "
        f"where table_schema || '.' || table_name = '{table}' "
        "and column_name not in ('_dlt_load_id', '_dlt_id', '_ingested_at', 'loaded_at', "
        "'quarantined_at') order by ordinal_position",
    )
    names = ", ".join(f'"{c[0]}"' for c in columns)
    return _query(settings, f"select {names} from {table} order by {order}")


def test_crm_load_counts_quarantine_and_latest_version(cdp_settings: Settings) -> None:
    write_crm(cdp_settings.landing_dir)
    _load(cdp_settings, "crm")

    rows = _query(
        cdp_settings,
        "select record_key, email, cast(birth_date as varchar), vip_level, _source_file, "
        "_source_row from raw_crm.customers order by record_key",
    )
    assert rows == [
        # the raw layer keeps values as they arrived (whitespace, case): staging normalises
        ("C1", " Wang.Wei@Example.COM ", None, "gold", "crm/customers_20261101.csv", 2),
        # the delta file's newer version wins
        ("C2", "alice.new@example.com", "1985-07-01", "gold", "crm/customers_20261115.csv", 2),
    ]

    quarantined = _query(
        cdp_settings,
        "select file_name, row_number, source_record_key, field, reason, action, raw_value "
        "from raw_crm.quarantined_rows order by row_number",
    )
    assert quarantined == [
        (
            "crm/customers_20261101.csv",
            2,
            "C1",
            "birth_date",
            "invalid_date",
            "value_nulled",
            "1990-02-30",
        ),
        (
            "crm/customers_20261101.csv",
            4,
            "",
            "record_key",
            "missing_required_field",
            "row_quarantined",
            "",
        ),
        ("crm/customers_20261101.csv", 5, None, None, "wrong_field_count", "row_quarantined", None),
        (
            "crm/customers_20261101.csv",
            6,
            "C4",
            "updated_at",
            "invalid_timestamp",
            "row_quarantined",
            "notadate",
        ),
    ]
    # the broken row's text is kept whole
    assert _query(
        cdp_settings, "select raw_record from raw_crm.quarantined_rows where row_number = 5"
    ) == [("C3,Bad Row",)]

    ledger = _query(
        cdp_settings,
        "select file_name, rows_read, rows_loaded, rows_quarantined, values_nulled "
        "from raw_crm.loaded_files order by file_name",
    )
    assert ledger == [
        ("crm/customers_20261101.csv", 5, 2, 3, 1),
        ("crm/customers_20261115.csv", 1, 1, 0, 0),
    ]
    for _, read, loaded, quarantined_rows, _ in ledger:
        assert read == loaded + quarantined_rows


def test_local_timestamps_use_the_source_time_zone(cdp_settings: Settings) -> None:
    write_crm(cdp_settings.landing_dir, delta=False)
    _load(cdp_settings, "crm")
    (created,) = _query(
        cdp_settings,
        "select strftime(created_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S') "
        "from raw_crm.customers where record_key = 'C1'",
    )
    # 14:22 in Asia/Shanghai (sources.yml) is 06:22 UTC
    assert created == ("2024-03-05 06:22:00",)


def test_events_dedup_late_events_and_bad_lines(cdp_settings: Settings) -> None:
    write_events(cdp_settings.landing_dir)
    _load(cdp_settings, "events")

    events = _query(
        cdp_settings,
        "select record_key, event_type, event_name, user_id, "
        "strftime(occurred_at at time zone 'UTC', '%Y-%m-%d %H:%M'), channel "
        "from raw_events.events order by record_key",
    )
    assert events == [
        ("m1", "page", "Home", None, "2026-10-01 02:00", None),
        ("m2", "identify", None, "C1", "2026-10-01 02:01", "web"),
        # the late event is loaded although a later month was already seen
        ("m6", "track", "Product Added", "C1", "2026-10-31 04:59", None),
    ]
    assert _query(
        cdp_settings,
        "select json_extract_string(traits, '$.email') from raw_events.events "
        "where record_key = 'm2'",
    ) == [("x@y.com",)]

    quarantined = _query(
        cdp_settings,
        "select row_number, field, reason from raw_events.quarantined_rows order by row_number",
    )
    assert quarantined == [
        (4, None, "invalid_json"),
        (5, "event_type", "missing_required_field"),
        (6, None, "not_a_json_object"),
        (8, "occurred_at", "invalid_timestamp"),
    ]
    ledger = _query(
        cdp_settings,
        "select file_name, rows_read, rows_loaded, rows_quarantined "
        "from raw_events.loaded_files order by file_name",
    )
    # blank lines are not rows; the duplicate m2 and the resent m1 are loaded, then merged
    assert ledger == [
        ("events/events_2026-10.jsonl", 7, 3, 4),
        ("events/events_2026-11.jsonl", 2, 2, 0),
    ]


def test_loading_the_same_files_twice_changes_nothing(cdp_settings: Settings) -> None:
    write_crm(cdp_settings.landing_dir)
    write_events(cdp_settings.landing_dir)
    for name in ("crm", "events"):
        _load(cdp_settings, name)
    tables = ("raw_crm.customers", "raw_events.events")
    before = {t: _table(cdp_settings, t) for t in tables}
    before_quarantine = _table(cdp_settings, "raw_events.quarantined_rows", "quarantine_key")
    loads_before = _query(cdp_settings, "select count(*) from raw_events._dlt_loads")

    for name in ("crm", "events"):
        info = _load(cdp_settings, name)
        assert not info.has_failed_jobs

    assert {t: _table(cdp_settings, t) for t in tables} == before
    assert _table(cdp_settings, "raw_events.quarantined_rows", "quarantine_key") == (
        before_quarantine
    )
    assert _query(cdp_settings, "select count(*) from raw_events.loaded_files") == [(2,)]
    # no new rows were written: the second run had no file to load
    assert _query(
        cdp_settings,
        "select count(*) from raw_events.events where _dlt_load_id not in "
        "(select min(load_id) from raw_events._dlt_loads)",
    ) == [(0,)]
    assert loads_before[0][0] >= 1


def test_a_new_file_is_loaded_incrementally(cdp_settings: Settings) -> None:
    write_events(cdp_settings.landing_dir, november=False)
    _load(cdp_settings, "events")
    assert _query(cdp_settings, "select count(*) from raw_events.events") == [(2,)]
    write_events(cdp_settings.landing_dir, november=True)
    _load(cdp_settings, "events")
    assert _query(cdp_settings, "select count(*) from raw_events.events") == [(3,)]
    assert _query(cdp_settings, "select count(*), sum(rows_read) from raw_events.loaded_files") == [
        (2, 9)
    ]


def test_local_state_is_rebuilt_when_the_warehouse_is_deleted(cdp_settings: Settings) -> None:
    write_events(cdp_settings.landing_dir)
    _load(cdp_settings, "events")
    cdp_settings.duckdb_path.unlink()
    _load(cdp_settings, "events")
    assert _query(cdp_settings, "select count(*) from raw_events.events") == [(3,)]


_CRASHING_LOAD = textwrap.dedent(
    """
    import os, signal
    from dlt.destinations.job_client_impl import SqlLoadJob
    from ingestion.config import load_sources_config
    from ingestion.pipeline import load_source

    calls = {"n": 0}
    original = SqlLoadJob.run

    def run_then_die(self):
        calls["n"] += 1
        if calls["n"] == 2:
            # killed while merging: the first table is merged, the rest is not
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self)

    SqlLoadJob.run = run_then_die
    config = load_sources_config()
    load_source("events", config.sources["events"])
    """
)


def test_a_load_killed_midway_then_rerun_has_no_duplicates(cdp_settings: Settings) -> None:
    write_events(cdp_settings.landing_dir)
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASHING_LOAD],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    _load(cdp_settings, "events")

    assert _query(
        cdp_settings,
        "select record_key, count(*) from raw_events.events group by 1 order by 1",
    ) == [("m1", 1), ("m2", 1), ("m6", 1)]
    assert _query(cdp_settings, "select count(*) from raw_events.quarantined_rows") == [(4,)]
    assert _query(cdp_settings, "select count(*) from raw_events.loaded_files") == [(2,)]


def test_preflight_names_source_table_file_and_field(cdp_settings: Settings) -> None:
    config = load_sources_config(cdp_settings.sources_config)
    with pytest.raises(ConfigError, match=r"source 'crm', table 'customers': no file matches"):
        preflight("crm", config.sources["crm"], cdp_settings.landing_dir)

    folder = cdp_settings.landing_dir / "crm"
    folder.mkdir()
    (folder / "customers_1.csv").write_text("CustomerID,Email\nC1,a@b.c\n", encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"source 'crm', table 'customers', file .*customers_1.csv: mapped field 'phone' "
        r"expects column 'Mobile'",
    ):
        preflight("crm", config.sources["crm"], cdp_settings.landing_dir)


def test_columns_colliding_after_normalisation_are_rejected(cdp_settings: Settings) -> None:
    write_crm(cdp_settings.landing_dir, delta=False)
    path = cdp_settings.landing_dir / "crm" / "customers_20261101.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",vip_level"
    lines[1:] = [line + ",x" if line.count(",") == 20 else line for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_sources_config(cdp_settings.sources_config)
    with pytest.raises(ConfigError, match=r"'VIPLevel' and 'vip_level' both become 'vip_level'"):
        preflight("crm", config.sources["crm"], cdp_settings.landing_dir)


def test_unmapped_json_keys_colliding_with_a_standard_field_fail_the_load(
    cdp_settings: Settings,
) -> None:
    folder = cdp_settings.landing_dir / "events"
    folder.mkdir()
    (folder / "events_1.jsonl").write_text(
        '{"messageId":"m1","type":"page","timestamp":"2026-10-01T00:00:00Z","Event_Type":"x"}\n',
        encoding="utf-8",
    )
    with pytest.raises(Exception, match=r"'Event_Type' becomes 'event_type'"):
        _load(cdp_settings, "events")
    assert not Path(cdp_settings.duckdb_path).exists() or _query(
        cdp_settings,
        "select count(*) from information_schema.tables where table_schema = 'raw_events' "
        "and table_name = 'events'",
    ) == [(0,)]


def test_tables_exist_before_any_bad_row_and_accept_one_later(cdp_settings: Settings) -> None:
    folder = cdp_settings.landing_dir / "events"
    folder.mkdir()
    good = '{"messageId":"g1","type":"page","timestamp":"2026-10-01T00:00:00Z"}\n'
    (folder / "events_1.jsonl").write_text(good, encoding="utf-8")
    _load(cdp_settings, "events")
    assert _query(cdp_settings, "select count(*) from raw_events.quarantined_rows") == [(0,)]

    (folder / "events_2.jsonl").write_text("{broken\n", encoding="utf-8")
    _load(cdp_settings, "events")
    assert _query(
        cdp_settings, "select file_name, row_number, reason from raw_events.quarantined_rows"
    ) == [("events/events_2.jsonl", 1, "invalid_json")]


def test_a_file_of_only_bad_rows_still_creates_the_raw_table(cdp_settings: Settings) -> None:
    folder = cdp_settings.landing_dir / "events"
    folder.mkdir()
    (folder / "events_1.jsonl").write_text(
        '{"messageId":"x","type":"page","timestamp":"not a time"}\nnot json\n', encoding="utf-8"
    )
    _load(cdp_settings, "events")
    assert _query(cdp_settings, "select count(*) from raw_events.events") == [(0,)]
    columns = _query(
        cdp_settings,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw_events' and table_name = 'events' "
        "and column_name in ('record_key', 'occurred_at', '_source_row')",
    )
    assert sorted(columns) == [
        ("_source_row", "BIGINT"),
        ("occurred_at", "TIMESTAMP WITH TIME ZONE"),
        ("record_key", "VARCHAR"),
    ]
    assert _query(cdp_settings, "select count(*) from raw_events.quarantined_rows") == [(2,)]


def test_a_new_column_in_a_later_file_evolves_the_table(cdp_settings: Settings) -> None:
    write_crm(cdp_settings.landing_dir, delta=False)
    _load(cdp_settings, "crm")
    folder = cdp_settings.landing_dir / "crm"
    header = (folder / "customers_20261101.csv").read_text(encoding="utf-8").splitlines()[0]
    row = (
        "C9,New Person,,,,n@p.com,13900000000,2000-01-01,F,,,,,CN,,2026-11-20 10:00:00,"
        "2026-11-20 10:00:00,Y,Y,Y,bronze,WeChat Mini Program"
    )
    (folder / "customers_20261120.csv").write_text(
        f"{header},PreferredStore\n{row}\n", encoding="utf-8"
    )
    _load(cdp_settings, "crm")
    assert _query(
        cdp_settings,
        "select record_key, preferred_store from raw_crm.customers order by record_key",
    ) == [("C1", None), ("C2", None), ("C9", "WeChat Mini Program")]


def test_a_json_array_file_that_does_not_parse_is_kept_whole(cdp_settings: Settings) -> None:
    folder = cdp_settings.landing_dir / "service"
    folder.mkdir()
    good = (
        '[{"ticket_id":"T1","contact":{"email":"a@b.c","phone":null},"channel":"email",'
        '"created":"2026-11-01 10:00:00","updated":"2026-11-01 10:00:00"}]'
    )
    (folder / "tickets_2026-10.json").write_text(good, encoding="utf-8")
    (folder / "tickets_2026-11.json").write_text('[{"ticket_id": "T2",', encoding="utf-8")
    _load(cdp_settings, "service")
    assert _query(cdp_settings, "select record_key from raw_service.tickets") == [("T1",)]
    assert _query(
        cdp_settings,
        "select file_name, row_number, reason, raw_record from raw_service.quarantined_rows",
    ) == [("service/tickets_2026-11.json", 0, "unreadable_file", '[{"ticket_id": "T2",')]
    assert _query(
        cdp_settings,
        "select rows_read, rows_loaded, rows_quarantined from raw_service.loaded_files "
        "where file_name = 'service/tickets_2026-11.json'",
    ) == [(1, 0, 1)]
