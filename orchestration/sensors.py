"""A sensor that starts the ingestion job when landing files appear or change.

It only lists files (path, size, mtime): it never opens DuckDB, so it cannot collide with a run
that holds the warehouse's single writer lock.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from ingestion.config import ConfigError, SourcesConfig, load_sources_config
from ingestion.settings import get_settings
from orchestration.jobs import ingestion_job


def landing_files(config: SourcesConfig, landing_dir: Path) -> list[Path]:
    """Every file under the landing folder that a table of the sources file would load."""
    found = {
        path
        for source in config.sources.values()
        for table in source.tables.values()
        for path in table.files(landing_dir)
    }
    return sorted(found)


def fingerprint(paths: list[Path]) -> str:
    """A digest of (path, size, mtime) of the files: changes when any file is added or changed."""
    digest = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        digest.update(f"{path}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@sensor(
    job=ingestion_job,
    minimum_interval_seconds=60,
    description="Requests the ingestion job when files matching sources.yml land or change.",
)
def landing_files_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    settings = get_settings()
    try:
        config = load_sources_config(settings.sources_config)
    except ConfigError as error:
        return SkipReason(f"sources configuration is invalid: {error}")
    paths = landing_files(config, settings.landing_dir)
    if not paths:
        return SkipReason(f"no landing files under {settings.landing_dir}")
    current = fingerprint(paths)
    if current == context.cursor:
        return SkipReason(f"{len(paths)} landing files, unchanged since the last run request")
    return SensorResult(
        run_requests=[RunRequest(run_key=current, tags={"cdp/landing_files": str(len(paths))})],
        cursor=current,
    )
