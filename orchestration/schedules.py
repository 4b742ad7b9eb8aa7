"""Schedules."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import all_assets_job

daily_schedule = ScheduleDefinition(
    name="daily_all_assets",
    job=all_assets_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Load everything and rebuild the models every day at 03:00 UTC.",
)
