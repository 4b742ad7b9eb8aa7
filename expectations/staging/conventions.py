"""What every staging model promises (notes/issue3-contract.md), as reusable expectations.

Critical, because identity is built on them: the key is present and unique; a valid email is
normalised and carries no invalid reason (a junk or malformed address must never be "valid");
a valid phone has an E.164 form and every E.164 value is well formed; identifier columns are not
collapsed to null. Warnings: shares of valid emails and phones among the rows that have one,
accepted values of codes and the share mapped to 'unknown', ISO country codes, future-dated rows,
freshness.

Thresholds are set below what the bundled sample data shows (its generator injects a known share
of malformed, junk and unknown values) so that a clean run passes and a drift warns. Observed on
2,000 sample persons, valid among the values present: emails 98-100%, phones 86% (guest orders)
to 98% (CRM).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from functools import cache

from expectations.suite import (
    CRITICAL,
    WARNING,
    Expectations,
    TableSuite,
    gx_expectations,
    table_aggregates,
    table_expectations,
)
from ingestion.settings import PROJECT_ROOT

SCHEMA = "staging"
VARCHAR = "VARCHAR"
BOOLEAN = "BOOLEAN"
BIGINT = "BIGINT"
TIMESTAMP = "TIMESTAMP WITH TIME ZONE"
DECIMAL = "DECIMAL(18,4)"
DATE = "DATE"
LINEAGE = {
    "source_file_name": VARCHAR,
    "source_row_number": BIGINT,
    "ingested_at": TIMESTAMP,
}
FRESHNESS_COLUMN = "ingested_at"
MAX_AGE_HOURS = 48
CODE_VALUES = PROJECT_ROOT / "dbt_project" / "seeds" / "code_values.csv"
UNKNOWN = "unknown"
EMAIL_REASONS = ["missing", "malformed", "junk"]
# 'not_parsed': the phone step has not seen the text yet; the rest come from phonenumbers.
PHONE_REASONS = [
    "missing",
    "junk",
    "not_parsed",
    "unparseable",
    "invalid_number",
    "local_only",
    "too_short",
    "too_long",
    "invalid_length",
    "invalid_country_code",
]
# A normalised address: trimmed, lowercase ASCII letters, one @ (IDN domains stay Unicode).
NORMALISED_EMAIL = r"^[^\sA-Z@]+@[^\sA-Z@]+$"
E164 = r"^\+[1-9][0-9]{6,14}$"
ISO_COUNTRY = r"^[A-Z]{2}$"


def email_columns(prefix: str = "email") -> dict[str, str | None]:
    return {
        f"{prefix}_original": VARCHAR,
        prefix: VARCHAR,
        f"{prefix}_domain": VARCHAR,
        f"{prefix}_is_valid": BOOLEAN,
        f"{prefix}_invalid_reason": VARCHAR,
    }


def phone_columns(prefix: str = "phone") -> dict[str, str | None]:
    return {
        f"{prefix}_original": VARCHAR,
        f"{prefix}_e164": VARCHAR,
        f"{prefix}_type": VARCHAR,
        f"{prefix}_is_valid": BOOLEAN,
        f"{prefix}_invalid_reason": VARCHAR,
    }


COUNTRY_COLUMNS: dict[str, str | None] = {"country_original": VARCHAR, "country_code": VARCHAR}


@cache
def accepted_values(domain: str) -> tuple[str, ...]:
    """The values the ``code_values`` seed maps a domain onto (what dbt writes, besides
    'unknown' and null)."""
    with CODE_VALUES.open(encoding="utf-8", newline="") as handle:
        values = {row["value"] for row in csv.DictReader(handle) if row["domain"] == domain}
    if not values:
        raise KeyError(f"{CODE_VALUES} has no domain {domain!r}")
    return tuple(sorted(values))


def email_expectations(prefix: str = "email", *, min_valid_share: float) -> Expectations:
    from great_expectations.expectations.row_conditions import Column

    gxe = gx_expectations()
    valid, reason = f"{prefix}_is_valid", f"{prefix}_invalid_reason"
    return Expectations(
        rows=[
            gxe.ExpectColumnValuesToNotBeNull(
                column=valid,
                severity=CRITICAL,
                description=f"{valid} is true or false, never unknown.",
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column=prefix,
                regex=NORMALISED_EMAIL,
                row_condition=Column(valid) == True,  # noqa: E712 (a GX condition, not a test)
                severity=CRITICAL,
                description=f"A valid {prefix} is normalised: trimmed, lowercase, one @.",
            ),
            gxe.ExpectColumnValuesToBeNull(
                column=reason,
                row_condition=Column(valid) == True,  # noqa: E712
                severity=CRITICAL,
                description=f"A valid {prefix} has no invalid reason (junk is never valid).",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column=reason,
                value_set=EMAIL_REASONS,
                severity=WARNING,
                description=f"{reason} is one of {', '.join(EMAIL_REASONS)}.",
            ),
            # Among rows that have an address: GX ignores nulls, and NaN != 'missing' holds.
            gxe.ExpectColumnValuesToBeInSet(
                column=valid,
                value_set=[True],
                mostly=min_valid_share,
                row_condition=Column(reason) != "missing",
                severity=WARNING,
                description=(
                    f"At least {min_valid_share:.0%} of the {prefix} addresses present are valid."
                ),
            ),
        ]
    )


def phone_expectations(prefix: str = "phone", *, min_valid_share: float) -> Expectations:
    from great_expectations.expectations.row_conditions import Column

    gxe = gx_expectations()
    valid, reason, e164 = f"{prefix}_is_valid", f"{prefix}_invalid_reason", f"{prefix}_e164"
    return Expectations(
        rows=[
            gxe.ExpectColumnValuesToNotBeNull(
                column=valid,
                severity=CRITICAL,
                description=f"{valid} is true or false, never unknown.",
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column=e164,
                regex=E164,
                severity=CRITICAL,
                description=f"Every {e164} is a well-formed E.164 number.",
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column=e164,
                row_condition=Column(valid) == True,  # noqa: E712
                severity=CRITICAL,
                description=f"A valid {prefix} has its E.164 form.",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column=reason,
                value_set=PHONE_REASONS,
                severity=WARNING,
                description=f"{reason} is a known reason.",
            ),
            gxe.ExpectColumnValuesToNotBeInSet(
                column=reason,
                value_set=["not_parsed"],
                severity=WARNING,
                description="Every phone text was parsed by the phone step (reference).",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column=valid,
                value_set=[True],
                mostly=min_valid_share,
                row_condition=Column(reason) != "missing",
                severity=WARNING,
                description=(
                    f"At least {min_valid_share:.0%} of the {prefix} numbers present are valid."
                ),
            ),
        ]
    )


def code_expectations(column: str, domain: str, *, max_unknown_share: float) -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            gxe.ExpectColumnValuesToBeInSet(
                column=column,
                value_set=[*accepted_values(domain), UNKNOWN],
                severity=WARNING,
                description=f"{column} holds accepted values of domain {domain}, or 'unknown'.",
            ),
            gxe.ExpectColumnValuesToNotBeInSet(
                column=column,
                value_set=[UNKNOWN],
                mostly=1 - max_unknown_share,
                severity=WARNING,
                description=(
                    f"At most {max_unknown_share:.0%} of {column} codes are unknown to the seed."
                ),
            ),
        ]
    )


def country_expectations(column: str = "country_code") -> Expectations:
    return Expectations(
        rows=[
            gx_expectations().ExpectColumnValuesToMatchRegex(
                column=column,
                regex=ISO_COUNTRY,
                severity=WARNING,
                description=f"{column} is an ISO 3166-1 alpha-2 code.",
            )
        ]
    )


def future_expectations(column: str = "is_future_dated", *, max_share: float) -> Expectations:
    return Expectations(
        rows=[
            gx_expectations().ExpectColumnValuesToBeInSet(
                column=column,
                value_set=[False],
                mostly=1 - max_share,
                severity=WARNING,
                description=f"At most {max_share:.1%} of rows are dated in the future.",
            )
        ]
    )


def range_expectation(
    column: str,
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    mostly: float = 1.0,
) -> Expectations:
    return Expectations(
        rows=[
            gx_expectations().ExpectColumnValuesToBeBetween(
                column=column,
                min_value=min_value,
                max_value=max_value,
                mostly=mostly,
                severity=WARNING,
                description=f"{column} lies in [{min_value}, {max_value}].",
            )
        ]
    )


def staging_suite(
    model: str,
    key: str,
    *,
    columns: Mapping[str, str | None],
    identifiers: tuple[str, ...],
    specific: Callable[[], Expectations],
    description: str,
) -> TableSuite:
    """The suite of one staging model: shared structure (key, columns, identifiers not
    collapsed, freshness) plus the model's own expectations."""

    def expectations() -> Expectations:
        shared = table_expectations(
            key,
            not_collapsed_columns=identifiers,
            freshness_column=FRESHNESS_COLUMN,
            max_age_hours=MAX_AGE_HOURS,
        )
        return shared + specific()

    return TableSuite(
        name=f"{SCHEMA}.{model}",
        asset_key=(SCHEMA, model),
        schema=SCHEMA,
        table=model,
        key=key,
        columns={key: VARCHAR, **columns, **LINEAGE},
        aggregates=table_aggregates(
            not_collapsed_columns=identifiers, freshness_column=FRESHNESS_COLUMN
        ),
        expectations=expectations,
        description=description,
    )


def combine(*parts: Expectations) -> Expectations:
    total = Expectations()
    for part in parts:
        total = total + part
    return total
