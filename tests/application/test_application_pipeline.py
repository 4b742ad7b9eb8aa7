"""Analysis and application end to end, on the session's 2,000-person run of the whole graph.

The first run (tests/conftest.py) builds the analysis marts, consent, audiences, recommendations,
exports the audiences and publishes the BI copy. A second run on a copy of its data folder loads
email unsubscribes of audience members while a BI-like process reads the published copy through
SQLAlchemy: the members leave, their removal is exported, nothing is exported twice, and the
reader never fails.
"""

from __future__ import annotations

import csv
import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, Definitions, ExecuteInProcessResult

from ingestion.sample_data.email import COLUMNS as EMAIL_COLUMNS
from ingestion.settings import Settings
from orchestration.audiences.registry import load_audiences
from orchestration.demo import TAGS_AS_OF_VAR
from orchestration.publishing.reader import ReaderReport, published_copy_reader
from orchestration.publishing.settings import get_publish_settings

from ..conftest import APPLICATION_AS_OF
from ..isolation import isolate_data_dir

pytestmark = pytest.mark.slow

EXPORTS_KEY = AssetKey(["activation", "audience_exports"])
PUBLISHED_KEY = AssetKey(["bi", "published_copy"])
ANALYSIS_MARTS = (
    "fct_orders",
    "fct_order_lines",
    "fct_events",
    "fct_sessions",
    "fct_email_events",
    "fct_tickets",
    "rfm_distribution",
    "cohort_retention_monthly",
    "conversion_funnel",
    "customer_lifetime_value",
    "journey_paths",
    "journey_path_summary",
    "customer_360",
)
CHANNELS = {"email", "sms", "ads", "wechat"}
# Members of this email audience unsubscribe before the second run.
UNSUBSCRIBING_AUDIENCE = "winback_lapsed_high_value"
UNSUBSCRIBERS = 5


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _materialized(result: ExecuteInProcessResult) -> set[AssetKey]:
    return {
        event.step_materialization_data.materialization.asset_key
        for event in result.get_asset_materialization_events()
    }


def _exported_rows(exports: Path, audience: str) -> list[dict[str, str]]:
    """Every row dlt wrote for one audience of the local_files destination (CSV, gzipped)."""
    rows: list[dict[str, str]] = []
    for path in sorted((exports / "local_files" / audience).glob("*.csv*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="") as handle:
            rows += list(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def first_run(
    application_run: tuple[Settings, ExecuteInProcessResult],
) -> tuple[Settings, ExecuteInProcessResult]:
    return application_run


def test_application_assets_materialize_with_every_check_passing(first_run) -> None:
    _, result = first_run
    assert result.success
    assert {EXPORTS_KEY, PUBLISHED_KEY} <= _materialized(result)
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert not failed, failed
    checked = {c.asset_key for c in result.get_asset_check_evaluations()}
    assert {EXPORTS_KEY, PUBLISHED_KEY} <= checked


def test_analysis_marts_reconcile(first_run) -> None:
    settings, _ = first_run
    path = settings.duckdb_path
    for mart in ANALYSIS_MARTS:
        assert _query(path, f"select count(*) from marts.{mart}")[0][0] > 0, mart
    customers, distinct_360, rows_360 = _query(
        path,
        "select (select count(*) from marts.dim_customers), "
        "count(distinct unified_customer_id), count(*) from marts.customer_360",
    )[0]
    assert customers == distinct_360 == rows_360
    orders_net, clv_net = _query(
        path,
        "select (select sum(net_amount_cny) from marts.fct_orders "
        "where ordered_at < ?::timestamptz and status <> 'cancelled'), "
        "(select sum(net_revenue_cny) from marts.customer_lifetime_value)",
        [APPLICATION_AS_OF.isoformat()],
    )[0]
    assert float(orders_net) == pytest.approx(float(clv_net), rel=1e-9)
    first_orders, journeys = _query(
        path,
        "select (select count(*) from marts.fct_orders where is_first_order), "
        "(select count(*) from marts.journey_paths)",
    )[0]
    assert first_orders == journeys
    orphans = _query(
        path,
        "select count(*) from marts.fct_events as e where e.session_id is not null "
        "and not exists (select 1 from marts.fct_sessions as s where s.session_id = e.session_id)",
    )[0][0]
    assert orphans == 0
    # The funnel narrows step by step; month 0 of a cohort is the cohort itself.
    widening = _query(
        path,
        "select count(*) from marts.conversion_funnel where not (visitors >= product_viewers "
        "and product_viewers >= cart_adders and cart_adders >= purchasers)",
    )[0][0]
    assert widening == 0
    month_zero = _query(
        path,
        "select min(retention_rate), max(retention_rate) from marts.cohort_retention_monthly "
        "where months_since_first_order = 0",
    )[0]
    assert month_zero == (1.0, 1.0)
    statuses = _query(
        path,
        "select distinct s from marts.customer_360, unnest([email_consent_status, "
        "sms_consent_status, ads_consent_status, wechat_consent_status]) as t(s)",
    )
    assert {s for (s,) in statuses} <= {"granted", "withdrawn", "unknown"}


def test_consent_is_history_from_every_source(first_run) -> None:
    settings, _ = first_run
    path = settings.duckdb_path
    pairs = set(
        _query(path, "select distinct channel, consent_status from marts.dim_customer_consent")
    )
    assert pairs == {(c, s) for c in CHANNELS for s in ("granted", "withdrawn")}
    sources = {
        s for (s,) in _query(path, "select distinct consent_source from marts.fct_consent_history")
    }
    assert sources == {"crm", "email", "events", "wechat"}
    # Consecutive changes of one customer and channel differ; the open one is the current state.
    repeats = _query(
        path,
        """
        select count(*) from (
            select consent_status, lag(consent_status) over (
                partition by unified_customer_id, channel order by valid_from, consent_change_id
            ) as previous
            from marts.fct_consent_history
        ) where consent_status = previous
        """,
    )[0][0]
    assert repeats == 0
    mismatched = _query(
        path,
        """
        select count(*) from marts.fct_consent_history as h
        full join marts.dim_customer_consent as d
            on h.unified_customer_id = d.unified_customer_id and h.channel = d.channel
        where h.valid_to is null
            and (d.unified_customer_id is null or h.consent_status <> d.consent_status)
        """,
    )[0][0]
    assert mismatched == 0


def test_audiences_hold_only_customers_with_granted_consent(first_run) -> None:
    settings, _ = first_run
    path = settings.duckdb_path
    defined = {audience.name for audience in load_audiences().audiences}
    summary = _query(
        path,
        "select audience_name, channel, members, matching_condition, eligible_without_consent "
        "from marts.audience_summary",
    )
    assert {row[0] for row in summary} == defined
    assert {row[1] for row in summary} == CHANNELS
    for name, _, members, matching, without_consent in summary:
        assert members > 0, name
        assert without_consent == matching - members, name
    # Fail-closed: every member has granted consent for the audience's channel.
    without = _query(
        path,
        """
        select count(*) from marts.audience_members as m
        left join marts.dim_customer_consent as c
            on m.unified_customer_id = c.unified_customer_id and m.channel = c.channel
        where c.consent_status is distinct from 'granted'
        """,
    )[0][0]
    assert without == 0
    spells, members, entered_at = _query(
        path,
        "select count(*), (select count(*) from marts.audience_members), "
        "count(distinct entered_at) from marts.audience_membership_history",
    )[0]
    assert spells == members
    assert entered_at == 1


def test_recommendations_exclude_purchases_and_beat_popularity(first_run) -> None:
    settings, _ = first_run
    path = settings.duckdb_path
    evaluation = dict(
        _query(path, "select method, hit_rate_at_k from marts.recommendation_evaluation")
    )
    assert set(evaluation) == {"item_to_item", "popularity"}
    assert evaluation["item_to_item"] > evaluation["popularity"]
    evaluated = _query(
        path, "select count(distinct customers_evaluated) from marts.recommendation_evaluation"
    )[0][0]
    assert evaluated == 1
    # Ten distinct products for every customer, none of them already bought.
    per_customer = _query(
        path,
        """
        select count(*), min(products), max(products), min(distinct_products)
        from (
            select unified_customer_id, count(*) as products,
                count(distinct sku) as distinct_products
            from marts.customer_recommendations group by 1
        )
        """,
    )[0]
    customers = _query(path, "select count(*) from marts.dim_customers")[0][0]
    assert per_customer == (customers, 10, 10, 10)
    already_bought = _query(
        path,
        """
        select count(*) from marts.customer_recommendations as r
        inner join marts.fct_order_lines as l
            on r.unified_customer_id = l.unified_customer_id and r.sku = l.sku
        where l.order_status <> 'cancelled'
        """,
    )[0][0]
    assert already_bought == 0


def test_exports_match_the_audiences(first_run) -> None:
    settings, result = first_run
    path = settings.duckdb_path
    batches = _query(
        path,
        "select audience_name, status, members_added, members_removed "
        "from activation.export_batches where run_id = ? and destination = 'local_files'",
        [result.run_id],
    )
    members = dict(
        _query(
            path,
            "select audience_name, count(*) from marts.audience_members "
            "where has_contact_point group by 1",
        )
    )
    assert {row[0] for row in batches} == set(members)
    exports = settings.data_dir / "exports"
    for audience, status, added, removed in batches:
        assert (status, added, removed) == ("loaded", members[audience], 0), audience
        rows = _exported_rows(exports, audience)
        assert len(rows) == added
        assert {row["action"] for row in rows} == {"add"}
        expected = {
            customer
            for (customer,) in _query(
                path,
                "select unified_customer_id from marts.audience_members "
                "where audience_name = ? and has_contact_point",
                [audience],
            )
        }
        assert {row["unified_customer_id"] for row in rows} == expected
    # Ad platforms receive SHA-256 hex digests, never a plaintext contact point.
    ads = [
        name
        for name, channel in _query(
            path, "select audience_name, channel from marts.audience_summary"
        )
        if channel == "ads"
    ]
    for audience in ads:
        for row in _exported_rows(exports, audience):
            assert "email" not in row and "phone_e164" not in row
            for column in ("email_sha256", "phone_sha256"):
                value = row.get(column) or ""
                assert value == "" or (len(value) == 64 and set(value) <= set("0123456789abcdef"))


def test_published_copy_holds_the_marts_of_the_run(first_run) -> None:
    settings, result = first_run
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_data_dir(monkeypatch, settings.data_dir)
        published = get_publish_settings().path
    live = dict(
        _query(
            settings.duckdb_path,
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts'",
        )
    )
    copied = _query(published, "select distinct run_id from main._published")
    assert copied == [(result.run_id,)]
    tables = {
        name
        for (name,) in _query(
            published, "select table_name from main._published where table_schema = 'marts'"
        )
    }
    assert set(live) <= tables
    assert set(ANALYSIS_MARTS) | {"audience_members", "dim_customer_consent"} <= tables
    for mart in ("customer_360", "audience_members", "fct_sessions"):
        (live_rows,) = _query(settings.duckdb_path, f"select count(*) from marts.{mart}")[0]
        (copy_rows,) = _query(published, f"select count(*) from marts.{mart}")[0]
        assert copy_rows == live_rows, mart


@pytest.fixture(scope="module")
def second_run(
    first_run, tmp_path_factory: pytest.TempPathFactory, defs: Definitions
) -> Iterator[
    tuple[Settings, ExecuteInProcessResult, ExecuteInProcessResult, list[str], ReaderReport]
]:
    """A copy of the first run's data folder; members unsubscribe; the graph runs again while a
    BI-like process reads the published copy.

    Returns the settings of the copy, both results, the customers who unsubscribed and what the
    reader saw.
    """
    settings, result = first_run
    data = tmp_path_factory.mktemp("application_second") / "data"
    shutil.copytree(settings.data_dir, data, ignore=shutil.ignore_patterns("dbt_runs"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        copy = isolate_data_dir(monkeypatch, data)
        monkeypatch.setenv(TAGS_AS_OF_VAR, APPLICATION_AS_OF.isoformat())
        leaving = _query(
            copy.duckdb_path,
            "select unified_customer_id, email from marts.audience_members "
            "where audience_name = ? and email is not null order by unified_customer_id limit ?",
            [UNSUBSCRIBING_AUDIENCE, UNSUBSCRIBERS],
        )
        assert len(leaving) == UNSUBSCRIBERS
        # A new landing file of the email platform: one unsubscribe per leaving member, the day
        # before the tags' as-of date.
        with (copy.landing_dir / "email" / "email_events_2026-11-unsubscribes.csv").open(
            "w", newline=""
        ) as handle:
            writer = csv.writer(handle)
            writer.writerow(EMAIL_COLUMNS)  # the columns the email platform exports
            for number, (_, email) in enumerate(leaving):
                writer.writerow(
                    [
                        f"evt_unsub_test_{number}",
                        email,
                        "unsubscribe",
                        "CMP-2026-11-A",
                        "",
                        "2026-11-30T08:00:00Z",
                        "",
                    ]
                )
        published = get_publish_settings().path
        with published_copy_reader(published) as reader:
            with DagsterInstance.ephemeral() as instance:
                again = defs.resolve_job_def("all_assets").execute_in_process(
                    instance=instance, raise_on_error=False
                )
            if again.success:
                reader.wait_for_run(again.run_id)
            report = reader.stop()
    yield copy, result, again, [customer for customer, _ in leaving], report


def test_second_run_succeeds_while_bi_reads_the_published_copy(second_run) -> None:
    _, first, again, _, report = second_run
    assert again.success
    failed = [c for c in again.get_asset_check_evaluations() if not c.passed]
    assert not failed, failed
    assert report.ok, report
    assert report.run_ids == [first.run_id, again.run_id]


def test_unsubscribed_members_leave_and_their_removal_is_exported(second_run) -> None:
    copy, first, again, leaving, _ = second_run
    path = copy.duckdb_path
    still_in = _query(
        path,
        f"select count(*) from marts.audience_members where unified_customer_id in "
        f"({', '.join('?' * len(leaving))}) and channel = 'email'",
        leaving,
    )[0][0]
    assert still_in == 0
    exits = _query(
        path,
        f"select unified_customer_id, exit_reason from marts.audience_membership_history "
        f"where audience_name = ? and exited_at is not null and unified_customer_id in "
        f"({', '.join('?' * len(leaving))})",
        [UNSUBSCRIBING_AUDIENCE, *leaving],
    )
    assert {customer for customer, _ in exits} == set(leaving)
    assert {reason for _, reason in exits} <= {"consent_withdrawn", "condition_no_longer_met"}
    removed = {
        row["unified_customer_id"]
        for row in _exported_rows(copy.data_dir / "exports", UNSUBSCRIBING_AUDIENCE)
        if row["action"] == "remove" and row["run_id"] == again.run_id
    }
    assert set(leaving) <= removed
    # Nothing is exported twice: no customer is added again while the destination holds them.
    double_adds = _query(
        path,
        """
        select count(*) from (
            select l.action, lag(l.action) over (
                partition by l.destination, l.audience_name, l.unified_customer_id
                -- a changed contact point is a remove then an add in one batch
                order by b.batch_number, l.action = 'add'
            ) as previous
            from activation.export_ledger as l
            inner join activation.export_batches as b using (batch_id)
            where b.status = 'loaded' and l.unified_customer_id is not null
        ) where action = 'add' and previous = 'add'
        """,
    )[0][0]
    assert double_adds == 0
    assert first.run_id != again.run_id
