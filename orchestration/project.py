"""The single handle on the dbt project that Dagster builds its dbt assets from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject

from ingestion.settings import get_settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DUCKDB_PATH_VAR = "CDP_DUCKDB_PATH"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


@contextmanager
def dbt_environment() -> Iterator[Path]:
    """Set CDP_DUCKDB_PATH to the absolute warehouse path while dbt is invoked, then restore it.

    profiles.yml reads the variable, and dbt would resolve a relative path against its own working
    directory. The same value at parse and at run time also keeps dbt's partial parsing valid.
    """
    path = get_settings().duckdb_path
    previous = os.environ.get(DUCKDB_PATH_VAR)
    os.environ[DUCKDB_PATH_VAR] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(DUCKDB_PATH_VAR, None)
        else:
            os.environ[DUCKDB_PATH_VAR] = previous


def prepare_manifest() -> Path:
    """Run `dbt parse` (target/manifest.json); needed before definitions load."""
    with dbt_environment():
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


# Under `dagster dev` this runs `dbt parse` so the manifest exists and follows edits. Elsewhere
# (tests, CI, make) run `cdp prepare` first: definitions cannot load without the manifest.
with dbt_environment():
    dbt_project.prepare_if_dev()
