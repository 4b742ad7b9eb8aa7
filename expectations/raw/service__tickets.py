"""Raw customer service tickets (kind ``service``, entity ``tickets``)."""

from __future__ import annotations

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "service", "tickets"


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            gxe.ExpectColumnValuesToBeBetween(
                column="satisfaction_score",
                min_value=1,
                max_value=5,
                severity=WARNING,
                description="CSAT scores are 1 to 5.",
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="updated_at",
                column_B="created_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                mostly=0.99,
                severity=WARNING,
                description="A ticket is not updated before it is opened.",
            ),
        ]
    )
