"""The phone step: parsing with phonenumbers, which pairs it reads, and its incremental loads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import phonenumbers
import pyarrow as pa
import pytest

from ingestion.config import DefaultsConfig, SourcesConfig, load_sources_config
from ingestion.pipeline import load_all
from ingestion.reference import load_phone_numbers
from ingestion.sample_data import generate
from ingestion.settings import Settings
from ingestion.sources.phone_numbers import helpers as phone_helpers
from ingestion.sources.phone_numbers import phone_tables
from ingestion.sources.phone_numbers.helpers import (
    PARSED_WITH,
    ParsedPhone,
    load_country_aliases,
    parse_pairs,
    parse_phone,
    pending_pairs,
    region_for_country,
)

from ..isolation import isolate_data_dir

PERSONS = 300


def ok(e164: str, kind: str, phone_region: str, extension: str | None = None) -> ParsedPhone:
    return ParsedPhone(e164, True, kind, phone_region, extension, None, None)


def bad(reason: str, phone_region: str | None, detail: str | None = None) -> ParsedPhone:
    return ParsedPhone(None, False, "unknown", phone_region, None, reason, detail)


# (raw text, default region, what the reference table says)
CASES: list[tuple[str, str, ParsedPhone]] = [
    # mainland mobile, in every way it is written
    ("13800138000", "CN", ok("+8613800138000", "mobile", "CN")),
    ("+86 138 0013 8000", "CN", ok("+8613800138000", "mobile", "CN")),
    ("0086 138 0013 8000", "CN", ok("+8613800138000", "mobile", "CN")),
    ("+86-138-0013-8000", "CN", ok("+8613800138000", "mobile", "CN")),
    ("１３８００１３８０００", "CN", ok("+8613800138000", "mobile", "CN")),
    ("tel:+86-138-0013-8000", "CN", ok("+8613800138000", "mobile", "CN")),
    # a mainland number keeps its own country whatever the record's region
    ("+86 21 6288 1234", "US", ok("+862162881234", "fixed_line", "CN")),
    # Beijing fixed line: trunk prefix 0 and area code 10
    ("(010) 6552 9988", "CN", ok("+861065529988", "fixed_line", "CN")),
    ("010-65529988", "CN", ok("+861065529988", "fixed_line", "CN")),
    ("+86 (0) 10 6552 9988", "CN", ok("+861065529988", "fixed_line", "CN")),
    ("+86 400 810 8888", "CN", ok("+864008108888", "shared_cost", "CN")),
    # US: NANP numbers cannot be told apart as mobile or fixed
    ("(617) 555-0123", "US", ok("+16175550123", "fixed_line_or_mobile", "US")),
    ("+1 617 555 0123 ext. 45", "US", ok("+16175550123", "fixed_line_or_mobile", "US", "45")),
    ("1-800-FLOWERS", "US", ok("+18003569377", "toll_free", "US")),
    # the same US text read as a mainland number is not valid: the region matters
    ("(617) 555-0123", "CN", bad("invalid_number", "CN")),
    # UK: London fixed line; 07911 mobiles are numbered in Guernsey's range
    ("020 7946 0958", "GB", ok("+442079460958", "fixed_line", "GB")),
    ("+44 7911 123456", "GB", ok("+447911123456", "mobile", "GG")),
    ("+44 20 7946 0958", "CN", ok("+442079460958", "fixed_line", "GB")),
    # Ofcom's range for drama: a possible length but never assigned; +44 is shared by GB, GG, IM,
    # JE, so an invalid number has no region
    ("+44 7700 900123", "GB", bad("invalid_number", None)),
    # Hong Kong: the country code written without + is recognised in region HK; 5828 is unassigned
    ("852-5828-0006", "HK", bad("invalid_number", "HK")),
    ("852-6088-5677", "HK", ok("+85260885677", "mobile", "HK")),
    ("+852 6088 5677", "CN", ok("+85260885677", "mobile", "HK")),
    ("6088 5677", "HK", ok("+85260885677", "mobile", "HK")),
    # non-geographic (+800 international freephone): region 001
    ("+800 1234 5678", "CN", ok("+80012345678", "toll_free", "001")),
    # garbage
    ("abc", "CN", bad("unparseable", None, "not_a_number")),
    ("N/A", "CN", bad("unparseable", None, "not_a_number")),
    ("null", "CN", bad("unparseable", None, "not_a_number")),
    ("+999 123", "CN", bad("unparseable", None, "invalid_country_code")),
    ("13800138000123456789", "CN", bad("unparseable", None, "too_long")),
    ("138 0013 8000 / 139 0013 9000", "CN", bad("unparseable", None, "too_long")),
    # a placeholder of the right length, and a mobile one digit short
    ("00000000000", "CN", bad("invalid_number", "CN")),
    ("1380013800", "CN", bad("invalid_number", "CN")),
    # too short: as a mainland number 12345 could be a local number missing its area code; in the
    # US it cannot be anything
    ("12345", "CN", bad("local_only", "CN")),
    ("12345", "US", bad("too_short", None)),
    ("+86 138", "CN", bad("too_short", "CN")),
]


@pytest.mark.parametrize(("raw", "region", "expected"), CASES)
def test_parse_phone_gives_e164_validity_type_and_reason(
    raw: str, region: str, expected: ParsedPhone
) -> None:
    assert parse_phone(raw, region) == expected


@pytest.mark.parametrize(("raw", "region", "expected"), CASES)
def test_parse_phone_validity_and_type_are_the_library_calls(
    raw: str, region: str, expected: ParsedPhone
) -> None:
    # parse_phone derives validity from number_type; this is what is_valid_number says.
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        assert parse_phone(raw, region).invalid_reason == "unparseable"
        return
    parsed = parse_phone(raw, region)
    assert parsed.is_valid == phonenumbers.is_valid_number(number)
    assert parsed.phone_region == phonenumbers.region_code_for_number(number)


def test_region_for_country_uses_the_seed_then_the_default() -> None:
    aliases = load_country_aliases()
    assert region_for_country("China", aliases, "HK") == "CN"
    assert region_for_country("  中国 ", aliases, "HK") == "CN"
    assert region_for_country("United Kingdom", aliases, "CN") == "GB"
    assert region_for_country("香港", aliases, "CN") == "HK"
    assert region_for_country("Atlantis", aliases, "CN") == "CN"
    assert region_for_country("", aliases, "SG") == "SG"


def test_parse_pairs_in_worker_processes_equals_in_process(monkeypatch) -> None:
    pairs = pa.table(
        {
            "phone_raw": [raw for raw, _, _ in CASES],
            "country_raw": [f"c{index}" for index in range(len(CASES))],
            "region": [region for _, region, _ in CASES],
        }
    )
    parsed_at = datetime(2024, 1, 1, tzinfo=UTC)
    serial = pa.concat_tables(parse_pairs(pairs, parsed_at, workers=1))
    monkeypatch.setattr(phone_helpers, "PARALLEL_MIN_ROWS", 2)
    monkeypatch.setattr(phone_helpers, "CHUNK_ROWS", 10)
    parallel = list(parse_pairs(pairs, parsed_at, workers=2))
    assert len(parallel) == 4
    assert pa.concat_tables(parallel).equals(serial)
    assert serial.column("country_raw").to_pylist() == pairs.column("country_raw").to_pylist()
    assert serial.column("phone_e164").to_pylist() == [e.phone_e164 for _, _, e in CASES]
    assert set(serial.column("parsed_with").to_pylist()) == {PARSED_WITH}


def test_pending_pairs_skip_blank_phones_and_missing_tables(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    blanks = ["", " ", "   ", "\t", "\n", "\u3000", "\u00a0", "\u200b ", None]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw_crm")
        con.execute("create table raw_crm.customers (phone varchar, country varchar)")
        con.executemany(
            "insert into raw_crm.customers values (?, ?)",
            [
                *[(blank, "CN") for blank in blanks],
                ("13800138000", "China"),
                ("13800138000", "China"),  # the same pair twice: one row
                ("13800138000", None),  # no country: country_raw ''
                ("13800138000", "Atlantis"),  # unknown country: the default region
                (" 13800138000", "China"),  # different text, kept exactly
            ],
        )
        con.execute("create schema raw_events")
        con.execute("create table raw_events.events (traits json)")
        con.execute(
            "insert into raw_events.events values "
            """('{"phone": "+852 6088 5677"}'), ('{"phone": 13800138000}'), """
            """('{"email": "a@b.c"}'), ('{"phone": "  "}'), (null)"""
        )
    tables = phone_tables(load_sources_config())  # raw_orders, raw_service... do not exist
    pairs = pending_pairs(path, tables, "HK", load_country_aliases())
    assert sorted(pairs.to_pylist(), key=lambda row: (row["phone_raw"], row["country_raw"])) == [
        {"phone_raw": " 13800138000", "country_raw": "China", "region": "CN"},
        {"phone_raw": "+852 6088 5677", "country_raw": "", "region": "HK"},
        {"phone_raw": "13800138000", "country_raw": "", "region": "HK"},
        {"phone_raw": "13800138000", "country_raw": "Atlantis", "region": "HK"},
        {"phone_raw": "13800138000", "country_raw": "China", "region": "CN"},
    ]
    assert pending_pairs(tmp_path / "absent.duckdb", tables, "CN", {}).num_rows == 0


def test_phone_tables_follow_the_kinds_and_the_config() -> None:
    tables = {
        (table.schema, table.table, table.phone_column, table.country_column)
        for table in phone_tables(load_sources_config())
    }
    assert tables == {
        ("raw_crm", "customers", "phone", "country"),
        ("raw_orders", "orders", "phone", None),
        ("raw_service", "tickets", "phone", None),
        ("raw_wechat", "followers", "phone", "country"),
        ("raw_events", "events", "traits", None),
    }  # fmt: skip


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Sample data loaded into an isolated warehouse, then the phone step run once."""
    data = tmp_path_factory.mktemp("phones")
    with pytest.MonkeyPatch.context() as patch:
        settings = isolate_data_dir(patch, data)
        generate(persons=PERSONS, seed=11, out=data)
        load_all(settings)
        first = load_phone_numbers(settings, workers=1)
        (settings.data_dir / "first_run.json").write_text(json.dumps(first.pairs_parsed))
        yield settings


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


# Every distinct (phone, country) of the raw tables, written independently of the step.
_RAW_PAIRS = """
    select distinct phone, coalesce(country, '') from raw_crm.customers
    union select distinct phone, coalesce(country, '') from raw_wechat.followers
    union select distinct phone, '' from raw_orders.orders
    union select distinct phone, '' from raw_service.tickets
    union select distinct json_extract_string(traits, '$.phone'), '' from raw_events.events
"""


def test_phone_step_writes_one_row_per_distinct_nonblank_pair(sample: Settings) -> None:
    (expected,) = _query(
        sample,
        f"select count(*) from ({_RAW_PAIRS}) as pairs(phone, country) "
        "where nullif(trim(phone), '') is not null",
    )[0]
    first_run = json.loads((sample.data_dir / "first_run.json").read_text())
    assert first_run == expected > 100
    assert _query(
        sample,
        "select count(*), count(distinct (phone_raw, country_raw)) from reference.phone_numbers",
    ) == [(expected, expected)]
    missing = _query(
        sample,
        f"select count(*) from ({_RAW_PAIRS}) as pairs(phone, country) "
        "where nullif(trim(phone), '') is not null and not exists (select 1 from "
        "reference.phone_numbers as parsed where parsed.phone_raw = pairs.phone "
        "and parsed.country_raw = pairs.country)",
    )
    assert missing == [(0,)]


def test_phone_step_parses_the_sample_phones(sample: Settings) -> None:
    (rows, valid, junk_valid, versions) = _query(
        sample,
        "select count(*), count(*) filter (where is_valid), "
        "count(*) filter (where is_valid and phone_raw in ('00000000000', 'N/A', 'null')), "
        "list(distinct parsed_with) from reference.phone_numbers",
    )[0]
    assert valid / rows > 0.8
    assert junk_valid == 0
    assert versions == [PARSED_WITH]
    # every valid row has its E.164 form and a known type; no invalid row has either
    assert _query(
        sample,
        "select count(*) from reference.phone_numbers where is_valid <> (phone_e164 is not null) "
        "or is_valid = (invalid_reason is not null) or (is_valid and number_type = 'unknown')",
    ) == [(0,)]


def test_phone_step_run_again_parses_nothing(sample: Settings) -> None:
    before = _query(sample, "select count(*), max(parsed_at) from reference.phone_numbers")
    assert load_phone_numbers(sample, workers=1).pairs_parsed == 0
    assert _query(sample, "select count(*), max(parsed_at) from reference.phone_numbers") == before


def test_phone_step_reparses_rows_of_another_library_version(sample: Settings) -> None:
    with duckdb.connect(str(sample.duckdb_path)) as con:
        stale = con.execute(
            "update reference.phone_numbers set parsed_with = 'phonenumbers 8.0.0', "
            "phone_e164 = null where country_raw = '' returning phone_raw"
        ).fetchall()
    assert len(stale) > 10
    rows = _query(sample, "select count(*) from reference.phone_numbers")
    assert load_phone_numbers(sample, workers=1).pairs_parsed == len(stale)
    assert _query(sample, "select count(*) from reference.phone_numbers") == rows
    assert _query(
        sample,
        "select count(*) from reference.phone_numbers "
        f"where parsed_with <> '{PARSED_WITH}' or (is_valid and phone_e164 is null)",
    ) == [(0,)]


def test_phone_step_reparses_when_the_default_region_changes(sample: Settings) -> None:
    config = load_sources_config(sample.sources_config)
    hong_kong = SourcesConfig(sources=config.sources, defaults=DefaultsConfig(phone_region="HK"))
    # Records without a country the seed knows take the default region; the others keep theirs.
    aliases = load_country_aliases()
    rows = _query(sample, "select country_raw, region from reference.phone_numbers")
    moved = sum(region_for_country(country, aliases, "HK") != region for country, region in rows)
    assert 0 < moved < len(rows)
    try:
        assert load_phone_numbers(sample, hong_kong, workers=1).pairs_parsed == moved
        assert _query(
            sample,
            "select count(*) filter (where region = 'HK'), "
            "count(*) filter (where region = 'CN' and country_raw = '') "
            "from reference.phone_numbers",
        ) == [(moved + sum(region == "HK" for _, region in rows), 0)]
    finally:
        load_phone_numbers(sample, workers=1)  # back to CN for the other tests
