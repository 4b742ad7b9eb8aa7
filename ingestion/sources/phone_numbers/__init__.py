"""A dlt source that parses the phone numbers of the raw tables into ``reference.phone_numbers``.

One row per distinct (phone_raw, country_raw) of every raw table whose entity has a ``phone``
field, and of Segment's ``traits.phone`` in event tables: the E.164 form, validity, number type,
region of the number, extension and, for invalid numbers, a reason code. Staging models left-join
it on ``(phone, coalesce(country, ''))``, so the parsing happens once per distinct value, in
Python, and the SQL stays portable.

- Incremental: only pairs the table lacks, or that were parsed by another ``phonenumbers`` release
  or in another region (the seed or ``defaults.phone_region`` changed), are parsed; the first run
  parses everything. Pairs that no longer occur in the raw tables are kept.
- Merged on (phone_raw, country_raw), so a re-run or a crash-and-rerun never duplicates a row.
- Rows travel as Arrow tables (dlt's Parquet path).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.kinds import KINDS

from .helpers import (
    PARSED_WITH,
    PHONE_NUMBERS_SCHEMA,
    PhoneTable,
    load_country_aliases,
    parse_pairs,
    pending_pairs,
)
from .settings import (
    COUNTRY_CODES_SEED,
    COUNTRY_FIELD,
    JSON_PHONE_KEYS,
    PHONE_FIELD,
    TABLE_NAME,
)

# dlt and the loader are imported where they are used, not here: the parser's worker processes
# import this package (to reach helpers.parse_columns) and should not pay dlt's import (~5 s).
if TYPE_CHECKING:
    from dlt.extract.resource import DltResource
    from dlt.extract.source import DltSource

    from ingestion.config import SourcesConfig

__all__ = [
    "PARSED_WITH",
    "PhoneTable",
    "phone_numbers_resource",
    "phone_numbers_source",
    "phone_tables",
]

_DESCRIPTIONS = {
    "phone_raw": "The phone text exactly as in the raw tables (never empty).",
    "country_raw": "The record's raw country text ('' when none or no country field).",
    "region": "ISO 3166-1 alpha-2 default region used to parse (country via seed, else default).",
    "phone_e164": "E.164 form, e.g. +8613800138000; null unless the number is valid.",
    "is_valid": "phonenumbers.is_valid_number.",
    "number_type": "mobile, fixed_line, fixed_line_or_mobile, toll_free, ..., unknown.",
    "phone_region": "Region of the number itself (region_code_for_number); null if unparseable.",
    "extension": "Extension, when the text had one.",
    "invalid_reason": "Null when valid; unparseable, invalid_number, local_only, too_short, ...",
    "invalid_detail": "phonenumbers' parse error type when unparseable (not_a_number, ...).",
    "parsed_with": "'phonenumbers <version>' that parsed the row; another version re-parses it.",
    "parsed_at": "When the row was parsed (UTC).",
}


def _column_hints() -> dict[str, dict[str, Any]]:
    from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns

    hints = py_arrow_to_table_schema_columns(PHONE_NUMBERS_SCHEMA)
    for name, hint in hints.items():
        hint["description"] = _DESCRIPTIONS[name]
        if name in ("phone_raw", "country_raw"):
            hint.update(nullable=False, primary_key=True)
    return hints


def phone_tables(config: SourcesConfig) -> list[PhoneTable]:
    """Every raw table of ``sources.yml`` that holds phones, and where (see PhoneTable)."""
    from ingestion.pipeline import dataset_name

    tables = []
    for source_name, source in config.sources.items():
        for entity_name in source.tables:
            entity = KINDS[source.kind].entities[entity_name]
            fields = {field.name: field for field in entity.fields}
            where = dict(
                source_name=source_name, schema=dataset_name(source_name), table=entity_name
            )
            if PHONE_FIELD in fields:
                country = COUNTRY_FIELD if COUNTRY_FIELD in fields else None
                tables.append(PhoneTable(**where, phone_column=PHONE_FIELD, country_column=country))
            for column, key in JSON_PHONE_KEYS.items():
                if column in fields and fields[column].type == "json":
                    tables.append(PhoneTable(**where, phone_column=column, phone_json_key=key))
    return tables


def phone_numbers_resource(
    duckdb_path: Path,
    tables: list[PhoneTable],
    default_region: str,
    country_codes: Path = COUNTRY_CODES_SEED,
    workers: int | None = None,
) -> DltResource:
    """The resource that parses the pending pairs of ``tables`` read from the warehouse."""
    import dlt

    def parse_pending() -> Iterator[Any]:
        # Create the table on the first run even with no phone loaded yet: dbt reads it.
        if TABLE_NAME not in dlt.current.source_schema().tables:
            yield PHONE_NUMBERS_SCHEMA.empty_table()
        aliases = load_country_aliases(country_codes)
        # Read everything first: the read-only connection must be closed before dlt loads.
        pending = pending_pairs(duckdb_path, tables, default_region, aliases)
        yield from parse_pairs(pending, datetime.now(UTC), workers)

    return dlt.resource(
        parse_pending,
        name=TABLE_NAME,
        table_name=TABLE_NAME,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=["phone_raw", "country_raw"],
        columns=_column_hints(),
        max_table_nesting=0,
    )


def phone_numbers_source(
    config: SourcesConfig,
    duckdb_path: Path,
    country_codes: Path = COUNTRY_CODES_SEED,
    workers: int | None = None,
) -> DltSource:
    """The dlt source of ``reference.phone_numbers`` for the raw tables of ``config``.

    Args:
        config: the sources configuration: which raw tables have phones, the default region.
        duckdb_path: the warehouse the raw tables are read from (read-only, closed before load).
        country_codes: the seed mapping country aliases onto regions.
        workers: parser processes for large batches; default: the CPUs available.
    """
    import dlt

    @dlt.source(name=TABLE_NAME, max_table_nesting=0)
    def _source() -> DltResource:
        return phone_numbers_resource(
            duckdb_path,
            phone_tables(config),
            config.defaults.phone_region,
            country_codes,
            workers,
        )

    return _source()
