"""``activation.audience_exports``: audience adds and removes sent to the destinations of
``activation.yml`` through dlt, with the ledger of what each destination holds in the warehouse.

The asset reads the dbt models ``marts.audience_members`` and ``marts.audience_summary``. Their
error-severity dbt tests are blocking asset checks, so Dagster runs this asset only after they
pass; the configuration is read at run time (an edit needs no reload).
"""

# No `from __future__ import annotations`: Dagster inspects the annotations of the asset
# function (context) at definition time.

from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ingestion.settings import get_settings
from orchestration.activation.config import ActivationConfig, load_activation_config
from orchestration.activation.deltas import outstanding_changes
from orchestration.activation.exporter import ExportResult, run_exports
from orchestration.activation.ledger import BATCHES_TABLE, EXPORTED_VIEW

# The keys CdpDbtTranslator gives the dbt models (dagster-dbt's default: [schema, model name],
# the schema coming from `+schema: marts` in dbt_project.yml).
AUDIENCE_MEMBERS_KEY = AssetKey(["marts", "audience_members"])
AUDIENCE_SUMMARY_KEY = AssetKey(["marts", "audience_summary"])
AUDIENCE_EXPORTS_KEY = AssetKey(["activation", "audience_exports"])
IN_SYNC_CHECK = "destinations_match_members"
ROUTED_CHECK = "routed_audiences_defined"


def export_rows_table(result: ExportResult) -> list[dict[str, Any]]:
    """One row per destination x audience of this run."""
    rows = []
    for item in result.destinations:
        for plan in item.plan.audiences if item.plan else []:
            rows.append(
                {
                    "destination": item.destination,
                    "audience": plan.audience_name,
                    "channel": plan.channel,
                    "status": plan.status,
                    "added": plan.added,
                    "removed": plan.removed,
                    "members": plan.members,
                    "without_identifier": plan.without_identifier,
                    "currently_exported": result.currently_exported.get(
                        (item.destination, plan.audience_name), 0
                    ),
                }
            )
    return rows


def exports_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| destination | audience | channel | status | added | removed | exported now |",
        "| --- | --- | --- | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['destination']} | {row['audience']} | {row['channel']} | {row['status']} "
            f"| {row['added']} | {row['removed']} | {row['currently_exported']} |"
        )
    return "\n".join(lines)


def exports_metadata(result: ExportResult) -> dict[str, Any]:
    """Materialization metadata: per audience x destination counts, totals, load ids."""
    rows = export_rows_table(result)
    return {
        "dagster/row_count": sum(result.currently_exported.values()),
        "members_added": sum(row["added"] for row in rows),
        "members_removed": sum(row["removed"] for row in rows),
        "currently_exported": sum(result.currently_exported.values()),
        "exports": MetadataValue.md(exports_markdown(rows)),
        "exports_json": MetadataValue.json(rows),
        "dlt_load_ids": MetadataValue.json(
            {item.destination: item.load_id for item in result.destinations}
        ),
        "resolved_from_earlier_runs": MetadataValue.json(
            {item.destination: item.resolved for item in result.destinations if item.resolved}
        ),
        "unconfigured_destinations": MetadataValue.json(result.unconfigured_destinations),
    }


def _checks(
    config: ActivationConfig, result: ExportResult, duckdb_path: Path
) -> list[AssetCheckResult]:
    with duckdb.connect(str(duckdb_path)) as con:
        outstanding = {
            name: outstanding_changes(con, name, destination)
            for name, destination in config.destinations.items()
        }
    undefined = {
        item.destination: item.plan.undefined_audiences
        for item in result.destinations
        if item.plan and item.plan.undefined_audiences
    }
    return [
        AssetCheckResult(
            check_name=IN_SYNC_CHECK,
            passed=not any(outstanding.values()),
            severity=AssetCheckSeverity.ERROR,
            metadata={"outstanding_changes": MetadataValue.json(outstanding)},
        ),
        AssetCheckResult(
            check_name=ROUTED_CHECK,
            passed=not undefined,
            severity=AssetCheckSeverity.WARN,
            metadata={"undefined_audiences": MetadataValue.json(undefined)},
        ),
    ]


def build_activation_assets(config_path: Path | None = None) -> list[AssetsDefinition]:
    """The audience exports asset; ``config_path`` defaults to CDP_ACTIVATION_CONFIG."""

    @asset(
        key=AUDIENCE_EXPORTS_KEY,
        deps=[AUDIENCE_MEMBERS_KEY, AUDIENCE_SUMMARY_KEY],
        group_name="activation",
        kinds={"dlt", "duckdb"},
        tags={"cdp/layer": "activation"},
        metadata={"dagster/table_name": EXPORTED_VIEW},
        check_specs=[
            AssetCheckSpec(
                IN_SYNC_CHECK,
                asset=AUDIENCE_EXPORTS_KEY,
                description=(
                    "After the run every destination holds exactly the current members of the "
                    "audiences routed to it (no add or remove left to send)."
                ),
            ),
            AssetCheckSpec(
                ROUTED_CHECK,
                asset=AUDIENCE_EXPORTS_KEY,
                description="Every audience activation.yml names exists in marts.audience_summary.",
            ),
        ],
        description=(
            "Per audience and destination of activation.yml, the members added and removed since "
            "the last export there (action add|remove, unified_customer_id, the channel's "
            "identifiers: email, phone_e164, wechat_openid, or SHA-256 email_sha256 / "
            "phone_sha256 for ads; batch_id, run_id), sent through dlt to CSV/Parquet files or a "
            f"webhook. {BATCHES_TABLE} holds one row per audience x destination x run; "
            "activation.export_ledger every row sent; activation.exported_members who each "
            "destination holds now. Batches count only once dlt reports their load complete; a "
            "package left by a crash is finished (not resent) by the next run; a re-executed "
            "run sends nothing twice."
        ),
    )
    def activation_audience_exports(context: AssetExecutionContext) -> MaterializeResult:
        settings = get_settings()
        config = load_activation_config(config_path)
        # DuckDB allows one writer: the connections are opened here, after dbt has finished.
        result = run_exports(settings, config, context.run_id)
        for item in result.destinations:
            context.log.info(
                "%s (%s): load %s, resolved %s, %s",
                item.destination,
                item.kind,
                item.load_id,
                item.resolved,
                [(p.audience_name, p.status, p.added, p.removed) for p in item.plan.audiences]
                if item.plan
                else "not planned",
            )
        if result.unconfigured_destinations:
            context.log.warning(
                "destinations no longer in activation.yml still hold members: %s",
                result.unconfigured_destinations,
            )
        if result.errors:
            raise Failure(
                description="activation export failed: " + "; ".join(result.errors),
                metadata=exports_metadata(result),
            )
        return MaterializeResult(
            metadata=exports_metadata(result),
            check_results=_checks(config, result, settings.duckdb_path),
        )

    return [activation_audience_exports]
