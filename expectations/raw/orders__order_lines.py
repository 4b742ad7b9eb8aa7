"""Raw order lines (kind ``orders``, entity ``order_lines``): one row per order line."""

from __future__ import annotations

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "orders", "order_lines"


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            # Returns are sometimes exported as negative quantities; staging quarantines them.
            gxe.ExpectColumnValuesToBeBetween(
                column="quantity",
                min_value=1,
                mostly=0.98,
                severity=WARNING,
                description="Quantities are positive (a few returns are not).",
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="unit_price",
                min_value=0,
                mostly=0.99,
                severity=WARNING,
                description="Unit prices are not negative.",
            ),
        ]
    )
