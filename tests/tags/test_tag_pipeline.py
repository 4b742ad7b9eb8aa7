"""The tag system end to end: one Dagster run of the whole graph on generated sample data.

The run builds the traits, the tags, the catalog, the history, the point-in-time feature table,
the propensity model and its scores. Tests that change data work on a copy of the warehouse and
rebuild it with dbt in a subprocess, as Dagster runs dbt.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, ExecuteInProcessResult

from ingestion.settings import Settings
from orchestration.tags.registry import load_registry

from ..conftest import APPLICATION_AS_OF as AS_OF
from ..identity.dbt_cli import run_dbt

pytestmark = pytest.mark.slow

PROPENSITY_KEY = AssetKey(["ml", "propensity_scores"])
# Two month starts that are feature dates both before and after as_of moves by two days.
PAST_DATES = ["2026-10-01", "2026-11-01"]


@pytest.fixture(scope="module")
def tags_run(
    application_run: tuple[Settings, ExecuteInProcessResult],
) -> tuple[Settings, ExecuteInProcessResult]:
    """The session's 2,000-person run of the whole graph (tests/conftest.py)."""
    return application_run


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _metadata(result: ExecuteInProcessResult, key: AssetKey) -> dict:
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == key:
            return {k: v.value for k, v in materialization.metadata.items()}
    raise AssertionError(f"{key} was not materialized")


def test_run_succeeds_with_every_check_passing(tags_run) -> None:
    _, result = tags_run
    assert result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert not failed, failed


def test_every_registry_tag_is_built(tags_run) -> None:
    settings, _ = tags_run
    registry = load_registry()
    names = {tag.name for tag in registry.tags}
    catalog = dict(
        _query(settings.duckdb_path, "select tag_name, customers_with_value from marts.tag_catalog")
    )
    assert set(catalog) == names
    with_values = {name for name, customers in catalog.items() if customers > 0}
    # Every tag has values on the sample data, the model scores included.
    assert with_values == names
    wide_columns = {
        row[0]
        for row in _query(
            settings.duckdb_path,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'dim_customer_tags'",
        )
    }
    assert names <= wide_columns
    customers = _query(settings.duckdb_path, "select count(*) from marts.dim_customers")[0][0]
    assert _query(settings.duckdb_path, "select count(*) from marts.dim_customer_tags")[0][0] == (
        customers
    )


def test_long_and_wide_tables_agree(tags_run) -> None:
    settings, _ = tags_run
    for tag, cast in (
        ("lifecycle_stage", "lifecycle_stage"),
        ("high_value", "case when high_value then 'true' else 'false' end"),
        ("orders_count_365d", "cast(orders_count_365d as double)::varchar"),
    ):
        differences = _query(
            settings.duckdb_path,
            f"""
            (select unified_customer_id, {cast} from marts.dim_customer_tags
             where {tag} is not null
             except
             select unified_customer_id, tag_value from marts.fct_customer_tags
             where tag_name = '{tag}')
            union all
            (select unified_customer_id, tag_value from marts.fct_customer_tags
             where tag_name = '{tag}'
             except
             select unified_customer_id, {cast} from marts.dim_customer_tags
             where {tag} is not null)
            """,
        )
        assert differences == [], (tag, differences[:5])


def test_order_traits_equal_a_direct_count(tags_run) -> None:
    """orders_count_365d, net_revenue_365d and last_order_at recomputed by hand from the facts."""
    settings, _ = tags_run
    as_of = f"timestamptz '{AS_OF.isoformat()} 00:00:00+00'"
    differences = _query(
        settings.duckdb_path,
        f"""
        with direct as (
            select
                unified_customer_id,
                count(*) filter (
                    where not is_cancelled and ordered_at > {as_of} - interval 365 day
                ) as orders_365d,
                round(coalesce(sum(net_amount_cny) filter (
                    where ordered_at > {as_of} - interval 365 day), 0), 4) as revenue_365d,
                max(ordered_at) filter (where not is_cancelled) as last_order_at
            from intermediate.int_orders_attributed
            where ordered_at <= {as_of}
            group by 1
        ),
        tagged as (
            select unified_customer_id, orders_count_365d, round(net_revenue_365d, 4),
                last_order_at
            from marts.dim_customer_tags
            where unified_customer_id in (select unified_customer_id from direct)
        )
        (select * from direct except select * from tagged)
        union all
        (select * from tagged except select * from direct)
        """,
    )
    assert differences == []
    buyers = _query(
        settings.duckdb_path,
        "select count(*) from marts.dim_customer_tags where orders_count_365d > 0",
    )[0][0]
    assert buyers > 300


def test_rule_tags_follow_their_definitions(tags_run) -> None:
    settings, _ = tags_run
    rows = _query(
        settings.duckdb_path,
        """
        select count(*) filter (where high_value <> (net_revenue_365d >= 5000)),
            count(*) filter (where lifecycle_stage = 'prospect' and orders_count_lifetime > 0),
            count(*) filter (where lifecycle_stage = 'at_risk'
                and not days_since_last_order between 91 and 180),
            count(*) filter (where rfm_recency_score is not null and orders_count_365d = 0),
            count(*) filter (where rfm_segment = 'no_purchase_365d' and orders_count_365d > 0),
            count(distinct rfm_recency_score), count(distinct lifecycle_stage)
        from marts.dim_customer_tags
        """,
    )[0]
    assert rows[:5] == (0, 0, 0, 0, 0)
    assert rows[5] == 5  # five recency quintiles among buyers
    assert rows[6] == 6  # every lifecycle stage occurs


def test_propensity_model_beats_the_naive_baseline(tags_run) -> None:
    settings, result = tags_run
    metadata = _metadata(result, PROPENSITY_KEY)
    assert metadata["auc"] > metadata["baseline_auc"] > 0.5
    deciles = _query(
        settings.duckdb_path,
        "select decile, count(*) from ml.propensity_scores group by 1 order by 1",
    )
    assert [d for d, _ in deciles] == list(range(1, 11))
    # Scores are written back as model-score tags, one per scored customer.
    scored = _query(
        settings.duckdb_path,
        "select count(*) from marts.fct_customer_tags "
        "where tag_name = 'purchase_propensity_decile'",
    )[0][0]
    assert scored == sum(n for _, n in deciles)
    assert Path(str(metadata["model_path"])).exists()


def test_feature_table_is_point_in_time(tags_run) -> None:
    """Each as-of row counts only the orders placed by then, for the customers known by then."""
    settings, _ = tags_run
    dates = [
        row[0]
        for row in _query(
            settings.duckdb_path,
            "select distinct as_of::date from marts.fct_customer_features order by 1",
        )
    ]
    assert dates[-1] == AS_OF and len(dates) == 7
    differences = _query(
        settings.duckdb_path,
        """
        with direct as (
            select dates.as_of, orders.unified_customer_id, count(*) as orders
            from (select distinct as_of from marts.fct_customer_features) as dates
            join intermediate.int_orders_attributed as orders
                on orders.ordered_at <= dates.as_of and not orders.is_cancelled
            group by all
        ),
        features as (
            select as_of, unified_customer_id, orders_count_lifetime
            from marts.fct_customer_features
            where orders_count_lifetime > 0
        )
        (select * from direct except select * from features)
        union all
        (select * from features except select * from direct)
        """,
    )
    assert differences == []


@pytest.fixture(scope="module")
def changed_warehouse(
    tags_run, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, dict]]:
    """A copy of the warehouse with new orders loaded and the graph rebuilt two days later.

    New orders of three existing buyers arrive (copies of their latest raw order with new ids,
    placed the day before the new as_of, ingested now); dbt rebuilds everything downstream of the
    orders with tags_as_of two days later. Returns the warehouse, the work folder and a
    snapshot of state taken before the rebuild.
    """
    settings, _ = tags_run
    work = tmp_path_factory.mktemp("tags_changed")
    warehouse = work / "warehouse.duckdb"
    shutil.copy(settings.duckdb_path, warehouse)
    new_as_of = AS_OF + timedelta(days=2)
    with duckdb.connect(str(warehouse)) as con:
        buyers = con.execute(
            """
            select unified_customer_id, max(order_id) as order_id
            from intermediate.int_orders_attributed
            where not is_cancelled and not is_refunded
            group by 1 order by 1 limit 3
            """
        ).fetchall()
        before = {
            "buyers": [b for b, _ in buyers],
            "orders_30d": dict(
                con.execute(
                    "select unified_customer_id, orders_count_30d from marts.dim_customer_tags"
                ).fetchall()
            ),
            "features": con.execute(
                "select * from marts.fct_customer_features where as_of in (?, ?) order by all",
                PAST_DATES,
            ).fetchall(),
            "snapshot_rows": con.execute(
                "select count(*) from snapshots.snp_customer_tags"
            ).fetchall()[0][0],
            "records": dict(
                con.execute(
                    "select record_id, unified_customer_id from marts.dim_customer_records"
                ).fetchall()
            ),
        }
        for _, order_id in buyers:
            con.execute(
                f"""
                insert into raw_orders.orders by name
                select * replace (
                    record_key || '-new' as record_key,
                    'completed' as status,
                    timestamptz '{AS_OF.isoformat()} 12:00:00+00' as ordered_at,
                    timestamptz '{AS_OF.isoformat()} 12:00:00+00' as updated_at,
                    now() as _ingested_at
                )
                from raw_orders.orders where record_key = ?
                """,
                [order_id],
            )
    build = run_dbt(
        warehouse,
        work,
        "build",
        "--select",
        "base_orders__orders+",
        "--vars",
        json.dumps({"tags_as_of": new_as_of.isoformat()}),
    )
    assert build.returncode == 0, build.stdout[-4000:]
    yield warehouse, work, before


def test_incremental_refresh_recomputes_only_changed_customers(changed_warehouse) -> None:
    warehouse, _, before = changed_warehouse
    mode, recomputed, total = _query(
        warehouse,
        "select max(refresh_mode), count(*) filter (where was_recomputed), count(*) "
        "from intermediate.int_customer_traits",
    )[0]
    assert mode == "incremental"
    # The three buyers, plus customers whose facts left a window in two days: a small share.
    assert 3 <= recomputed < total * 0.2
    after = dict(
        _query(
            warehouse,
            "select unified_customer_id, orders_count_30d from marts.dim_customer_tags "
            "where unified_customer_id in (select unnest(?))",
            [before["buyers"]],
        )
    )
    for buyer in before["buyers"]:
        assert after[buyer] >= 1
        assert after[buyer] >= before["orders_30d"][buyer]


def test_incremental_traits_equal_a_full_recompute(changed_warehouse) -> None:
    """The dbt test ran in the build above; run it again explicitly and check it passed."""
    warehouse, work, _ = changed_warehouse
    check = run_dbt(
        warehouse, work, "test", "--select", "assert_customer_traits_match_full_recompute"
    )
    assert check.returncode == 0, check.stdout[-4000:]
    assert "PASS=1" in check.stdout


def test_past_feature_rows_ignore_later_facts(changed_warehouse) -> None:
    """Past rows change only for customers whose records the identity rebuild moved.

    Identity is retroactive: the new orders also move the newest data forward, so a device id
    can pass its time to live and stop linking, which moves records (and their facts) between
    customers at every date. Every other customer's past rows stay exactly as they were.
    """
    warehouse, _, before = changed_warehouse
    after_records = dict(
        _query(warehouse, "select record_id, unified_customer_id from marts.dim_customer_records")
    )
    moved = {
        customer
        for record in set(before["records"]) | set(after_records)
        if before["records"].get(record) != after_records.get(record)
        for customer in (before["records"].get(record), after_records.get(record))
        if customer is not None
    }
    after = _query(
        warehouse,
        "select * from marts.fct_customer_features where as_of in (?, ?) order by all",
        PAST_DATES,
    )
    kept_before = [row for row in before["features"] if row[0] not in moved]
    kept_after = [row for row in after if row[0] not in moved]
    assert len(kept_after) > 1000
    assert len(moved) < len({row[0] for row in after}) * 0.05
    assert kept_after == kept_before


def test_tag_history_keeps_the_previous_values(changed_warehouse) -> None:
    """The rebuild moved as_of and added orders: changed values close their previous period."""
    warehouse, work, before = changed_warehouse
    closed, opened, total = _query(
        warehouse,
        "select count(*) filter (where dbt_valid_to is not null), "
        "count(*) filter (where dbt_valid_from > (select min(dbt_valid_from) "
        "from snapshots.snp_customer_tags)), count(*) from snapshots.snp_customer_tags",
    )[0]
    assert closed > 0 and opened > 0
    assert total > before["snapshot_rows"]
    # Membership at the first build's time, read through the history macro, is the first
    # build's value for every closed row.
    first_build = _query(
        warehouse,
        "select strftime(min(dbt_valid_from) + interval 1 second, '%Y-%m-%d %H:%M:%S') "
        "from snapshots.snp_customer_tags",
    )[0][0]
    show = run_dbt(
        warehouse,
        work,
        "show",
        "--inline",
        "select count(*) as n from ({{ cdp_tag_history_as_of(cdp_tag_timestamp('"
        + first_build
        + "')) }}) as h",
        "--output",
        "json",
    )
    assert show.returncode == 0, show.stdout[-3000:]
    first_rows = _query(
        warehouse,
        "select count(*) from snapshots.snp_customer_tags "
        "where dbt_valid_from = (select min(dbt_valid_from) from snapshots.snp_customer_tags)",
    )[0][0]
    assert f'"n": {first_rows}' in show.stdout


def test_as_of_macro_matches_the_feature_rows(tags_run, tmp_path: Path) -> None:
    """cdp_customer_tags_as_of for a past date gives that date's feature-table values."""
    settings, _ = tags_run
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.duckdb_path, warehouse)
    past = date.fromisoformat(PAST_DATES[0])
    show = run_dbt(
        warehouse,
        tmp_path,
        "show",
        "--inline",
        "select sum(orders_count_lifetime) as orders, count(*) as customers from ("
        "{{ cdp_customer_tags_as_of(cdp_tag_timestamp('" + past.isoformat() + "')) }}) as t",
        "--output",
        "json",
        "--vars",
        json.dumps({"tags_as_of": AS_OF.isoformat()}),
    )
    assert show.returncode == 0, show.stdout[-3000:]
    orders, customers = _query(
        warehouse,
        "select sum(orders_count_lifetime), count(*) from marts.fct_customer_features "
        "where as_of = ?",
        [past.isoformat()],
    )[0]
    pairs = re.findall(r'"(orders|customers)": ([0-9.]+)', show.stdout)
    shown = {key: float(value) for key, value in pairs}
    assert shown == {"orders": float(orders), "customers": float(customers)}
