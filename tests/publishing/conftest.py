"""A live warehouse and the publication settings of each test, all in its own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.settings import Settings
from orchestration.publishing.settings import (
    PATH_VAR,
    SCHEMAS_VAR,
    STORAGE_VERSION_VAR,
    PublishSettings,
    get_publish_settings,
)

from .warehouse import build_live_warehouse


@pytest.fixture
def publish_settings(cdp_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> PublishSettings:
    """Defaults under the test's CDP_DATA_DIR, whatever the calling shell set."""
    for name in (PATH_VAR, SCHEMAS_VAR, STORAGE_VERSION_VAR):
        monkeypatch.delenv(name, raising=False)
    return get_publish_settings()


@pytest.fixture
def live_warehouse(cdp_settings: Settings) -> Path:
    """The test warehouse at the test's CDP_DUCKDB_PATH."""
    build_live_warehouse(cdp_settings.duckdb_path)
    return cdp_settings.duckdb_path
