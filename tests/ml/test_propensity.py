"""Purchase propensity: the time split, labels, deciles, versions and one run on tiny tables.

Everything runs on in-memory DuckDB tables built here; no dbt, no Dagster, no warehouse file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.ml.propensity import (
    DECILES,
    MODEL_NAME,
    CutoffSplit,
    PropensityDataError,
    assign_deciles,
    baseline_aucs,
    calibration_table,
    feature_columns,
    headline_baseline,
    load_rows,
    model_version,
    run_propensity,
    split_cutoffs,
)

JAN, FEB, MAR, APR = (
    datetime(2026, 1, 31, tzinfo=UTC),
    datetime(2026, 2, 28, tzinfo=UTC),
    datetime(2026, 3, 31, tzinfo=UTC),
    datetime(2026, 4, 30, tzinfo=UTC),
)
# Small trees and few iterations: the run test checks plumbing, not accuracy.
FAST_PARAMS = {"max_iter": 15, "max_leaf_nodes": 7, "min_samples_leaf": 20, "random_state": 0}


# --- split -------------------------------------------------------------------------------------


def test_split_cutoffs_trains_on_older_labelled_tests_latest_scores_newest() -> None:
    # Data to 5 April: Jan and Feb windows are over, March's (to 30 April) is not.
    split = split_cutoffs([APR, FEB, JAN, MAR], datetime(2026, 4, 5, tzinfo=UTC))
    assert split == CutoffSplit(train=(JAN,), test=FEB, score=APR, ignored=(MAR,))


def test_split_cutoffs_window_ending_exactly_at_data_end_is_labelled() -> None:
    split = split_cutoffs([JAN, FEB, MAR, APR], MAR + timedelta(days=30))
    assert split.train == (JAN, FEB)
    assert split.test == MAR
    assert split.score == APR
    assert split.ignored == ()


def test_split_cutoffs_compares_instants_across_time_zones() -> None:
    shanghai = timezone(timedelta(hours=8))
    cutoffs = [JAN.astimezone(shanghai), FEB.astimezone(shanghai), APR]
    split = split_cutoffs(cutoffs, datetime(2026, 4, 1, 8, tzinfo=shanghai))
    assert split.train == (JAN,)
    assert split.test == FEB
    assert all(moment.tzinfo == UTC for moment in (*split.train, split.test, split.score))


def test_split_cutoffs_fewer_than_two_labelled_is_an_error() -> None:
    with pytest.raises(PropensityDataError, match="1 labelled as_of cut-off"):
        split_cutoffs([JAN, FEB, APR], FEB + timedelta(days=29))
    with pytest.raises(PropensityDataError, match="0 labelled"):
        split_cutoffs([], APR)


def test_split_cutoffs_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        split_cutoffs([datetime(2026, 1, 31), FEB], APR)


# --- input -------------------------------------------------------------------------------------


def _con_with_orders(
    orders: list[tuple[str, str, datetime, bool | None]],
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute("create schema marts")
    con.execute(
        "create table intermediate.int_orders_attributed (unified_customer_id varchar, "
        "order_id varchar, ordered_at timestamptz, is_cancelled boolean, status varchar)"
    )
    if orders:
        con.executemany(
            "insert into intermediate.int_orders_attributed values (?, ?, ?, ?, 'x')", orders
        )
    return con


def test_load_rows_labels_orders_in_the_window_only() -> None:
    window_end = JAN + timedelta(days=30)
    con = _con_with_orders(
        [
            ("at_cutoff", "o1", JAN, False),  # as_of < ordered_at: not in the window
            ("at_window_end", "o2", window_end, False),  # <= as_of + 30 days: in
            ("after_window", "o3", window_end + timedelta(seconds=1), False),
            ("cancelled", "o4", JAN + timedelta(days=3), True),
            ("unknown_status", "o5", JAN + timedelta(days=3), None),  # null is not cancelled
        ]
    )
    con.execute(
        "create table marts.fct_customer_features (unified_customer_id varchar, "
        "as_of timestamptz, is_member boolean, orders_count_365d bigint)"
    )
    customers = ["at_cutoff", "at_window_end", "after_window", "cancelled", "unknown_status"]
    con.executemany(
        "insert into marts.fct_customer_features values (?, ?, ?, ?)",
        [(customer, JAN, True, None) for customer in customers],
    )
    features = feature_columns(con)
    rows = load_rows(con, features, [JAN]).set_index("unified_customer_id")
    assert rows["label"].to_dict() == {
        "after_window": 0,
        "at_cutoff": 0,
        "at_window_end": 1,
        "cancelled": 0,
        "unknown_status": 1,
    }
    assert rows["is_member"].eq(1.0).all()  # booleans as 0/1
    assert rows["orders_count_365d"].isna().all()  # nulls stay NaN for the model


def test_load_rows_rejects_duplicate_customer_as_of() -> None:
    con = _con_with_orders([])
    con.execute(
        "create table marts.fct_customer_features as "
        "select 'c1' as unified_customer_id, ?::timestamptz as as_of, 1 as x "
        "union all select 'c1', ?::timestamptz, 2",
        [JAN, JAN],
    )
    with pytest.raises(PropensityDataError, match="1 duplicated"):
        load_rows(con, ["x"], [JAN])


def test_feature_columns_sorted_and_text_rejected() -> None:
    con = _con_with_orders([])
    con.execute(
        "create table marts.fct_customer_features (unified_customer_id varchar, "
        "as_of timestamptz, z_amount decimal(18, 4), a_flag boolean, m_count integer)"
    )
    assert feature_columns(con) == ["a_flag", "m_count", "z_amount"]
    con.execute("alter table marts.fct_customer_features add column segment varchar")
    with pytest.raises(PropensityDataError, match=r"segment \(VARCHAR\)"):
        feature_columns(con)


def test_feature_columns_missing_table_says_build_it() -> None:
    with pytest.raises(PropensityDataError, match="build the dbt model"):
        feature_columns(duckdb.connect())


# --- deciles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 7, 10, 23, 101])
def test_assign_deciles_matches_sql_ntile_with_ties_broken_by_id(rows: int) -> None:
    rng = np.random.default_rng(rows)
    scored = pd.DataFrame(
        {
            "unified_customer_id": [f"c{i:04d}" for i in rng.permutation(rows)],
            "score": rng.choice([0.1, 0.2, 0.5, 0.9], size=rows),  # many ties
        }
    )
    expected = (
        duckdb.sql(
            "select unified_customer_id, "
            "11 - ntile(10) over (order by score desc, unified_customer_id) as decile "
            "from scored"
        )
        .df()
        .set_index("unified_customer_id")["decile"]
    )
    deciles = assign_deciles(scored)
    actual = pd.Series(deciles.to_numpy(), index=scored["unified_customer_id"])
    assert actual.sort_index().tolist() == expected.sort_index().tolist()
    assert deciles.max() == DECILES  # the highest score is in decile 10


def test_assign_deciles_same_for_any_input_order() -> None:
    scored = pd.DataFrame(
        {"unified_customer_id": [f"c{i:02d}" for i in range(30)], "score": [0.5] * 30}
    )
    shuffled = scored.sample(frac=1.0, random_state=1)
    first = dict(zip(scored["unified_customer_id"], assign_deciles(scored), strict=True))
    second = dict(zip(shuffled["unified_customer_id"], assign_deciles(shuffled), strict=True))
    assert first == second
    # All tied: the smallest ids take the top decile.
    assert first["c00"] == 10 and first["c29"] == 1


# --- metrics and version -----------------------------------------------------------------------


def test_calibration_table_counts_every_row() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=500)
    labels = (rng.uniform(size=500) < scores).astype(int)
    table = calibration_table(labels, scores)
    assert len(table) == 10
    assert sum(row.rows for row in table) == 500
    assert all(0 <= row.observed_rate <= 1 for row in table)


def test_baselines_rank_nulls_lowest_and_headline_is_the_better() -> None:
    test = pd.DataFrame(
        {
            "label": [1, 1, 0, 0],
            "orders_count_365d": [3.0, 1.0, 2.0, np.nan],
            "days_since_last_order": [5.0, 10.0, 20.0, np.nan],  # never ordered: least recent
        }
    )
    aucs = baseline_aucs(test)
    assert aucs == {"orders_count_365d": 0.75, "-days_since_last_order": 1.0}
    assert headline_baseline(aucs) == ("-days_since_last_order", 1.0)
    assert headline_baseline({}) == ("random", 0.5)


def test_model_version_is_a_function_of_the_training_data_only() -> None:
    args = (["a", "b"], {"max_iter": 10}, [JAN, FEB], 1000, 70)
    version = model_version(*args)
    assert len(version) == 12
    assert model_version(*args) == version
    shanghai = timezone(timedelta(hours=8))
    same_instants = [JAN.astimezone(shanghai), FEB.astimezone(shanghai)]
    assert model_version(["a", "b"], {"max_iter": 10}, same_instants, 1000, 70) == version
    changed = [
        model_version(["a"], {"max_iter": 10}, [JAN, FEB], 1000, 70),
        model_version(["a", "b"], {"max_iter": 11}, [JAN, FEB], 1000, 70),
        model_version(["a", "b"], {"max_iter": 10}, [JAN], 1000, 70),
        model_version(["a", "b"], {"max_iter": 10}, [JAN, FEB], 1001, 70),
        model_version(["a", "b"], {"max_iter": 10}, [JAN, FEB], 1000, 71),
    ]
    assert version not in changed and len(set(changed)) == len(changed)


# --- one run -----------------------------------------------------------------------------------


def _synthetic_warehouse(
    cutoffs: list[datetime], customers: int = 300
) -> duckdb.DuckDBPyConnection:
    """Customers whose activity feature drives their chance of ordering after each cut-off."""
    rng = np.random.default_rng(7)
    features, orders = [], []
    for cutoff in cutoffs:
        for number in range(customers):
            customer = f"cus_{number:04d}"
            activity = rng.poisson(2.0)
            features.append((customer, cutoff, activity, int(rng.integers(0, 5)), rng.uniform()))
            if rng.uniform() < 0.05 + 0.12 * activity:
                when = cutoff + timedelta(days=float(rng.uniform(0.5, 29.5)))
                orders.append((customer, f"o{len(orders)}", when, bool(rng.uniform() < 0.1)))
    con = _con_with_orders(orders)
    con.execute(
        "create table marts.fct_customer_features (unified_customer_id varchar, "
        "as_of timestamptz, events_count_30d integer, orders_count_365d bigint, noise double)"
    )
    con.executemany("insert into marts.fct_customer_features values (?, ?, ?, ?, ?)", features)
    return con


def test_run_propensity_writes_scores_and_one_run_row_per_version(tmp_path: Path) -> None:
    con = _synthetic_warehouse([JAN, FEB, MAR, APR])
    now = datetime(2026, 5, 1, tzinfo=UTC)
    data_end = MAR + timedelta(days=30)
    first = run_propensity(con, tmp_path, data_end=data_end, now=now, params=FAST_PARAMS)
    second = run_propensity(con, tmp_path, data_end=data_end, now=now, params=FAST_PARAMS)

    assert second.model_version == first.model_version  # same data, same version
    assert (first.train_cutoffs, first.test_cutoff, first.score_cutoff) == ((JAN, FEB), MAR, APR)
    assert (first.n_train, first.n_test, first.n_scored) == (600, 300, 300)
    assert first.auc > 0.5 and first.baseline_name == "orders_count_365d"
    assert first.model_path == tmp_path / first.model_version / "model.joblib"
    saved = json.loads((first.model_path.parent / "metadata.json").read_text(encoding="utf-8"))
    assert saved["model_version"] == first.model_version
    assert saved["features"] == ["events_count_30d", "noise", "orders_count_365d"]

    scores = con.sql(
        "select model_name, model_version, as_of, count(*) as n, min(decile), max(decile) "
        "from ml.propensity_scores group by all"
    ).fetchall()
    assert scores == [(MODEL_NAME, first.model_version, APR, 300, 1, 10)]
    runs = con.sql("select model_version, as_of, n_train, train_cutoffs from ml.model_runs")
    assert runs.fetchall() == [(first.model_version, APR, 600, [JAN.isoformat(), FEB.isoformat()])]


def test_run_propensity_needs_two_labelled_cutoffs(tmp_path: Path) -> None:
    con = _synthetic_warehouse([FEB, APR], customers=20)
    with pytest.raises(PropensityDataError, match="at least 2"):
        run_propensity(con, tmp_path, data_end=FEB + timedelta(days=30))
    assert not list(tmp_path.iterdir())  # nothing saved
