"""Shared fixtures: every test gets its own data folder, DuckDB file and dlt state."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import Definitions

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
