"""Raw WeChat interactions (kind ``social``, entity ``interactions``)."""

from __future__ import annotations

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "social", "interactions"


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            gxe.ExpectColumnValuesToNotBeNull(
                column="interaction_type",
                mostly=0.99,
                severity=WARNING,
                description="Interactions say what they are.",
            ),
        ]
    )
