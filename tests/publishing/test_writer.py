"""Publishing the marts into the BI copy: content, metadata, atomic replacement, failures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.publishing import writer
from orchestration.publishing.settings import (
    STORAGE_VERSION_VAR,
    PublishSettings,
    get_publish_settings,
)
from orchestration.publishing.writer import PublishError, publish

from .warehouse import CUSTOMERS, published_names


def _publish(live: Path, settings: PublishSettings, run_id: str = "run-1") -> writer.Publication:
    return publish(
        live,
        settings.path,
        run_id=run_id,
        storage_version=settings.storage_version,
        schemas=settings.schemas,
    )


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _differences(live: Path, published: Path, relation: str) -> int:
    """Rows in one copy and not the other (both directions, duplicates counted)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{live}' as cdp (read_only)")
        con.execute(f"attach '{published}' as pub (read_only)")
        (count,) = con.execute(
            f"""
            select count(*) from (
                (select * from cdp.{relation} except all select * from pub.{relation})
                union all
                (select * from pub.{relation} except all select * from cdp.{relation})
            )
            """
        ).fetchone()
    return count


def test_publish_copies_every_table_and_view_with_equal_rows(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    publication = _publish(live_warehouse, publish_settings)

    path = publish_settings.path
    assert path == live_warehouse.parent.parent / "published" / "cdp_bi.duckdb"
    tables = _query(
        path,
        "select schema_name || '.' || table_name from duckdb_tables() where schema_name <> 'main'",
    )
    assert {name for (name,) in tables} == published_names()
    assert _query(path, "select count(*) from duckdb_views() where not internal") == [(0,)]
    for name in published_names() - {"marts.new_types"}:
        assert _differences(live_warehouse, path, name) == 0, name
    assert _query(path, "select count(*) from marts.dim_customers") == [(CUSTOMERS,)]
    assert _query(
        path,
        "select email, lifetime_value::varchar, first_seen_at "
        "from marts.dim_customers where unified_customer_id = 'uc_000007'",
    ) == [("person7@example.com", "86.4192", datetime(2026, 1, 1, 7, tzinfo=UTC))]
    assert _query(
        path,
        "select order_count from marts.customer_order_summary "
        "where unified_customer_id = 'uc_000001'",
    ) == [(20,)]
    assert publication.total_rows == CUSTOMERS + 1000 + 50 + 3 + 400


def test_publish_writes_published_metadata(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    before = datetime.now(UTC)
    publication = _publish(live_warehouse, publish_settings, run_id="run-meta")

    rows = _query(
        publish_settings.path,
        "select run_id, published_at, table_schema || '.' || table_name, source_kind, row_count, "
        "cast_columns, storage_version from main._published",
    )
    assert {row[2] for row in rows} == published_names()
    assert {row[0] for row in rows} == {"run-meta"}
    assert {row[1] for row in rows} == {publication.published_at}
    assert before <= publication.published_at <= datetime.now(UTC)
    by_name = {row[2]: row for row in rows}
    assert by_name["marts.customer_order_summary"][3:5] == ("view", 50)
    assert by_name["marts.dim_customers"][3:6] == ("table", CUSTOMERS, None)
    assert by_name["marts.new_types"][5] == (
        "event_time_ns, seen_at_ns, location, payload, nested_shapes, pair"
    )
    assert {row[6] for row in rows} == {"v1.0.0"}
    (tags,) = _query(
        publish_settings.path,
        "select tags from duckdb_databases() where database_name = current_database()",
    )[0]
    assert tags["storage_version"].startswith("v1.0.0")


def test_publish_casts_types_duckdb_1_cannot_read(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    _publish(live_warehouse, publish_settings)

    types = dict(
        _query(
            publish_settings.path,
            "select column_name, data_type from duckdb_columns() where table_name = 'new_types'",
        )
    )
    assert types == {
        "id": "BIGINT",
        "event_time_ns": "TIME",
        "seen_at_ns": "TIMESTAMP WITH TIME ZONE",
        "location": "VARCHAR",
        "payload": "JSON",
        "nested_shapes": "VARCHAR",
        "pair": "VARCHAR",
        "note": "VARCHAR",
    }
    assert _query(
        publish_settings.path,
        "select event_time_ns::varchar, seen_at_ns, location, payload::varchar, nested_shapes, "
        "pair from marts.new_types where id = 2",
    ) == [
        (
            "12:00:02.123457",
            datetime(2026, 1, 3, 0, 0, 0, 123457, tzinfo=UTC),
            "POINT (2 2)",
            '{"score":2}',
            "[{'g': 'POINT (1 2)'}]",
            "(2, a)",
        )
    ]


def test_publish_picks_up_a_new_mart_and_replaces_the_copy(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    _publish(live_warehouse, publish_settings, run_id="run-1")
    with duckdb.connect(str(live_warehouse)) as con:
        con.execute("create table marts.audience_sizes as select 'vip' as audience, 12 as size")
        con.execute("delete from marts.dim_customers where unified_customer_id > 'uc_000100'")

    _publish(live_warehouse, publish_settings, run_id="run-2")

    path = publish_settings.path
    assert _query(path, "select distinct run_id from main._published") == [("run-2",)]
    assert _query(path, "select * from marts.audience_sizes") == [("vip", 12)]
    assert _query(path, "select count(*) from marts.dim_customers") == [(100,)]
    leftovers = sorted(p.name for p in path.parent.iterdir())
    assert leftovers == ["cdp_bi.duckdb", "cdp_bi.duckdb.lock"]


def test_failed_publication_keeps_the_previous_copy(
    live_warehouse: Path, publish_settings: PublishSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(live_warehouse, publish_settings, run_id="run-good")
    good_bytes = publish_settings.path.read_bytes()
    with duckdb.connect(str(live_warehouse)) as con:
        con.execute("create table marts.zz_new_mart as select 1 as id")

    copied: list[str] = []
    real_copy = writer.copy_relation

    def failing_copy(con, catalog, source):  # type: ignore[no-untyped-def]
        if len(copied) == 2:
            raise duckdb.IOException("disk full (injected)")
        copied.append(source.name)
        return real_copy(con, catalog, source)

    monkeypatch.setattr(writer, "copy_relation", failing_copy)
    with pytest.raises(duckdb.IOException, match="injected"):
        _publish(live_warehouse, publish_settings, run_id="run-bad")

    path = publish_settings.path
    assert path.read_bytes() == good_bytes
    assert _query(path, "select distinct run_id from main._published") == [("run-good",)]
    assert _query(path, "select count(*) from marts.dim_customers") == [(CUSTOMERS,)]
    assert sorted(p.name for p in path.parent.iterdir()) == ["cdp_bi.duckdb", "cdp_bi.duckdb.lock"]


def test_publication_that_fails_its_check_keeps_the_previous_copy(
    live_warehouse: Path, publish_settings: PublishSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(live_warehouse, publish_settings, run_id="run-good")

    def wrong_count(con, catalog, source):  # type: ignore[no-untyped-def]
        table = real_copy(con, catalog, source)
        return writer.PublishedTable(**{**table.__dict__, "rows": table.rows + 1})

    real_copy = writer.copy_relation
    monkeypatch.setattr(writer, "copy_relation", wrong_count)
    with pytest.raises(PublishError, match="rows in the new copy"):
        _publish(live_warehouse, publish_settings, run_id="run-bad")

    assert _query(publish_settings.path, "select distinct run_id from main._published") == [
        ("run-good",)
    ]


def test_publish_refuses_an_empty_selection_and_keeps_the_copy(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    _publish(live_warehouse, publish_settings, run_id="run-good")

    with pytest.raises(PublishError, match="nothing to publish"):
        publish(
            live_warehouse,
            publish_settings.path,
            run_id="run-empty",
            storage_version="v1.0.0",
            schemas=("no_such_schema",),
        )
    with pytest.raises(PublishError, match="does not exist"):
        _publish(live_warehouse.with_name("missing.duckdb"), publish_settings)

    assert _query(publish_settings.path, "select distinct run_id from main._published") == [
        ("run-good",)
    ]


def test_publish_settings_reject_a_storage_version_that_is_not_a_version(
    publish_settings: PublishSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STORAGE_VERSION_VAR, "v1.0.0') ; drop table x; --")
    with pytest.raises(ValueError, match="expected a version"):
        get_publish_settings()
