"""The one pipeline run the identity tests share: generate a few hundred persons, run all_assets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import AssetKey, DagsterInstance, Definitions, ExecuteInProcessResult

from ingestion.settings import Settings
from orchestration.demo import generate_sample_data

from ..isolation import isolate_data_dir

PERSONS = 400
PROPENSITY_KEY = AssetKey(["ml", "propensity_scores"])


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
            # Everything but the propensity model, which needs more customers than 400 persons
            # give to beat its baseline (tests/tags trains it on 2,000).
            selection = set(defs.resolve_asset_graph().get_all_asset_keys()) - {PROPENSITY_KEY}
            result = defs.resolve_job_def("all_assets").execute_in_process(
                instance=instance, raise_on_error=False, asset_selection=list(selection)
            )
    yield settings, result
