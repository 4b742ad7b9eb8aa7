"""Dagster metadata of the consent and audience marts, read from the warehouse after `dbt build`.

Each function has the signature of ``orchestration.assets.dbt.MODEL_METADATA`` values (the DuckDB
path, the schema and the table of the model just built) and opens a short read-only connection.
Register them there as ``"audience_summary": audience_summary_metadata`` and
``"dim_customer_consent": customer_consent_metadata``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from dagster import MetadataValue


def audience_summary_metadata(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Members per audience (after consent), those held back by consent, entries and exits."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            f"""
            select audience_name, channel, owner, members, eligible_without_consent,
                entered_latest_build, exited_latest_build
            from "{schema}"."{table}"
            order by audience_name
            """
        ).fetchall()
    lines = [
        "| audience | channel | owner | members | without consent | entered | exited |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {channel} | {owner} | {members:,} | {held:,} | {entered:,} | {exited:,} |"
        for name, channel, owner, members, held, entered, exited in rows
    ]
    return {
        "audiences": len(rows),
        "audience_sizes": MetadataValue.json({row[0]: int(row[3]) for row in rows}),
        "members_total": sum(int(row[3]) for row in rows),
        "held_back_by_consent": sum(int(row[4]) for row in rows),
        "entered_latest_build": sum(int(row[5]) for row in rows),
        "exited_latest_build": sum(int(row[6]) for row in rows),
        "empty_audiences": MetadataValue.json([row[0] for row in rows if not row[3]]),
        "summary": MetadataValue.md("\n".join(lines)),
    }


def customer_consent_metadata(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Customers granted and withdrawn per channel, and the sources of the status in force."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            f"""
            select channel, consent_status, consent_source, count(*)
            from "{schema}"."{table}"
            group by all
            order by all
            """
        ).fetchall()
    granted: dict[str, int] = {}
    withdrawn: dict[str, int] = {}
    sources: dict[str, int] = {}
    for channel, status, source, count in rows:
        target = granted if status == "granted" else withdrawn
        target[channel] = target.get(channel, 0) + int(count)
        sources[f"{channel}/{status}/{source}"] = int(count)
    return {
        "granted_by_channel": MetadataValue.json(granted),
        "withdrawn_by_channel": MetadataValue.json(withdrawn),
        "status_by_source": MetadataValue.json(sources),
    }
