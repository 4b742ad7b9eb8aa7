"""The Dagster code location: assembles assets, jobs, schedules, sensors and resources."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.assets.activation import build_activation_assets
from orchestration.assets.dbt import cdp_dbt_assets
from orchestration.assets.identity import identity_accuracy_asset
from orchestration.assets.ingestion import build_ingestion_assets
from orchestration.assets.ml import build_ml_assets
from orchestration.assets.probabilistic import build_probabilistic_assets
from orchestration.assets.publishing import build_publishing_assets
from orchestration.assets.reference import build_reference_assets
from orchestration.checks import build_gx_checks
from orchestration.jobs import all_assets_job, ingestion_job
from orchestration.resources import build_resources
from orchestration.schedules import daily_schedule, weekly_identity_check_schedule
from orchestration.sensors import landing_files_sensor

defs = Definitions(
    assets=[
        *build_ingestion_assets(),
        *build_reference_assets(),
        cdp_dbt_assets,
        *build_probabilistic_assets(),
        identity_accuracy_asset,
        *build_ml_assets(),
        *build_activation_assets(),
        *build_publishing_assets(),
    ],
    asset_checks=build_gx_checks(),
    jobs=[all_assets_job, ingestion_job],
    schedules=[daily_schedule, weekly_identity_check_schedule],
    sensors=[landing_files_sensor],
    resources=build_resources(),
    executor=in_process_executor,
)
