"""Read landing files into Arrow batches without losing a single row.

Every reader returns the rows it could split into records together with the ones it could not (a
CSV row with the wrong number of fields, a JSON line that is not an object), each with its row
number, so the caller can quarantine them instead of dropping them. Values are read as text
(CSV) or as the raw JSON line; casting to types happens afterwards, in one place (``shaping.py``).

Row numbers are the ones a person looking at the file would use: the physical line for CSV (the
header is line 1) and JSON lines, the position in the array for JSON, the row index for Parquet,
all 1-based.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ingestion.config import ConfigError, TableConfig

from .settings import BATCH_ROWS, JSON_LINE_COLUMN, ROW_COLUMN, SCAN_CHUNK_ROWS


@dataclass
class Rejected:
    """A row that could not even be split into fields (row 0: the whole file)."""

    row_number: int
    reason: str  # a stable code, e.g. wrong_field_count
    detail: str
    text: str


@dataclass
class RawBatch:
    """Rows of one file (or one slice of it) as read, plus the rows that could not be read."""

    table: pa.Table  # raw columns (or the JSON text column) and the row number column
    rejected: list[Rejected] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def csv_header(path: Path, delimiter: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            return next(csv.reader(handle, delimiter=delimiter))
        except StopIteration:
            return []
        except UnicodeDecodeError as error:
            raise ConfigError(f"{path}: not UTF-8 text ({error})") from error


def parquet_columns(path: Path) -> list[str]:
    return list(pq.read_schema(path).names)


def _slices(table: pa.Table, rejected: list[Rejected]) -> Iterator[RawBatch]:
    # Keep batches bounded so a very large file is shaped piece by piece.
    if table.num_rows == 0:
        yield RawBatch(table, rejected)
        return
    for offset in range(0, table.num_rows, BATCH_ROWS):
        piece = table.slice(offset, BATCH_ROWS)
        # DuckDB scans one Arrow record batch per thread: small batches let every core parse.
        piece = pa.Table.from_batches(piece.to_batches(max_chunksize=SCAN_CHUNK_ROWS))
        yield RawBatch(piece, rejected if offset == 0 else [])


def _read_csv_table(
    path: Path, names: list[str], delimiter: str, *, use_threads: bool
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    invalid: list[tuple[int | None, str]] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                use_threads=use_threads, column_names=names, skip_rows=1
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise ConfigError(f"{path}: cannot be read as CSV: {error}") from error
    return table, invalid


def _line_numbers(good_rows: int, rejected_lines: set[int], first_line: int) -> pa.Array:
    """Physical line numbers of the rows pyarrow kept, given the lines it rejected."""
    lines = np.arange(first_line, first_line + good_rows + len(rejected_lines), dtype=np.int64)
    kept = lines[~np.isin(lines, np.fromiter(rejected_lines, dtype=np.int64))]
    return pa.array(kept[:good_rows])


def read_csv(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    delimiter = table_config.csv_delimiter
    header = csv_header(path, delimiter)
    table, invalid = _read_csv_table(path, header, delimiter, use_threads=True)
    if invalid:
        # Only a single-threaded read tells the line number of a bad row: pay for it only then.
        table, invalid = _read_csv_table(path, header, delimiter, use_threads=False)
    rejected = []
    for number, text in invalid:
        if text.strip() == "":
            continue  # a blank line is not a row
        fields = len(next(csv.reader([text], delimiter=delimiter), []))
        detail = f"row has {fields} fields, the header has {len(header)}"
        rejected.append(Rejected(number or 0, "wrong_field_count", detail, text))
    numbers = _line_numbers(table.num_rows, {n for n, _ in invalid if n}, first_line=2)
    yield from _slices(table.append_column(ROW_COLUMN, numbers), rejected)


def _split_lines(data: bytes) -> pa.Array:
    """Every line of a text file as one string, without copying it line by line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = b"   " + data[3:]  # a byte-order mark is whitespace to JSON; keep offsets intact
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == 10)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    if data.endswith(b"\n"):
        starts = starts[:-1]  # the final newline ends the last line, it starts none
    offsets = np.append(starts, len(data)).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        # Not UTF-8 somewhere: decode line by line, replacing what cannot be read; such a line
        # is then invalid JSON and quarantined with the rest of its kind.
        text = data.decode("utf-8", errors="replace")
        return pc.utf8_rtrim_whitespace(
            pa.array(text.split("\n")[: len(starts)], pa.large_string())
        )
    return pc.utf8_rtrim_whitespace(lines)


def read_jsonl(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    lines = _split_lines(path.read_bytes())
    numbers = pa.array(np.arange(1, len(lines) + 1, dtype=np.int64))
    table = pa.table({JSON_LINE_COLUMN: lines, ROW_COLUMN: numbers})
    # Blank lines (a gap, a trailing newline) are not rows.
    yield from _slices(table.filter(pc.not_equal(lines, "")), [])


def read_json_array(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        # The file as a whole is broken: nothing can be split into records, keep it all.
        rejected = [Rejected(0, "unreadable_file", f"file is not valid JSON: {error}", text)]
        yield RawBatch(_empty_json_table(), rejected)
        return
    if not isinstance(document, list):
        rejected = [Rejected(0, "unreadable_file", "file is not a JSON array of objects", text)]
        yield RawBatch(_empty_json_table(), rejected)
        return
    lines = [json.dumps(item, ensure_ascii=False) for item in document]
    table = pa.table(
        {
            JSON_LINE_COLUMN: pa.array(lines, type=pa.string()),
            ROW_COLUMN: pa.array(range(1, len(lines) + 1), type=pa.int64()),
        }
    )
    yield from _slices(table, [])


def _empty_json_table() -> pa.Table:
    return pa.table(
        {
            JSON_LINE_COLUMN: pa.array([], type=pa.string()),
            ROW_COLUMN: pa.array([], type=pa.int64()),
        }
    )


def read_parquet(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    parquet = pq.ParquetFile(path)
    offset = 0
    produced = False
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        numbers = pa.array(range(offset + 1, offset + batch.num_rows + 1), type=pa.int64())
        offset += batch.num_rows
        produced = True
        yield RawBatch(pa.Table.from_batches([batch]).append_column(ROW_COLUMN, numbers))
    if not produced:
        yield RawBatch(
            parquet.schema_arrow.empty_table().append_column(
                ROW_COLUMN, pa.array([], type=pa.int64())
            )
        )


READERS = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "json": read_json_array,
    "parquet": read_parquet,
}


def read_batches(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    yield from READERS[table_config.format](path, table_config)
