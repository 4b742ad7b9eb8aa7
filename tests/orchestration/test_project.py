from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingestion.settings import Settings
from orchestration.project import DUCKDB_PATH_VAR, dbt_environment


def test_dbt_environment_sets_an_absolute_path_and_restores(
    cdp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DUCKDB_PATH_VAR, raising=False)
    with dbt_environment() as path:
        assert os.environ[DUCKDB_PATH_VAR] == str(cdp_settings.duckdb_path)
        assert path.is_absolute()
    assert DUCKDB_PATH_VAR not in os.environ


def test_dbt_environment_restores_a_previous_value(
    cdp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DUCKDB_PATH_VAR, "relative/cdp.duckdb")
    with dbt_environment() as path:
        assert os.environ[DUCKDB_PATH_VAR] == str(path)
    assert os.environ[DUCKDB_PATH_VAR] == "relative/cdp.duckdb"


def test_prepare_manifest_parses_without_a_warehouse(dbt_manifest: tuple[Path, Path]) -> None:
    manifest, warehouse = dbt_manifest
    assert manifest.is_file()
    assert not warehouse.exists()
