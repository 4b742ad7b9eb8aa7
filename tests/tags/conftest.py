"""Markers of the tag registry tests (pytest runs with --strict-markers)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_registry: reads the real dbt_project/tags/*.yml, not a registry built in tmp_path",
    )
