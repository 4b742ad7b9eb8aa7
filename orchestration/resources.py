"""Resources shared by the assets: the dlt runner and the dbt CLI."""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as package_version
from typing import Any

from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource
from packaging import version

from orchestration.project import dbt_project


class CdpDbtCliResource(DbtCliResource):
    """dagster-dbt's CLI resource without two start-up costs we do not use (~10 s per run).

    - ``dbt --version`` in a subprocess (~5 s, and a PyPI request for the latest release): the
      dbt-core installed in this environment is the executable dagster-dbt would run.
    - an in-process dbt adapter (~5 s to load the macros), only needed by ``fetch_row_count`` /
      ``fetch_column_metadata``; row counts are read from DuckDB after dbt exits instead.

    Both override private methods of dagster-dbt 0.29; tests/orchestration checks they still exist.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None


def build_resources() -> dict[str, object]:
    """Resource instances keyed by the parameter names the assets use."""
    return {
        "dlt": DagsterDltResource(),
        "dbt": CdpDbtCliResource(
            project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir)
        ),
    }
