"""Build and run the pipeline of the reference tables: after the raw loads, before dbt.

Today one table, ``reference.phone_numbers`` (see ``ingestion/sources/phone_numbers``), written by
pipeline ``cdp_reference_phone_numbers`` into dataset ``reference`` of the warehouse.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import dlt
from dlt.common.pipeline import LoadInfo

from ingestion.config import SourcesConfig, load_sources_config
from ingestion.pipeline import finish_pending
from ingestion.settings import Settings, get_settings
from ingestion.sources.phone_numbers import phone_numbers_source
from ingestion.sources.phone_numbers.settings import DATASET_NAME, PIPELINE_NAME, TABLE_NAME


@dataclass(frozen=True)
class PhoneNumbersLoad:
    """What one run of the phone step did."""

    pairs_parsed: int
    load_info: LoadInfo


def make_reference_pipeline(settings: Settings | None = None) -> dlt.Pipeline:
    """The pipeline writing ``reference.phone_numbers`` into the project's DuckDB file."""
    settings = settings or get_settings()
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    working_dir = settings.dlt_pipelines_dir / PIPELINE_NAME
    if working_dir.exists() and not settings.duckdb_path.exists():
        # The warehouse was deleted: local state and schema would describe tables that are gone.
        shutil.rmtree(working_dir)
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination=dlt.destinations.duckdb(str(settings.duckdb_path)),
        dataset_name=DATASET_NAME,
        pipelines_dir=str(settings.dlt_pipelines_dir),
    )


def load_phone_numbers(
    settings: Settings | None = None,
    config: SourcesConfig | None = None,
    workers: int | None = None,
) -> PhoneNumbersLoad:
    """Parse the phones of the raw tables that are not parsed yet; idempotent."""
    settings = settings or get_settings()
    config = config or load_sources_config(settings.sources_config)
    pipeline = make_reference_pipeline(settings)
    finish_pending(pipeline)
    load_info = pipeline.run(
        phone_numbers_source(config, settings.duckdb_path, workers=workers),
    )
    row_counts = pipeline.last_trace.last_normalize_info.row_counts
    return PhoneNumbersLoad(pairs_parsed=row_counts.get(TABLE_NAME, 0), load_info=load_info)
