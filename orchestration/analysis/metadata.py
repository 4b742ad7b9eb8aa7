"""Dagster metadata of the analysis marts, read from the warehouse after `dbt build` exits.

Each function has the signature of ``orchestration.assets.dbt.MODEL_METADATA`` values: the DuckDB
path, the schema and the table of the model just built; each opens a short read-only connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from dagster import MetadataValue


def _markdown_table(header: list[str], rows: list[tuple]) -> MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in rows]
    return MetadataValue.md("\n".join(lines))


def sessions_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Sessions per platform: how many, how long, how many bounced and converted."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            f"""
            select platform, count(*), round(median(duration_seconds)),
                avg(is_bounce::int), avg(is_converted::int)
            from "{schema}"."{table}" group by 1 order by 1
            """
        ).fetchall()
    return {
        "sessions_by_platform": _markdown_table(
            ["platform", "sessions", "median seconds", "bounce rate", "conversion rate"],
            [(p, f"{n:,}", int(d or 0), f"{b:.1%}", f"{c:.1%}") for p, n, d, b, c in rows],
        ),
        "session_conversion_rate": float(
            sum(n * c for _, n, _, _, c in rows) / max(sum(n for _, n, *_ in rows), 1)
        ),
    }


def funnel_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """The latest month of the funnel per platform: customers at each step."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            f"""
            select funnel_month::varchar, platform, visitors, product_viewers, cart_adders,
                purchasers, visitor_conversion_rate
            from "{schema}"."{table}"
            where funnel_month = (select max(funnel_month) from "{schema}"."{table}")
            order by platform
            """
        ).fetchall()
    return {
        "latest_month": _markdown_table(
            ["month", "platform", "visitors", "product view", "cart", "purchase", "conversion"],
            [(*row[:6], f"{row[6]:.1%}") for row in rows],
        )
    }


def cohort_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Retention one, three and six months after the first order, weighted over cohorts."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            f"""
            select months_since_first_order, sum(active_customers) / sum(cohort_customers)
            from "{schema}"."{table}"
            where months_since_first_order in (1, 3, 6)
            group by 1 order by 1
            """
        ).fetchall()
        cohorts = con.execute(f'select count(distinct cohort_month) from "{schema}"."{table}"')
        (cohort_count,) = cohorts.fetchone() or (0,)
    return {
        "cohorts": int(cohort_count),
        **{f"retention_month_{months}": float(rate) for months, rate in rows},
    }


def lifetime_value_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Buyers, their historical net revenue and the predicted next 12 months, in CNY."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        buyers, net, predicted = con.execute(
            f"""
            select count(*), coalesce(sum(net_revenue_cny), 0),
                coalesce(sum(predicted_12m_net_revenue_cny), 0)
            from "{schema}"."{table}"
            """
        ).fetchone()
    return {
        "buyers": int(buyers),
        "net_revenue_cny": float(net),
        "predicted_12m_net_revenue_cny": float(predicted),
    }


def recommendation_evaluation_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Hold-out hit rate@k of item-to-item against the popularity baseline, and its lift."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            f"""
            select method, k, cutoff_at::date::varchar, customers_evaluated, hit_rate_at_k,
                precision_at_k, catalogue_coverage
            from "{schema}"."{table}" order by method
            """
        ).fetchall()
    rates = {method: hit_rate for method, _, _, _, hit_rate, _, _ in rows}
    metadata: dict[str, Any] = {
        "hold_out": _markdown_table(
            ["method", "k", "cut-off", "customers", "hit rate", "precision", "coverage"],
            [
                (m, k, cut, f"{n:,}", f"{h:.3f}", f"{p:.3f}", f"{c:.1%}")
                for m, k, cut, n, h, p, c in rows
            ],
        ),
        **{f"hit_rate_{method}": float(rate) for method, rate in rates.items()},
    }
    if rates.get("popularity"):
        metadata["lift_over_popularity"] = float(rates["item_to_item"] / rates["popularity"])
    if rows:
        metadata["customers_evaluated"] = int(rows[0][3])
    return metadata


def recommendations_summary(duckdb_path: Path, schema: str, table: str) -> dict[str, Any]:
    """Customers with recommendations, and the share that only got the popularity fallback."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        customers, fallback_only = con.execute(
            f"""
            select count(*), count(*) filter (where item_to_item = 0) from (
                select unified_customer_id,
                    count(*) filter (where method = 'item_to_item') as item_to_item
                from "{schema}"."{table}" group by 1
            )
            """
        ).fetchone()
    return {
        "customers": int(customers),
        "customers_with_popularity_only": int(fallback_only),
    }
