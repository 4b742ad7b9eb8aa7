"""stg_wechat__followers: one row per WeChat follower (openid) that passed staging."""

from __future__ import annotations

from expectations.staging.conventions import (
    BOOLEAN,
    COUNTRY_COLUMNS,
    TIMESTAMP,
    VARCHAR,
    combine,
    country_expectations,
    future_expectations,
    phone_columns,
    phone_expectations,
    staging_suite,
)
from expectations.suite import Expectations


def _expectations() -> Expectations:
    return combine(
        phone_expectations(min_valid_share=0.9),
        country_expectations(),
        future_expectations(max_share=0.01),
    )


SUITE = staging_suite(
    "stg_wechat__followers",
    "openid",
    columns={
        "unionid": VARCHAR,
        **phone_columns(),
        **COUNTRY_COLUMNS,
        "is_subscribed": BOOLEAN,
        "subscribed_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "is_future_dated": BOOLEAN,
    },
    identifiers=("unionid", "phone_e164"),
    specific=_expectations,
    description="One row per WeChat follower.",
)
