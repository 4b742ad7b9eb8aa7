"""Fixtures of the GX tests: one sample, loaded through Dagster with its raw checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dagster import AssetCheckEvaluation, DagsterInstance, materialize
from dagster_dlt import DagsterDltResource

from ingestion.sample_data import generate
from ingestion.settings import Settings

from ..isolation import isolate_data_dir
from .results import gx_evaluations

PERSONS = 1000


@dataclass(frozen=True)
class Sample:
    settings: Settings
    evaluations: dict[tuple[str, str], AssetCheckEvaluation]


@pytest.fixture(scope="session")
def gx_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """Sample data loaded and checked through Dagster (raw assets + their GX checks).

    The environment points at the sample only while it loads: tests that write copy it first.
    """
    from expectations.raw import raw_suites
    from orchestration.assets.ingestion import build_ingestion_assets
    from orchestration.checks import build_gx_checks

    data = tmp_path_factory.mktemp("gx_sample") / "data"
    with pytest.MonkeyPatch.context() as patch:
        settings = isolate_data_dir(patch, data)
        generate(persons=PERSONS, seed=11, out=data)
        with DagsterInstance.ephemeral() as instance:
            result = materialize(
                [*build_ingestion_assets(), *build_gx_checks(raw_suites())],
                resources={"dlt": DagsterDltResource()},
                instance=instance,
            )
    return Sample(settings, gx_evaluations(result))
