"""Which column types are cast for DuckDB 1.x readers (orchestration/publishing/compat.py)."""

from __future__ import annotations

import pytest

from orchestration.publishing.compat import columns_for_v1, published_type


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        ("TIME_NS", "TIME"),
        ("TIMESTAMPTZ_NS", "TIMESTAMP WITH TIME ZONE"),
        ("VARIANT", "JSON"),
        ("TUPLE(INTEGER, VARCHAR)", "VARCHAR"),
        ("GEOMETRY", "VARCHAR"),
        ("GEOMETRY('EPSG:4326')", "VARCHAR"),
        ("STRUCT(g GEOMETRY)[]", "VARCHAR"),
        ("MAP(VARCHAR, TIME_NS)", "VARCHAR"),
        ("VARCHAR", None),
        ("TIMESTAMP WITH TIME ZONE", None),
        ("TIMESTAMP_NS", None),
        ("DECIMAL(38,4)", None),
        ("HUGEINT", None),
        ("BIGNUM", None),
        ("STRUCT(geometry INTEGER, time_ns VARCHAR)", None),
    ],
)
def test_published_type_casts_only_what_v1_cannot_read(
    data_type: str, expected: str | None
) -> None:
    assert published_type(data_type) == expected


def test_columns_for_v1_keeps_names_and_order() -> None:
    columns = columns_for_v1([("b", "TIME_NS"), ("a", "VARCHAR"), ('we"ird', "VARIANT")])
    assert [column.select for column in columns] == [
        'cast("b" as TIME) as "b"',
        '"a"',
        'cast("we""ird" as JSON) as "we""ird"',
    ]
