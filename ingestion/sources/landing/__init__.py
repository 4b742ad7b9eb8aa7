"""A dlt source over landing files: one resource per raw table of a source in ``sources.yml``.

Loading rules, all of which the tests check:

- A file already loaded (same path, same SHA-256) is skipped; the list of loaded files lives in
  dlt's resource state, which is committed with the load package and restored from the warehouse.
- Records are merged on ``record_key`` (delete-insert), so re-running after a crash, or receiving a
  resent event in a later file, never duplicates a row. When one key arrives twice in a load, the
  newest version (the entity's ``version_field``) wins.
- Nothing is dropped: rows that break a type or a required field go to ``quarantined_rows`` with
  their file, row number, field and reason; every file gets a line in ``loaded_files`` with
  ``rows_read = rows_loaded + rows_quarantined``.
- Bulk rows travel as Arrow tables (dlt's Parquet path), never as Python dicts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from ingestion.config import SourceConfig, TableConfig
from ingestion.kinds import EntitySpec

from .readers import file_sha256, read_batches
from .settings import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    INGESTED_AT_COLUMN,
    LEDGER_TABLE,
    QUARANTINE_TABLE,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
)
from .shaping import QUARANTINE_SCHEMA, Shaper, entity_arrow_schema

_DLT_TYPES = {
    "text": "text",
    "timestamp": "timestamp",
    "date": "date",
    "decimal": "decimal",
    "integer": "bigint",
    "boolean": "bool",
    "json": "json",
}

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("file_key", pa.string(), nullable=False),
        ("source", pa.string()),
        ("table_name", pa.string()),
        ("file_name", pa.string()),
        ("file_sha256", pa.string()),
        ("file_bytes", pa.int64()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("values_nulled", pa.int64()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


class _JsonAsTextWarning(logging.Filter):
    """Drop dlt's warning that an Arrow column's type differs from its hint.

    JSON fields (Segment traits, context, properties) travel as Arrow strings and are typed
    ``json`` by their column hint on purpose: the warehouse gets a JSON column (jsonb on
    Postgres). Every other Arrow type is produced to match its hint exactly, so the warning would
    only ever be about these columns, once per batch.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


logging.getLogger("dlt").addFilter(_JsonAsTextWarning())

_MERGE = {"disposition": "merge", "strategy": "delete-insert"}
# Full column lists, so the tables exist (and dbt sources resolve) even before a first bad row.
_QUARANTINE_HINTS = dlt.mark.make_hints(
    table_name=QUARANTINE_TABLE,
    write_disposition=_MERGE,
    primary_key="quarantine_key",
    columns=py_arrow_to_table_schema_columns(QUARANTINE_SCHEMA),
)
_LEDGER_HINTS = dlt.mark.make_hints(
    table_name=LEDGER_TABLE,
    write_disposition=_MERGE,
    primary_key="file_key",
    columns=py_arrow_to_table_schema_columns(LEDGER_SCHEMA),
)


def display_name(path: Path, landing_dir: Path) -> str:
    """How a file is named in state, lineage and quarantine: relative to the landing folder."""
    try:
        return path.resolve().relative_to(landing_dir.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _table_hints(entity: EntitySpec) -> Any:
    return dlt.mark.make_hints(
        table_name=entity.name,
        write_disposition=_MERGE,
        primary_key="record_key",
        columns=_column_hints(entity),
    )


def _column_hints(entity: EntitySpec) -> dict[str, dict[str, Any]]:
    hints: dict[str, dict[str, Any]] = {
        SOURCE_FILE_COLUMN: {"name": SOURCE_FILE_COLUMN, "data_type": "text"},
        SOURCE_ROW_COLUMN: {"name": SOURCE_ROW_COLUMN, "data_type": "bigint"},
        INGESTED_AT_COLUMN: {"name": INGESTED_AT_COLUMN, "data_type": "timestamp"},
    }
    for field in entity.fields:
        hint: dict[str, Any] = {
            "name": field.name,
            "data_type": _DLT_TYPES[field.type],
            "description": field.description,
        }
        if field.name == "record_key":
            hint.update(nullable=False, primary_key=True)
        if field.type == "decimal":
            hint.update(precision=DECIMAL_PRECISION, scale=DECIMAL_SCALE)
        if field.name == entity.version_field:
            hint["dedup_sort"] = "desc"
        hints[field.name] = hint
    if entity.version_field is None:
        # Same key twice in a load: the later row in the file wins.
        hints[SOURCE_ROW_COLUMN]["dedup_sort"] = "desc"
    return hints


def table_resource(
    source_name: str,
    entity: EntitySpec,
    table: TableConfig,
    landing_dir: Path,
) -> DltResource:
    """The resource loading every file of one raw table."""

    def load_files() -> Iterator[Any]:
        state = dlt.current.resource_state()
        loaded: dict[str, str] = state.setdefault("loaded_files", {})
        ingested_at = datetime.now(UTC)
        shaper = Shaper(source_name, entity, table, ingested_at)
        known = dlt.current.source_schema().tables
        # Create the tables on the first run even if no row reaches them, so that models and
        # checks can always read them. An empty Arrow table creates exactly these columns.
        if entity.name not in known:
            yield dlt.mark.with_hints(
                entity_arrow_schema(entity).empty_table(),
                _table_hints(entity),
                create_table_variant=True,
            )
        if QUARANTINE_TABLE not in known:
            yield dlt.mark.with_hints(
                QUARANTINE_SCHEMA.empty_table(), _QUARANTINE_HINTS, create_table_variant=True
            )
        try:
            for path in table.files(landing_dir):
                name = display_name(path, landing_dir)
                digest = file_sha256(path)
                if loaded.get(name) == digest:
                    continue
                yield from _load_file(shaper, path, name, digest, ingested_at)
                loaded[name] = digest
        finally:
            shaper.close()

    # The resource carries no column hints of its own: dlt starts every table variant (here the
    # quarantine and ledger tables) from the resource's hints, and the key of the raw table would
    # leak into them. Each of the three tables gets its hints as a variant instead.
    return dlt.resource(
        load_files,
        name=entity.name,
        table_name=entity.name,
        write_disposition=_MERGE,
        max_table_nesting=0,
    )


def _load_file(
    shaper: Shaper, path: Path, name: str, digest: str, ingested_at: datetime
) -> Iterator[Any]:
    read = loaded = quarantined = nulled = 0
    table_hints = _table_hints(shaper.entity)
    for batch in read_batches(path, shaper.table):
        shaped = shaper.shape(batch, name)
        read += shaped.rows_read
        loaded += shaped.rows.num_rows
        quarantined += shaped.rows_quarantined
        nulled += shaped.values_nulled
        if shaped.rows.num_rows:
            yield dlt.mark.with_hints(shaped.rows, table_hints, create_table_variant=True)
        if shaped.problems.num_rows:
            yield dlt.mark.with_hints(shaped.problems, _QUARANTINE_HINTS, create_table_variant=True)
    ledger = pa.table(
        [
            [f"{shaper.entity.name}|{name}|{digest}"],
            [shaper.source_name],
            [shaper.entity.name],
            [name],
            [digest],
            [path.stat().st_size],
            [read],
            [loaded],
            [quarantined],
            [nulled],
            [ingested_at],
        ],
        schema=LEDGER_SCHEMA,
    )
    yield dlt.mark.with_hints(ledger, _LEDGER_HINTS, create_table_variant=True)


def landing_source(source_name: str, source: SourceConfig, landing_dir: Path) -> DltSource:
    """The dlt source of one entry of sources.yml; its schema is named after the source."""

    @dlt.source(name=source_name, max_table_nesting=0)
    def _source() -> Iterator[DltResource]:
        for entity_name, table in source.tables.items():
            yield table_resource(source_name, source.entity(entity_name), table, landing_dir)

    return _source()
