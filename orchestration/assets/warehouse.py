"""Small read queries against the DuckDB warehouse that feed materialization metadata.

Each function opens its own short-lived connection and closes it: callers run inside the one run
that owns the DuckDB file (``max_concurrent_runs: 1``), after dlt has closed its connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from dagster import MetadataValue


def _existing_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    ).fetchall()
    return {row[0] for row in rows}


def table_row_counts(duckdb_path: Path, schema: str, tables: Iterable[str]) -> dict[str, int]:
    """Rows per table of one schema; a table dlt has not created yet counts 0."""
    counts = relation_row_counts(duckdb_path, [(schema, table) for table in tables])
    return {table: count for (_, table), count in counts.items()}


def relation_row_counts(
    duckdb_path: Path, relations: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Rows per (schema, table or view); a relation that does not exist counts 0.

    A relation that cannot be read (a view over a changed table) is left out of the answer.
    """
    relations = list(relations)
    if not relations or not duckdb_path.exists():
        return dict.fromkeys(relations, 0)
    counts: dict[tuple[str, str], int] = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        existing = set(
            con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        )
        for schema, name in relations:
            if (schema, name) not in existing:
                counts[(schema, name)] = 0
                continue
            try:
                query = f'select count(*) from "{schema}"."{name}"'
                counts[(schema, name)] = con.execute(query).fetchone()[0]
            except duckdb.Error:
                continue
    return counts


def meta_table_summary(
    duckdb_path: Path, schema: str, since: datetime, files_found: int
) -> dict[str, dict[str, Any]]:
    """Metadata for the meta tables: what the load started at ``since`` quarantined and loaded."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        existing = _existing_tables(con, schema)
        quarantined: list[tuple[str, str, int]] = []
        if "quarantined_rows" in existing:
            quarantined = con.execute(
                f"select action, reason, count(*) from {schema}.quarantined_rows "
                "where quarantined_at >= ? group by all order by all",
                [since],
            ).fetchall()
        loaded = rows_quarantined = values_nulled = 0
        if "loaded_files" in existing:
            # The ledger counts rows; quarantine entries can be several per row (one per field).
            loaded, rows_quarantined, values_nulled = con.execute(
                "select count(*), coalesce(sum(rows_quarantined), 0), "
                f"coalesce(sum(values_nulled), 0) from {schema}.loaded_files where loaded_at >= ?",
                [since],
            ).fetchall()[0]
    by_reason = {f"{action}: {reason}": count for action, reason, count in quarantined}
    return {
        "quarantined_rows": {
            "rows_quarantined_this_run": int(rows_quarantined),
            "values_nulled_this_run": int(values_nulled),
            "entries_by_reason": MetadataValue.json(by_reason),
        },
        "loaded_files": {
            "files_found": files_found,
            "files_loaded": loaded,
            "files_skipped": max(files_found - loaded, 0),
        },
    }


def quarantine_counts(duckdb_path: Path, schema: str) -> list[tuple[str, str, int]]:
    """(action, reason, rows) over the whole quarantine table of one raw dataset."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        if "quarantined_rows" not in _existing_tables(con, schema):
            return []
        return con.execute(
            f"select action, reason, count(*) from {schema}.quarantined_rows "
            "group by all order by all"
        ).fetchall()


def staging_quarantine_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Metadata of the staging quarantine model: rows per raw table and per rule (counts only)."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        if table not in _existing_tables(con, schema):
            return {}
        rows = con.execute(
            f'select source_name, table_name, rule, count(*) from "{schema}"."{table}" '
            "group by all order by all"
        ).fetchall()
    by_rule: dict[str, int] = {}
    by_table: dict[str, int] = {}
    for source_name, table_name, rule, count in rows:
        by_rule[f"{source_name}.{table_name}: {rule}"] = int(count)
        by_table[f"{source_name}.{table_name}"] = by_table.get(
            f"{source_name}.{table_name}", 0
        ) + int(count)
    return {
        "rows_quarantined": sum(by_table.values()),
        "rows_by_table": MetadataValue.json(by_table),
        "rows_by_table_and_rule": MetadataValue.json(by_rule),
    }
