"""Dagster metadata of the identity models, read from the warehouse after `dbt build` exits.

Each function has the signature of ``orchestration.assets.dbt.MODEL_METADATA`` values: the DuckDB
path, the schema and the table of the model just built; each opens a short read-only connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from dagster import MetadataValue

from orchestration.identity.explain import sample_explanations

SAMPLE_ROWS = 10


def excluded_identifiers_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Identifiers kept from linking: counts per type and rule, and the most used ones."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        by_rule = con.execute(
            f'select identifier_type, exclusion_rule, count(*) from "{schema}"."{table}" '
            "group by all order by all"
        ).fetchall()
        top = con.execute(
            f"""
            select identifier_type, exclusion_rule, exclusion_reason, records
            from "{schema}"."{table}"
            where exclusion_rule not in ('junk_value', 'invalid_value')
            order by records desc, identifier_type, identifier_value
            limit {SAMPLE_ROWS}
            """
        ).fetchall()
    # Values are personal data: the sample names type, rule and reason, not the value itself.
    return {
        "excluded_identifiers": sum(int(r[2]) for r in by_rule),
        "excluded_by_type_and_rule": MetadataValue.json(
            {f"{t}: {rule}": int(n) for t, rule, n in by_rule}
        ),
        "most_used_excluded": MetadataValue.md(
            "| type | rule | reason | records |\n|---|---|---|---|\n"
            + "\n".join(f"| {t} | {rule} | {reason} | {n} |" for t, rule, reason, n in top)
        ),
    }


def customer_records_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Records per customer, how records resolved, and sample explanations of a link."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        resolved = con.execute(
            f'select resolved_by_type, count(*) from "{schema}"."{table}" '
            "group by 1 order by 2 desc"
        ).fetchall()
        customers, largest = con.execute(
            f"""
            select count(*), max(n) from (
                select count(*) as n from "{schema}"."{table}" group by unified_customer_id
            )
            """
        ).fetchall()[0]
        explanations = sample_explanations(con)
    return {
        "customers": int(customers or 0),
        "largest_customer_records": int(largest or 0),
        "records_by_resolving_type": MetadataValue.json({t: int(n) for t, n in resolved}),
        "sample_explanations": MetadataValue.md(
            "\n\n".join(
                f"**{e.record_a} ~ {e.record_b}** ({e.unified_customer_id})\n\n```\n"
                f"{e.as_text()}\n```"
                for e in explanations
            )
            or "no customer spans three sources"
        ),
    }


def identity_run_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """The latest row of identity_run_metrics as metadata (customers, merges, splits, rounds)."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        cursor = con.execute(
            f'select * from "{schema}"."{table}" order by computed_at desc limit 1'
        )
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    if not rows:
        return {}
    latest = dict(zip(names, rows[0], strict=True))
    keep = (
        "customers",
        "singleton_customers",
        "largest_customer_records",
        "new_customer_ids",
        "merge_events",
        "split_events",
        "excluded_identifiers",
        "soft_graph_mode",
        "soft_graph_rounds",
        "rule_version",
    )
    return {
        key: (latest[key] if isinstance(latest[key], int | str) else str(latest[key]))
        for key in keep
        if latest.get(key) is not None
    }
