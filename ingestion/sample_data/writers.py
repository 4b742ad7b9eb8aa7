"""Writing landing files, the ground truth and the manifest.

Text files (CSV, JSON lines, JSON arrays) are produced as one ``line`` string per record by DuckDB
SQL and written by copying the Arrow string buffer straight to disk: every line ends with ``\\n``,
so the concatenated value buffer *is* the file. That keeps 10M-event runs fast, lets broken lines
sit at known positions, and makes the output byte-for-byte deterministic.

Every module hands each file's records to :class:`Output`, which records one ground-truth row per
record (key, person, file, physical row, row-level issue) and the counts for the manifest.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Row-level issues that make a record unloadable by key (its ground-truth key is ``file:row``).
BROKEN_ISSUES = frozenset({"bad_json", "missing_key", "bad_field_count"})

GROUND_TRUTH_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("table", pa.string()),
        ("record_key", pa.string()),
        ("person_id", pa.string()),
        ("file", pa.string()),
        ("row", pa.int64()),
        ("issue", pa.string()),
    ]
)

_SQL_MACROS = r"""
SET TimeZone = 'UTC';
SET enable_progress_bar = false;
CREATE OR REPLACE MACRO ts_local(s) AS
    strftime(make_timestamp((s + 28800)::BIGINT * 1000000), '%Y-%m-%d %H:%M:%S');
CREATE OR REPLACE MACRO ts_iso_z(s) AS
    strftime(make_timestamp((s)::BIGINT * 1000000), '%Y-%m-%dT%H:%M:%SZ');
CREATE OR REPLACE MACRO csvq(x) AS CASE
    WHEN x IS NULL THEN ''
    WHEN regexp_matches(x, '[",\r\n]|^\s|\s$') THEN '"' || replace(x, '"', '""') || '"'
    ELSE x END;
"""


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the helper macros; insertion order is kept for determinism."""
    con = duckdb.connect(config={"preserve_insertion_order": True})
    con.execute(_SQL_MACROS)
    return con


def csv_line(columns: list[str]) -> str:
    """SQL for one CSV line (minimal quoting, plus quoting of values with edge whitespace)."""
    return " || ',' || ".join(f"csvq(({c})::VARCHAR)" for c in columns) + " || chr(10)"


def json_obj(pairs: list[tuple[str, str]]) -> str:
    """SQL for a JSON object whose keys are left out when their value is NULL.

    ``to_json(NULL)`` is NULL and ``concat_ws`` skips NULLs, so optional Segment fields such as
    ``userId`` are absent rather than ``null``, like a real client library sends them.
    """
    parts = [f"'{json.dumps(key)}:' || to_json({expr})" for key, expr in pairs]
    return "'{' || concat_ws(',', " + ", ".join(parts) + ") || '}'"


def _write_string_column(fh: Any, column: pa.ChunkedArray) -> None:
    for chunk in column.chunks:
        if len(chunk) == 0:
            continue
        if chunk.null_count:
            raise ValueError("a line is NULL: every line expression must be non-null")
        offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=offset_type)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
        fh.write(memoryview(chunk.buffers()[2])[int(offsets[0]) : int(offsets[-1])])


class Output:
    """The landing and ground-truth folders of one run, and what has been written to them."""

    def __init__(self, root: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.root = root
        self.landing = root / "landing"
        self.ground_truth_dir = root / "ground_truth"
        self.con = con
        self.tables: dict[str, dict[str, Any]] = {}
        # A rerun replaces everything this generator owns, and nothing else under ``root``.
        for owned in (self.landing, self.ground_truth_dir):
            if owned.exists():
                shutil.rmtree(owned)
            owned.mkdir(parents=True)
        # Ground truth is streamed file by file: 20M+ rows at 1M persons never sit in memory.
        self.truth_path = self.ground_truth_dir / "ground_truth.parquet"
        self._truth = pq.ParquetWriter(self.truth_path, GROUND_TRUTH_SCHEMA, compression="zstd")

    # --- bookkeeping ------------------------------------------------------------------------
    def _entry(self, source: str, table: str) -> dict[str, Any]:
        return self.tables.setdefault(
            f"{source}.{table}", {"rows": 0, "files": {}, "distinct_keys": 0, "issues": {}}
        )

    def _record(self, source: str, table: str, rel: str, truth: pa.Table, first_row: int) -> None:
        n = truth.num_rows
        rows = pa.array(np.arange(first_row, first_row + n, dtype=np.int64))
        issue = truth.column("issue")
        # Broken records have no usable key: they are identified as ``file:row``.
        broken = pc.fill_null(pc.is_in(issue, value_set=pa.array(sorted(BROKEN_ISSUES))), False)
        file_row = pc.binary_join_element_wise(f"{rel}", pc.cast(rows, pa.string()), ":")
        key = pc.if_else(broken, file_row, truth.column("record_key").cast(pa.string()))

        def constant(value: str) -> pa.Array:
            return pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(n, dtype=np.int32)), pa.array([value])
            ).cast(pa.string())

        part = pa.table(
            {
                "source": constant(source),
                "table": constant(table),
                "record_key": key,
                "person_id": truth.column("person_id").cast(pa.string()),
                "file": constant(rel),
                "row": rows,
                "issue": issue.cast(pa.string()),
            },
            schema=GROUND_TRUTH_SCHEMA,
        )
        self._truth.write_table(part, row_group_size=1 << 20)
        entry = self._entry(source, table)
        entry["rows"] += n
        entry["files"][rel] = n

    def write_text(
        self,
        source: str,
        table: str,
        filename: str,
        result: pa.Table,
        *,
        header: str | None = None,
        array: bool = False,
    ) -> None:
        """Write ``result.line`` (lines ending in a newline) and record its ground truth.

        ``header`` is a CSV header line (so the first record is on line 2); ``array`` wraps the
        lines in ``[`` / ``]`` as a JSON array (the lines must carry their separating commas;
        records are numbered by array position, starting at 1).
        """
        rel = f"{source}/{filename}"
        path = self.landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            if header is not None:
                fh.write(header.encode() + b"\n")
            if array:
                fh.write(b"[\n")
            _write_string_column(fh, result.column("line"))
            if array:
                fh.write(b"]\n")
        self._record(source, table, rel, result, 2 if header is not None else 1)

    def write_parquet(self, source: str, table: str, filename: str, result: pa.Table) -> None:
        """Write ``result`` without its ground-truth columns (``record_key``, ``person_id``,
        ``issue``; the key is also one of the data columns) and record the ground truth."""
        rel = f"{source}/{filename}"
        path = self.landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = result.drop_columns(["person_id", "issue", "record_key"])
        pq.write_table(data, path, compression="zstd", row_group_size=1 << 20)
        self._record(source, table, rel, result, 1)

    def note(self, source: str, table: str, **counts: Any) -> None:
        """Add named counts (kinds of mess, story facts) to a table's manifest entry."""
        self._entry(source, table).update(counts)

    # --- finishing --------------------------------------------------------------------------
    def finish(self, meta: dict[str, Any]) -> dict[str, Any]:
        self._truth.close()
        truth = self.truth_path.as_posix().replace("'", "''")
        self.con.execute(f"CREATE OR REPLACE VIEW _truth AS SELECT * FROM read_parquet('{truth}')")
        stats = self.con.execute(
            """
            SELECT source || '.' || "table" AS t,
                   count(DISTINCT record_key) FILTER (
                       WHERE issue IS NULL OR issue NOT IN ('bad_json', 'missing_key',
                                                            'bad_field_count')) AS keys
            FROM _truth GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
        issues = self.con.execute(
            """
            SELECT source || '.' || "table", issue, count(*) FROM _truth
            WHERE issue IS NOT NULL GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
        self.con.execute("DROP VIEW _truth")
        for name, keys in stats:
            self.tables[name]["distinct_keys"] = int(keys)
        for name, issue, n in issues:
            self.tables[name]["issues"][issue] = int(n)
        manifest: dict[str, Any] = {"_meta": meta}
        for name in sorted(self.tables):
            entry = self.tables[name]
            entry["files"] = dict(sorted(entry["files"].items()))
            entry["issues"] = dict(sorted(Counter(entry["issues"]).items()))
            manifest[name] = entry
        text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False)
        (self.ground_truth_dir / "manifest.json").write_text(text + "\n", encoding="utf-8")
        return manifest
