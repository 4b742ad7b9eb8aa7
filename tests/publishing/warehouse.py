"""A small live warehouse shaped like the real one: marts tables and a view, a snapshot, a schema
that is not published, a table a build left behind, and the types DuckDB 1.x cannot read."""

from __future__ import annotations

from pathlib import Path

import duckdb

# Published: (schema, table) -> rows, for a warehouse built with the default size.
CUSTOMERS = 300


def build_live_warehouse(path: Path, customers: int = CUSTOMERS) -> None:
    """Create (or replace) the test warehouse at ``path``; its catalog is named after the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        for schema in ("marts", "snapshots", "staging"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(
            f"""
            create or replace table marts.dim_customers as
            select
                'uc_' || lpad(i::varchar, 6, '0') as unified_customer_id,
                'person' || i || '@example.com' as email,
                (i % 7 = 0) as is_subscribed,
                timestamptz '2026-01-01 00:00:00+00' + to_hours(i) as first_seen_at,
                date '2026-01-01' + i::integer as first_order_date,
                (i * 12.3456)::decimal(18, 4) as lifetime_value,
                sum(i::bigint) over (order by i)::hugeint as running_total
            from range(1, {customers} + 1) as numbers(i)
            """
        )
        con.execute(
            """
            create or replace table marts.fct_orders as
            select
                'o_' || i as order_id,
                'uc_' || lpad((i % 50 + 1)::varchar, 6, '0') as unified_customer_id,
                (i % 100 + 0.5)::double as amount
            from range(1, 1001) as numbers(i)
            """
        )
        # dbt-duckdb names relations with the catalog: the copy must resolve it.
        con.execute(
            f"""
            create or replace view marts.customer_order_summary as
            select unified_customer_id, count(*) as order_count, sum(amount) as order_amount
            from "{catalog}"."marts"."fct_orders"
            group by unified_customer_id
            """
        )
        con.execute(
            """
            create or replace table marts.new_types as
            select
                i as id,
                ('12:00:0' || i || '.123456789')::time_ns as event_time_ns,
                ('2026-01-0' || (i + 1) || ' 00:00:00.123456789+00')::timestamptz_ns as seen_at_ns,
                ('POINT(' || i || ' 2)')::geometry as location,
                {'score': i}::variant as payload,
                [{'g': 'POINT(1 2)'::geometry}] as nested_shapes,
                (i, 'a') as pair,
                'untouched' as note
            from range(1, 4) as numbers(i)
            """
        )
        con.execute("create or replace table marts.dim_customers__dbt_tmp as select 1 as leftover")
        con.execute(
            """
            create or replace table snapshots.snp_customer_tags as
            select
                'uc_' || lpad((i % 100 + 1)::varchar, 6, '0') as unified_customer_id,
                'tag_' || (i % 5) as tag_name,
                timestamp '2026-01-01' + to_days(i) as dbt_valid_from,
                null::timestamp as dbt_valid_to
            from range(1, 401) as numbers(i)
            """
        )
        con.execute("create or replace table staging.stg_crm__customers as select 1 as id")


def published_names() -> set[str]:
    """The relations a publication of the default schemas holds (not the build leftover)."""
    return {
        "marts.dim_customers",
        "marts.fct_orders",
        "marts.customer_order_summary",
        "marts.new_types",
        "snapshots.snp_customer_tags",
    }
