"""Jobs: the whole graph, and ingestion alone (what the landing-file sensor requests)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from orchestration.translators import RAW_LAYER_TAG

# DuckDB allows one writer: every job runs its steps one after another in one process.
all_assets_job = define_asset_job(
    name="all_assets",
    selection=AssetSelection.all(),
    description=(
        "Load every source, build and test the dbt models, export audiences, then publish the "
        "BI copy."
    ),
    executor_def=in_process_executor,
)

ingestion_job = define_asset_job(
    name="ingestion",
    selection=AssetSelection.tag(*RAW_LAYER_TAG),
    description="Load the landing files of every source into the raw datasets.",
    executor_def=in_process_executor,
)
