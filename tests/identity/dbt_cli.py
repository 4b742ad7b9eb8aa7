"""dbt in a subprocess on a given warehouse, for the identity tests that rebuild copies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.project import DUCKDB_PATH_VAR, dbt_project


def run_dbt(warehouse: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A dbt command on the given warehouse, in a subprocess as Dagster runs it (dbt-duckdb keeps
    a file open across in-process invocations); target and logs go under ``work``."""
    env = {**os.environ, DUCKDB_PATH_VAR: str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--project-dir",
        str(dbt_project.project_dir),
        "--profiles-dir",
        str(dbt_project.profiles_dir),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
