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

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ingestion.config import ConfigError, TableConfig

from .settings import BATCH_ROWS, JSON_LINE_COLUMN, ROW_COLUMN

# A byte that cannot occur in valid JSON text (control characters must be escaped there), used as
# the CSV delimiter so that each JSON line arrives as exactly one field.
_NEVER_IN_JSON = "\x1f"


@dataclass
class Rejected:
    """A row that could not even be split into fields."""

    row_number: int
    reason: str
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
        yield RawBatch(table.slice(offset, BATCH_ROWS), rejected if offset == 0 else [])


def _line_numbers(good_rows: int, rejected_lines: set[int], first_line: int) -> pa.Array:
    """Physical line numbers of the rows pyarrow kept, given the lines it rejected."""
    numbers = []
    line = first_line
    while len(numbers) < good_rows:
        if line not in rejected_lines:
            numbers.append(line)
        line += 1
    return pa.array(numbers, type=pa.int64())


def _read_delimited(
    path: Path, names: list[str], skip_rows: int, delimiter: str, quoting: bool
) -> tuple[pa.Table, list[Rejected], set[int]]:
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    # Without threads, because with them pyarrow cannot tell the line number of a bad row.
    read_options = pa_csv.ReadOptions(use_threads=False, column_names=names, skip_rows=skip_rows)
    try:
        table = pa_csv.read_csv(
            path,
            read_options=read_options,
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"' if quoting else False,
                escape_char=False,
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
        raise ConfigError(
            f"{path}: cannot be read as {'CSV' if quoting else 'JSON lines'}: {error}"
        ) from error
    rejected = [Rejected(number, "", text) for number, text in invalid]
    return table, rejected, {number for number, _ in invalid}


def read_csv(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    header = csv_header(path, table_config.csv_delimiter)
    table, invalid, invalid_lines = _read_delimited(
        path, header, 1, table_config.csv_delimiter, quoting=True
    )
    rejected = []
    for row in invalid:
        if row.text.strip() == "":
            continue  # a blank line is not a row
        fields = len(next(csv.reader([row.text], delimiter=table_config.csv_delimiter), []))
        rejected.append(
            Rejected(
                row.row_number,
                f"row has {fields} fields, the header has {len(header)}",
                row.text,
            )
        )
    numbers = _line_numbers(table.num_rows, invalid_lines, first_line=2)
    yield from _slices(table.append_column(ROW_COLUMN, numbers), rejected)


def read_jsonl(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    table, invalid, invalid_lines = _read_delimited(
        path, [JSON_LINE_COLUMN], 0, _NEVER_IN_JSON, quoting=False
    )
    rejected = [Rejected(row.row_number, "invalid JSON", row.text) for row in invalid]
    numbers = _line_numbers(table.num_rows, invalid_lines, first_line=1)
    table = table.append_column(ROW_COLUMN, numbers)
    # Blank lines (a trailing newline, a gap) are not rows.
    lines = table.column(JSON_LINE_COLUMN)
    blank = pa.compute.equal(pa.compute.utf8_trim_whitespace(lines), "")
    yield from _slices(table.filter(pa.compute.invert(blank)), rejected)


def read_json_array(path: Path, table_config: TableConfig) -> Iterator[RawBatch]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        # The file as a whole is broken: nothing can be split into records, keep it all.
        rejected = [Rejected(0, f"file is not valid JSON: {error}", text)]
        yield RawBatch(_empty_json_table(), rejected)
        return
    if not isinstance(document, list):
        rejected = [Rejected(0, "file is not a JSON array of objects", text)]
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
