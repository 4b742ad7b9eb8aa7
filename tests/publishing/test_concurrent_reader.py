"""A BI reader in another process (SQLAlchemy + duckdb-engine, read-only) keeps querying the
published copy while this process writes the live warehouse and republishes: both succeed."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
from sqlalchemy import NullPool, create_engine, text

from orchestration.publishing.reader import published_copy_reader
from orchestration.publishing.settings import PublishSettings
from orchestration.publishing.writer import publish

from .warehouse import build_live_warehouse

PUBLICATIONS = 4


def _publish(live: Path, settings: PublishSettings, run_id: str) -> int:
    publication = publish(
        live,
        settings.path,
        run_id=run_id,
        storage_version=settings.storage_version,
        schemas=settings.schemas,
    )
    return publication.total_rows


def _let_the_reader_read() -> None:
    time.sleep(0.3)  # a few rounds against each copy


def test_reader_never_fails_while_the_live_file_is_written_and_republished(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    _publish(live_warehouse, publish_settings, "run-0")

    with published_copy_reader(publish_settings.path) as reader:
        for number in range(1, PUBLICATIONS + 1):
            # The pipeline's writes: whole marts replaced, a new mart, rows deleted.
            build_live_warehouse(live_warehouse, customers=300 + 100 * number)
            with duckdb.connect(str(live_warehouse)) as con:
                con.execute(f"create or replace table marts.audience_{number} as select 1 as id")
                con.execute("delete from marts.fct_orders where amount < 10")
            _let_the_reader_read()
            last_total = _publish(live_warehouse, publish_settings, f"run-{number}")
            reader.wait_for_run(f"run-{number}")

    report = reader.report
    assert report is not None
    assert report.errors == []
    assert report.error_rounds == 0
    assert report.incomplete_rounds == 0
    assert report.rounds >= 2 * PUBLICATIONS
    # It read every copy, each once it was published, in order.
    assert report.run_ids == [f"run-{number}" for number in range(PUBLICATIONS + 1)]
    assert report.rows_last_round == last_total


def test_duckdb_engine_read_only_url_forms(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    """The two forms the README gives BI tools both open read-only (writes are refused)."""
    _publish(live_warehouse, publish_settings, "run-url")
    path = publish_settings.path
    engines = [
        create_engine(f"duckdb:///{path}?access_mode=read_only", poolclass=NullPool),
        create_engine(f"duckdb:///{path}", connect_args={"read_only": True}, poolclass=NullPool),
    ]
    for engine in engines:
        with engine.connect() as connection:
            assert connection.execute(text("select current_setting('access_mode')")).scalar() == (
                "read_only"
            )
            assert (
                connection.execute(text("select count(*) from marts.dim_customers")).scalar() == 300
            )
            try:
                connection.execute(text("create table marts.not_allowed (id integer)"))
            except Exception as error:  # the message is asserted
                assert "read-only" in str(error).lower()
            else:
                raise AssertionError("a write through a read-only engine succeeded")
        engine.dispose()


def test_reader_waits_for_the_first_copy_when_allowed(
    live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    """How the end-to-end test watches a first pipeline run: no copy exists when it starts."""
    with published_copy_reader(publish_settings.path, allow_missing=True) as reader:
        _let_the_reader_read()
        _publish(live_warehouse, publish_settings, "run-first")
        reader.wait_for_run("run-first")

    report = reader.report
    assert report is not None
    assert report.ok, report
    assert report.missing_rounds > 0
    assert report.run_ids == ["run-first"]
