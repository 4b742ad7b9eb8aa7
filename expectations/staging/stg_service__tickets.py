"""stg_service__tickets: one row per customer service ticket that passed staging."""

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
    range_expectation,
    staging_suite,
)
from expectations.suite import Expectations


def _expectations() -> Expectations:
    return combine(
        email_expectations(min_valid_share=0.9),
        phone_expectations(min_valid_share=0.8),
        code_expectations("channel", "ticket_channel", max_unknown_share=0.02),
        code_expectations("status", "ticket_status", max_unknown_share=0.02),
        range_expectation("satisfaction_score", min_value=1, max_value=5),
        future_expectations(max_share=0.01),
    )


SUITE = staging_suite(
    "stg_service__tickets",
    "ticket_id",
    columns={
        "customer_id": VARCHAR,
        **email_columns(),
        **phone_columns(),
        "channel": VARCHAR,
        "status": VARCHAR,
        "satisfaction_score": None,  # any integer type
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "is_future_dated": BOOLEAN,
    },
    identifiers=("email", "phone_e164"),
    specific=_expectations,
    description="One row per customer service ticket.",
)
