"""Shared fixtures: every test gets its own data folder, DuckDB file and dlt state."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.settings import Settings, get_settings


@pytest.fixture
def cdp_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point every CDP_* location into tmp_path (dlt keeps cursors in local state too)."""
    data = tmp_path / "data"
    monkeypatch.setenv("CDP_DATA_DIR", str(data))
    for name in (
        "CDP_DUCKDB_PATH",
        "CDP_LANDING_DIR",
        "CDP_GROUND_TRUTH_DIR",
        "CDP_DLT_PIPELINES_DIR",
        "CDP_SOURCES_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    settings.landing_dir.mkdir(parents=True)
    return settings
