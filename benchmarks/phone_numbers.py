"""Benchmark of the phone step: parse N distinct phones into ``reference.phone_numbers``.

    uv run python -m benchmarks.phone_numbers --phones 1000000

Writes a throwaway warehouse with one raw table (``raw_crm.customers``: phone, country) of N
distinct phone texts in mixed national and international formats (mainland mobiles and fixed
lines, US, UK and Hong Kong numbers, junk), then runs the phone step three times: with one parser
process, with one per CPU (each a first run into an empty table), and once more with nothing left
to parse (the incremental run of a day without new phones). Prints rows/s of each.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

# One distinct number per row id `i`, written in one of several styles (`i % 8`).
_PHONES_SQL = """
create schema raw_crm;
create table raw_crm.customers as
with ids as (
    select i, lpad(cast(i as varchar), 8, '0') as digits from range({phones}) as t(i)
)
select
    case i % 8
        when 0 then '13' || right(digits, 1) || digits
        when 1 then '+86 15' || left(digits, 1) || ' ' || left(digits, 4) || ' ' || right(digits, 4)
        when 2 then '0086-18' || right(digits, 1) || '-' || left(digits, 4) || '-'
            || right(digits, 4)
        when 3 then '(010) ' || left(digits, 4) || ' ' || right(digits, 4)
        when 4 then '+1 617 ' || substr(digits, 2, 3) || ' ' || right(digits, 4)
        when 5 then '020 7' || substr(digits, 2, 3) || ' ' || right(digits, 4)
        when 6 then '+852 9' || right(digits, 7)
        else 'n/a ' || digits
    end as phone,
    case i % 8
        when 4 then 'USA'
        when 5 then 'United Kingdom'
        when 6 then ''
        when 7 then null
        else (['CN', 'China', '中国', ''])[1 + i % 4]
    end as country
from ids
"""


def run(phones: int) -> dict:
    import duckdb

    from ingestion.config import load_sources_config
    from ingestion.reference import load_phone_numbers
    from ingestion.settings import Settings, get_settings

    results: dict = {"phones": phones}
    config = load_sources_config(get_settings().sources_config)
    with tempfile.TemporaryDirectory() as folder:
        for label, workers in (("one_process", 1), ("all_cpus", None)):
            data = Path(folder) / label
            settings = Settings(
                data_dir=data,
                duckdb_path=data / "warehouse.duckdb",
                landing_dir=data / "landing",
                ground_truth_dir=data / "truth",
                sources_config=get_settings().sources_config,
                dlt_pipelines_dir=data / "dlt",
            )
            data.mkdir(parents=True)
            with duckdb.connect(str(settings.duckdb_path)) as con:
                con.execute(_PHONES_SQL.format(phones=phones))
                (distinct,) = con.execute(
                    "select count(*) from (select distinct phone, coalesce(country, '') "
                    "from raw_crm.customers)"
                ).fetchone()
            start = time.perf_counter()
            parsed = load_phone_numbers(settings, config, workers=workers).pairs_parsed
            seconds = time.perf_counter() - start
            results[label] = {
                "pairs": distinct,
                "parsed": parsed,
                "seconds": round(seconds, 1),
                "rows_per_s": round(parsed / seconds),
            }
        start = time.perf_counter()
        again = load_phone_numbers(settings, config).pairs_parsed
        results["nothing_new"] = {"parsed": again, "seconds": round(time.perf_counter() - start, 1)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phones", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(run(args.phones), indent=2))


if __name__ == "__main__":
    main()
