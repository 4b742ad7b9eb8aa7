"""The published copy opens in DuckDB 1.x, in another process, with the same values.

Many BI drivers embed DuckDB 1.x; the copy is written in storage version v1.0.0 for them. The
1.x reader is installed by uv from the package index into a throw-away environment: when the
index cannot be reached the test fails (it must not pass without having read the file).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.publishing.settings import PublishSettings
from orchestration.publishing.writer import publish

from .read_with_duckdb_v1 import SAMPLES

READER_SCRIPT = Path(__file__).with_name("read_with_duckdb_v1.py")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The oldest 1.x the storage version promises, and the release the issue was checked against.
DUCKDB_V1_RELEASES = ("1.0.0", "1.1.3")


def _uv() -> str:
    found = shutil.which("uv") or str(PROJECT_ROOT / ".uv-bootstrap" / "bin" / "uv")
    if not Path(found).exists():
        pytest.fail("uv is needed to install a DuckDB 1.x reader and was not found (see Makefile)")
    return found


def _read_with(release: str, path: Path) -> dict:
    command = [_uv(), "run", "--no-project", "--isolated", "--with", f"duckdb=={release}"]
    command += ["python", str(READER_SCRIPT), str(path)]
    # Not the project's environment: the reader must come from the index, not from .venv.
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    if result.returncode != 0:
        pytest.fail(
            f"reading the copy with duckdb=={release} failed (exit {result.returncode}). If uv "
            "could not download duckdb, the package index is unreachable: this test needs it.\n"
            f"{result.stderr[-3000:]}"
        )
    return json.loads(result.stdout.splitlines()[-1])


def _samples_here(path: Path) -> dict[str, list[list[str | None]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return {
            name: [
                [None if v is None else str(v) for v in row]
                for row in con.execute(f"select * from ({sql}) as sample").fetchall()
            ]
            for name, sql in SAMPLES.items()
        }


@pytest.mark.parametrize("release", DUCKDB_V1_RELEASES)
def test_published_copy_opens_in_duckdb_1x(
    release: str, live_warehouse: Path, publish_settings: PublishSettings
) -> None:
    publish(
        live_warehouse,
        publish_settings.path,
        run_id="run-v1",
        storage_version=publish_settings.storage_version,
        schemas=publish_settings.schemas,
    )

    seen = _read_with(release, publish_settings.path)

    assert seen["version"] == release
    assert {name: rows for name, rows, _ in seen["meta"]} == seen["counts"]
    assert {run_id for _, _, run_id in seen["meta"]} == {"run-v1"}
    assert seen["counts"]["marts.dim_customers"] == 300
    assert seen["samples"] == _samples_here(publish_settings.path)
    assert seen["samples"]["new_types"][1] == [
        "12:00:02.123457",
        "2026-01-03 00:00:00.123457+00",
        "POINT (2 2)",
        '{"score":2}',
        "[{'g': 'POINT (1 2)'}]",
        "(2, a)",
        "untouched",
    ]


def test_default_storage_file_does_not_open_in_duckdb_1x(tmp_path: Path) -> None:
    """Why the storage version matters: a file DuckDB 2.0 writes by default is refused by 1.x."""
    path = tmp_path / "default.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table marts_like as select 1 as id")
    command = [_uv(), "run", "--no-project", "--isolated", "--with", "duckdb==1.1.3", "python"]
    command += ["-c", f"import duckdb; duckdb.connect({str(path)!r}, read_only=True)"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if "duckdb" not in result.stderr.lower() or result.returncode == 0:
        pytest.fail(f"expected DuckDB 1.1.3 to refuse the file: {result.stderr[-2000:]}")
    assert "version number 999" in result.stderr, result.stderr[-2000:]
