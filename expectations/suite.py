"""What a table suite is: the table, its key, and GX expectations on three kinds of batch.

GX 1.24 cannot validate DuckDB through SQLAlchemy (every metric fails with an IndexError), so the
runner reads pandas batches from DuckDB. A table of 10M rows does not fit one batch, which decides
where each expectation runs:

- ``catalog``: one row per expected column (``column_name``, ``expected_type``, ``actual_type``
  from DuckDB's catalog). Missing columns and type drift are judged on the warehouse's own types,
  not on pandas dtypes (which cannot tell a DECIMAL from a VARCHAR).
- ``profile``: one row of SQL aggregates over the whole table (``aggregates``): row count,
  non-blank values of an identifier, hours since the last load.
- ``rows``: row-level (map) expectations, run on chunks that partition the table by
  ``hash(key) % n`` and merged on the summed counts (see :mod:`expectations.runner`).

Severity is GX's own ``severity`` field of each expectation: ``critical`` breaches corrupt identity
and block downstream assets; ``warning`` breaches are drifts in rates and only warn.

GX takes seconds to import, so suite modules describe expectations with functions that are called
only when a check runs (the Dagster definitions load without importing GX).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

CRITICAL = "critical"
WARNING = "warning"

# Columns of the catalog batch.
CATALOG_COLUMN = "column_name"
EXPECTED_TYPE = "expected_type"
ACTUAL_TYPE = "actual_type"
# Aggregate every profile has: the rows of the table.
ROW_COUNT = "row_count"


@dataclass(frozen=True)
class Expectations:
    """The GX expectations of one suite, by the batch they run on."""

    catalog: list[Expectation] = field(default_factory=list)
    profile: list[Expectation] = field(default_factory=list)
    rows: list[Expectation] = field(default_factory=list)

    def __add__(self, other: Expectations) -> Expectations:
        return Expectations(
            catalog=[*self.catalog, *other.catalog],
            profile=[*self.profile, *other.profile],
            rows=[*self.rows, *other.rows],
        )


@dataclass(frozen=True)
class TableSuite:
    """One validated table (or view) of the warehouse and the Dagster asset it belongs to."""

    name: str  # GX suite name, "<schema>.<table>"
    asset_key: tuple[str, ...]
    schema: str
    table: str
    key: str  # the row key: chunks are partitions of its hash, failing rows are reported by it
    columns: Mapping[str, str | None]  # columns that must exist -> DuckDB type (None: any type)
    aggregates: Mapping[str, str]  # profile: name -> SQL aggregate over the table
    expectations: Callable[[], Expectations]
    description: str = ""

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.table}"'


# Constructors of the expectations every suite uses. Each imports GX when called.


def gx_expectations() -> Any:
    """The ``great_expectations.expectations`` module, imported on first use (~7 s)."""
    from great_expectations import expectations

    return expectations


def columns_exist() -> Expectation:
    """Every expected column is in the table (a missing column reads as a null actual type)."""
    return gx_expectations().ExpectColumnValuesToNotBeNull(
        column=ACTUAL_TYPE,
        severity=CRITICAL,
        description="Every expected column exists.",
        meta={"rule": "columns_exist"},
    )


def columns_keep_types() -> Expectation:
    """Every expected column has the DuckDB type the contract names (no type drift)."""
    return gx_expectations().ExpectColumnPairValuesToBeEqual(
        column_A=ACTUAL_TYPE,
        column_B=EXPECTED_TYPE,
        ignore_row_if="either_value_is_missing",
        severity=CRITICAL,
        description="Every column keeps its DuckDB type.",
        meta={"rule": "columns_keep_types"},
    )


def not_empty() -> Expectation:
    return gx_expectations().ExpectColumnMinToBeBetween(
        column=ROW_COUNT,
        min_value=1,
        severity=CRITICAL,
        description="The table holds rows.",
        meta={"rule": "not_empty"},
    )


def non_blank_aggregate(column: str) -> tuple[str, str]:
    """Profile aggregate counting the values of ``column`` that are neither null nor blank."""
    return f"non_blank__{column}", f"count(nullif(trim(cast(\"{column}\" as varchar)), ''))"


def not_collapsed(column: str) -> Expectation:
    """An identifier column still holds values: an export that silently dropped it would
    otherwise unlink every record of the table from its person."""
    name, _ = non_blank_aggregate(column)
    return gx_expectations().ExpectColumnMinToBeBetween(
        column=name,
        min_value=1,
        severity=CRITICAL,
        description=f"{column} is not collapsed to all null or blank.",
        meta={"rule": "not_collapsed", "column": column},
    )


def hours_since_aggregate(column: str) -> tuple[str, str]:
    """Profile aggregate: hours since the newest ``column`` (a very large number when empty)."""
    return (
        f"hours_since_last_{column.lstrip('_')}",
        f"coalesce(date_diff('second', max(\"{column}\"), now()) / 3600.0, 1e9)",
    )


def fresh(column: str, max_age_hours: float) -> Expectation:
    name, _ = hours_since_aggregate(column)
    return gx_expectations().ExpectColumnMaxToBeBetween(
        column=name,
        max_value=max_age_hours,
        severity=WARNING,
        description=f"The newest {column} is at most {max_age_hours:g} hours old.",
        meta={"rule": "fresh", "column": column},
    )


def key_not_null(key: str) -> Expectation:
    return gx_expectations().ExpectColumnValuesToNotBeNull(
        column=key,
        severity=CRITICAL,
        description=f"Every row has a {key}.",
        meta={"rule": "key_not_null"},
    )


def key_unique(key: str) -> Expectation:
    return gx_expectations().ExpectColumnValuesToBeUnique(
        column=key,
        severity=CRITICAL,
        description=f"{key} is unique: two rows with one key would merge two records.",
        meta={"rule": "key_unique"},
    )


def required(column: str) -> Expectation:
    return gx_expectations().ExpectColumnValuesToNotBeNull(
        column=column,
        severity=CRITICAL,
        description=f"{column} is required.",
        meta={"rule": "required"},
    )


def table_expectations(
    key: str,
    *,
    not_collapsed_columns: tuple[str, ...] = (),
    freshness_column: str | None = None,
    max_age_hours: float = 48,
    required_columns: tuple[str, ...] = (),
) -> Expectations:
    """The structure every suite shares: columns and types, rows, key, identifiers, freshness."""
    profile = [not_empty(), *(not_collapsed(column) for column in not_collapsed_columns)]
    if freshness_column:
        profile.append(fresh(freshness_column, max_age_hours))
    return Expectations(
        catalog=[columns_exist(), columns_keep_types()],
        profile=profile,
        rows=[key_not_null(key), key_unique(key), *(required(c) for c in required_columns)],
    )


def table_aggregates(
    *, not_collapsed_columns: tuple[str, ...] = (), freshness_column: str | None = None
) -> dict[str, str]:
    """The profile aggregates :func:`table_expectations` reads."""
    aggregates = {ROW_COUNT: "count(*)"}
    aggregates.update(non_blank_aggregate(column) for column in not_collapsed_columns)
    if freshness_column:
        aggregates.update([hours_since_aggregate(freshness_column)])
    return aggregates
