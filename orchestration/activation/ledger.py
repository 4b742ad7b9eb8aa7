"""The export ledger in the warehouse (schema ``activation``): what each destination holds.

- ``export_batches``: one row per audience x destination x run: counts, status, dlt load id.
- ``export_ledger``: append-only, one row per member added or removed by a batch, with the
  identifiers exactly as sent (hashed for ads), so a later remove can name what the destination has.
- ``exported_members`` (view): who is currently exported, derived from ledger rows of *loaded*
  batches only. Rows of a batch count once dlt has reported its load package complete; rows of a
  planned, pending, failed or abandoned batch never do.

Statuses: ``planned`` (rows written, nothing extracted), ``pending`` (a dlt load package holds the
rows: ``dlt_load_id`` is set), ``loaded`` (dlt reported the package complete), ``empty`` (nothing
to send), ``failed`` (the package completed with failed jobs), ``abandoned`` (nothing of it can
have been delivered, or its package is gone; its rows are planned again by the next run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

SCHEMA = "activation"
BATCHES_TABLE = f"{SCHEMA}.export_batches"
LEDGER_TABLE = f"{SCHEMA}.export_ledger"
EXPORTED_VIEW = f"{SCHEMA}.exported_members"
# Every identifier column any channel exports; a channel uses a subset (deltas.CHANNEL_IDENTIFIERS).
IDENTIFIER_COLUMNS = ("email", "phone_e164", "wechat_openid", "email_sha256", "phone_sha256")

_DDL = f"""
create schema if not exists {SCHEMA};

create table if not exists {BATCHES_TABLE} (
    batch_id varchar primary key,
    batch_number bigint not null,
    run_id varchar not null,
    destination varchar not null,
    destination_kind varchar not null,
    audience_name varchar not null,
    channel varchar not null,
    members_added bigint not null,
    members_removed bigint not null,
    status varchar not null,
    dlt_pipeline varchar not null,
    dlt_load_id varchar,
    planned_at timestamptz not null,
    exported_at timestamptz,
    error varchar
);

create table if not exists {LEDGER_TABLE} (
    batch_id varchar not null,
    destination varchar not null,
    audience_name varchar not null,
    channel varchar not null,
    unified_customer_id varchar not null,
    action varchar not null,
    {", ".join(f"{column} varchar" for column in IDENTIFIER_COLUMNS)}
);

-- Latest loaded ledger row per destination x audience x customer; an add in the same batch as a
-- remove (a changed contact point: remove the old identifiers, add the new) wins.
create or replace view {EXPORTED_VIEW} as
with

loaded_rows as (
    select
        export_ledger.*,
        export_batches.batch_number,
        export_batches.exported_at
    from {LEDGER_TABLE} as export_ledger
    inner join {BATCHES_TABLE} as export_batches
        on export_ledger.batch_id = export_batches.batch_id
    where export_batches.status = 'loaded'
),

latest as (
    select
        *,
        row_number() over (
            partition by destination, audience_name, unified_customer_id
            order by batch_number desc, case when action = 'add' then 0 else 1 end
        ) as recency
    from loaded_rows
)

select
    destination,
    audience_name,
    channel,
    unified_customer_id,
    {", ".join(IDENTIFIER_COLUMNS)},
    batch_id,
    exported_at
from latest
where recency = 1 and action = 'add';
"""


@dataclass(frozen=True)
class Batch:
    batch_id: str
    run_id: str
    destination: str
    audience_name: str
    channel: str
    members_added: int
    members_removed: int
    status: str
    dlt_load_id: str | None


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema, tables and view if missing (idempotent)."""
    con.execute(_DDL)


def _batches(con: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> list[Batch]:
    rows = con.execute(
        f"""
        select batch_id, run_id, destination, audience_name, channel, members_added,
            members_removed, status, dlt_load_id
        from {BATCHES_TABLE}
        where {where}
        order by batch_number
        """,
        params,
    ).fetchall()
    return [Batch(*row) for row in rows]


def unfinished_batches(con: duckdb.DuckDBPyConnection, destination: str) -> list[Batch]:
    """Batches of a destination whose rows may or may not have been delivered yet."""
    return _batches(con, "destination = ? and status in ('planned', 'pending')", [destination])


def batches_of_run(con: duckdb.DuckDBPyConnection, run_id: str, destination: str) -> list[Batch]:
    return _batches(con, "run_id = ? and destination = ?", [run_id, destination])


def known_load_ids(con: duckdb.DuckDBPyConnection, destination: str) -> set[str]:
    rows = con.execute(
        f"select distinct dlt_load_id from {BATCHES_TABLE} "
        "where destination = ? and dlt_load_id is not null",
        [destination],
    ).fetchall()
    return {row[0] for row in rows}


def next_batch_number(con: duckdb.DuckDBPyConnection) -> int:
    # fetchall, not fetchone: a half-fetched result blocks the connection's next statement.
    rows = con.execute(f"select coalesce(max(batch_number), 0) + 1 from {BATCHES_TABLE}").fetchall()
    return int(rows[0][0])


def set_status(
    con: duckdb.DuckDBPyConnection,
    batch_ids: list[str],
    status: str,
    *,
    load_id: str | None = None,
    exported_at: datetime | None = None,
    error: str | None = None,
) -> None:
    """Move batches to a status in one statement (one transaction: all or none)."""
    if not batch_ids:
        return
    con.execute(
        f"""
        update {BATCHES_TABLE}
        set
            status = ?,
            dlt_load_id = coalesce(?, dlt_load_id),
            exported_at = coalesce(?, exported_at),
            error = ?
        where batch_id in (select unnest(?::varchar[]))
        """,
        [status, load_id, exported_at, error, batch_ids],
    )


def exported_counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """Currently exported members per (destination, audience)."""
    rows = con.execute(
        f"select destination, audience_name, count(*) from {EXPORTED_VIEW} group by all"
    ).fetchall()
    return {(row[0], row[1]): int(row[2]) for row in rows}
