"""``bi/published_copy``: the marts copied into the read-only DuckDB file BI tools open.

The asset depends on every dbt model and snapshot in the published schemas (read from the dbt
manifest, so a new mart is picked up without editing this file) and on the Python assets that
write into those schemas. Dagster therefore runs it after them, and skips it when one of them
failed or a blocking check on one of them failed: the last good copy then stays in place.
"""

# No `from __future__ import annotations`: Dagster inspects the annotation of the context
# parameter at definition time.

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ingestion.settings import get_settings
from orchestration.publishing.settings import get_publish_settings
from orchestration.publishing.verify import verify_published
from orchestration.publishing.writer import META_TABLE, Publication, publish

PUBLISHED_COPY_KEY = AssetKey(["bi", "published_copy"])
MATCHES_LIVE_CHECK = "matches_live_marts"
# dbt resources that become tables in a schema: what the manifest can say writes the marts.
_TABLE_RESOURCES = ("model", "snapshot", "seed")


def dbt_keys_in_schemas(
    manifest: Mapping[str, Any], translator: Any, schemas: Iterable[str]
) -> list[AssetKey]:
    """Asset keys of the enabled dbt models, snapshots and seeds built into ``schemas``."""
    wanted = set(schemas)
    keys = {
        translator.get_asset_key(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] in _TABLE_RESOURCES
        and node["schema"] in wanted
        and node.get("config", {}).get("enabled", True)
    }
    return sorted(keys, key=lambda key: key.to_user_string())


def published_schema_dbt_keys(
    dbt_assets: AssetsDefinition, schemas: Iterable[str]
) -> list[AssetKey]:
    """The keys of ``dbt_assets`` (a ``@dbt_assets`` definition) whose tables are in ``schemas``."""
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([dbt_assets])
    return [
        key for key in dbt_keys_in_schemas(manifest, translator, schemas) if key in dbt_assets.keys
    ]


def tables_markdown(publication: Publication) -> str:
    lines = ["| table | source | rows | cast for 1.x |", "| --- | --- | ---: | --- |"]
    for table in publication.tables:
        casts = ", ".join(table.cast_columns) or ""
        lines.append(f"| {table.schema}.{table.name} | {table.kind} | {table.rows} | {casts} |")
    return "\n".join(lines)


def publication_metadata(publication: Publication) -> dict[str, Any]:
    """Materialization metadata: where the copy is, what it holds, how it was written."""
    return {
        "path": MetadataValue.path(str(publication.path)),
        "dagster/row_count": publication.total_rows,
        "tables": MetadataValue.md(tables_markdown(publication)),
        "table_count": len(publication.tables),
        "bytes": publication.bytes,
        "storage_version": publication.storage_version,
        "published_at": publication.published_at.isoformat(timespec="seconds"),
        "seconds": publication.seconds,
        "cast_columns": MetadataValue.json(
            {
                f"{table.schema}.{table.name}": list(table.cast_columns)
                for table in publication.tables
                if table.cast_columns
            }
        ),
    }


def build_publishing_assets(
    dbt_assets: AssetsDefinition | None = None,
    extra_deps: Sequence[AssetKey] = (),
    deps: Sequence[AssetKey] | None = None,
) -> list[AssetsDefinition]:
    """The published-copy asset with its check.

    Args:
        dbt_assets: the ``@dbt_assets`` definition whose models in the published schemas are
            upstream (default: the project's ``cdp_dbt_assets``).
        extra_deps: Python assets that also write into the published schemas (e.g.
            ``AssetKey(["activation", "audience_exports"])``): publication waits for them too.
        deps: replaces the deps taken from ``dbt_assets`` (tests build small graphs with it).
    """
    schemas = get_publish_settings().schemas
    if deps is None:
        if dbt_assets is None:
            from orchestration.assets.dbt import cdp_dbt_assets

            dbt_assets = cdp_dbt_assets
        deps = published_schema_dbt_keys(dbt_assets, schemas)
    upstream = list(dict.fromkeys([*deps, *extra_deps]))

    @asset(
        key=PUBLISHED_COPY_KEY,
        deps=upstream,
        group_name="bi",
        kinds={"duckdb"},
        tags={"cdp/layer": "bi"},
        check_specs=[
            AssetCheckSpec(
                MATCHES_LIVE_CHECK,
                asset=PUBLISHED_COPY_KEY,
                description=(
                    "The published file opens read-only, and holds the same tables with the "
                    "same row counts as the published schemas of the live warehouse."
                ),
            )
        ],
        description=(
            "A read-only copy of the warehouse's published schemas "
            f"({', '.join(schemas)}; CDP_PUBLISHED_SCHEMAS) for BI tools, at CDP_PUBLISHED_PATH "
            "(default <CDP_DATA_DIR>/published/cdp_bi.duckdb). Every table and view found in "
            "those schemas is copied as a table, in DuckDB storage version "
            "CDP_PUBLISHED_STORAGE_VERSION (default v1.0.0) so DuckDB 1.x drivers open it, with "
            f"{META_TABLE[1]} (run id, published_at, rows per table). The copy is written to a "
            "temporary file, checkpointed, reopened and checked, then renamed over the old "
            "one: readers see the previous or the new complete copy. Runs after every mart; "
            "skipped, keeping the last good copy, when a mart or a blocking check failed."
        ),
    )
    def bi_published_copy(context: AssetExecutionContext) -> MaterializeResult:
        settings = get_publish_settings()
        live_path = get_settings().duckdb_path
        publication = publish(
            live_path,
            settings.path,
            run_id=context.run.run_id,
            storage_version=settings.storage_version,
            schemas=settings.schemas,
        )
        context.log.info(
            "published %d tables, %d rows, %.1f MB to %s in %.1f s",
            len(publication.tables),
            publication.total_rows,
            publication.bytes / 1e6,
            publication.path,
            publication.seconds,
        )
        # Checked again from the file on disk, as a BI tool opens it, against the live schemas.
        verification = verify_published(publication.path, live_path, settings.schemas)
        return MaterializeResult(
            metadata=publication_metadata(publication),
            check_results=[
                AssetCheckResult(
                    check_name=MATCHES_LIVE_CHECK,
                    passed=verification.passed and verification.run_id == context.run.run_id,
                    severity=AssetCheckSeverity.ERROR,
                    metadata={
                        "run_id": verification.run_id or "",
                        "problems": MetadataValue.json(verification.problems),
                        "tables": len(verification.published),
                        "rows": sum(verification.published.values()),
                    },
                )
            ],
        )

    return [bi_published_copy]
