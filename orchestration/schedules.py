"""Schedules."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.assets.dbt import VERIFY_IDENTITY_TAG
from orchestration.jobs import all_assets_job

daily_schedule = ScheduleDefinition(
    name="daily_all_assets",
    job=all_assets_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Load everything and rebuild the models every day at 03:00 UTC.",
)

weekly_identity_check_schedule = ScheduleDefinition(
    name="weekly_identity_full_check",
    job=all_assets_job,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    tags={VERIFY_IDENTITY_TAG: "true"},
    description=(
        "Sundays at 04:00 UTC: the whole graph, with every incremental connected-components "
        "model of the identity graph also recomputed from scratch and compared; the run fails "
        "if the partitions differ."
    ),
)
