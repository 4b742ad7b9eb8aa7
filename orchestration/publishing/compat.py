"""Column types a DuckDB 1.x reader cannot use, and the casts the published copy applies to them.

Writing with ``STORAGE_VERSION 'v1.0.0'`` makes the file format readable by 1.x, but not every
2.0 type survives the trip. Checked with DuckDB 2.0.1 writing and 1.1.3 reading, one table per
type: the types of ``duckdb_types()`` that 2.0 has and 1.1.3 lacks (bignum, geometry,
timestamptz_ns, time_ns, tuple, variant), and geometry, timestamp_ns, uhugeint, union, json, uuid,
interval, bit, enum, timetz, map, struct, list, array, blob, hugeint, decimal(38), timestamp_s,
timestamptz:

- ``TIME_NS``, ``TIMESTAMPTZ_NS``: the file is written, but 1.1.3 cannot open the *whole file*
  ("Enum value: '35' not implemented in ToChars<LogicalTypeId>"). Cast to ``TIME`` and
  ``TIMESTAMP WITH TIME ZONE`` (microseconds).
- ``VARIANT``, ``TUPLE``: 2.0 refuses to write them below storage v1.5.0 / v2.0.0. Cast to
  ``JSON`` and ``VARCHAR``.
- ``GEOMETRY``: the file opens, but 1.x reads 2.0's internal geometry bytes as its spatial
  extension's own GEOMETRY type, which is a different encoding. Cast to WKT text.
- Everything else in the list above opens and reads back equal (``BIGNUM`` appears as 1.x's
  ``VARINT``); it is copied unchanged.

A nested type (list, struct, map, union) holding one of these is cast to ``VARCHAR`` as a whole:
readable, if no longer typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Type names are upper case in DuckDB's catalog; struct field names keep their own case, so a
# case-sensitive match does not mistake a field called "geometry" for the type.
_SCALAR_CASTS = {
    "TIME_NS": "TIME",
    "TIMESTAMPTZ_NS": "TIMESTAMP WITH TIME ZONE",
    "VARIANT": "JSON",
    "TUPLE": "VARCHAR",
    "GEOMETRY": "VARCHAR",
}
_UNREADABLE = re.compile(r"\b(" + "|".join(_SCALAR_CASTS) + r")\b")
# GEOMETRY may carry a coordinate reference system: GEOMETRY('EPSG:4326').
_SCALAR = re.compile(r"(?P<name>[A-Z_]+)(\('[^']*'\))?")
# A TUPLE lists its member types in parentheses, and is cast to VARCHAR whatever they are.
_TUPLE = re.compile(r"TUPLE\(.*\)")


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    """One column as the published copy selects it."""

    name: str
    source_type: str
    published_type: str | None  # None: copied unchanged

    @property
    def select(self) -> str:
        """The select-list item: the column, cast when a 1.x reader needs it."""
        if self.published_type is None:
            return quote(self.name)
        return f"cast({quote(self.name)} as {self.published_type}) as {quote(self.name)}"


def published_type(data_type: str) -> str | None:
    """The type a column of ``data_type`` is published as, or None to keep it as it is."""
    if not _UNREADABLE.search(data_type):
        return None
    if _TUPLE.fullmatch(data_type):
        return "VARCHAR"
    scalar = _SCALAR.fullmatch(data_type)
    if scalar and scalar.group("name") in _SCALAR_CASTS:
        return _SCALAR_CASTS[scalar.group("name")]
    return "VARCHAR"


def columns_for_v1(columns: list[tuple[str, str]]) -> list[Column]:
    """``(name, data_type)`` pairs, in table order, as the columns of the published table."""
    return [Column(name, data_type, published_type(data_type)) for name, data_type in columns]
