"""Build, check and run the dlt pipelines that load landing files into raw datasets.

One pipeline per source of ``sources.yml``: pipeline ``cdp_<source>``, dataset (DuckDB schema)
``raw_<source>``, all in the DuckDB file named by ``CDP_DUCKDB_PATH``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource

from ingestion.config import ConfigError, SourceConfig, load_sources_config
from ingestion.settings import Settings, get_settings
from ingestion.sources.landing import landing_source
from ingestion.sources.landing.readers import csv_header, parquet_columns
from ingestion.sources.landing.settings import LEDGER_TABLE, QUARANTINE_TABLE
from ingestion.sources.landing.shaping import warehouse_name

RAW_META_TABLES = (QUARANTINE_TABLE, LEDGER_TABLE)
# JSON records sampled per file to check that mapped keys exist at all.
_JSON_SAMPLE_LINES = 2000


def dataset_name(source_name: str) -> str:
    """DuckDB schema, dlt dataset, dbt source name and Dagster group of one source."""
    return f"raw_{source_name}"


def pipeline_name(source_name: str) -> str:
    return f"cdp_{source_name}"


def build_dlt_source(source_name: str, source: SourceConfig, landing_dir: Path) -> DltSource:
    return landing_source(source_name, source, landing_dir)


def make_pipeline(source_name: str, settings: Settings | None = None) -> dlt.Pipeline:
    """The pipeline of one source, writing to the project's DuckDB file."""
    settings = settings or get_settings()
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    pipelines_dir = settings.dlt_pipelines_dir
    working_dir = pipelines_dir / pipeline_name(source_name)
    if working_dir.exists() and not settings.duckdb_path.exists():
        # The warehouse was deleted (a rebuild from scratch): the local state would claim its files
        # are loaded and skip them all. Start over; the state lives in the warehouse anyway.
        shutil.rmtree(working_dir)
    return dlt.pipeline(
        pipeline_name=pipeline_name(source_name),
        destination=dlt.destinations.duckdb(str(settings.duckdb_path)),
        dataset_name=dataset_name(source_name),
        pipelines_dir=str(pipelines_dir),
    )


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Complete a load package left by a crashed run.

    ``pipeline.run`` would finish it too, but then ignore the new data with only a warning.
    """
    if pipeline.has_pending_data:
        pipeline.normalize()
        pipeline.load()


def _first_json_keys(path: Path, fmt: str) -> set[str] | None:
    """Top-level keys seen in the first records of a JSON file, or None if it cannot be parsed."""
    import json

    keys: set[str] = set()
    if fmt == "json":
        try:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # loaded as one quarantined row; not a configuration mistake
        items = document[:_JSON_SAMPLE_LINES] if isinstance(document, list) else []
    else:
        items = []
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle):
                if number >= _JSON_SAMPLE_LINES:
                    break
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    for item in items:
        if isinstance(item, dict):
            keys.update(item)
    return keys


def preflight(source_name: str, source: SourceConfig, landing_dir: Path) -> dict[str, list[Path]]:
    """Check every file of a source against its mapping before anything is loaded.

    Returns the files of each table. Raises ConfigError naming the source, table, file and field.
    """
    files: dict[str, list[Path]] = {}
    for entity_name, table in source.tables.items():
        where = f"source {source_name!r}, table {entity_name!r}"
        matched = table.files(landing_dir)
        if not matched:
            folder, pattern = table.resolve_glob(landing_dir)
            raise ConfigError(f"{where}: no file matches {pattern!r} in {folder}")
        for path in matched:
            if table.format in ("json", "jsonl"):
                present = _first_json_keys(path, table.format)
                if not present:
                    continue  # nothing readable: every line is quarantined, not a mapping error
                # Semi-structured records may omit optional keys; a required one must be there.
                entity = source.entity(entity_name)
                top_level = {
                    field: [column.split(".")[0] for column in mapping.column]
                    for field, mapping in table.mapping.items()
                    if entity.field(field).required
                }
            else:
                if table.format == "csv":
                    header = csv_header(path, table.csv_delimiter)
                else:
                    header = parquet_columns(path)
                _check_columns(where, path, header)
                present = set(header)
                top_level = {field: m.column for field, m in table.mapping.items()}
            for field, columns in top_level.items():
                if not present.intersection(columns):
                    raise ConfigError(
                        f"{where}, file {path}: mapped field {field!r} expects column "
                        f"{' or '.join(repr(c) for c in columns)}, which the file does not have "
                        f"(it has: {', '.join(sorted(present)) or 'no columns'})"
                    )
        files[entity_name] = matched
    return files


def _check_columns(where: str, path: Path, header: list[str]) -> None:
    seen: dict[str, str] = {}
    for column in header:
        name = warehouse_name(column)
        if name in seen:
            raise ConfigError(
                f"{where}, file {path}: columns {seen[name]!r} and {column!r} both become "
                f"{name!r} in the warehouse; rename one or map it explicitly"
            )
        seen[name] = column


def load_source(
    source_name: str, source: SourceConfig, settings: Settings | None = None
) -> LoadInfo:
    """Preflight, then load one source. Idempotent: loaded files are skipped, rows merged."""
    settings = settings or get_settings()
    preflight(source_name, source, settings.landing_dir)
    pipeline = make_pipeline(source_name, settings)
    finish_pending(pipeline)
    return pipeline.run(build_dlt_source(source_name, source, settings.landing_dir))


def load_all(settings: Settings | None = None) -> dict[str, LoadInfo]:
    """Load every source of sources.yml; all are preflighted before the first load starts."""
    settings = settings or get_settings()
    config = load_sources_config(settings.sources_config)
    for name, source in config.sources.items():
        preflight(name, source, settings.landing_dir)
    return {name: load_source(name, source, settings) for name, source in config.sources.items()}
