"""stg_orders__orders: one row per order that passed staging."""

from __future__ import annotations

from expectations.staging.conventions import (
    BOOLEAN,
    DECIMAL,
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
from expectations.suite import WARNING, Expectations, gx_expectations


def _expectations() -> Expectations:
    return combine(
        email_expectations(min_valid_share=0.9),
        phone_expectations(min_valid_share=0.75),
        code_expectations("channel", "order_channel", max_unknown_share=0.02),
        code_expectations("status", "order_status", max_unknown_share=0.02),
        # Negative totals are quarantined in staging: none may be left.
        range_expectation("total_amount", min_value=0),
        Expectations(
            rows=[
                gx_expectations().ExpectColumnValuesToMatchRegex(
                    column="currency",
                    regex=r"^[A-Z]{3}$",
                    severity=WARNING,
                    description="currency is an upper-case ISO 4217 code.",
                )
            ]
        ),
        future_expectations(max_share=0.01),
    )


SUITE = staging_suite(
    "stg_orders__orders",
    "order_id",
    columns={
        "customer_id": VARCHAR,
        **email_columns(),
        **phone_columns(),
        "unionid": VARCHAR,
        "channel": VARCHAR,
        "status": VARCHAR,
        "currency": VARCHAR,
        "total_amount": DECIMAL,
        "coupon_code": VARCHAR,
        "ordered_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "is_future_dated": BOOLEAN,
    },
    # Not unionid: only a brand with a WeChat mini-program has it (the raw suite checks it is not
    # collapsed wherever sources.yml maps it).
    identifiers=("customer_id", "email", "phone_e164"),
    specific=_expectations,
    description="One row per order.",
)
