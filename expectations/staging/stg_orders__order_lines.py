"""stg_orders__order_lines: one row per order line that passed staging."""

from __future__ import annotations

from expectations.staging.conventions import (
    BIGINT,
    DECIMAL,
    VARCHAR,
    combine,
    range_expectation,
    staging_suite,
)
from expectations.suite import Expectations


def _expectations() -> Expectations:
    # Non-positive quantities and negative prices are quarantined in staging: none may be left.
    return combine(
        range_expectation("quantity", min_value=1),
        range_expectation("unit_price", min_value=0),
    )


SUITE = staging_suite(
    "stg_orders__order_lines",
    "order_line_id",
    columns={
        "order_id": VARCHAR,
        "sku": VARCHAR,
        "currency": VARCHAR,
        "quantity": BIGINT,
        "unit_price": DECIMAL,
    },
    identifiers=("order_id",),
    specific=_expectations,
    description="One row per order line.",
)
