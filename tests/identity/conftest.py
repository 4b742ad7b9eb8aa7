"""The one pipeline run the identity tests share: generate a few hundred persons, run all_assets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from ingestion.settings import Settings
from orchestration.demo import generate_sample_data

from ..isolation import isolate_data_dir

PERSONS = 400


@pytest.fixture(scope="session")
def identity_run(
    tmp_path_factory: pytest.TempPathFactory, defs: Definitions
) -> Iterator[tuple[Settings, ExecuteInProcessResult]]:
    """A warehouse built by the whole Dagster job; tests that change data copy it first.

    The CDP_* variables point at it only while the job runs (the fixture lives for the session;
    tests read the returned settings), so later test modules see the environment unchanged.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        data = tmp_path_factory.mktemp("identity") / "data"
        settings = isolate_data_dir(monkeypatch, data)
        generate_sample_data(settings, PERSONS, seed=11)
        with DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("all_assets").execute_in_process(
                instance=instance, raise_on_error=False
            )
    yield settings, result
