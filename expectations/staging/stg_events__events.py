"""stg_events__events: one row per Segment event (messageId) that passed staging."""

from __future__ import annotations

from expectations.staging.conventions import (
    BOOLEAN,
    TIMESTAMP,
    VARCHAR,
    code_expectations,
    combine,
    email_columns,
    email_expectations,
    future_expectations,
    phone_columns,
    phone_expectations,
    staging_suite,
)
from expectations.suite import Expectations


def _expectations() -> Expectations:
    return combine(
        code_expectations("event_type", "segment_call", max_unknown_share=0.01),
        email_expectations("trait_email", min_valid_share=0.9),
        phone_expectations("trait_phone", min_valid_share=0.8),
        future_expectations(max_share=0.01),
    )


SUITE = staging_suite(
    "stg_events__events",
    "event_id",
    columns={
        "event_type": VARCHAR,
        "anonymous_id": VARCHAR,
        "user_id": VARCHAR,
        "occurred_at": TIMESTAMP,
        "sent_at": TIMESTAMP,
        "is_future_dated": BOOLEAN,
        **email_columns("trait_email"),
        **phone_columns("trait_phone"),
    },
    identifiers=("anonymous_id", "user_id"),
    specific=_expectations,
    description="One row per Segment event.",
)
