"""Dagster metadata of the consent and audience marts, on small tables in a temporary DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.audiences.metadata import (
    audience_summary_metadata,
    customer_consent_metadata,
)


def test_audience_summary_metadata_gives_sizes_and_movements(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.audience_summary as select * from (values "
            "('winback', 'email', 'crm-lifecycle', 581, 1198, 14, 55), "
            "('empty_one', 'sms', 'crm-lifecycle', 0, 3, 0, 2)) as t(audience_name, channel, "
            "owner, members, eligible_without_consent, entered_latest_build, exited_latest_build)"
        )
    metadata = audience_summary_metadata(path, "marts", "audience_summary")
    assert metadata["audiences"] == 2
    assert metadata["audience_sizes"].data == {"empty_one": 0, "winback": 581}
    assert metadata["members_total"] == 581
    assert metadata["held_back_by_consent"] == 1201
    assert (metadata["entered_latest_build"], metadata["exited_latest_build"]) == (14, 57)
    assert metadata["empty_audiences"].data == ["empty_one"]
    assert (
        "| winback | email | crm-lifecycle | 581 | 1,198 | 14 | 55 |" in metadata["summary"].value
    )


def test_customer_consent_metadata_counts_per_channel(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_customer_consent as select * from (values "
            "('U1', 'email', 'granted', 'crm'), ('U2', 'email', 'withdrawn', 'email'), "
            "('U3', 'email', 'granted', 'events'), ('U1', 'wechat', 'granted', 'wechat')) "
            "as t(unified_customer_id, channel, consent_status, consent_source)"
        )
    metadata = customer_consent_metadata(path, "marts", "dim_customer_consent")
    assert metadata["granted_by_channel"].data == {"email": 2, "wechat": 1}
    assert metadata["withdrawn_by_channel"].data == {"email": 1}
    assert metadata["status_by_source"].data["email/withdrawn/email"] == 1
