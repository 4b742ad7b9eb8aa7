"""Raw CRM customers (kind ``crm``, entity ``customers``): one row per CRM customer record."""

from __future__ import annotations

from datetime import date, datetime, time

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "crm", "customers"


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="updated_at",
                column_B="created_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                mostly=0.99,
                severity=WARNING,
                description="A record is not changed before it is created.",
            ),
            # The loader nulls dates outside 1900-2100; a birth date in the future is a typo too.
            # DATE columns arrive in pandas as naive timestamps: compare with datetimes.
            gxe.ExpectColumnValuesToBeBetween(
                column="birth_date",
                min_value=datetime(1900, 1, 1),
                max_value=datetime.combine(date.today(), time()),
                mostly=0.999,
                severity=WARNING,
                description="Birth dates lie between 1900 and today.",
            ),
        ]
    )
