"""The single handle on the dbt project that Dagster builds its dbt assets from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject

from ingestion.settings import get_settings
from orchestration.audiences.compiler import compile_audiences
from orchestration.tags.compiler import compile_registry

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DUCKDB_PATH_VAR = "CDP_DUCKDB_PATH"
# Dagster runs `dbt build` in several steps (the Splink asset sits between dbt models). With dbt's
# default eager indirect selection, the step that builds the seeds would also run the staging
# tests that reference a seed, before staging exists. `buildable` runs a test only in the step
# where all its parents are built or upstream.
INDIRECT_SELECTION_VAR = "DBT_INDIRECT_SELECTION"
INDIRECT_SELECTION = "buildable"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


@contextmanager
def dbt_environment() -> Iterator[Path]:
    """Set CDP_DUCKDB_PATH (absolute) and DBT_INDIRECT_SELECTION while dbt is invoked; restore them.

    profiles.yml reads the variable, and dbt would resolve a relative path against its own working
    directory. The same value at parse and at run time also keeps dbt's partial parsing valid.
    """
    path = get_settings().duckdb_path
    values = {DUCKDB_PATH_VAR: str(path), INDIRECT_SELECTION_VAR: INDIRECT_SELECTION}
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield path
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def compile_registries() -> None:
    """Compile the tag registry, then the audiences (their conditions read the tags)."""
    tags, _ = compile_registry()
    compile_audiences(tags=tags)


def prepare_manifest() -> Path:
    """Compile the tag and audience registries, then run `dbt parse` (target/manifest.json).

    Both are needed before the definitions load.
    """
    compile_registries()
    with dbt_environment():
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


# The dbt tag and audience models read their registries through macros compiled from
# dbt_project/tags/*.yml and dbt_project/audiences/*.yml: keep them current (an invalid registry
# fails here, listing every error). Under `dagster dev` the next lines run `dbt parse` so the
# manifest exists and follows edits. Elsewhere (tests, CI, make) run `cdp prepare` first:
# definitions cannot load without the manifest.
compile_registries()
with dbt_environment():
    dbt_project.prepare_if_dev()
