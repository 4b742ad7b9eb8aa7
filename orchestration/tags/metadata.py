"""Dagster metadata of the tag models, read from the warehouse after `dbt build` exits.

Each function has the signature of ``orchestration.assets.dbt.MODEL_METADATA`` values: the DuckDB
path, the schema and the table of the model just built; each opens a short read-only connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from dagster import MetadataValue


def traits_refresh_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """How the traits were refreshed: full or incremental, and how many customers recomputed."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        mode, as_of, customers, recomputed = con.execute(
            f"select max(refresh_mode), max(as_of)::varchar, count(*), "
            f'count(*) filter (where was_recomputed) from "{schema}"."{table}"'
        ).fetchone()
    return {
        "refresh_mode": mode or "empty",
        "as_of": as_of or "",
        "customers_recomputed": int(recomputed or 0),
        "customers_kept": int((customers or 0) - (recomputed or 0)),
    }


def tag_catalog_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Tags per category and their coverage: the catalog at a glance."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            f"""
            select tag_name, category, value_type, customers_with_value, coverage_share,
                coalesce(top_values, '') as top_values
            from "{schema}"."{table}"
            order by category, tag_name
            """
        ).fetchall()
    lines = [
        "| tag | category | type | customers | coverage | top values |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {category} | {value_type} | {customers:,} | {share:.1%} | {top[:80]} |"
        for name, category, value_type, customers, share, top in rows
    ]
    uncovered = [name for name, _, _, customers, _, _ in rows if customers == 0]
    return {
        "tags": len(rows),
        "tags_without_values": MetadataValue.json(uncovered),
        "catalog": MetadataValue.md("\n".join(lines)),
    }


def feature_table_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Rows per as-of date and the number of feature columns."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        by_date = con.execute(
            f'select as_of::date::varchar, count(*) from "{schema}"."{table}" group by 1 order by 1'
        ).fetchall()
        columns = con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    return {
        "rows_by_as_of": MetadataValue.json({d: int(n) for d, n in by_date}),
        "feature_columns": int(columns) - 2,
    }
