"""Raw WeChat followers (kind ``social``, entity ``followers``): one row per openid."""

from __future__ import annotations

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "social", "followers"


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="updated_at",
                column_B="subscribed_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                mostly=0.99,
                severity=WARNING,
                description="A follower is not exported before they followed.",
            ),
        ]
    )
