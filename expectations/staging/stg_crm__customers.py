"""stg_crm__customers: one row per CRM customer record that passed staging."""

from __future__ import annotations

from datetime import date, datetime, time

from expectations.staging.conventions import (
    BOOLEAN,
    COUNTRY_COLUMNS,
    DATE,
    TIMESTAMP,
    VARCHAR,
    code_expectations,
    combine,
    country_expectations,
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
        phone_expectations(min_valid_share=0.9),
        country_expectations(),
        code_expectations("gender", "gender", max_unknown_share=0.05),
        future_expectations(max_share=0.01),
        # DATE columns arrive in pandas as naive timestamps.
        range_expectation(
            "birth_date",
            min_value=datetime(1900, 1, 1),
            max_value=datetime.combine(date.today(), time()),
        ),
    )


SUITE = staging_suite(
    "stg_crm__customers",
    "customer_id",
    columns={
        **email_columns(),
        **phone_columns(),
        **COUNTRY_COLUMNS,
        "gender": VARCHAR,
        "has_email_consent": BOOLEAN,
        "has_sms_consent": BOOLEAN,
        "has_ads_consent": BOOLEAN,
        "birth_date": DATE,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "is_future_dated": BOOLEAN,
    },
    identifiers=("email", "phone_e164"),
    specific=_expectations,
    description="One row per CRM customer record.",
)
