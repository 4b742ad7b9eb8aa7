"""Audience marts built by hand in a real temporary DuckDB file, and activation configs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pytest

from ingestion.settings import Settings
from orchestration.activation.config import ActivationConfig, parse_activation_config

# (audience_name, channel, unified_customer_id, email, phone_e164, wechat_openid)
Member = tuple[str, str, str, str | None, str | None, str | None]


def write_marts(settings: Settings, members: Iterable[Member], audiences: dict[str, str]) -> None:
    """Replace marts.audience_members / audience_summary (audiences: name -> channel)."""
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    members = list(members)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            """
            create or replace table marts.audience_members (
                audience_name varchar, channel varchar, unified_customer_id varchar,
                email varchar, phone_e164 varchar, wechat_openid varchar,
                consent_source varchar, consent_changed_at timestamptz, audience_version varchar
            )
            """
        )
        if members:
            con.executemany(
                "insert into marts.audience_members values "
                "(?, ?, ?, ?, ?, ?, 'crm', timestamptz '2026-11-01 00:00:00+00', 'v1')",
                members,
            )
        con.execute(
            """
            create or replace table marts.audience_summary (
                audience_name varchar, channel varchar, owner varchar, description varchar,
                members bigint
            )
            """
        )
        for name, channel in audiences.items():
            count = sum(1 for member in members if member[0] == name)
            con.execute(
                "insert into marts.audience_summary values (?, ?, 'crm-team', 'test', ?)",
                [name, channel, count],
            )


def query(settings: Settings, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def marts(cdp_settings: Settings) -> Callable[[Iterable[Member], dict[str, str]], None]:
    return lambda members, audiences: write_marts(cdp_settings, members, audiences)


def config_of(raw: dict) -> ActivationConfig:
    return parse_activation_config(raw, Path("activation.yml"))
