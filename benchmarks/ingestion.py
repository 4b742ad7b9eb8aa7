"""Benchmark, first part: generate N persons, load every source, compare with dlt's Arrow path.

    uv run python -m benchmarks.ingestion --persons 1000000

For each raw table it prints rows/s of our loader (read, parse, cast, quarantine, merge on key)
and of dlt alone loading the very same rows as one Arrow table (``append``, no parsing): the goal
is at least 0.7x of the latter. Peak memory is the resident high-water mark of each stage, each
stage in its own process so one does not hide another.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmarks.stages import STAGE_FLAG, emit, peak_mib, run_stage


def _generate(persons: int, seed: int, out: Path) -> dict:
    from ingestion.sample_data import generate

    start = time.perf_counter()
    generate(persons=persons, seed=seed, out=out)
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_mib()}


def _load(data: Path) -> dict:
    import duckdb

    from ingestion.config import load_sources_config
    from ingestion.pipeline import load_source
    from ingestion.settings import get_settings

    settings = get_settings()
    config = load_sources_config(settings.sources_config)
    results = {}
    for name, source in config.sources.items():
        start = time.perf_counter()
        load_source(name, source, settings)
        seconds = time.perf_counter() - start
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
            read = con.execute(f"select sum(rows_read) from raw_{name}.loaded_files").fetchall()
        results[name] = {"seconds": seconds, "rows_read": int(read[0][0] or 0)}
    return {"sources": results, "peak_mib": peak_mib()}


def _dlt_alone(data: Path) -> dict:
    """dlt loading the rows of each raw table, already as Arrow, into a fresh DuckDB file."""
    import dlt
    import duckdb

    from ingestion.config import load_sources_config
    from ingestion.settings import get_settings

    settings = get_settings()
    config = load_sources_config(settings.sources_config)
    results = {}
    for name, source in config.sources.items():
        total_rows = 0
        seconds = 0.0
        for table in source.tables:
            with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
                arrow = con.sql(
                    f"select * exclude (_dlt_load_id) from raw_{name}.{table}"
                ).to_arrow_table()
            pipeline = dlt.pipeline(
                pipeline_name=f"bench_{name}_{table}",
                destination=dlt.destinations.duckdb(str(data / "dlt_alone.duckdb")),
                dataset_name=f"bench_{name}",
                pipelines_dir=str(data / "bench_pipelines"),
            )
            start = time.perf_counter()
            pipeline.run(arrow, table_name=table, write_disposition="append")
            seconds += time.perf_counter() - start
            total_rows += arrow.num_rows
        results[name] = {"seconds": seconds, "rows": total_rows}
    return {"sources": results, "peak_mib": peak_mib()}


def _run_stage(stage: str, persons: int, seed: int, data: Path) -> dict:
    env = os.environ | {
        "CDP_DATA_DIR": str(data),
        "CDP_DUCKDB_PATH": str(data / "warehouse" / "bench.duckdb"),
    }
    for name in ("CDP_LANDING_DIR", "CDP_DLT_PIPELINES_DIR", "CDP_GROUND_TRUTH_DIR"):
        env.pop(name, None)
    args = [STAGE_FLAG, stage, "--persons", str(persons), "--seed", str(seed), "--data", str(data)]
    return run_stage("benchmarks.ingestion", args, env)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=None, help="work folder (default: a temp dir)")
    parser.add_argument(STAGE_FLAG, choices=["generate", "load", "dlt_alone"], default=None)
    args = parser.parse_args(argv)

    if args.stage:
        stage = {"generate": _generate, "load": _load, "dlt_alone": _dlt_alone}[args.stage]
        result = (
            stage(args.persons, args.seed, args.data)
            if args.stage == "generate"
            else stage(args.data)
        )
        emit(result)
        return

    with tempfile.TemporaryDirectory(prefix="cdp-bench-") as scratch:
        data = args.data or Path(scratch)
        generated = _run_stage("generate", args.persons, args.seed, data)
        print(
            f"generate {args.persons:,} persons: {generated['seconds']:.1f} s, "
            f"peak {generated['peak_mib']:.0f} MiB"
        )
        loaded = _run_stage("load", args.persons, args.seed, data)
        alone = _run_stage("dlt_alone", args.persons, args.seed, data)
        print(
            f"load (peak {loaded['peak_mib']:.0f} MiB) vs dlt alone on the same rows "
            f"(peak {alone['peak_mib']:.0f} MiB):"
        )
        print(
            f"{'source':<10}{'rows':>12}{'ours s':>9}{'rows/s':>12}{'dlt s':>9}{'rows/s':>12}"
            f"{'ratio':>7}"
        )
        total_ours = total_alone = 0.0
        total_rows = 0
        for name, ours in loaded["sources"].items():
            reference = alone["sources"][name]
            rows = ours["rows_read"]
            ours_rate = rows / ours["seconds"]
            alone_rate = reference["rows"] / reference["seconds"]
            total_ours += ours["seconds"]
            total_alone += reference["seconds"]
            total_rows += rows
            print(
                f"{name:<10}{rows:>12,}{ours['seconds']:>9.1f}{ours_rate:>12,.0f}"
                f"{reference['seconds']:>9.1f}{alone_rate:>12,.0f}"
                f"{ours_rate / alone_rate:>7.2f}"
            )
        print(
            f"{'all':<10}{total_rows:>12,}{total_ours:>9.1f}{total_rows / total_ours:>12,.0f}"
            f"{total_alone:>9.1f}{total_rows / total_alone:>12,.0f}"
            f"{total_alone / total_ours:>7.2f}"
        )


if __name__ == "__main__":
    main()
