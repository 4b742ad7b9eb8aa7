"""Point every CDP_* location of a test at its own folder (dlt keeps state locally too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.settings import Settings, get_settings

_DERIVED = (
    "CDP_DUCKDB_PATH",
    "CDP_LANDING_DIR",
    "CDP_GROUND_TRUTH_DIR",
    "CDP_DLT_PIPELINES_DIR",
    "CDP_SOURCES_CONFIG",
    "CDP_PUBLISHED_PATH",
    "CDP_PUBLISHED_STORAGE_VERSION",
    "CDP_PUBLISHED_SCHEMAS",
    "CDP_ACTIVATION_CONFIG",
)


def isolate_data_dir(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Settings:
    """Every location under data_dir, the shipped sources.yml; returns the resolved settings."""
    monkeypatch.setenv("CDP_DATA_DIR", str(data_dir))
    for name in _DERIVED:
        monkeypatch.delenv(name, raising=False)
    return get_settings()
