"""Fixtures of the orchestration tests: the dbt manifest, then the loaded definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import Definitions


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
