"""Each GX suite becomes two asset checks on the asset of the table it validates.

- ``gx_structure`` (blocking, severity ERROR): the suite's critical expectations, breaches that
  would corrupt identity (a duplicate or missing key, a missing column, type drift, an identifier
  column collapsed to null). When it fails, the assets downstream in the run do not execute
  (Dagster exempts a step that itself checks the asset: hence the dbt source tests are not
  Dagster checks, see CdpDbtTranslator).
- ``gx_rates`` (severity WARN): the warning expectations, drifts in rates (valid email share,
  unknown codes, out-of-range values, freshness). The run goes on.

Both come from one read of the table, so they are one multi-asset check op per table. The op opens
a read-only DuckDB connection only while it validates (any reader blocks DuckDB's single writer)
and runs after the asset in the same in-process run. Metadata carries counts, at most a few
failing row keys and the path of the Data Docs page; never a value of a row.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at definition.
from collections.abc import Iterator, Sequence

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from expectations.raw import raw_suites
from expectations.staging import staging_suites
from expectations.suite import CRITICAL, WARNING, TableSuite
from ingestion.settings import get_settings

STRUCTURE_CHECK = "gx_structure"
RATES_CHECK = "gx_rates"


def build_gx_checks(
    suites: Sequence[TableSuite] | None = None,
) -> list[AssetChecksDefinition]:
    """The checks of the given suites; by default every raw table of sources.yml and every
    staging model of the dbt project that has a suite."""
    if suites is None:
        from orchestration.assets.dbt import cdp_dbt_assets

        models = set(cdp_dbt_assets.keys)
        suites = [
            *raw_suites(),
            *(s for s in staging_suites() if AssetKey(list(s.asset_key)) in models),
        ]
    return [gx_checks(suite) for suite in suites]


def gx_checks(suite: TableSuite) -> AssetChecksDefinition:
    """The ``gx_structure`` and ``gx_rates`` checks of one suite, computed by one op."""
    asset_key = AssetKey(list(suite.asset_key))
    where = f"{suite.schema}.{suite.table}"

    @multi_asset_check(
        name=f"gx_{suite.schema}__{suite.table}",
        specs=[
            AssetCheckSpec(
                STRUCTURE_CHECK,
                asset=asset_key,
                blocking=True,
                description=(
                    f"Great Expectations, critical expectations of {where}: columns and types, "
                    "key present and unique, identifiers not collapsed. Blocks downstream assets."
                ),
            ),
            AssetCheckSpec(
                RATES_CHECK,
                asset=asset_key,
                description=(
                    f"Great Expectations, warning expectations of {where}: validity rates, "
                    "accepted values, ranges, freshness."
                ),
            ),
        ],
        description=f"Validate {where} with its Great Expectations suite ({suite.name}).",
    )
    def _check(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        from expectations.context import publish
        from expectations.runner import validate_suite

        settings = get_settings()
        outcome = validate_suite(suite, settings.duckdb_path)
        docs: MetadataValue
        try:
            docs = MetadataValue.path(str(publish(outcome, context.run.run_id, settings.data_dir)))
        except Exception as error:  # the verdict stands without its docs page
            context.log.warning("Data Docs for %s not written: %s", suite.name, error)
            docs = MetadataValue.text(f"not written: {error}")
        for check_name, severity, gx_severity in (
            (STRUCTURE_CHECK, AssetCheckSeverity.ERROR, CRITICAL),
            (RATES_CHECK, AssetCheckSeverity.WARN, WARNING),
        ):
            outcomes = outcome.of_severity(gx_severity)
            failed = [o.summary() for o in outcomes if not o.success]
            yield AssetCheckResult(
                asset_key=asset_key,
                check_name=check_name,
                passed=not failed,
                severity=severity,
                metadata={
                    "suite": suite.name,
                    "rows": outcome.row_count,
                    "chunks": outcome.chunks,
                    "seconds": round(outcome.seconds, 3),
                    "expectations": len(outcomes),
                    "failed": len(failed),
                    "failed_expectations": MetadataValue.json(failed),
                    "results": MetadataValue.json([o.summary() for o in outcomes]),
                    "data_docs": docs,
                },
            )

    return _check
