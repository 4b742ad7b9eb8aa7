"""Raw orders (kind ``orders``, entity ``orders``): one row per order."""

from __future__ import annotations

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "orders", "orders"


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            # Refund adjustments arrive as negative totals now and then; a jump is a sign flip.
            gxe.ExpectColumnValuesToBeBetween(
                column="total_amount",
                min_value=0,
                mostly=0.98,
                severity=WARNING,
                description="Order totals are not negative (a few refund adjustments are).",
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="currency",
                regex=r"^\s*[A-Za-z]{3}\s*$",
                mostly=0.99,
                severity=WARNING,
                description="Currencies look like ISO 4217 codes.",
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="updated_at",
                column_B="ordered_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                mostly=0.99,
                severity=WARNING,
                description="An order is not updated before it is placed.",
            ),
        ]
    )
