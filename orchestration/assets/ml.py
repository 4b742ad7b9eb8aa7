"""``ml.propensity_scores``: the purchase propensity model, retrained and rescored each run.

The asset reads the dbt models ``fct_customer_features`` and ``int_orders_attributed`` and
replaces its table each run; trained models are kept under ``<CDP_DATA_DIR>/models/<model>``.
"""

# No `from __future__ import annotations`: Dagster inspects the annotations of the asset
# function (context and config) at definition time.

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from ingestion.settings import Settings, get_settings
from orchestration.ml.propensity import (
    FEATURES_TABLE,
    HORIZON,
    MODEL_NAME,
    ORDERS_TABLE,
    SCORES_TABLE,
    PropensityResult,
    run_propensity,
)

FEATURES_KEY = AssetKey(list(FEATURES_TABLE))
ORDERS_KEY = AssetKey(list(ORDERS_TABLE))
PROPENSITY_SCORES_KEY = AssetKey(list(SCORES_TABLE))
BEATS_BASELINE_CHECK = "beats_naive_baseline"


class PropensityConfig(Config):
    """Run configuration: leave empty for the normal run."""

    data_end: str | None = Field(
        default=None,
        description=(
            "ISO timestamp with offset up to which orders are complete (default: the latest "
            "ordered_at); an earlier value backtests as of that day."
        ),
    )


def models_dir(settings: Settings) -> Path:
    """Where trained propensity models are saved, one folder per version."""
    return settings.data_dir / "models" / MODEL_NAME


def _day(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def calibration_markdown(result: PropensityResult) -> str:
    """The calibration table of the test cut-off (quantile bins of the score) as markdown."""
    lines = [
        "| bin | rows | mean predicted | observed rate |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for number, row in enumerate(result.calibration, start=1):
        lines.append(
            f"| {number} | {row.rows} | {row.mean_predicted:.4f} | {row.observed_rate:.4f} |"
        )
    return "\n".join(lines)


def propensity_metadata(result: PropensityResult) -> dict[str, Any]:
    """Materialization metadata: test metrics, baselines, the split, the model and its file."""
    return {
        "dagster/row_count": result.n_scored,
        "auc": round(result.auc, 5),
        "baseline_auc": round(result.baseline_auc, 5),
        "baseline_name": result.baseline_name,
        "baseline_aucs": MetadataValue.json(
            {name: round(auc, 5) for name, auc in result.baseline_aucs.items()}
        ),
        "brier": round(result.brier, 6),
        "train_positive_rate": round(result.train_positive_rate, 5),
        "test_positive_rate": round(result.test_positive_rate, 5),
        "mean_score": round(result.mean_score, 5),
        "n_train": result.n_train,
        "n_test": result.n_test,
        "train_cutoffs": MetadataValue.json([_day(c) for c in result.train_cutoffs]),
        "test_cutoff": _day(result.test_cutoff),
        "scored_as_of": _day(result.score_cutoff),
        "data_end": _day(result.data_end),
        "ignored_cutoffs": MetadataValue.json([_day(c) for c in result.ignored_cutoffs]),
        "model_version": result.model_version,
        "model_path": MetadataValue.path(str(result.model_path)),
        "features": MetadataValue.json(list(result.features)),
        "calibration": MetadataValue.md(calibration_markdown(result)),
        "seconds": result.seconds,
    }


def build_ml_assets() -> list[AssetsDefinition]:
    """The purchase propensity asset with its beats-the-baseline check."""

    @asset(
        key=PROPENSITY_SCORES_KEY,
        deps=[FEATURES_KEY, ORDERS_KEY],
        group_name="ml",
        kinds={"scikit-learn", "duckdb"},
        tags={"cdp/layer": "ml"},
        metadata={"dagster/table_name": ".".join(SCORES_TABLE)},
        check_specs=[
            AssetCheckSpec(
                BEATS_BASELINE_CHECK,
                asset=PROPENSITY_SCORES_KEY,
                description=(
                    "Test AUC of the model above the better naive baseline's (orders_count_365d "
                    "or -days_since_last_order, else 0.5)."
                ),
            )
        ],
        description=(
            "One row per customer scored at the newest as_of of marts.fct_customer_features: "
            f"score, the probability of a not-cancelled order in the next {HORIZON.days} days, "
            "and decile (ntile over score desc then unified_customer_id; 10 = most likely), "
            f"with model_name '{MODEL_NAME}' and model_version. Label of a (customer, as_of) "
            "row: 1 if intermediate.int_orders_attributed holds a not-cancelled order with "
            f"as_of < ordered_at <= as_of + {HORIZON.days} days. Split by time: cut-offs with "
            f"as_of + {HORIZON.days} days <= data end (the latest ordered_at) are labelled; the "
            "latest labelled one is the test set, the earlier ones train a seeded "
            "HistGradientBoostingClassifier (nulls handled natively). The model is saved under a "
            "content-addressed version (same training data, same version) and each run is "
            "recorded in ml.model_runs. Fewer than 2 labelled cut-offs fail the run."
        ),
    )
    def ml_propensity_scores(
        context: AssetExecutionContext, config: PropensityConfig
    ) -> MaterializeResult:
        settings = get_settings()
        data_end = datetime.fromisoformat(config.data_end) if config.data_end else None
        # DuckDB allows one writer: hold the file only while this asset runs.
        with duckdb.connect(str(settings.duckdb_path)) as con:
            result = run_propensity(con, models_dir(settings), data_end=data_end)
        context.log.info(
            "model %s: test AUC %.4f vs %s %.4f, %d customers scored in %.1f s",
            result.model_version,
            result.auc,
            result.baseline_name,
            result.baseline_auc,
            result.n_scored,
            result.seconds,
        )
        return MaterializeResult(
            metadata=propensity_metadata(result),
            check_results=[
                AssetCheckResult(
                    check_name=BEATS_BASELINE_CHECK,
                    passed=result.beats_baseline,
                    severity=AssetCheckSeverity.ERROR,
                    metadata={
                        "auc": round(result.auc, 5),
                        "baseline_auc": round(result.baseline_auc, 5),
                        "baseline_name": result.baseline_name,
                        "auc_lift": round(result.auc - result.baseline_auc, 5),
                    },
                )
            ],
        )

    return [ml_propensity_scores]
