"""Where the project keeps its files, read from environment variables at call time.

One variable names the DuckDB file (``CDP_DUCKDB_PATH``); dlt, dbt (``profiles.yml`` through
``env_var``) and Dagster all read it. Everything defaults to a git-ignored ``data/`` folder so a
fresh clone runs with no configuration at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    """Resolved locations; build it with :func:`get_settings` so tests can monkeypatch the env."""

    data_dir: Path
    duckdb_path: Path
    landing_dir: Path
    ground_truth_dir: Path
    sources_config: Path
    dlt_pipelines_dir: Path


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


def get_settings() -> Settings:
    data_dir = _path("CDP_DATA_DIR", PROJECT_ROOT / "data")
    return Settings(
        data_dir=data_dir,
        duckdb_path=_path("CDP_DUCKDB_PATH", data_dir / "warehouse" / "cdp.duckdb"),
        landing_dir=_path("CDP_LANDING_DIR", data_dir / "landing"),
        ground_truth_dir=_path("CDP_GROUND_TRUTH_DIR", data_dir / "ground_truth"),
        sources_config=_path("CDP_SOURCES_CONFIG", PROJECT_ROOT / "sources.yml"),
        dlt_pipelines_dir=_path("CDP_DLT_PIPELINES_DIR", data_dir / "dlt_pipelines"),
    )
