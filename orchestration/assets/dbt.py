"""The dbt models (and their tests, as asset checks) built by one `dbt build` per run."""

import json
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, Config, Output
from dagster_dbt import DbtCliResource, dbt_assets

from ingestion.settings import get_settings
from orchestration.analysis.metadata import (
    cohort_summary,
    funnel_summary,
    lifetime_value_summary,
    recommendation_evaluation_summary,
    recommendations_summary,
    sessions_summary,
)
from orchestration.assets.warehouse import relation_row_counts, staging_quarantine_summary
from orchestration.audiences.metadata import (
    audience_summary_metadata,
    customer_consent_metadata,
)
from orchestration.identity.metadata import (
    customer_records_summary,
    excluded_identifiers_summary,
    identity_run_summary,
)
from orchestration.project import dbt_environment, dbt_project
from orchestration.tags.metadata import (
    feature_table_summary,
    tag_catalog_summary,
    traits_refresh_summary,
)
from orchestration.translators import CdpDbtTranslator

DBT_SELECT = "fqn:*"
# Models whose materialization carries more than a row count: name -> metadata of the built table.
MODEL_METADATA: dict[str, Callable[[Path, str, str], dict[str, Any]]] = {
    "int_rows_quarantined": staging_quarantine_summary,
    "int_identifiers_excluded": excluded_identifiers_summary,
    "dim_customer_records": customer_records_summary,
    "identity_run_metrics": identity_run_summary,
    "int_customer_traits": traits_refresh_summary,
    "tag_catalog": tag_catalog_summary,
    "fct_customer_features": feature_table_summary,
    "fct_sessions": sessions_summary,
    "conversion_funnel": funnel_summary,
    "cohort_retention_monthly": cohort_summary,
    "customer_lifetime_value": lifetime_value_summary,
    "audience_summary": audience_summary_metadata,
    "dim_customer_consent": customer_consent_metadata,
    "recommendation_evaluation": recommendation_evaluation_summary,
    "customer_recommendations": recommendations_summary,
}
KEEP_DBT_RUN_FOLDERS = 5
# Run tag that makes the identity graph's incremental components also be recomputed from scratch
# and compared (the weekly schedule sets it; a run config would have to name every dbt step).
VERIFY_IDENTITY_TAG = "cdp/verify_identity_full"


class DbtBuildConfig(Config):
    """Run configuration of the dbt step (set it in the launchpad)."""

    full_refresh: bool = False
    fail_fast: bool = False
    # Recompute the identity graph's components from scratch beside the incremental run and
    # fail if they differ (the weekly schedule sets it).
    verify_identity_full: bool = False
    # UTC time the tags are computed as of ('2026-12-01' or '2026-12-01 08:00'); empty: the
    # CDP_TAGS_AS_OF environment variable, else the run's start.
    tags_as_of: str = ""


def dbt_build_args(
    *,
    full_refresh: bool = False,
    fail_fast: bool = False,
    verify_identity_full: bool = False,
    tags_as_of: str = "",
) -> list[str]:
    """The `dbt` CLI arguments of one build; selection is added by dagster-dbt per run."""
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if fail_fast:
        args.append("--fail-fast")
    variables: dict[str, Any] = {}
    if verify_identity_full:
        variables["identity_verify_full"] = True
    if tags_as_of:
        variables["tags_as_of"] = tags_as_of
    if variables:
        args += ["--vars", json.dumps(variables)]
    return args


def prune_run_folders(folder: Path, keep: int = KEEP_DBT_RUN_FOLDERS) -> None:
    """Delete all but the newest ``keep`` per-run dbt target folders (~2 MB each)."""
    if not folder.is_dir():
        return
    runs = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:-keep] if keep else runs:
        shutil.rmtree(old, ignore_errors=True)


def with_model_metadata(
    events: list[Any], manifest: Mapping[str, Any], duckdb_path: Path
) -> Iterator[Any]:
    """The dbt events, with `dagster/row_count` (and MODEL_METADATA) added to each built model."""
    relations = {}
    names = {}
    for event in events:
        unique_id = _unique_id(event)
        node = manifest["nodes"].get(unique_id or "", {})
        if node.get("resource_type") in ("model", "seed", "snapshot"):
            relations[unique_id] = (node["schema"], node["alias"])
            names[unique_id] = node["name"]
    counts = relation_row_counts(duckdb_path, relations.values())
    for event in events:
        unique_id = _unique_id(event)
        if isinstance(event, Output) and relations.get(unique_id) in counts:
            schema, alias = relations[unique_id]
            extra = MODEL_METADATA.get(names[unique_id])
            yield event.with_metadata(
                {
                    **event.metadata,
                    "dagster/row_count": counts[(schema, alias)],
                    **(extra(duckdb_path, schema, alias) if extra else {}),
                }
            )
        else:
            yield event


def _unique_id(event: Any) -> str | None:
    value = (getattr(event, "metadata", None) or {}).get("unique_id")
    return getattr(value, "value", value)


if not dbt_project.manifest_path.is_file():
    raise FileNotFoundError(
        f"{dbt_project.manifest_path} does not exist: run `uv run cdp prepare` (dbt parse) before "
        "loading the definitions (`dagster dev` does it by itself)."
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=DBT_SELECT,
    dagster_dbt_translator=CdpDbtTranslator(),
)
def cdp_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    settings = get_settings()
    runs_folder = settings.data_dir / "dbt_runs"
    args = dbt_build_args(
        full_refresh=config.full_refresh,
        fail_fast=config.fail_fast,
        verify_identity_full=config.verify_identity_full
        or context.run.tags.get(VERIFY_IDENTITY_TAG) == "true",
        tags_as_of=config.tags_as_of,
    )
    with dbt_environment() as duckdb_path:
        duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        target_path = runs_folder / context.run.run_id
        invocation = dbt.cli(args, context=context, target_path=target_path, raise_on_error=False)
        # dbt's subprocess holds the DuckDB writer lock until it exits: count rows afterwards.
        events = list(invocation.stream())
    yield from with_model_metadata(events, invocation.manifest, duckdb_path)
    prune_run_folders(runs_folder)
    if not invocation.is_successful():
        raise invocation.get_error() or RuntimeError("dbt build failed")
