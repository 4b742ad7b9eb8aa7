"""``identity.probabilistic_pairs``: Splink matching of profiles the deterministic step left apart.

The asset reads the dbt model ``int_identity_profiles`` and replaces its table each run; the
configuration is ``identity_matching.yml`` (read at run time, so an edit needs no reload), the
trained models are kept under ``<CDP_DATA_DIR>/models/identity``.
"""

from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ingestion.settings import Settings, get_settings
from orchestration.identity.matching_config import load_matching_config
from orchestration.identity.probabilistic import (
    OUTPUT_TABLE,
    MatchingResult,
    run_probabilistic_matching,
)

# The key CdpDbtTranslator gives the dbt model (dagster-dbt's default: [schema, model name], the
# schema coming from `+schema: intermediate` in dbt_project.yml).
IDENTITY_PROFILES_KEY = AssetKey(["intermediate", "int_identity_profiles"])
PROBABILISTIC_PAIRS_KEY = AssetKey(list(OUTPUT_TABLE))


def models_dir(settings: Settings) -> Path:
    """Where trained matching models are saved, one JSON per version, with an index."""
    return settings.data_dir / "models" / "identity"


def matching_metadata(result: MatchingResult) -> dict[str, Any]:
    """Materialization metadata: counts per status, the model, thresholds, training, timings."""
    metadata: dict[str, Any] = {
        "dagster/row_count": sum(result.pairs_by_status.values()),
        **{f"pairs_{status}": count for status, count in result.pairs_by_status.items()},
        "profile_records": result.records,
        "model_version": result.model_version or "none (not trained)",
        "match_threshold": result.match_threshold,
        "review_threshold": result.review_threshold,
        "candidate_pairs_by_rule": MetadataValue.json(result.candidate_pairs_by_rule),
        "training_pairs_by_rule": MetadataValue.json(result.training_pairs_by_rule),
        "seconds": result.seconds,
        "seconds_by_step": MetadataValue.json(result.seconds_by_step),
    }
    if result.model_path is not None:
        metadata["model_path"] = MetadataValue.path(str(result.model_path))
    if result.probability_two_random_records_match is not None:
        metadata["probability_two_random_records_match"] = (
            result.probability_two_random_records_match
        )
    if result.training:
        metadata["m_u_by_comparison_level"] = MetadataValue.json(result.training)
    if result.skipped_reason:
        metadata["skipped_reason"] = result.skipped_reason
    return metadata


def build_probabilistic_assets(config_path: Path | None = None) -> list[AssetsDefinition]:
    """The probabilistic pairs asset; ``config_path`` defaults to CDP_IDENTITY_MATCHING_CONFIG."""

    @asset(
        key=PROBABILISTIC_PAIRS_KEY,
        deps=[IDENTITY_PROFILES_KEY],
        group_name="identity",
        kinds={"splink", "duckdb"},
        tags={"cdp/layer": "identity"},
        metadata={"dagster/table_name": ".".join(OUTPUT_TABLE)},
        description=(
            "One row per pair of profile records in different deterministic clusters that the "
            "Splink model (identity_matching.yml) scores at or above review_threshold: "
            "match_probability, match_weight and status 'accepted' (>= match_threshold), "
            "'review', or 'rejected_hard_id_conflict' (accepting it would give one customer two "
            "hard ids; decided by a greedy union-find over clusters in descending probability). "
            "The model is retrained each run (seeded, so the same profiles give the same model) "
            "and saved under a content-addressed model_version. Fewer profiles than "
            "training.min_records, or no candidate pairs: an empty table."
        ),
    )
    def identity_probabilistic_pairs(context: AssetExecutionContext) -> MaterializeResult:
        settings = get_settings()
        config = load_matching_config(config_path)
        with duckdb.connect(str(settings.duckdb_path)) as con:
            result = run_probabilistic_matching(con, config, models_dir(settings))
        if result.skipped_reason:
            context.log.warning("probabilistic matching skipped: %s", result.skipped_reason)
        context.log.info(
            "model %s: %s pairs by status in %.1f s",
            result.model_version,
            result.pairs_by_status,
            result.seconds,
        )
        return MaterializeResult(metadata=matching_metadata(result))

    return [identity_probabilistic_pairs]
