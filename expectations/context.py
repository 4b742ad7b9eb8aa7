"""The GX contexts: one in memory that validates pandas batches, one per data folder for docs.

Suites live as Python code, so no GX project folder is kept: the validating context is ephemeral.
The merged result of each suite run is written to a file-backed validation results store under
``$CDP_DATA_DIR/gx/validations`` and rendered into Data Docs under ``$CDP_DATA_DIR/gx/data_docs``
(build output, like the warehouse; never committed). No Checkpoint is used: its actions would fire
once per chunk, while the docs must show the result merged over all chunks.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.settings import get_settings

if TYPE_CHECKING:
    from expectations.runner import Outcome, SuiteOutcome

DATASOURCE = "duckdb_batches"
ASSET = "dataframe"
BATCH_DEFINITION = "whole_dataframe"
SITE = "local_site"
# Runs kept per suite in the validation store and the docs (each run is one JSON and one page).
KEEP_RUNS = 10


def gx_root(data_dir: Path | None = None) -> Path:
    """Where validation results and Data Docs land: ``$CDP_DATA_DIR/gx``."""
    return (data_dir or get_settings().data_dir) / "gx"


def data_docs_dir(data_dir: Path | None = None) -> Path:
    return gx_root(data_dir) / "data_docs"


@cache
def batch_definition() -> Any:
    """The batch definition every chunk is validated through (a pandas dataframe asset)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas(DATASOURCE).add_dataframe_asset(ASSET)
    return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


@cache
def _docs_context(root: Path) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    stores = dict(defaults.stores)
    stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(root / "validations"),
        },
    }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites={
            SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(root / "data_docs"),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def publish(outcome: SuiteOutcome, run_name: str, data_dir: Path | None = None) -> Path:
    """Store the merged result of one suite run, render its Data Docs page; returns the page."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    root = gx_root(data_dir)
    context = _docs_context(root)
    results = [_validation_result(o) for o in outcome.outcomes]
    successful = sum(1 for r in results if r.success)
    suite = outcome.suite
    result = ExpectationSuiteValidationResult(
        success=successful == len(results),
        results=results,
        suite_name=suite.name,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": successful,
            "unsuccessful_expectations": len(results) - successful,
            "success_percent": 100 * successful / len(results) if results else 100.0,
        },
        meta={
            "table": f"{suite.schema}.{suite.table}",
            "row_count": outcome.row_count,
            "chunks": outcome.chunks,
            "active_batch_definition": {
                "datasource_name": "duckdb",
                "data_asset_name": f"{suite.schema}.{suite.table}",
            },
        },
    )
    run_id = RunIdentifier(run_name=run_name, run_time=outcome.validated_at)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
        run_id=run_id,
        batch_identifier="whole_table",
    )
    _prune(root, suite.name, keep=KEEP_RUNS - 1)
    context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=[SITE], resource_identifiers=[key])
    return root.joinpath(
        "data_docs",
        "validations",
        *suite.name.split("."),
        run_name,
        _run_time(outcome.validated_at),
        "whole_table.html",
    )


def _validation_result(outcome: Outcome) -> Any:
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

    body: dict[str, Any] = dict(outcome.counts)
    if outcome.observed_value is not None:
        body["observed_value"] = outcome.observed_value
    if outcome.failing_keys:
        body["partial_unexpected_index_list"] = outcome.failing_keys
    return ExpectationValidationResult(
        success=outcome.success,
        expectation_config=outcome.expectation.configuration,
        result=body,
        exception_info={
            "raised_exception": outcome.exception is not None,
            "exception_message": outcome.exception,
            "exception_traceback": None,
        },
    )


def _run_time(moment: datetime) -> str:
    # GX's RunIdentifier renders run_time as this string in store keys and docs paths.
    return moment.strftime("%Y%m%dT%H%M%S.%fZ")


def _prune(root: Path, suite_name: str, keep: int) -> None:
    """Delete the oldest runs of a suite from the store and the docs, keeping ``keep``."""
    parts = suite_name.split(".")
    stored = root.joinpath("validations", *parts)
    if not stored.is_dir():
        return
    runs = [  # (run_name folder, run_time folder)
        (run_dir, time_dir)
        for run_dir in stored.iterdir()
        if run_dir.is_dir()
        for time_dir in run_dir.iterdir()
        if time_dir.is_dir()
    ]
    runs.sort(key=lambda pair: pair[1].name)
    for run_dir, time_dir in runs[: max(len(runs) - keep, 0)]:
        shutil.rmtree(time_dir, ignore_errors=True)
        page = root.joinpath("data_docs", "validations", *parts, run_dir.name, time_dir.name)
        shutil.rmtree(page, ignore_errors=True)
        for folder in (run_dir, page.parent):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
