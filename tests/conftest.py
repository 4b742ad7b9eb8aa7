"""Shared fixtures: every test gets its own data folder, DuckDB file and dlt state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from ingestion.sample_data.settings import DEFAULT_END_DATE
from ingestion.settings import Settings

from .isolation import isolate_data_dir


@pytest.fixture
def cdp_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Every CDP_* location in tmp_path, with an empty landing folder."""
    settings = isolate_data_dir(monkeypatch, tmp_path / "data")
    settings.landing_dir.mkdir(parents=True)
    return settings


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`dbt parse` once per session, with CDP_DATA_DIR on an empty folder (no warehouse).

    Returns the manifest path and the warehouse path the parse saw (which must not exist).
    """
    from ingestion.settings import get_settings
    from orchestration.project import prepare_manifest

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path_factory.mktemp("parse") / "data"))
        monkeypatch.delenv("CDP_DUCKDB_PATH", raising=False)
        return prepare_manifest(), get_settings().duckdb_path


@pytest.fixture(scope="session")
def defs(dbt_manifest: tuple[Path, Path]) -> Definitions:
    from orchestration.definitions import defs

    return defs


# The session's one run of the whole graph at a size where the models have something to learn:
# enough customers for the propensity model (about 150 buyers a month), for recommendations and
# for non-empty audiences, few enough to keep the run to a few minutes. Tags, audiences, exports,
# recommendations and the published copy are all asserted on this run (tests/tags,
# tests/application); tests that change data work on a copy of its data folder.
APPLICATION_PERSONS = 2000
APPLICATION_SEED = 5
APPLICATION_AS_OF = DEFAULT_END_DATE + timedelta(days=1)


@pytest.fixture(scope="session")
def application_run(
    tmp_path_factory: pytest.TempPathFactory, defs: Definitions
) -> Iterator[tuple[Settings, ExecuteInProcessResult]]:
    """Generate 2,000 persons and run `all_assets` once, tags as of the end of the data.

    The CDP_* variables point at the data folder only while the job runs (tests read the returned
    settings), so later test modules see the environment unchanged.
    """
    from orchestration.demo import TAGS_AS_OF_VAR, generate_sample_data

    with pytest.MonkeyPatch.context() as monkeypatch:
        data = tmp_path_factory.mktemp("application") / "data"
        settings = isolate_data_dir(monkeypatch, data)
        monkeypatch.setenv(TAGS_AS_OF_VAR, APPLICATION_AS_OF.isoformat())
        generate_sample_data(settings, APPLICATION_PERSONS, seed=APPLICATION_SEED)
        with DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("all_assets").execute_in_process(
                instance=instance, raise_on_error=False
            )
    yield settings, result
