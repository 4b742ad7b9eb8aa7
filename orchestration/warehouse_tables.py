"""Writing whole tables into the DuckDB warehouse from Python steps (Splink pairs, model scores).

A table is replaced the way dbt replaces a model: the new rows go into ``<table>__new`` first,
then one transaction drops the old table and renames the new one, so that a reader (or a failure
half-way) never sees a partly written table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

# The name the Arrow batch is registered under while it is copied into the new table.
ARROW_BATCH = "__arrow_batch"


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def relation(table: tuple[str, str]) -> str:
    """``"schema"."table"``."""
    return ".".join(quote(part) for part in table)


@contextmanager
def replacing_table(
    con: duckdb.DuckDBPyConnection,
    table: tuple[str, str],
    columns: Mapping[str, str],
    data: pa.Table,
    select: str,
    params: Sequence[Any] = (),
) -> Iterator[None]:
    """Replace ``table`` (columns: name -> type) with ``select`` over ``data``.

    ``select`` reads the batch as ``__arrow_batch`` and gives the columns in order. The block
    under the ``with`` runs inside the transaction that swaps the table in, so that the caller's
    own writes (a run log) commit or roll back with it.
    """
    schema, name = table
    staging = (schema, f"{name}__new")
    definition = ", ".join(f"{quote(column)} {type_}" for column, type_ in columns.items())
    con.execute(f"create schema if not exists {quote(schema)}")
    con.execute(f"drop table if exists {relation(staging)}")
    con.execute(f"create table {relation(staging)} ({definition})")
    con.register(ARROW_BATCH, data)
    try:
        con.execute(f"insert into {relation(staging)} {select}", list(params))
    finally:
        con.unregister(ARROW_BATCH)
    con.execute("begin transaction")
    try:
        con.execute(f"drop table if exists {relation(table)}")
        con.execute(f"alter table {relation(staging)} rename to {quote(name)}")
        yield
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
