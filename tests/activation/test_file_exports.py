"""Deltas, ledger and idempotency with real dlt loads into a temporary folder (CSV and Parquet).

The marts are tables written here into the test's own DuckDB file; no dbt, no Dagster.
"""

from __future__ import annotations

import csv
import gzip
import hashlib

import pyarrow.parquet as pq
import pytest

from ingestion.settings import Settings
from orchestration.activation import exporter
from orchestration.activation.config import ActivationConfig
from orchestration.activation.exporter import run_exports

from .conftest import config_of, query, write_marts

AUDIENCES = {"vip_email": "email", "vip_ads": "ads", "wechat_fans": "wechat", "sms_none": "sms"}
MEMBERS = [
    ("vip_email", "email", "c1", "ann@example.com", "+8613800138000", None),
    ("vip_email", "email", "c2", "bob@example.com", None, None),
    ("vip_ads", "ads", "c1", " Ann@Example.com ", "+8613800138000", None),
    ("vip_ads", "ads", "c3", None, None, None),  # nothing to match on: skipped, never hashed
    ("wechat_fans", "wechat", "c2", None, None, "oWX_bob"),
]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def files_config(fmt: str = "csv", audiences: object = "all") -> ActivationConfig:
    return config_of(
        {"destinations": {"out": {"kind": "files", "format": fmt, "audiences": audiences}}}
    )


def exported_rows(settings: Settings, audience: str) -> list[dict]:
    """Every row of every file dlt wrote for an audience, in load order."""
    folder = settings.data_dir / "exports" / "out" / audience
    rows: list[dict] = []
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        if path.name.endswith(".parquet"):
            rows.extend(pq.read_table(path).to_pylist())
        else:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8", newline="") as handle:
                rows.extend(csv.DictReader(handle))
    for row in rows:
        for key in ("_dlt_load_id", "_dlt_id"):
            row.pop(key, None)
    return rows


def _key(row: dict) -> tuple:
    return (row["action"], row["unified_customer_id"])


def batches(settings: Settings) -> list[tuple]:
    return query(
        settings,
        "select run_id, audience_name, members_added, members_removed, status "
        "from activation.export_batches order by batch_number",
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_first_run_exports_every_member_with_channel_identifiers(
    cdp_settings: Settings, fmt: str
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    result = run_exports(cdp_settings, files_config(fmt), "run-1")
    assert result.errors == []
    # Plain files that an ESP or SMS gateway imports as they are: not gzipped.
    files = list((cdp_settings.data_dir / "exports" / "out" / "vip_email").iterdir())
    assert files and {path.suffix for path in files} == {f".{fmt}"}

    email_rows = sorted(exported_rows(cdp_settings, "vip_email"), key=_key)
    batch_id = email_rows[0]["batch_id"]
    assert email_rows == [
        {
            "audience_name": "vip_email",
            "channel": "email",
            "action": "add",
            "unified_customer_id": customer,
            "email": email,
            "batch_id": batch_id,
            "run_id": "run-1",
        }
        for customer, email in [("c1", "ann@example.com"), ("c2", "bob@example.com")]
    ]
    ads_rows = exported_rows(cdp_settings, "vip_ads")
    assert ads_rows == [
        {
            "audience_name": "vip_ads",
            "channel": "ads",
            "action": "add",
            "unified_customer_id": "c1",
            "email_sha256": _sha("ann@example.com"),
            "phone_sha256": _sha("8613800138000"),  # Meta (the default): digits, no '+'
            "batch_id": ads_rows[0]["batch_id"],
            "run_id": "run-1",
        }
    ]
    assert [row["wechat_openid"] for row in exported_rows(cdp_settings, "wechat_fans")] == [
        "oWX_bob"
    ]
    # No plaintext identifier anywhere in the ads files.
    for path in (cdp_settings.data_dir / "exports" / "out" / "vip_ads").iterdir():
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
        assert b"ann@" not in raw.lower() and b'13800138000"' not in raw

    assert sorted(batches(cdp_settings)) == [
        ("run-1", "sms_none", 0, 0, "empty"),
        ("run-1", "vip_ads", 1, 0, "loaded"),
        ("run-1", "vip_email", 2, 0, "loaded"),
        ("run-1", "wechat_fans", 1, 0, "loaded"),
    ]
    plans = {plan.audience_name: plan for plan in result.destinations[0].plan.audiences}
    assert plans["vip_ads"].members == 2 and plans["vip_ads"].without_identifier == 1
    assert result.currently_exported == {
        ("out", "vip_email"): 2,
        ("out", "vip_ads"): 1,
        ("out", "wechat_fans"): 1,
    }
    load_ids = query(
        cdp_settings,
        "select distinct dlt_load_id from activation.export_batches where status = 'loaded'",
    )
    assert load_ids == [(result.destinations[0].load_id,)]


def test_second_run_without_change_exports_nothing(cdp_settings: Settings) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    run_exports(cdp_settings, files_config(), "run-1")
    files_before = sorted((cdp_settings.data_dir / "exports").rglob("*.csv*"))
    result = run_exports(cdp_settings, files_config(), "run-2")
    assert result.destinations[0].load_id is None
    assert {p.status for p in result.destinations[0].plan.audiences} == {"empty"}
    assert sorted((cdp_settings.data_dir / "exports").rglob("*.csv*")) == files_before


def test_same_run_id_exports_nothing_twice(cdp_settings: Settings) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    run_exports(cdp_settings, files_config(), "run-1")
    # Membership changes, then the same run is re-executed: it already exported these audiences.
    write_marts(
        cdp_settings, [*MEMBERS, ("vip_email", "email", "c9", "new@x.com", None, None)], AUDIENCES
    )
    again = run_exports(cdp_settings, files_config(), "run-1")
    assert {p.status for p in again.destinations[0].plan.audiences} == {"done_by_this_run"}
    assert len(exported_rows(cdp_settings, "vip_email")) == 2
    # The next run picks the change up.
    later = run_exports(cdp_settings, files_config(), "run-2")
    plans = {p.audience_name: p for p in later.destinations[0].plan.audiences}
    assert (plans["vip_email"].added, plans["vip_email"].removed) == (1, 0)


def test_removes_left_members_changed_contacts_and_deleted_audiences(
    cdp_settings: Settings,
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    run_exports(cdp_settings, files_config(), "run-1")
    changed = [
        ("vip_email", "email", "c1", "ann.new@example.com", None, None),  # contact changed
        # c2 left vip_email; wechat_fans deleted altogether; vip_ads emptied
        ("vip_email", "email", "c4", "dan@example.com", None, None),
    ]
    write_marts(cdp_settings, changed, {"vip_email": "email", "vip_ads": "ads", "sms_none": "sms"})
    result = run_exports(cdp_settings, files_config(), "run-2")
    assert result.errors == []

    run2 = [row for row in exported_rows(cdp_settings, "vip_email") if row["run_id"] == "run-2"]
    assert sorted((r["action"], r["unified_customer_id"], r["email"]) for r in run2) == [
        ("add", "c1", "ann.new@example.com"),
        ("add", "c4", "dan@example.com"),
        ("remove", "c1", "ann@example.com"),  # the old identifier, as the destination has it
        ("remove", "c2", "bob@example.com"),
    ]
    # Removes come first in the file, so a remove+add of one customer ends with the add.
    assert [row["action"] for row in run2][:2] == ["remove", "remove"]
    removed_ads = [r for r in exported_rows(cdp_settings, "vip_ads") if r["run_id"] == "run-2"]
    assert [(r["action"], r["email_sha256"]) for r in removed_ads] == [
        ("remove", _sha("ann@example.com"))
    ]
    assert [r["action"] for r in exported_rows(cdp_settings, "wechat_fans")] == ["add", "remove"]
    assert result.currently_exported == {("out", "vip_email"): 2}
    assert query(
        cdp_settings,
        "select unified_customer_id, email from activation.exported_members order by 1",
    ) == [("c1", "ann.new@example.com"), ("c4", "dan@example.com")]


def test_unrouted_audience_is_removed_and_unknown_names_reported(cdp_settings: Settings) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    run_exports(cdp_settings, files_config(), "run-1")
    result = run_exports(cdp_settings, files_config(audiences=["vip_ads", "gone"]), "run-2")
    plans = {p.audience_name: p for p in result.destinations[0].plan.audiences}
    assert (plans["vip_email"].removed, plans["wechat_fans"].removed) == (2, 1)
    assert plans["vip_ads"].status == "empty"
    assert result.destinations[0].plan.undefined_audiences == ["gone"]
    assert result.currently_exported == {("out", "vip_ads"): 1}


def test_crash_after_load_before_ledger_update_resends_nothing(
    cdp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    real_confirm = exporter._confirm

    def crash(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt("killed between the dlt load and the ledger update")

    monkeypatch.setattr(exporter, "_confirm", crash)
    with pytest.raises(KeyboardInterrupt):
        run_exports(cdp_settings, files_config(), "run-1")
    assert len(exported_rows(cdp_settings, "vip_email")) == 2  # delivered
    assert {row[4] for row in batches(cdp_settings) if row[4] != "empty"} == {"pending"}

    monkeypatch.setattr(exporter, "_confirm", real_confirm)
    result = run_exports(cdp_settings, files_config(), "run-2")
    assert result.destinations[0].resolved == {"loaded": 3}
    assert result.destinations[0].load_id is None  # nothing left to send
    assert len(exported_rows(cdp_settings, "vip_email")) == 2  # nothing twice
    assert result.currently_exported[("out", "vip_email")] == 2


def test_crash_after_extract_before_recording_loses_nothing(
    cdp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    real_set_status = exporter.ledger.set_status

    def crash_on_pending(con: object, batch_ids: list[str], status: str, **kwargs: object) -> None:
        if status == "pending":
            raise KeyboardInterrupt("killed before the load id was recorded")
        real_set_status(con, batch_ids, status, **kwargs)

    monkeypatch.setattr(exporter.ledger, "set_status", crash_on_pending)
    with pytest.raises(KeyboardInterrupt):
        run_exports(cdp_settings, files_config(), "run-1")
    assert exported_rows(cdp_settings, "vip_email") == []  # extracted, never loaded

    monkeypatch.setattr(exporter.ledger, "set_status", real_set_status)
    result = run_exports(cdp_settings, files_config(), "run-2")
    assert result.destinations[0].resolved == {"abandoned": 3}
    rows = exported_rows(cdp_settings, "vip_email")
    assert sorted(_key(row) for row in rows) == [("add", "c1"), ("add", "c2")]
    assert {row["run_id"] for row in rows} == {"run-2"}
    statuses = {(r[0], r[1]): r[4] for r in batches(cdp_settings)}
    assert statuses[("run-1", "vip_email")] == "abandoned"
    assert statuses[("run-2", "vip_email")] == "loaded"


def test_ledger_only_counts_loaded_batches(cdp_settings: Settings) -> None:
    write_marts(cdp_settings, MEMBERS, AUDIENCES)
    run_exports(cdp_settings, files_config("parquet"), "run-1")
    counts = query(
        cdp_settings,
        "select export_batches.status, count(*) from activation.export_ledger "
        "inner join activation.export_batches using (batch_id) group by 1",
    )
    assert counts == [("loaded", 4)]
    assert query(cdp_settings, "select count(*) from activation.exported_members") == [(4,)]
