"""Plan one run's adds and removes per audience for one destination, written to the ledger.

Adds are current members whose identifiers (as this destination would receive them) are not
currently exported; removes are exported rows no longer matched by a current member: people who
left, audiences emptied, deleted or no longer routed here. A member whose contact point changed is
one remove of the old identifiers plus one add of the new ones in the same batch, so a platform
that matches on the identifier drops the old one instead of keeping both.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from orchestration.activation import ledger
from orchestration.activation.config import FilesDestination, WebhookDestination
from orchestration.activation.hashing import AdsPlatform, hash_email, hash_phone

MEMBERS_TABLE = "marts.audience_members"
SUMMARY_TABLE = "marts.audience_summary"
# What each channel sends: ads carry hashed identifiers only, never the plaintext.
CHANNEL_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("phone_e164",),
    "wechat": ("wechat_openid",),
    "ads": ("email_sha256", "phone_sha256"),
}


class AudienceDataError(ValueError):
    """The audience marts break their contract (duplicate members, unknown channel)."""


@dataclass(frozen=True)
class AudiencePlan:
    """The batch of one audience at one destination in one run."""

    audience_name: str
    channel: str
    batch_id: str
    status: str  # planned | empty | done_by_this_run
    added: int
    removed: int
    members: int  # current members routed here (0 when not routed or deleted)
    without_identifier: int  # members skipped: no usable identifier for the channel


@dataclass
class DestinationPlan:
    destination: str
    audiences: list[AudiencePlan] = field(default_factory=list)
    # Audiences activation.yml names for this destination that marts.audience_summary lacks.
    undefined_audiences: list[str] = field(default_factory=list)

    @property
    def planned_batch_ids(self) -> list[str]:
        return [plan.batch_id for plan in self.audiences if plan.status == "planned"]


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def channel_identifiers(
    channel: str,
    email: str | None,
    phone_e164: str | None,
    wechat_openid: str | None,
    platform: AdsPlatform,
) -> dict[str, str | None]:
    """The identifier columns a channel exports for one member (None: no usable value)."""
    if channel == "email":
        return {"email": _clean(email)}
    if channel == "sms":
        return {"phone_e164": _clean(phone_e164)}
    if channel == "wechat":
        return {"wechat_openid": _clean(wechat_openid)}
    if channel == "ads":
        return {"email_sha256": hash_email(email), "phone_sha256": hash_phone(phone_e164, platform)}
    raise AudienceDataError(
        f"unknown channel {channel!r} (expected {', '.join(CHANNEL_IDENTIFIERS)})"
    )


def batch_id_for(run_id: str, destination: str, audience_name: str, batch_number: int) -> str:
    """Unique (batch_number is) and readable enough to grep: ``<number>-<hash>``."""
    digest = hashlib.sha256(f"{run_id}|{destination}|{audience_name}|{batch_number}".encode())
    return f"{batch_number:08d}-{digest.hexdigest()[:12]}"


def _audiences(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every defined audience -> channel (the summary lists empty ones too)."""
    rows = con.execute(
        f"""
        select audience_name, any_value(channel) from (
            select audience_name, channel from {SUMMARY_TABLE}
            union all
            select distinct audience_name, channel from {MEMBERS_TABLE}
        )
        group by audience_name
        """
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def _check_members(con: duckdb.DuckDBPyConnection) -> None:
    duplicates = con.execute(
        f"""
        select audience_name, unified_customer_id, count(*) as copies
        from {MEMBERS_TABLE}
        group by all
        having count(*) > 1
        order by 1, 2
        limit 5
        """
    ).fetchall()
    if duplicates:
        raise AudienceDataError(
            f"{MEMBERS_TABLE} must hold one row per audience x customer; duplicated: {duplicates}"
        )


def _current_members(
    con: duckdb.DuckDBPyConnection, audiences: list[str], platform: AdsPlatform
) -> tuple[pa.Table, dict[str, int], dict[str, int]]:
    """Members of the audiences with their exported identifiers; counts of members and skipped."""
    rows = con.execute(
        f"""
        select audience_name, channel, unified_customer_id, email, phone_e164, wechat_openid
        from {MEMBERS_TABLE}
        where audience_name in (select unnest(?::varchar[]))
        """,
        [audiences],
    ).fetchall()
    columns: dict[str, list[str | None]] = {
        name: [] for name in ("audience_name", "channel", "unified_customer_id")
    }
    columns.update({name: [] for name in ledger.IDENTIFIER_COLUMNS})
    members: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for audience_name, channel, customer_id, email, phone, openid in rows:
        members[audience_name] = members.get(audience_name, 0) + 1
        identifiers = channel_identifiers(channel, email, phone, openid, platform)
        if not any(identifiers.values()):
            skipped[audience_name] = skipped.get(audience_name, 0) + 1
            continue
        columns["audience_name"].append(audience_name)
        columns["channel"].append(channel)
        columns["unified_customer_id"].append(customer_id)
        for name in ledger.IDENTIFIER_COLUMNS:
            columns[name].append(identifiers.get(name))
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    return table, members, skipped


def _qualified(alias: str) -> str:
    """``alias.email, alias.phone_e164, ...``: every identifier column of a CTE or table."""
    return ", ".join(f"{alias}.{column}" for column in ledger.IDENTIFIER_COLUMNS)


_SAME_MEMBER = " and ".join(
    ["exported.audience_name = current_members.audience_name"]
    + ["exported.unified_customer_id = current_members.unified_customer_id"]
    + [
        f"exported.{column} is not distinct from current_members.{column}"
        for column in ledger.IDENTIFIER_COLUMNS
    ]
)

_DELTA_SQL = f"""
create or replace temp table activation_delta as
with

current_members as (
    select * from activation_current
),

exported as (
    select * from {ledger.EXPORTED_VIEW}
    where destination = $destination
        and audience_name in (select audience_name from activation_considered)
),

removes as (
    select exported.audience_name, exported.channel, exported.unified_customer_id,
        'remove' as action, {_qualified("exported")}
    from exported
    where not exists (select 1 from current_members where {_SAME_MEMBER})
),

adds as (
    select current_members.audience_name, current_members.channel,
        current_members.unified_customer_id, 'add' as action,
        {_qualified("current_members")}
    from current_members
    where not exists (select 1 from exported where {_SAME_MEMBER})
)

select * from removes
union all
select * from adds
"""


def plan_destination(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    config: FilesDestination | WebhookDestination,
    run_id: str,
    planned_at: datetime,
    dlt_pipeline: str,
) -> DestinationPlan:
    """Write this run's batches and ledger rows for one destination (one transaction)."""
    _check_members(con)
    defined = _audiences(con)
    plan = DestinationPlan(destination)
    if config.audiences != "all":
        plan.undefined_audiences = [name for name in config.audiences if name not in defined]
    routed = {name: channel for name, channel in defined.items() if config.routes(name)}
    exported_channels = dict(
        con.execute(
            f"select audience_name, any_value(channel) from {ledger.EXPORTED_VIEW} "
            "where destination = ? group by 1",
            [destination],
        ).fetchall()
    )
    done = {batch.audience_name: batch for batch in ledger.batches_of_run(con, run_id, destination)}
    considered = sorted((set(routed) | set(exported_channels)) - set(done))
    for name in sorted(set(done) & (set(routed) | set(exported_channels))):
        # Re-execution of a run that already exported this audience here: nothing twice.
        batch = done[name]
        plan.audiences.append(
            AudiencePlan(name, batch.channel, batch.batch_id, "done_by_this_run", 0, 0, 0, 0)
        )
    if not considered:
        return plan

    current, members, skipped = _current_members(
        con, [name for name in considered if name in routed], config.ads_platform
    )
    con.register("activation_current", current)
    con.register(
        "activation_considered", pa.table({"audience_name": pa.array(considered, pa.string())})
    )
    try:
        con.execute("begin transaction")
        con.execute(_DELTA_SQL, {"destination": destination})
        counts = {
            (row[0], row[1]): int(row[2])
            for row in con.execute(
                "select audience_name, action, count(*) from activation_delta group by all"
            ).fetchall()
        }
        number = ledger.next_batch_number(con)
        batch_rows = []
        for name in considered:
            channel = routed.get(name) or exported_channels[name]
            added, removed = counts.get((name, "add"), 0), counts.get((name, "remove"), 0)
            status = "planned" if added or removed else "empty"
            batch_id = batch_id_for(run_id, destination, name, number)
            batch_rows.append(
                (
                    batch_id,
                    number,
                    run_id,
                    destination,
                    config.kind,
                    name,
                    channel,
                    added,
                    removed,
                    status,
                    dlt_pipeline,
                    None,
                    planned_at,
                    planned_at if status == "empty" else None,
                    None,
                )
            )
            plan.audiences.append(
                AudiencePlan(
                    name,
                    channel,
                    batch_id,
                    status,
                    added,
                    removed,
                    members.get(name, 0),
                    skipped.get(name, 0),
                )
            )
            number += 1
        con.executemany(
            f"insert into {ledger.BATCHES_TABLE} values ({', '.join('?' * 15)})", batch_rows
        )
        con.register(
            "activation_batch_ids",
            pa.table(
                {
                    "audience_name": pa.array(
                        [p.audience_name for p in plan.audiences if p.status == "planned"],
                        pa.string(),
                    ),
                    "batch_id": pa.array(
                        [p.batch_id for p in plan.audiences if p.status == "planned"], pa.string()
                    ),
                }
            ),
        )
        con.execute(
            f"""
            insert into {ledger.LEDGER_TABLE}
            select activation_batch_ids.batch_id, $destination, activation_delta.audience_name,
                activation_delta.channel, activation_delta.unified_customer_id,
                activation_delta.action, {_qualified("activation_delta")}
            from activation_delta
            inner join activation_batch_ids
                on activation_delta.audience_name = activation_batch_ids.audience_name
            """,
            {"destination": destination},
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for name in ("activation_current", "activation_considered", "activation_batch_ids"):
            con.unregister(name)
        con.execute("drop table if exists activation_delta")
    plan.audiences.sort(key=lambda item: item.audience_name)
    return plan


def export_rows(con: duckdb.DuckDBPyConnection, batch_ids: list[str]) -> dict[str, list[dict]]:
    """The ledger rows of planned batches, as sent: audience -> rows (removes first)."""
    cursor = con.execute(
        f"""
        select export_ledger.audience_name, export_ledger.channel, export_ledger.action,
            export_ledger.unified_customer_id, {_qualified("export_ledger")},
            export_ledger.batch_id, export_batches.run_id
        from {ledger.LEDGER_TABLE} as export_ledger
        inner join {ledger.BATCHES_TABLE} as export_batches
            on export_ledger.batch_id = export_batches.batch_id
        where export_ledger.batch_id in (select unnest(?::varchar[]))
        order by export_ledger.audience_name, export_ledger.action desc,
            export_ledger.unified_customer_id
        """,
        [batch_ids],
    )
    names = [column[0] for column in cursor.description]
    by_audience: dict[str, list[dict]] = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        wanted = CHANNEL_IDENTIFIERS[row["channel"]]
        for column in ledger.IDENTIFIER_COLUMNS:
            if column not in wanted:
                del row[column]
        by_audience.setdefault(row["audience_name"], []).append(row)
    return by_audience


def outstanding_changes(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    config: FilesDestination | WebhookDestination,
) -> int:
    """Adds plus removes a run would plan now (0: the destination holds exactly the members).

    Audiences this run skipped as already exported count too: the check is on the state, not on
    what one run did.
    """
    defined = _audiences(con)
    routed = [name for name in defined if config.routes(name)]
    exported = [
        row[0]
        for row in con.execute(
            f"select distinct audience_name from {ledger.EXPORTED_VIEW} where destination = ?",
            [destination],
        ).fetchall()
    ]
    considered = sorted(set(routed) | set(exported))
    current, _members, _skipped = _current_members(con, routed, config.ads_platform)
    con.register("activation_current", current)
    con.register(
        "activation_considered", pa.table({"audience_name": pa.array(considered, pa.string())})
    )
    try:
        con.execute(_DELTA_SQL, {"destination": destination})
        return int(con.execute("select count(*) from activation_delta").fetchall()[0][0])
    finally:
        con.unregister("activation_current")
        con.unregister("activation_considered")
        con.execute("drop table if exists activation_delta")
