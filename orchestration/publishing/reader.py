"""A BI-like reader of the published copy, run in its own process: proof that publishing and the
pipeline's writes never get in a reader's way (and that it never sees a half-written copy).

Run ``python -m orchestration.publishing.reader PATH --stop-file FILE``: it opens the copy
through SQLAlchemy + duckdb-engine read-only, a fresh connection per round as a BI tool's pool
would, reads ``_published``, counts every table it lists and compares the counts with the
metadata (a copy that is not complete would disagree or fail to open). It prints JSON lines:
``{"event": "started"}``, ``{"event": "run", "run_id": ...}`` whenever it sees a new
publication, ``{"event": "ready"}`` after its first good round, and a report when the stop file
appears or ``--seconds`` pass.
:func:`published_copy_reader` drives it from a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_ERRORS_KEPT = 20


@dataclass
class ReaderReport:
    """What the reader saw: rounds, runs seen in order, errors and incomplete rounds."""

    rounds: int = 0
    missing_rounds: int = 0  # the file did not exist yet (only with --allow-missing)
    incomplete_rounds: int = 0  # a table's count disagreed with _published
    error_rounds: int = 0
    run_ids: list[str] = field(default_factory=list)
    tables_last_round: int = 0
    rows_last_round: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.rounds > 0 and self.error_rounds == 0 and self.incomplete_rounds == 0


def read_round(engine: object, report: ReaderReport) -> None:
    """One round: a new read-only connection, ``_published``, every table's count."""
    from sqlalchemy import text

    with engine.connect() as connection:  # type: ignore[attr-defined]
        meta = connection.execute(
            text("select run_id, table_schema, table_name, row_count from main._published")
        ).all()
        rows = 0
        complete = bool(meta)
        for run_id, schema, name, expected in meta:
            quoted = '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'
            count = connection.execute(text(f"select count(*) from {quoted}")).scalar_one()
            rows += count
            if count != expected or run_id != meta[0][0]:
                complete = False
        if meta and (not report.run_ids or report.run_ids[-1] != meta[0][0]):
            report.run_ids.append(meta[0][0])
            print(json.dumps({"event": "run", "run_id": meta[0][0]}), flush=True)
    report.rounds += 1
    report.tables_last_round = len(meta)
    report.rows_last_round = rows
    if not complete:
        report.incomplete_rounds += 1


def run_reader(path: Path, stop_file: Path | None, seconds: float, allow_missing: bool) -> int:
    """The reader loop (the subprocess' main); prints the JSON report and returns 0."""
    from sqlalchemy import NullPool, create_engine

    # NullPool: every round opens the file anew, so a round after a publication sees the new
    # copy (a pooled connection would keep the old file open, which is also fine, but tests
    # nothing). connect_args read_only is the form documented in the README.
    engine = create_engine(
        f"duckdb:///{path}", connect_args={"read_only": True}, poolclass=NullPool
    )
    report = ReaderReport()
    print(json.dumps({"event": "started"}), flush=True)
    started = time.monotonic()
    announced = False
    while time.monotonic() - started < seconds:
        if stop_file is not None and stop_file.exists():
            break
        if allow_missing and not path.exists():
            report.missing_rounds += 1
        else:
            try:
                read_round(engine, report)
            except Exception as error:  # every failure is what the report is for
                report.error_rounds += 1
                if len(report.errors) < MAX_ERRORS_KEPT:
                    report.errors.append(f"{type(error).__name__}: {error}"[:500])
        if not announced and report.rounds:
            print(json.dumps({"event": "ready"}), flush=True)
            announced = True
        time.sleep(0.01)
    report.seconds = round(time.monotonic() - started, 3)
    print(json.dumps({"event": "report", **asdict(report)}), flush=True)
    return 0


class ReaderHandle:
    """A running reader process; ``report`` is set once the ``with`` block ends."""

    def __init__(self, process: subprocess.Popen[str], stop_file: Path) -> None:
        self.process = process
        self.stop_file = stop_file
        self.report: ReaderReport | None = None

    def _wait_for(self, event: dict[str, str], timeout: float) -> None:
        """Read the reader's lines until one contains ``event`` (or fail with its report)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            data = json.loads(line)
            if event.items() <= data.items():
                return
            if data.get("event") == "report":
                self.report = _parse_report(line)
                break
        raise RuntimeError(f"the reader never reported {event}: {self.stop()}")

    def wait_started(self, timeout: float) -> None:
        """Block until the reader process runs its loop (imports take a second or two)."""
        self._wait_for({"event": "started"}, timeout)

    def wait_ready(self, timeout: float) -> None:
        """Block until the reader has completed one good round."""
        self._wait_for({"event": "ready"}, timeout)

    def wait_for_run(self, run_id: str, timeout: float = 60) -> None:
        """Block until the reader has read the copy published by ``run_id``.

        The reader keeps going: call it after a run, before the block ends, so that the report
        covers the new copy too.
        """
        self._wait_for({"event": "run", "run_id": run_id}, timeout)

    def stop(self, timeout: float = 60) -> ReaderReport:
        """Ask the reader to finish, and return its report."""
        if self.report is not None:
            return self.report
        self.stop_file.touch()
        out, err = self.process.communicate(timeout=timeout)
        lines = [line for line in out.splitlines() if line.strip()]
        if self.process.returncode != 0 or not lines:
            raise RuntimeError(f"reader exited {self.process.returncode}: {err[-2000:]}")
        self.report = _parse_report(lines[-1])
        return self.report


def _parse_report(line: str) -> ReaderReport:
    data = json.loads(line)
    data.pop("event", None)
    return ReaderReport(**data)


@contextmanager
def published_copy_reader(
    path: Path, *, max_seconds: float = 600, allow_missing: bool = False, ready_timeout: float = 60
) -> Iterator[ReaderHandle]:
    """Run the reader in another process for the duration of the block.

    Without ``allow_missing`` the copy must exist and the block starts after one good round;
    with it, as soon as the reader's loop runs (the lines read while waiting are consumed, so
    wait for a run only after the block began).
    Read ``handle.report`` after the block.
    """
    with tempfile.TemporaryDirectory(prefix="cdp-reader-") as folder:
        stop_file = Path(folder) / "stop"
        command = [sys.executable, "-m", "orchestration.publishing.reader", str(path)]
        command += ["--stop-file", str(stop_file), "--seconds", str(max_seconds)]
        if allow_missing:
            command.append("--allow-missing")
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        handle = ReaderHandle(process, stop_file)
        try:
            if allow_missing:
                handle.wait_started(ready_timeout)
            else:
                handle.wait_ready(ready_timeout)
            yield handle
        finally:
            if handle.report is None and process.poll() is None:
                handle.stop()
            elif process.poll() is None:
                process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the published DuckDB file")
    parser.add_argument("--stop-file", type=Path, help="stop when this file appears")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    parser.add_argument("--allow-missing", action="store_true", help="wait for the file")
    args = parser.parse_args(argv)
    return run_reader(args.path.resolve(), args.stop_file, args.seconds, args.allow_missing)


if __name__ == "__main__":
    sys.exit(main())
