"""Benchmark: validation time and peak memory of the GX suites of the largest tables.

    uv run python -m benchmarks.validation --data /tmp/gx/data
    uv run python -m benchmarks.validation --persons 100000 --data /tmp/gx/data

With ``--persons`` the sample is generated and loaded first (if the folder holds no warehouse);
staging views missing from the warehouse are built (phone step, ``dbt seed``, ``dbt run -s
staging``). Each suite then runs in its own process, once per ``--chunk-rows`` value, so that the
peak resident memory of one run does not hide another's. GX is imported and warmed up before the
clock starts (~7 s once per process, paid at the first check of a Dagster run).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchmarks.stages import STAGE_FLAG, emit, peak_mib, run_stage

DEFAULT_SUITES = ("raw_events.events", "staging.stg_events__events")


def _suite(name: str):  # type: ignore[no-untyped-def]
    from expectations.raw import raw_suites
    from expectations.staging import staging_suites

    for suite in [*raw_suites(), *staging_suites()]:
        if suite.name == name:
            return suite
    raise SystemExit(f"no suite named {name!r}")


def _validate(name: str, chunk_rows: int) -> dict:
    """One suite, one chunk size, in this process (a stage of its own)."""
    import pandas as pd

    from expectations.context import batch_definition
    from expectations.runner import validate_suite
    from expectations.suite import CRITICAL, WARNING, key_not_null
    from ingestion.settings import get_settings

    # Warm-up outside the clock: GX imports and builds its first batch in seconds.
    started = time.perf_counter()
    batch_definition().get_batch(
        batch_parameters={"dataframe": pd.DataFrame({"k": ["a"]})}
    ).validate(key_not_null("k"))
    warm_up = time.perf_counter() - started
    baseline = peak_mib()
    outcome = validate_suite(_suite(name), get_settings().duckdb_path, chunk_rows=chunk_rows)
    return {
        "suite": name,
        "chunk_rows": chunk_rows,
        "rows": outcome.row_count,
        "chunks": outcome.chunks,
        "expectations": len(outcome.outcomes),
        "seconds": outcome.seconds,
        "gx_warm_up_seconds": warm_up,
        "peak_mib": peak_mib(),
        "peak_mib_before": baseline,
        "passed": {s: outcome.passed(s) for s in (CRITICAL, WARNING)},
    }


def _prepare(persons: int, seed: int) -> dict:
    """Generate and load the sample if needed; build the staging views if missing."""
    import duckdb

    from ingestion.pipeline import load_all
    from ingestion.reference import load_phone_numbers
    from ingestion.sample_data import generate
    from ingestion.settings import get_settings

    settings = get_settings()
    timings: dict[str, float] = {}
    if not settings.duckdb_path.exists():
        started = time.perf_counter()
        generate(persons=persons, seed=seed, out=settings.data_dir)
        timings["generate"] = time.perf_counter() - started
        started = time.perf_counter()
        load_all(settings)
        timings["load"] = time.perf_counter() - started
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        views = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'staging'"
        ).fetchall()[0][0]
    if not views:
        started = time.perf_counter()
        load_phone_numbers(settings)
        timings["phone_step"] = time.perf_counter() - started
        started = time.perf_counter()
        _dbt(["seed"])
        _dbt(["run", "--select", "staging"])
        timings["dbt_staging"] = time.perf_counter() - started
    return timings


def _dbt(args: list[str]) -> None:
    from dagster_dbt import DbtCliResource

    from ingestion.settings import get_settings
    from orchestration.project import dbt_environment, dbt_project

    dbt = DbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir))
    with dbt_environment():
        target = get_settings().data_dir / "dbt_runs" / "benchmark"
        dbt.cli(args, target_path=target, raise_on_error=True).wait()


def _run_stage(data: Path, *args: str) -> dict:
    env = os.environ | {"CDP_DATA_DIR": str(data)}
    for name in (
        "CDP_DUCKDB_PATH",
        "CDP_LANDING_DIR",
        "CDP_DLT_PIPELINES_DIR",
        "CDP_GROUND_TRUTH_DIR",
    ):
        env.pop(name, None)
    return run_stage("benchmarks.validation", ["--data", str(data), STAGE_FLAG, *args], env)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the CDP_DATA_DIR to validate")
    parser.add_argument("--persons", type=int, default=None, help="generate and load first")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--suites", default=",".join(DEFAULT_SUITES))
    parser.add_argument("--chunk-rows", default="500000", help="comma-separated chunk sizes")
    parser.add_argument(STAGE_FLAG, nargs="+", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:
        kind, *rest = args.stage
        if kind == "prepare":
            result = _prepare(int(rest[0]), int(rest[1]))
        else:
            result = _validate(rest[0], int(rest[1]))
        emit(result)
        return

    data = args.data.resolve()
    prepared = _run_stage(data, "prepare", str(args.persons or 0), str(args.seed))
    for step, seconds in prepared.items():
        print(f"{step}: {seconds:.1f} s")
    print(
        f"{'suite':<30}{'chunk rows':>11}{'rows':>12}{'chunks':>7}{'exp.':>5}{'seconds':>9}"
        f"{'rows/s':>11}{'MiB before':>11}{'peak MiB':>10}  passed (critical, warning)"
    )
    for name in args.suites.split(","):
        for chunk_rows in (int(value) for value in args.chunk_rows.split(",")):
            r = _run_stage(data, "validate", name, str(chunk_rows))
            print(
                f"{name:<30}{chunk_rows:>11,}{r['rows']:>12,}{r['chunks']:>7}"
                f"{r['expectations']:>5}{r['seconds']:>9.1f}{r['rows'] / r['seconds']:>11,.0f}"
                f"{r['peak_mib_before']:>11,.0f}{r['peak_mib']:>10,.0f}  "
                f"{r['passed']['critical']}, {r['passed']['warning']}"
            )


if __name__ == "__main__":
    main()
