"""Parse phone numbers with ``phonenumbers``, and find the pairs still to parse in the warehouse.

``parse_phone`` is pure (a string and a region in, a row of the reference table out); everything
else here moves data: reading the seed, reading the raw tables, building Arrow tables and spreading
large batches over worker processes.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import duckdb
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import (
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)

from .settings import (
    BLANK_PATTERN,
    CHUNK_ROWS,
    COUNTRY_CODES_SEED,
    DATASET_NAME,
    PARALLEL_MIN_ROWS,
    REASON_INVALID_NUMBER,
    REASON_LOCAL_ONLY,
    REASON_UNPARSEABLE,
    TABLE_NAME,
)

# phonenumbers compiles its metadata patterns through re.compile, whose cache holds 512: numbers
# of a few regions mixed together overflow it and every call recompiles (4x slower, measured).
# Keep every pattern once compiled (a few thousand at most, one per metadata entry).
phonenumbers.enable_pattern_cache()

# Stored with every row: a row parsed by another release (whose metadata may know new number
# ranges) is parsed again.
PARSED_WITH = f"phonenumbers {phonenumbers.__version__}"


def _constant_names(holder: type) -> dict[int, str]:
    return {
        value: name.lower()
        for name, value in vars(holder).items()
        if name.isupper() and isinstance(value, int)
    }


# mobile, fixed_line, fixed_line_or_mobile, toll_free, ..., unknown
NUMBER_TYPES = _constant_names(PhoneNumberType)
# too_short, too_long, invalid_length, invalid_country_code (and the two "possible" results)
_POSSIBLE_REASONS = _constant_names(ValidationResult)
# not_a_number, invalid_country_code, too_short_after_idd, too_short_nsn, too_long
_PARSE_ERRORS = _constant_names(NumberParseException)

PHONE_NUMBERS_SCHEMA = pa.schema(
    [
        pa.field("phone_raw", pa.string(), nullable=False),
        pa.field("country_raw", pa.string(), nullable=False),
        ("region", pa.string()),
        ("phone_e164", pa.string()),
        ("is_valid", pa.bool_()),
        ("number_type", pa.string()),
        ("phone_region", pa.string()),
        ("extension", pa.string()),
        ("invalid_reason", pa.string()),
        ("invalid_detail", pa.string()),
        ("parsed_with", pa.string()),
        ("parsed_at", pa.timestamp("us", tz="UTC")),
    ]
)
_PAIRS_SCHEMA = pa.schema(
    [("phone_raw", pa.string()), ("country_raw", pa.string()), ("region", pa.string())]
)


class ParsedPhone(NamedTuple):
    """What the reference table says about one raw phone text (besides the pair and region)."""

    phone_e164: str | None
    is_valid: bool
    number_type: str
    phone_region: str | None
    extension: str | None
    invalid_reason: str | None
    invalid_detail: str | None


def parse_phone(raw: str, region: str) -> ParsedPhone:
    """Parse one phone text, ``region`` being the default for numbers written without ``+``/IDD.

    ``phone_e164`` is set for valid numbers only. ``invalid_reason``: ``unparseable`` (not a phone
    number at all; ``invalid_detail`` gives phonenumbers' error type), the length problem
    ``is_possible_number_with_reason`` reports (``too_short``, ``too_long``, ``invalid_length``,
    ``invalid_country_code``), ``local_only`` (dialable only locally: an area code is missing), or
    ``invalid_number`` (a possible length but not in any assigned range).
    """
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as error:
        detail = _PARSE_ERRORS.get(error.error_type, "unknown")
        return ParsedPhone(None, False, "unknown", None, None, REASON_UNPARSEABLE, detail)
    number_type = phonenumbers.number_type(number)
    # phonenumbers' is_valid_number(n) is exactly number_type(n) != UNKNOWN: both match the
    # national number against the metadata of region_code_for_number(n). Matching once saves a
    # fifth of the time per number; tests/ingestion/test_phone_numbers.py checks the equivalence.
    is_valid = number_type != PhoneNumberType.UNKNOWN
    reason = None
    if not is_valid:
        possible = phonenumbers.is_possible_number_with_reason(number)
        if possible == ValidationResult.IS_POSSIBLE:
            reason = REASON_INVALID_NUMBER
        elif possible == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
            reason = REASON_LOCAL_ONLY
        else:
            reason = _POSSIBLE_REASONS[possible]
    return ParsedPhone(
        phonenumbers.format_number(number, PhoneNumberFormat.E164) if is_valid else None,
        is_valid,
        NUMBER_TYPES[number_type],
        phonenumbers.region_code_for_number(number),
        number.extension or None,
        reason,
        None,
    )


def load_country_aliases(path: Path = COUNTRY_CODES_SEED) -> dict[str, str]:
    """The country_codes seed as {lower(trim(alias)): ISO 3166-1 alpha-2 code}."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["alias"].strip().lower(): row["country_code"].strip().upper()
            for row in csv.DictReader(handle)
        }


def region_for_country(country_raw: str, aliases: Mapping[str, str], default_region: str) -> str:
    """The parsing region of a record: its country through the seed, else the deployment default."""
    code = aliases.get(country_raw.strip().lower())
    return code if code in phonenumbers.SUPPORTED_REGIONS else default_region


def parse_columns(phones: Sequence[str], regions: Sequence[str]) -> list[tuple[object, ...]]:
    """The ParsedPhone fields of every ``(phones[i], regions[i])``, as columns.

    This is what worker processes run: plain lists in and out. Building Arrow arrays from Python
    objects makes pyarrow import pandas (~4 s per process), so the parent process builds them.
    """
    parsed = [parse_phone(phone, region) for phone, region in zip(phones, regions, strict=True)]
    if not parsed:
        return [()] * len(ParsedPhone._fields)
    return list(zip(*parsed, strict=True))


def _reference_rows(
    pairs: pa.Table, columns: Sequence[Sequence[object]], parsed_at: datetime
) -> pa.Table:
    rows = pairs.num_rows
    values = [*columns, [PARSED_WITH] * rows, [parsed_at] * rows]
    parsed_fields = list(PHONE_NUMBERS_SCHEMA)[len(_PAIRS_SCHEMA) :]
    return pa.Table.from_arrays(
        [
            *(pairs.column(name).combine_chunks() for name in _PAIRS_SCHEMA.names),
            *(pa.array(v, field.type) for v, field in zip(values, parsed_fields, strict=True)),
        ],
        schema=PHONE_NUMBERS_SCHEMA,
    )


def default_workers() -> int:
    """CPUs this process may use (affinity aware where the platform tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parse_pairs(
    pairs: pa.Table, parsed_at: datetime, workers: int | None = None
) -> Iterator[pa.Table]:
    """Parse ``pairs`` (phone_raw, country_raw, region) into reference rows, in chunks.

    Parsing is pure Python (~15-20k numbers/s per core), so a large batch is spread over worker
    processes. They are started with ``spawn`` (``fork`` is unsafe in a threaded Dagster process
    and with Arrow's thread pools), which imports the caller's main module again: a script that
    parses 100k pairs or more must keep its work under ``if __name__ == "__main__":``.
    """
    workers = default_workers() if workers is None else workers
    chunks = [pairs.slice(start, CHUNK_ROWS) for start in range(0, pairs.num_rows, CHUNK_ROWS)]
    phones = [chunk.column("phone_raw").to_pylist() for chunk in chunks]
    regions = [chunk.column("region").to_pylist() for chunk in chunks]
    if workers <= 1 or pairs.num_rows < PARALLEL_MIN_ROWS:
        for chunk, columns in zip(chunks, map(parse_columns, phones, regions), strict=True):
            yield _reference_rows(chunk, columns, parsed_at)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        results = pool.map(parse_columns, phones, regions)
        for chunk, columns in zip(chunks, results, strict=True):
            yield _reference_rows(chunk, columns, parsed_at)


@dataclass(frozen=True)
class PhoneTable:
    """A raw table that holds phones: in a column, or under a key of a JSON column."""

    source_name: str
    schema: str
    table: str
    phone_column: str
    # The key of the JSON object in phone_column that holds the phone (Segment traits.phone).
    phone_json_key: str | None = None
    # The country of the record, when the entity has one.
    country_column: str | None = None

    def select_sql(self, columns: set[str]) -> str | None:
        """Distinct (phone_raw, country_raw) of this table; None when it lacks the phone column.

        ``phone_raw`` is the exact expression staging joins on: the column, or DuckDB's
        ``json_extract_string`` of the key (what the dbt macro ``cdp_json_text`` compiles to).
        """
        if self.phone_column not in columns:
            return None
        phone = f'"{self.phone_column}"'
        if self.phone_json_key is not None:
            phone = f"json_extract_string({phone}, '$.{self.phone_json_key}')"
        country = "''"
        if self.country_column is not None and self.country_column in columns:
            country = f"""coalesce("{self.country_column}", '')"""
        return (
            f"select distinct {phone} as phone_raw, {country} as country_raw "
            f'from "{self.schema}"."{self.table}" '
            f"where {phone} is not null and not regexp_full_match({phone}, '{BLANK_PATTERN}')"
        )


def pending_pairs(
    duckdb_path: Path,
    tables: Sequence[PhoneTable],
    default_region: str,
    aliases: Mapping[str, str],
) -> pa.Table:
    """Distinct (phone_raw, country_raw, region) of the raw tables not parsed as they would be now.

    A pair is pending when the reference table has no row for it, or its row was parsed by another
    phonenumbers release or with another region (the seed or the default region changed). Blank
    phones are left out (staging calls them missing before it looks here); tables not loaded yet
    are skipped. The read-only connection is closed before this returns, so that dlt can then open
    the file for writing.
    """
    if not duckdb_path.exists():
        return _PAIRS_SCHEMA.empty_table()
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        columns: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall():
            columns.setdefault((schema, table), set()).add(column)
        selects = [
            sql
            for table in tables
            if (sql := table.select_sql(columns.get((table.schema, table.table), set())))
        ]
        if not selects:
            return _PAIRS_SCHEMA.empty_table()
        raw_pairs = con.sql("\nunion\n".join(selects)).to_arrow_table()  # union: distinct
        countries = pc.unique(raw_pairs.column("country_raw")).to_pylist()
        regions = pa.table(
            {
                "country_raw": pa.array(countries, pa.string()),
                "region": pa.array(
                    [region_for_country(c, aliases, default_region) for c in countries],
                    pa.string(),
                ),
            }
        )
        con.register("raw_pairs", raw_pairs)
        con.register("regions", regions)
        done = ""
        parsed = columns.get((DATASET_NAME, TABLE_NAME), set())
        if {"phone_raw", "country_raw", "region", "parsed_with"} <= parsed:
            done = f"""
                where not exists (
                    select 1 from "{DATASET_NAME}"."{TABLE_NAME}" as parsed
                    where parsed.phone_raw = pairs.phone_raw
                        and parsed.country_raw = pairs.country_raw
                        and parsed.region = pairs.region
                        and parsed.parsed_with = $parsed_with
                )"""
        pairs = con.sql(
            f"""
            with pairs as (
                select raw_pairs.phone_raw, raw_pairs.country_raw, regions.region
                from raw_pairs
                inner join regions on raw_pairs.country_raw = regions.country_raw
            )
            select pairs.phone_raw, pairs.country_raw, pairs.region from pairs {done}
            """,
            params={"parsed_with": PARSED_WITH} if done else None,
        ).to_arrow_table()
    return pairs.cast(_PAIRS_SCHEMA)
