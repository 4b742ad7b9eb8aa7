"""One multi-asset per source of sources.yml: its raw tables plus the dataset's meta tables.

The specs come from the configuration alone (no dlt source, pipeline or file is touched while the
definitions load); the dlt source and pipeline are built when the asset runs, from the settings
(environment) of that moment.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, multi_asset
from dagster_dlt import DagsterDltResource

from ingestion.config import SourceConfig, SourcesConfig, load_sources_config
from ingestion.pipeline import (
    RAW_META_TABLES,
    build_dlt_source,
    dataset_name,
    finish_pending,
    make_pipeline,
    preflight,
)
from ingestion.settings import get_settings
from orchestration.assets.warehouse import meta_table_summary, table_row_counts
from orchestration.translators import CdpDltTranslator


def build_source_assets(source_name: str, source: SourceConfig) -> AssetsDefinition:
    """The multi-asset that loads every table of one source in one dlt run."""
    translator = CdpDltTranslator(source_name=source_name, kind=source.kind)
    tables = [*source.tables, *RAW_META_TABLES]
    specs = [translator.table_spec(table) for table in tables]
    dataset = dataset_name(source_name)

    @multi_asset(
        name=f"load_{dataset}",
        specs=specs,
        can_subset=False,  # one source is one dlt load: entity and meta tables change together
        description=f"Load the landing files of source {source_name!r} into DuckDB ({dataset}).",
    )
    def _load(
        context: AssetExecutionContext, dlt: DagsterDltResource
    ) -> Iterator[MaterializeResult]:
        settings = get_settings()
        files = preflight(source_name, source, settings.landing_dir)  # fails before any load
        context.log.info("%s: %s", dataset, {entity: len(paths) for entity, paths in files.items()})
        pipeline = make_pipeline(source_name, settings)
        finish_pending(pipeline)
        started_at = datetime.now(UTC)
        results = list(
            dlt.run(
                context=context,
                dlt_source=build_dlt_source(source_name, source, settings.landing_dir),
                dlt_pipeline=pipeline,
                dagster_dlt_translator=translator,
            )
        )
        # The run is this process's only DuckDB writer and dlt has closed its connection.
        counts = table_row_counts(settings.duckdb_path, dataset, tables)
        for result in results:
            table = result.asset_key.path[-1]
            yield MaterializeResult(
                asset_key=result.asset_key,
                metadata={**(result.metadata or {}), "dagster/row_count": counts.get(table, 0)},
            )
        found = sum(len(paths) for paths in files.values())
        summaries = meta_table_summary(settings.duckdb_path, dataset, started_at, found)
        for table in RAW_META_TABLES:
            yield MaterializeResult(
                asset_key=translator.table_spec(table).key,
                metadata={"dagster/row_count": counts.get(table, 0), **summaries.get(table, {})},
            )

    return _load


def build_ingestion_assets(config: SourcesConfig | None = None) -> list[AssetsDefinition]:
    """One multi-asset per source of the sources file (``CDP_SOURCES_CONFIG``)."""
    config = config or load_sources_config()
    return [build_source_assets(name, source) for name, source in config.sources.items()]
