"""stg_email__email_events: one row per email engagement event that passed staging."""

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
    staging_suite,
)
from expectations.suite import Expectations


def _expectations() -> Expectations:
    return combine(
        email_expectations(min_valid_share=0.95),
        code_expectations("event_type", "email_event_type", max_unknown_share=0.02),
        future_expectations(max_share=0.01),
    )


SUITE = staging_suite(
    "stg_email__email_events",
    "email_event_id",
    columns={
        **email_columns(),
        "event_type": VARCHAR,
        "campaign_id": VARCHAR,
        "occurred_at": TIMESTAMP,
        "is_future_dated": BOOLEAN,
    },
    identifiers=("email",),
    specific=_expectations,
    description="One row per email engagement event.",
)
