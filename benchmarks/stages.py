"""One benchmark step per child process, so that each step's peak memory is its own.

A benchmark module calls itself with ``STAGE_FLAG <stage> ...``; the child prints its result as
the last line of its output (``emit``) and the parent reads it back (``run_stage``).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

STAGE_FLAG = "--stage"


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (or of its waited-for children) in MiB."""
    return resource.getrusage(who).ru_maxrss / 1024


def emit(result: Mapping[str, Any]) -> None:
    """Print a stage's result for ``run_stage``: one JSON line, last."""
    print(json.dumps(result, default=str))


def run_stage(module: str, args: Sequence[str], env: Mapping[str, str] | None = None) -> dict:
    """Run ``python -m module *args`` and return the JSON of its last line; fail loudly."""
    process = subprocess.run(
        [sys.executable, "-m", module, *args],
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        raise SystemExit(
            f"{module} {' '.join(args)} failed:\n{process.stderr[-4000:]}{process.stdout[-2000:]}"
        )
    return json.loads(process.stdout.strip().splitlines()[-1])
