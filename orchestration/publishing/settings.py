"""Where the published copy goes and how it is written, read from the environment at call time.

Kept beside the publishing code rather than in ``ingestion.settings`` because only this step and
the BI tools need it; the defaults derive from ``CDP_DATA_DIR`` like every other location.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ingestion.settings import get_settings

PATH_VAR = "CDP_PUBLISHED_PATH"
STORAGE_VERSION_VAR = "CDP_PUBLISHED_STORAGE_VERSION"
SCHEMAS_VAR = "CDP_PUBLISHED_SCHEMAS"

# The oldest storage format DuckDB 2.0 can still write: files in it open in every DuckDB 1.x
# (checked with 1.1.3), which is what most BI drivers embed. A newer value only narrows the
# readers that can open the copy.
DEFAULT_STORAGE_VERSION = "v1.0.0"
# What BI reads: the marts, and the history tables dbt snapshots keep (tags over time).
DEFAULT_SCHEMAS = ("marts", "snapshots")
# The value goes into an ATTACH option, so only a version literal is accepted.
_STORAGE_VERSION = re.compile(r"v\d+\.\d+\.\d+")


@dataclass(frozen=True)
class PublishSettings:
    """Build it with :func:`get_publish_settings` so that tests can monkeypatch the environment."""

    path: Path
    storage_version: str
    schemas: tuple[str, ...]


def get_publish_settings() -> PublishSettings:
    """The published file (default ``<CDP_DATA_DIR>/published/cdp_bi.duckdb``) and its format."""
    raw_path = os.environ.get(PATH_VAR, "").strip()
    path = (
        Path(raw_path).expanduser().resolve()
        if raw_path
        else get_settings().data_dir / "published" / "cdp_bi.duckdb"
    )
    version = os.environ.get(STORAGE_VERSION_VAR, "").strip() or DEFAULT_STORAGE_VERSION
    if not _STORAGE_VERSION.fullmatch(version):
        raise ValueError(f"{STORAGE_VERSION_VAR}={version!r}: expected a version like 'v1.0.0'")
    raw_schemas = os.environ.get(SCHEMAS_VAR, "").strip()
    schemas = (
        tuple(name.strip() for name in raw_schemas.split(",") if name.strip())
        if raw_schemas
        else DEFAULT_SCHEMAS
    )
    return PublishSettings(path=path, storage_version=version, schemas=schemas)
