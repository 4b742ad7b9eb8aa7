"""Read a published copy with whatever duckdb the interpreter has (run under DuckDB 1.x).

Stand-alone on purpose (no project imports): the test runs it with
``uv run --no-project --isolated --with duckdb==<1.x> python read_with_duckdb_v1.py PATH``.
Prints one JSON object: the reader's version, the copy's metadata, its own row counts and the
sample rows as text.
"""

import json
import sys

import duckdb

SAMPLES = {
    "dim_customers": (
        "select unified_customer_id, email, is_subscribed::varchar, first_seen_at::varchar, "
        "first_order_date::varchar, lifetime_value::varchar, running_total::varchar "
        "from marts.dim_customers order by unified_customer_id limit 5"
    ),
    # As text in SQL: the Python client of 1.x needs pytz to return tz-aware values.
    "new_types": (
        "select event_time_ns::varchar, seen_at_ns::varchar, location::varchar, "
        "payload::varchar, nested_shapes::varchar, pair::varchar, note "
        "from marts.new_types order by id"
    ),
    "summary": (
        "select unified_customer_id, order_count, order_amount from marts.customer_order_summary "
        "order by unified_customer_id limit 3"
    ),
}


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    con.execute("set TimeZone = 'UTC'")
    meta = con.execute(
        "select table_schema || '.' || table_name, row_count, run_id from main._published "
        "order by 1"
    ).fetchall()
    counts = {
        name: con.execute(f"select count(*) from {name}").fetchone()[0] for name, _, _ in meta
    }
    samples = {}
    for name, sql in SAMPLES.items():
        rows = con.execute(f"select * from ({sql}) as sample").fetchall()
        samples[name] = [[None if v is None else str(v) for v in row] for row in rows]
    print(
        json.dumps(
            {
                "version": duckdb.__version__,
                "meta": [[name, rows, run_id] for name, rows, run_id in meta],
                "counts": counts,
                "samples": samples,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
