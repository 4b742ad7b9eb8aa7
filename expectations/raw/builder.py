"""The structure of every raw table, generated from its kind (ingestion/kinds.py) and mapping.

The loader creates every standard field of an entity with a fixed type, casts values, and
quarantines rows without their required fields, so for a raw table:

- every standard field and lineage column exists with the DuckDB type of its field type;
- ``record_key`` is present and unique (dlt merges on it), required fields are present;
- identifier fields that ``sources.yml`` maps hold at least one non-blank value: an export that
  dropped its email column would otherwise load "fine" and unlink every row from its person
  (unmapped fields are null by design and are not checked);
- the table holds rows and was loaded recently (``_ingested_at``; a warning).

All but freshness are critical. The per-table modules beside this one add what is specific to
their table (mostly rates, as warnings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from expectations.suite import Expectations, TableSuite, table_aggregates, table_expectations
from ingestion.config import SourceConfig
from ingestion.kinds import EntitySpec, FieldType
from ingestion.pipeline import dataset_name
from ingestion.sources.landing.settings import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    INGESTED_AT_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
)

# DuckDB's catalog name (information_schema.columns.data_type) of each standard field type.
DUCKDB_TYPES: dict[FieldType, str] = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "date": "DATE",
    "decimal": f"DECIMAL({DECIMAL_PRECISION},{DECIMAL_SCALE})",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "json": "JSON",  # dlt's json type becomes DuckDB's JSON, not VARCHAR
}
LINEAGE_TYPES = {
    SOURCE_FILE_COLUMN: "VARCHAR",
    SOURCE_ROW_COLUMN: "BIGINT",
    INGESTED_AT_COLUMN: "TIMESTAMP WITH TIME ZONE",
}
KEY = "record_key"
# Standard fields that link a record to a person or to another record.
IDENTIFIER_FIELDS = frozenset(
    {
        "email",
        "phone",
        "customer_key",
        "order_key",
        "anonymous_id",
        "user_id",
        "unionid",
        "openid",
        "national_id",
        "loyalty_id",
    }
)
# A raw table not loaded for this long warns (the schedule loads daily).
MAX_AGE_HOURS = 48


@dataclass(frozen=True)
class RawTable:
    """One raw table as configured: its source, entity spec and the fields its mapping fills."""

    source_name: str
    kind: str
    entity: EntitySpec
    mapped: frozenset[str]

    @property
    def schema(self) -> str:
        return dataset_name(self.source_name)

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Mapped identifier fields other than the key, in field order."""
        return tuple(
            f.name for f in self.entity.fields if f.name in IDENTIFIER_FIELDS & self.mapped
        )

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.entity.fields if f.required and f.name != KEY)


def raw_table(source_name: str, source: SourceConfig, entity_name: str) -> RawTable:
    return RawTable(
        source_name=source_name,
        kind=source.kind,
        entity=source.entity(entity_name),
        mapped=frozenset(source.tables[entity_name].mapping),
    )


def raw_suite(table: RawTable, specific: Callable[[RawTable], Expectations]) -> TableSuite:
    """The suite of one raw table: the shared structure plus its module's ``specific`` ones."""
    columns: dict[str, str | None] = {f.name: DUCKDB_TYPES[f.type] for f in table.entity.fields}
    columns.update(LINEAGE_TYPES)

    def expectations() -> Expectations:
        shared = table_expectations(
            KEY,
            not_collapsed_columns=table.identifiers,
            freshness_column=INGESTED_AT_COLUMN,
            max_age_hours=MAX_AGE_HOURS,
            required_columns=table.required,
        )
        return shared + specific(table)

    return TableSuite(
        name=f"{table.schema}.{table.entity.name}",
        asset_key=(table.schema, table.entity.name),
        schema=table.schema,
        table=table.entity.name,
        key=KEY,
        columns=columns,
        aggregates=table_aggregates(
            not_collapsed_columns=table.identifiers, freshness_column=INGESTED_AT_COLUMN
        ),
        expectations=expectations,
        description=f"{table.entity.description} (kind {table.kind})",
    )
