"""One activation run: finish what a crashed run left, plan the deltas, send them, confirm them.

Per destination, in this order:

1. Resolve unfinished batches. A batch is ``pending`` once its dlt load id is recorded, which
   happens right after extract and before anything is sent. A pending package is finished with
   ``normalize()`` + ``load()`` (dlt resumes a webhook job at the batch it stopped), a completed
   one confirmed from dlt's local package record: so a crash between the load and the ledger
   update resends nothing. A package extracted but never recorded holds rows nobody received: it
   is dropped, and its ``planned`` batches abandoned (their members are planned again below).
2. Plan: adds and removes against ``exported_members`` (loaded batches only), written to the
   ledger as ``planned`` batches in one transaction. Audiences this run id already exported to the
   destination are skipped, so a re-executed step sends nothing twice.
3. Extract the planned rows from the ledger, record the load id (``pending``), normalise, load,
   and mark the batches ``loaded`` only after dlt reports the package complete.

The warehouse connection is this process's own and short-lived (the asset opens it after dbt).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dlt
import duckdb
from dlt.common.storages.exceptions import LoadPackageNotFound

from ingestion.settings import Settings
from orchestration.activation import ledger
from orchestration.activation.config import (
    ActivationConfig,
    FilesDestination,
    WebhookDestination,
)
from orchestration.activation.deltas import DestinationPlan, export_rows, plan_destination
from orchestration.activation.destinations import (
    dlt_destination_name,
    loader_file_format,
    make_pipeline,
    table_columns,
    token_env_var,
)

log = logging.getLogger(__name__)


class ActivationExportError(RuntimeError):
    """At least one destination could not be exported to; the others were."""


@dataclass
class DestinationResult:
    destination: str
    kind: str
    plan: DestinationPlan | None = None
    load_id: str | None = None
    resolved: dict[str, int] = field(default_factory=dict)  # status -> batches resolved
    error: str | None = None


@dataclass
class ExportResult:
    run_id: str
    destinations: list[DestinationResult]
    currently_exported: dict[tuple[str, str], int]
    # Destinations with exported members that activation.yml no longer lists: nobody removes them.
    unconfigured_destinations: dict[str, int]

    @property
    def errors(self) -> list[str]:
        return [f"{item.destination}: {item.error}" for item in self.destinations if item.error]


def _package_state(pipeline: dlt.Pipeline, load_id: str) -> tuple[str, int] | None:
    """(dlt package state, failed jobs) of a load id, or None when dlt has no record of it."""
    try:
        info = pipeline.get_load_package_info(load_id)
    except LoadPackageNotFound:
        return None
    return info.state, len(info.jobs.get("failed_jobs", []))


def _confirm(
    con: duckdb.DuckDBPyConnection, pipeline: dlt.Pipeline, batches: list[str], load_id: str
) -> str:
    """Mark batches from their package's final state; returns the status given."""
    state = _package_state(pipeline, load_id)
    if state is None:
        # The pipelines folder was wiped: whether it was delivered is unknown. Plan it again
        # (at least once): adds and removes are set operations at every destination.
        status, error = "abandoned", f"dlt has no record of load package {load_id}"
        log.warning("%s: %s; its rows are planned again", pipeline.pipeline_name, error)
    elif state[0] == "aborted" or (state[0] == "loaded" and state[1]):
        # Aborted by an operator (`dlt pipeline <name> abort-packages`) or completed with failed
        # jobs: some rows may have arrived. The next plan sends them again (at least once).
        status, error = "failed", f"load package {load_id} {state[0]}, {state[1]} failed job(s)"
    elif state[0] != "loaded":
        # dlt 1.31 keeps a package with a terminally failed job pending too (a 401 from the
        # webhook): the next run retries it from the batch that failed.
        return "pending"
    else:
        status, error = "loaded", None
    exported_at = datetime.now(UTC) if status == "loaded" else None
    ledger.set_status(con, batches, status, exported_at=exported_at, error=error)
    return status


def resolve_unfinished(
    con: duckdb.DuckDBPyConnection, pipeline: dlt.Pipeline, destination: str
) -> dict[str, int]:
    """Bring every unfinished batch of a destination to a final status (step 1 above)."""
    unfinished = ledger.unfinished_batches(con, destination)
    known = ledger.known_load_ids(con, destination)
    extracted = set(pipeline.list_extracted_load_packages())
    normalized = set(pipeline.list_normalized_load_packages())
    orphans = (extracted | normalized) - known
    if orphans & normalized:
        raise ActivationExportError(
            f"{pipeline.pipeline_name}: normalized load package(s) {sorted(orphans & normalized)} "
            "are unknown to the export ledger (was the warehouse replaced?); inspect them, then "
            f"drop them with `dlt pipeline {pipeline.pipeline_name} drop-pending-packages`"
        )
    if orphans:
        # Extracted before a crash that came before their load id was recorded: never sent.
        log.warning(
            "%s: dropping unrecorded load packages %s", pipeline.pipeline_name, sorted(orphans)
        )
        pipeline.abort_packages()
    if pipeline.has_pending_data:
        pipeline.normalize()
        pipeline.load()
    resolved: dict[str, int] = {}
    by_load: dict[str, list[str]] = {}
    for batch in unfinished:
        if batch.dlt_load_id is None:
            by_load.setdefault("", []).append(batch.batch_id)
        else:
            by_load.setdefault(batch.dlt_load_id, []).append(batch.batch_id)
    for load_id, batch_ids in by_load.items():
        if not load_id:
            ledger.set_status(con, batch_ids, "abandoned", error="never extracted (crashed run)")
            status = "abandoned"
        else:
            status = _confirm(con, pipeline, batch_ids, load_id)
        resolved[status] = resolved.get(status, 0) + len(batch_ids)
    return resolved


def send_planned(
    con: duckdb.DuckDBPyConnection,
    pipeline: dlt.Pipeline,
    config: FilesDestination | WebhookDestination,
    plan: DestinationPlan,
) -> str | None:
    """Extract, record, load and confirm the planned batches (step 3); returns the load id."""
    batch_ids = plan.planned_batch_ids
    if not batch_ids:
        return None
    rows = export_rows(con, batch_ids)
    channels = {item.audience_name: item.channel for item in plan.audiences}
    resources = [
        dlt.resource(
            audience_rows,
            name=audience,
            write_disposition="append",
            columns=table_columns(channels[audience]),
        )
        for audience, audience_rows in rows.items()
    ]
    info = pipeline.extract(resources, loader_file_format=loader_file_format(config))
    load_id = info.loads_ids[-1]
    # Recorded before anything can be sent: from here the package is the batches' only copy.
    ledger.set_status(con, batch_ids, "pending", load_id=load_id)
    pipeline.normalize()
    try:
        pipeline.load()
    finally:
        # Also after a failed load: a package that completed with failed jobs is final.
        _confirm(con, pipeline, batch_ids, load_id)
    return load_id


def _check_secret(name: str, config: FilesDestination | WebhookDestination) -> None:
    """Fail before planning when a webhook has no token (dlt would only fail inside the load)."""
    if isinstance(config, WebhookDestination):
        section = f"destination.{dlt_destination_name(name)}"
        if not dlt.secrets.get(f"{section}.token"):
            raise ActivationExportError(
                f"webhook {name}: no token; set {token_env_var(name)} (or token under "
                f"[{section}] in .dlt/secrets.toml)"
            )


def run_exports(settings: Settings, config: ActivationConfig, run_id: str) -> ExportResult:
    """Export to every destination; a failing one is reported in its result, not raised."""
    results: list[DestinationResult] = []
    with duckdb.connect(str(settings.duckdb_path)) as con:
        ledger.ensure_ledger(con)
        for name, destination in config.destinations.items():
            result = DestinationResult(name, destination.kind)
            results.append(result)
            try:
                _check_secret(name, destination)
                pipeline = make_pipeline(name, destination, settings)
                result.resolved = resolve_unfinished(con, pipeline, name)
                result.plan = plan_destination(
                    con, name, destination, run_id, datetime.now(UTC), pipeline.pipeline_name
                )
                result.load_id = send_planned(con, pipeline, destination, result.plan)
            except Exception as error:  # one destination down must not stop the others
                log.exception("activation export to %s failed", name)
                result.error = f"{type(error).__name__}: {error}"
        currently = ledger.exported_counts(con)
    configured = set(config.destinations)
    unconfigured: dict[str, int] = {}
    for (destination, _audience), count in currently.items():
        if destination not in configured:
            unconfigured[destination] = unconfigured.get(destination, 0) + count
    return ExportResult(run_id, results, currently, unconfigured)
