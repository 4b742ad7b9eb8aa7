"""End-to-end demo: generate sample data, run the whole asset graph through Dagster, summarise.

    uv run python -m orchestration.demo --persons 10000 --seed 42

The run goes to the Dagster instance at ``DAGSTER_HOME`` (default ``dagster_home/``), so it shows
in the UI of ``dagster dev`` afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.sample_data.settings import DEFAULT_END_DATE
from ingestion.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    import duckdb
    from dagster import ExecuteInProcessResult

DEFAULT_DAGSTER_HOME = PROJECT_ROOT / "dagster_home"
TAGS_AS_OF_VAR = "CDP_TAGS_AS_OF"


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to the project's dagster_home/ (which holds dagster.yaml)."""
    os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home


def reset_data(settings: Settings) -> None:
    """Delete landing files, ground truth, warehouse, dlt state and exported files: a demo from
    scratch. The published copy stays until the new run replaces it (BI may have it open)."""
    exports = settings.data_dir / "exports"  # activation.yml's default folder
    for folder in (
        settings.landing_dir,
        settings.ground_truth_dir,
        settings.dlt_pipelines_dir,
        exports,
    ):
        shutil.rmtree(folder, ignore_errors=True)
    for path in (settings.duckdb_path, Path(f"{settings.duckdb_path}.wal")):
        path.unlink(missing_ok=True)


def generate_sample_data(settings: Settings, persons: int, seed: int) -> float:
    """Write the sample landing files (and ground truth); returns the seconds it took."""
    from ingestion.sample_data import generate

    started = time.perf_counter()
    generate(persons=persons, seed=seed, out=settings.data_dir)
    return time.perf_counter() - started


def run_all_assets() -> tuple[ExecuteInProcessResult, dict[str, float]]:
    """Execute the `all_assets` job in process against the instance at DAGSTER_HOME.

    Returns the result and the wall time of each step, read from the run's step statistics.
    """
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    ensure_dagster_home()
    with DagsterInstance.get() as instance:
        # The console shows warnings and errors only; every event is in the run's log (make ui).
        result = defs.resolve_job_def("all_assets").execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        step_seconds = {
            stats.step_key: (stats.end_time or 0.0) - (stats.start_time or 0.0)
            for stats in instance.get_run_step_stats(result.run_id)
        }
    return result, step_seconds


def print_summary(settings: Settings, timings: dict[str, float]) -> None:
    from ingestion.config import load_sources_config
    from ingestion.pipeline import RAW_META_TABLES, dataset_name
    from orchestration.assets.warehouse import quarantine_counts, table_row_counts

    config = load_sources_config(settings.sources_config)
    print("\nrows per raw table")
    for name, source in config.sources.items():
        dataset = dataset_name(name)
        counts = table_row_counts(settings.duckdb_path, dataset, [*source.tables, *RAW_META_TABLES])
        for table, rows in counts.items():
            print(f"  {dataset + '.' + table:<32} {rows:>12,}")
    print("\nquarantine per source (action: reason)")
    for name in config.sources:
        for action, reason, rows in quarantine_counts(settings.duckdb_path, dataset_name(name)):
            print(f"  {name:<10} {action + ': ' + reason:<48} {rows:>10,}")
    print("\nwall time per stage")
    for stage, seconds in timings.items():
        print(f"  {stage:<42} {seconds:>8.1f} s")


def print_checks(result: ExecuteInProcessResult) -> None:
    """Asset checks of the run: how many passed per layer, and every one that did not."""
    evaluations = result.get_asset_check_evaluations()
    passed: dict[str, int] = {}
    for evaluation in evaluations:
        layer = evaluation.asset_key.path[0]
        passed[layer] = passed.get(layer, 0) + int(evaluation.passed)
    print(f"\nasset checks: {sum(passed.values())} of {len(evaluations)} passed")
    for layer, count in sorted(passed.items()):
        print(f"  {layer:<32} {count:>5} passed")
    for evaluation in evaluations:
        if not evaluation.passed:
            key = "/".join(evaluation.asset_key.path)
            print(f"  FAILED ({evaluation.severity.value}) {key}: {evaluation.check_name}")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every `schema.table` of the warehouse: the demo prints only what the run built."""
    return {
        row[0]
        for row in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    }


def print_staging(settings: Settings) -> None:
    """Rows staged and quarantined by staging, per raw table."""
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = _tables(con)
        if "intermediate.int_rows_quarantined" not in tables:
            return
        rows = con.execute(
            "select source_name || '.' || table_name, rule, count(*) "
            "from intermediate.int_rows_quarantined group by all order by all"
        ).fetchall()
    print("\nrows quarantined by staging (table: rule)")
    for table, rule, count in rows:
        print(f"  {table + ': ' + rule:<58} {count:>10,}")


def print_identity(settings: Settings) -> None:
    """Unified customers, the last identity build, exclusions and accuracy vs ground truth."""
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = _tables(con)
        if "marts.identity_run_metrics" not in tables:
            return
        cursor = con.execute(
            "select * from marts.identity_run_metrics order by computed_at desc limit 1"
        )
        names = [d[0] for d in cursor.description]
        metrics = dict(zip(names, cursor.fetchall()[0], strict=True))
        excluded = con.execute(
            "select exclusion_rule, identifier_type, count(*) "
            "from intermediate.int_identifiers_excluded group by all order by all"
        ).fetchall()
        pairs = (
            con.execute(
                "select status, count(*) from identity.probabilistic_pairs group by 1 order by 1"
            ).fetchall()
            if "identity.probabilistic_pairs" in tables
            else []
        )
        accuracy = (
            con.execute(
                "select partition, records, precision, recall, f1 from identity.accuracy_runs "
                "where measured_at = (select max(measured_at) from identity.accuracy_runs) "
                "order by partition"
            ).fetchall()
            if "identity.accuracy_runs" in tables
            else []
        )
    print("\nunified customers (identity build " + str(metrics["invocation_id"])[:8] + ")")
    for key in (
        "records",
        "customers",
        "customers_with_crm_id",
        "singleton_customers",
        "largest_customer_records",
        "customers_with_probabilistic_link",
        "new_customer_ids",
        "merge_events",
        "split_events",
    ):
        print(f"  {key:<42} {metrics[key]:>10,}")
    mode, rounds = metrics["soft_graph_mode"], metrics["soft_graph_rounds"]
    print(f"  {'soft graph components: mode, rounds':<42} {mode:>5}, {rounds}")
    print("\nidentifiers excluded from linking (rule: type)")
    for rule, identifier_type, count in excluded:
        print(f"  {rule + ': ' + identifier_type:<48} {count:>10,}")
    if pairs:
        print("\nprobabilistic pairs (Splink) by status")
        for status, count in pairs:
            print(f"  {status:<48} {count:>10,}")
    if accuracy:
        print("\npairwise accuracy against the generator's ground truth")
        print(f"  {'partition':<24} {'records':>10} {'precision':>10} {'recall':>8} {'F1':>8}")
        for partition, records, precision, recall, f1 in accuracy:
            print(f"  {partition:<24} {records:>10,} {precision:>10.4f} {recall:>8.4f} {f1:>8.4f}")


def print_tags(settings: Settings) -> None:
    """Tags per category, a few distributions, and the propensity model against its baseline."""
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = _tables(con)
        if "marts.tag_catalog" not in tables:
            return
        by_category = con.execute(
            "select category, count(*), count(*) filter (where customers_with_value > 0) "
            "from marts.tag_catalog group by 1 order by 1"
        ).fetchall()
        as_of, customers = con.execute(
            "select max(as_of)::varchar, count(*) from marts.dim_customer_tags"
        ).fetchone()
        distributions = con.execute(
            "select tag_name, top_values from marts.tag_catalog "
            "where tag_name in ('lifecycle_stage', 'rfm_segment', 'email_engagement_level', "
            "'churn_risk') order by tag_name"
        ).fetchall()
        traits = con.execute(
            "select max(refresh_mode), count(*) filter (where was_recomputed) "
            "from intermediate.int_customer_traits"
        ).fetchone()
        features = con.execute(
            "select count(*), count(distinct as_of) from marts.fct_customer_features"
        ).fetchone()
        run = (
            con.execute(
                "select model_version, auc, baseline_auc, baseline_name, brier, n_train, n_test, "
                "test_cutoff::date::varchar from ml.model_runs order by trained_at desc limit 1"
            ).fetchone()
            if "ml.model_runs" in tables
            else None
        )
    print(f"\ntags as of {as_of} for {customers:,} customers (tags with values / defined)")
    for category, defined, with_values in by_category:
        print(f"  {category:<42} {with_values:>4} / {defined}")
    print(f"  traits refresh: {traits[0]}, customers recomputed {traits[1]:,}")
    print(f"  feature table: {features[0]:,} rows over {features[1]} as-of dates")
    for name, top in distributions:
        print(f"  {name}: {top}")
    if run:
        version, auc, baseline, baseline_name, brier, n_train, n_test, cutoff = run
        print(f"\npurchase propensity (30 days), model {version}, tested on the {cutoff} cut-off")
        print(f"  {'test AUC':<42} {auc:>10.4f}")
        print(f"  {'naive baseline AUC (' + baseline_name + ')':<42} {baseline:>10.4f}")
        print(f"  {'Brier score':<42} {brier:>10.4f}")
        print(f"  {'rows: train, test':<42} {n_train:>10,}, {n_test:,}")


def print_audiences(settings: Settings) -> None:
    """Consent per channel, audience sizes, and the recommendations' hold-out hit rate."""
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = _tables(con)
        if "marts.audience_summary" not in tables:
            return
        consent = con.execute(
            "select channel, count(*) filter (where consent_status = 'granted'), "
            "count(*) filter (where consent_status = 'withdrawn') "
            "from marts.dim_customer_consent group by 1 order by 1"
        ).fetchall()
        audiences = con.execute(
            "select audience_name, channel, members, eligible_without_consent "
            "from marts.audience_summary order by 1"
        ).fetchall()
        evaluation = (
            con.execute(
                "select method, k, customers_evaluated, hit_rate_at_k, cutoff_at::date::varchar "
                "from marts.recommendation_evaluation order by method"
            ).fetchall()
            if "marts.recommendation_evaluation" in tables
            else []
        )
    print("\nconsent in force per channel (customers granted, withdrawn)")
    for channel, granted, withdrawn in consent:
        print(f"  {channel:<42} {granted:>10,} {withdrawn:>10,}")
    print("\naudiences (members; matching the condition but held back for lack of consent)")
    for name, channel, members, held_back in audiences:
        print(f"  {name + ' (' + channel + ')':<48} {members:>8,} {held_back:>10,}")
    if evaluation:
        _, k, customers, _, cutoff = evaluation[0]
        print(f"\nrecommendations: hold-out hit rate@{k} after {cutoff}, {customers:,} customers")
        for method, _, _, hit_rate, _ in evaluation:
            print(f"  {method:<42} {hit_rate:>10.3f}")


def print_activation(settings: Settings, run_id: str) -> None:
    """What this run exported per destination and audience, and what each destination holds."""
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        if "activation.export_batches" not in _tables(con):
            return
        batches = con.execute(
            "select destination, audience_name, status, members_added, members_removed "
            "from activation.export_batches where run_id = ? order by 1, 2",
            [run_id],
        ).fetchall()
        exported = dict(
            ((destination, audience), count)
            for destination, audience, count in con.execute(
                "select destination, audience_name, count(*) from activation.exported_members "
                "group by all"
            ).fetchall()
        )
    print(f"\nactivation exports of this run (files under {settings.data_dir / 'exports'})")
    print(f"  {'destination / audience':<52} {'status':>8} {'added':>8} {'removed':>8} {'held':>8}")
    for destination, audience, status, added, removed in batches:
        held = exported.get((destination, audience), 0)
        name = f"{destination} / {audience}"
        print(f"  {name:<52} {status:>8} {added:>8,} {removed:>8,} {held:>8,}")


def print_published() -> None:
    """The published copy BI tools open: where, how big, and that it opens read-only."""
    from orchestration.publishing.settings import get_publish_settings
    from orchestration.publishing.verify import published_counts

    path = get_publish_settings().path
    if not path.exists():
        print("\npublished copy for BI: none (no successful run yet)")
        return
    run_id, counts, problems = published_counts(path)
    state = "opens read-only, row counts match" if not problems else "; ".join(problems)
    print(f"\npublished copy for BI: {path}")
    megabytes = path.stat().st_size / 1e6
    print(f"  {len(counts)} tables, {sum(counts.values()):,} rows, {megabytes:.0f} MB")
    print(f"  run {run_id}: {state}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cdp demo", description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000, help="people to simulate")
    parser.add_argument("--seed", type=int, default=42, help="random seed of the generator")
    parser.add_argument(
        "--keep", action="store_true", help="keep existing landing files, warehouse and dlt state"
    )
    args = parser.parse_args(argv)

    settings = get_settings()
    # Tags are computed as of the end of the sample data (its last day is DEFAULT_END_DATE), so
    # "days since" and lifecycle stages read the same whenever the demo runs.
    os.environ.setdefault(TAGS_AS_OF_VAR, (DEFAULT_END_DATE + timedelta(days=1)).isoformat())
    if not args.keep:
        reset_data(settings)
    timings = {"generate": generate_sample_data(settings, args.persons, args.seed)}
    started = time.perf_counter()
    result, step_seconds = run_all_assets()
    success = result.success
    timings.update({f"step {key}": seconds for key, seconds in step_seconds.items()})
    timings["dagster run (total, incl. start-up)"] = time.perf_counter() - started
    if success or settings.duckdb_path.exists():
        print_summary(settings, timings)
        print_staging(settings)
        print_identity(settings)
        print_tags(settings)
        print_audiences(settings)
        print_activation(settings, result.run_id)
    print_published()
    print_checks(result)
    print("\nrun", "succeeded" if success else "FAILED")
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main())
