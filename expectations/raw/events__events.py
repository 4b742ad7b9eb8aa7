"""Raw Segment events (kind ``events``, entity ``events``): one row per messageId."""

from __future__ import annotations

from expectations.raw.builder import RawTable
from expectations.suite import WARNING, Expectations, gx_expectations

KIND, ENTITY = "events", "events"
# The Segment spec's call types.
SEGMENT_CALLS = ["identify", "track", "page", "screen", "group", "alias"]


def expectations(table: RawTable) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            gxe.ExpectColumnValuesToBeInSet(
                column="event_type",
                value_set=SEGMENT_CALLS,
                mostly=0.99,
                severity=WARNING,
                description="Event types are Segment call types.",
            ),
            # Segment always sets anonymousId on the client; without it (and before identify)
            # an event cannot be tied to any device.
            gxe.ExpectColumnValuesToNotBeNull(
                column="anonymous_id",
                mostly=0.95,
                severity=WARNING,
                description="Events carry an anonymous id.",
            ),
        ]
    )
