"""Raw email engagement events (kind ``email``, entity ``email_events``)."""

from __future__ import annotations

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "email", "email_events"


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            # An ESP only records events of addresses it sent to: a recipient without an @ means
            # a column shifted in the export.
            gxe.ExpectColumnValuesToMatchRegex(
                column="email",
                regex="@",
                mostly=0.99,
                severity=WARNING,
                description="Recipients look like email addresses.",
            ),
        ]
    )
