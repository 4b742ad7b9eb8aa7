"""Shared fixtures: every test gets its own data folder, DuckDB file and dlt state."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.settings import Settings

from .isolation import isolate_data_dir


@pytest.fixture
def cdp_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Every CDP_* location in tmp_path, with an empty landing folder."""
    settings = isolate_data_dir(monkeypatch, tmp_path / "data")
    settings.landing_dir.mkdir(parents=True)
    return settings
