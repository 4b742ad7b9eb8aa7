"""Publish the marts into a separate DuckDB file that BI tools open read-only.

DuckDB lets one process write a file, and even a read-only reader blocks that writer, so BI never
opens the live warehouse. Each publication copies every table and view of the published schemas
(discovered in the live catalog, not listed) into a new file beside the target, in a storage
format DuckDB 1.x can read, checks it, then renames it over the target. A reader sees the old
complete copy or the new one, never a half-written file; a failure leaves the last good copy.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.publishing.compat import Column, columns_for_v1, quote

# One row per published table: which run published it, when, and its row count.
META_TABLE = ("main", "_published")
# The name the new file is attached under while it is written.
ATTACHED = "__published"
# Tables a build keeps for a moment beside the real one (dbt's swap, warehouse_tables' __new):
# never published, even when a failed build leaves one behind.
IN_FLIGHT_SUFFIXES = ("__dbt_tmp", "__dbt_backup", "__new")


class PublishError(RuntimeError):
    """The publication was abandoned; the previous published copy is untouched."""


@dataclass(frozen=True)
class SourceRelation:
    """A table or view of the live warehouse to publish."""

    schema: str
    name: str
    kind: str  # "table" or "view": a view is published as a table

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class PublishedTable:
    """One table of the published copy."""

    schema: str
    name: str
    kind: str
    rows: int
    columns: int
    cast_columns: tuple[str, ...]  # columns cast for 1.x readers (see compat)

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class Publication:
    """What one publication wrote."""

    path: Path
    run_id: str
    published_at: datetime
    storage_version: str
    tables: tuple[PublishedTable, ...]
    bytes: int
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables)


def relation(catalog: str, schema: str, name: str) -> str:
    """``"catalog"."schema"."name"``."""
    return ".".join(quote(part) for part in (catalog, schema, name))


def two_part(schema: str, name: str) -> str:
    """``"schema"."name"``."""
    return f"{quote(schema)}.{quote(name)}"


def sql_literal(value: str) -> str:
    """A single-quoted SQL string (ATTACH takes no parameters)."""
    return "'" + value.replace("'", "''") + "'"


def discover_relations(
    con: duckdb.DuckDBPyConnection, schemas: Sequence[str]
) -> list[SourceRelation]:
    """Every table and view of ``schemas`` in the connection's own database, in name order."""
    if not schemas:
        return []
    placeholders = ", ".join("?" for _ in schemas)
    rows = con.execute(
        f"""
        select schema_name, table_name, 'table' as kind
        from duckdb_tables()
        where database_name = current_database()
            and not temporary
            and schema_name in ({placeholders})
        union all
        select schema_name, view_name, 'view' as kind
        from duckdb_views()
        where database_name = current_database()
            and not internal
            and not temporary
            and schema_name in ({placeholders})
        order by 1, 2
        """,
        [*schemas, *schemas],
    ).fetchall()
    return [
        SourceRelation(schema, name, kind)
        for schema, name, kind in rows
        if not name.endswith(IN_FLIGHT_SUFFIXES)
    ]


def _source_columns(
    con: duckdb.DuckDBPyConnection, source: SourceRelation
) -> list[tuple[str, str]]:
    return con.execute(
        """
        select column_name, data_type
        from duckdb_columns()
        where database_name = current_database() and schema_name = ? and table_name = ?
        order by column_index
        """,
        [source.schema, source.name],
    ).fetchall()


def copy_relation(
    con: duckdb.DuckDBPyConnection, catalog: str, source: SourceRelation
) -> PublishedTable:
    """Copy one live table or view into the attached new file; returns what was written."""
    columns: list[Column] = columns_for_v1(_source_columns(con, source))
    select_list = ", ".join(column.select for column in columns)
    target = relation(ATTACHED, source.schema, source.name)
    con.execute(
        f"create table {target} as "
        f"select {select_list} from {relation(catalog, source.schema, source.name)}"
    )
    (rows,) = con.execute(f"select count(*) from {target}").fetchone() or (0,)
    return PublishedTable(
        schema=source.schema,
        name=source.name,
        kind=source.kind,
        rows=rows,
        columns=len(columns),
        cast_columns=tuple(c.name for c in columns if c.published_type is not None),
    )


def _write_meta(
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[PublishedTable],
    run_id: str,
    published_at: datetime,
    storage_version: str,
) -> None:
    meta = relation(ATTACHED, *META_TABLE)
    con.execute(
        f"""
        create table {meta} (
            run_id varchar not null,
            published_at timestamp with time zone not null,
            table_schema varchar not null,
            table_name varchar not null,
            source_kind varchar not null,
            row_count bigint not null,
            column_count integer not null,
            cast_columns varchar,
            storage_version varchar not null,
            writer_duckdb_version varchar not null
        )
        """
    )
    con.executemany(
        f"insert into {meta} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                published_at,
                table.schema,
                table.name,
                table.kind,
                table.rows,
                table.columns,
                ", ".join(table.cast_columns) or None,
                storage_version,
                duckdb.__version__,
            ]
            for table in tables
        ],
    )


def check_new_copy(path: Path, tables: Sequence[PublishedTable], storage_version: str) -> None:
    """Reopen the closed new file read-only, as a BI tool will; raise PublishError if it is off."""
    if Path(f"{path}.wal").exists():
        raise PublishError(
            f"{path}.wal exists after the checkpoint: the copy is not self-contained"
        )
    with duckdb.connect(str(path), read_only=True) as con:
        tags = con.execute(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        written = (tags[0] if tags else {}).get("storage_version", "")
        if not written.startswith(storage_version):
            raise PublishError(f"{path} has storage version {written!r}, not {storage_version}")
        meta = dict(
            ((schema, name), rows)
            for schema, name, rows in con.execute(
                f"select table_schema, table_name, row_count from {two_part(*META_TABLE)}"
            ).fetchall()
        )
        for table in tables:
            (rows,) = con.execute(
                f"select count(*) from {two_part(table.schema, table.name)}"
            ).fetchone() or (None,)
            if rows != table.rows or meta.get(table.key) != table.rows:
                raise PublishError(
                    f"{table.schema}.{table.name}: {rows} rows in the new copy, "
                    f"{meta.get(table.key)} in {META_TABLE[1]}, {table.rows} copied"
                )


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk: the rename must not outlive its data."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}.wal")):
        leftover.unlink(missing_ok=True)


@contextmanager
def publisher_lock(target: Path) -> Iterator[None]:
    """One publisher per target at a time (a schedule and a manual run could overlap).

    Holding it also makes it safe to delete temporary files a killed publisher left behind.
    """
    lock_path = target.with_name(f"{target.name}.lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def publish(
    live_path: Path,
    target: Path,
    *,
    run_id: str,
    storage_version: str,
    schemas: Sequence[str],
) -> Publication:
    """Copy every table and view of ``schemas`` in ``live_path`` to ``target``, atomically.

    The live file is opened read-only for the duration of the copy: no other process can write
    it meanwhile, so the copy is one consistent state of the warehouse.
    """
    started = time.perf_counter()
    if not live_path.is_file():
        raise PublishError(f"the live warehouse {live_path} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    with publisher_lock(target):
        for stale in target.parent.glob(f"{target.name}.tmp-*"):
            stale.unlink(missing_ok=True)
        new_copy = target.with_name(f"{target.name}.tmp-{uuid.uuid4().hex}")
        try:
            published_at = datetime.now(UTC)
            tables = _write_new_copy(
                live_path, new_copy, run_id, published_at, storage_version, schemas
            )
            check_new_copy(new_copy, tables, storage_version)
            _fsync(new_copy)
            # Atomic on POSIX within one filesystem: readers opening the path get the old file
            # or the new one; readers that already have the old one open keep reading it.
            os.replace(new_copy, target)
            _fsync(target.parent)
        finally:
            _remove(new_copy)
    return Publication(
        path=target,
        run_id=run_id,
        published_at=published_at,
        storage_version=storage_version,
        tables=tuple(tables),
        bytes=target.stat().st_size,
        seconds=round(time.perf_counter() - started, 3),
    )


def _write_new_copy(
    live_path: Path,
    new_copy: Path,
    run_id: str,
    published_at: datetime,
    storage_version: str,
    schemas: Sequence[str],
) -> list[PublishedTable]:
    # Connected to the live file itself (not attached under another name): dbt's views name
    # their tables with the warehouse's own catalog, which must resolve.
    with duckdb.connect(str(live_path), read_only=True) as con:
        (catalog,) = con.execute("select current_database()").fetchone() or ("",)
        sources = discover_relations(con, schemas)
        if not sources:
            raise PublishError(
                f"no table or view in schemas {', '.join(schemas)} of {live_path}: nothing to "
                "publish (the previous copy is kept)"
            )
        # READ_WRITE explicitly: an attached file inherits the read-only mode of the connection.
        con.execute(
            f"attach {sql_literal(str(new_copy))} as {ATTACHED} "
            f"(read_write, storage_version {sql_literal(storage_version)})"
        )
        try:
            for schema in sorted({source.schema for source in sources}):
                con.execute(f"create schema if not exists {quote(ATTACHED)}.{quote(schema)}")
            tables = [copy_relation(con, catalog, source) for source in sources]
            _write_meta(con, tables, run_id, published_at, storage_version)
            # Everything into the main file so that the rename carries all of it (no WAL).
            con.execute(f"checkpoint {ATTACHED}")
        finally:
            con.execute(f"detach {ATTACHED}")
    return tables
