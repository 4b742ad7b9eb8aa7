"""Product recommendations (dbt models/*/recommendations, macros/recommendations) on the sample
generator's data: the upstream tables the models read are built straight from the landing files,
with the ground truth's person as the unified customer (no identity resolution, no Dagster), then
dbt builds the recommendation models and their tests on that warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingestion.sample_data import Manifest, generate
from tests.identity.dbt_cli import run_dbt

PERSONS = 3000
SEED = 42
AS_OF = "2026-12-01"
K = 10
SELECTION = (
    "path:models/intermediate/recommendations",
    "path:models/marts/recommendations",
    "assert_item_to_item_beats_popularity",
)

UPSTREAM_SQL = """
create schema intermediate;
create schema staging;
create schema marts;
create temp table truth as select * from read_parquet('{truth}');
create temp table orders as
select order_id, status, created_at
from read_parquet('{landing}/orders/orders_*.parquet')
qualify row_number() over (partition by order_id order by updated_at desc) = 1;
create temp table lines as select * from read_parquet('{landing}/orders/order_lines_*.parquet');
create temp table events as
select distinct on (messageId)
    messageId as event_id,
    event as event_name,
    try_cast(timestamp as timestamptz) as occurred_at,
    properties ->> 'sku' as product_sku,
    properties ->> 'name' as product_name,
    properties ->> 'category' as product_category
from read_json(
    '{landing}/events/events_*.jsonl', format = 'newline_delimited', ignore_errors = true,
    columns = {{messageId: 'varchar', event: 'varchar', timestamp: 'varchar', properties: 'json'}}
)
where messageId is not null;

create table intermediate.int_order_lines_attributed as
select
    lines.line_id as order_line_id,
    lines.order_id,
    truth.person_id as unified_customer_id,
    orders.created_at as ordered_at,
    orders.status as order_status,
    lines.category,
    lines.sku,
    lines.qty as quantity
from lines
inner join orders on lines.order_id = orders.order_id
inner join truth
    on truth."table" = 'order_lines' and truth.record_key = lines.line_id;

create table staging.stg_orders__order_lines as
select line_id as order_line_id, sku, product_name, category, current_timestamp as ingested_at
from lines;

create table staging.stg_events__events as
select * from events where occurred_at is not null;

create table intermediate.int_events_attributed as
select
    events.event_id,
    truth.person_id as unified_customer_id,
    events.occurred_at,
    events.event_name
from staging.stg_events__events as events
inner join (select distinct record_key, person_id from truth where "table" = 'events') as truth
    on truth.record_key = events.event_id;

create table marts.dim_customers as
select distinct person_id as unified_customer_id from truth;
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recommendation models built by dbt on a warehouse made from a generated sample."""
    root = tmp_path_factory.mktemp("recommendations")
    sample: Manifest = generate(PERSONS, SEED, root / "sample")
    path = root / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            UPSTREAM_SQL.format(
                truth=sample.ground_truth_path.as_posix(), landing=sample.landing_dir.as_posix()
            )
        )
    build = run_dbt(
        path,
        root,
        "build",
        "--select",
        *SELECTION,
        "--vars",
        f'{{tags_as_of: "{AS_OF}"}}',
    )
    assert build.returncode == 0, build.stdout[-4000:]
    # The hold-out check (severity warn) passes too: item-to-item beats popularity.
    assert "WARN=0" in build.stdout and "ERROR=0" in build.stdout, build.stdout[-4000:]
    return path


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_item_to_item_beats_popularity_on_the_holdout(warehouse: Path) -> None:
    rows = _query(
        warehouse,
        """
        select method, k, holdout_days, customers_evaluated, customers_with_item_to_item,
            hit_rate_at_k, precision_at_k, catalogue_coverage, cast(cutoff_at as date)
        from marts.recommendation_evaluation order by method
        """,
    )
    evaluation = {row[0]: row[1:] for row in rows}
    assert set(evaluation) == {"item_to_item", "popularity"}
    i2i, popularity = evaluation["item_to_item"], evaluation["popularity"]
    assert i2i[:3] == popularity[:3] and i2i[0] == K and i2i[1] == 30
    assert i2i[2] > 150  # the same customers for both recommenders
    assert str(i2i[7]) == "2026-11-01"  # tags_as_of - 30 days
    assert i2i[3] > 0.5 * i2i[2] and popularity[3] == 0
    assert i2i[4] > popularity[4] + 0.02  # hit rate@10
    assert i2i[5] > popularity[5]  # precision@10
    assert i2i[6] > 3 * popularity[6]  # popularity recommends the same few products


def test_every_customer_gets_k_products_never_one_already_bought(warehouse: Path) -> None:
    per_customer = _query(
        warehouse,
        """
        select count(*), min(n), max(n), min(max_rank)
        from (
            select unified_customer_id, count(distinct sku) as n, max(recommendation_rank)
                as max_rank
            from marts.customer_recommendations group by 1
        )
        """,
    )[0]
    customers = _query(warehouse, "select count(*) from marts.dim_customers")[0][0]
    assert per_customer == (customers, K, K, K)
    # Independent of the models' own flags: any line of an order that was not cancelled.
    already_bought = _query(
        warehouse,
        f"""
        select count(*)
        from marts.customer_recommendations as recommendations
        inner join intermediate.int_order_lines_attributed as lines
            on recommendations.unified_customer_id = lines.unified_customer_id
            and recommendations.sku = lines.sku
        where lines.order_status != 'cancelled'
            and lines.ordered_at <= timestamptz '{AS_OF} 00:00:00+00'
        """,
    )[0][0]
    assert already_bought == 0


def test_customers_without_history_get_the_popularity_fallback(warehouse: Path) -> None:
    rows = _query(
        warehouse,
        """
        with history as (
            select distinct unified_customer_id
            from intermediate.int_recommendation_interactions where is_signal or is_bought
        )
        select
            history.unified_customer_id is not null as has_history,
            count(distinct recommendations.unified_customer_id) as customers,
            count(*) filter (where method = 'item_to_item') as item_to_item_rows,
            count(*) filter (where method = 'item_to_item' and reason_sku is null)
                as without_reason,
            count(distinct list_sku) as distinct_lists
        from (
            select *, string_agg(sku, ',' order by recommendation_rank) over (
                partition by unified_customer_id
            ) as list_sku
            from marts.customer_recommendations
        ) as recommendations
        left join history using (unified_customer_id)
        group by 1 order by 1
        """,
    )
    without, with_history = rows
    assert without[1] > 100 and without[2] == 0 and without[4] == 1  # one popular list for all
    assert with_history[2] > 0.5 * with_history[1] * K and with_history[3] == 0


def test_similarities_are_pruned_and_follow_the_category_affinity(warehouse: Path) -> None:
    neighbours, pairs, same_category, self_pairs = _query(
        warehouse,
        """
        select max(neighbour_rank), count(*), avg((category = similar_category)::int),
            count(*) filter (where sku = similar_sku)
        from marts.product_similarities
        """,
    )[0]
    assert neighbours <= 20 and self_pairs == 0 and pairs > 1000
    # Persons buy and view within their preferred categories, so similar products share one
    # far more often than the 1 in 8 of unrelated products.
    assert same_category > 0.5
