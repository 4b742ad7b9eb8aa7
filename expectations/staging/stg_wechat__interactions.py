"""stg_wechat__interactions: one row per WeChat follower interaction that passed staging."""

from __future__ import annotations

from expectations.staging.conventions import (
    BOOLEAN,
    TIMESTAMP,
    VARCHAR,
    code_expectations,
    combine,
    future_expectations,
    staging_suite,
)
from expectations.suite import Expectations


def _expectations() -> Expectations:
    return combine(
        code_expectations("interaction_type", "interaction_type", max_unknown_share=0.02),
        future_expectations(max_share=0.01),
    )


SUITE = staging_suite(
    "stg_wechat__interactions",
    "interaction_id",
    columns={
        "openid": VARCHAR,
        "interaction_type": VARCHAR,
        "occurred_at": TIMESTAMP,
        "is_future_dated": BOOLEAN,
    },
    identifiers=("openid",),
    specific=_expectations,
    description="One row per WeChat follower interaction.",
)
