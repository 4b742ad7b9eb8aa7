"""The tag registry: loading, validation errors, ordering, SQL rendering and the compiled macro.

Every test but the last builds a small registry in tmp_path (the real ``_facts.yml`` plus category
files written here), so it runs in milliseconds and needs no warehouse. Errors are asserted one by
one: the file and the tag are named and the reason is the right one.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestration.tags.compiler import compile_registry
from orchestration.tags.registry import (
    CATEGORIES,
    FACTS_FILE,
    REGISTRY_DIR,
    Registry,
    RegistryError,
    load_registry,
)

from ..generated_macros import run_macro

DEFAULTS = {"owner": "crm-analytics", "version": 1}


def tag(name: str, value_type: str, definition: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"Test tag {name}, written by the registry tests.",
        "value_type": value_type,
        "definition": definition,
        **extra,
    }


def count(fact: str = "orders", **extra: Any) -> dict[str, Any]:
    return {"aggregate": {"fact": fact, "function": "count", **extra}}


# Valid tags the rules under test read: a number, a timestamp and an enum.
BASE = [
    tag("orders_count_365d", "number", count(window_days=365, where="not is_cancelled")),
    tag(
        "net_revenue_365d",
        "number",
        {
            "aggregate": {
                "fact": "orders",
                "function": "sum",
                "column": "net_amount_cny",
                "window_days": 365,
            }
        },
    ),
    tag("last_order_at", "timestamp", {"aggregate": {"fact": "orders", "function": "last_at"}}),
    tag(
        "vip_level",
        "enum",
        {"aggregate": {"fact": "crm_accounts", "function": "last_value", "column": "vip_level"}},
        allowed_values=["none", "silver", "gold"],
    ),
]


def write_registry(directory: Path, files: dict[str, Any]) -> Path:
    """The real _facts.yml plus one file per entry: name -> list of tags (category = name),
    (category, tags), or raw YAML text."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(REGISTRY_DIR / FACTS_FILE, directory / FACTS_FILE)
    for name, content in files.items():
        path = directory / f"{name}.yml"
        if isinstance(content, str):
            path.write_text(textwrap.dedent(content), encoding="utf-8")
            continue
        category, tags = content if isinstance(content, tuple) else (name, content)
        document = {"category": category, "defaults": DEFAULTS, "tags": tags}
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return directory


def load(tmp_path: Path, files: dict[str, Any]) -> Registry:
    return load_registry(write_registry(tmp_path / "tags", files))


def errors_of(tmp_path: Path, files: dict[str, Any]) -> list[str]:
    with pytest.raises(RegistryError) as raised:
        load(tmp_path, files)
    assert raised.value.errors, "a RegistryError must list its errors"
    assert f"{len(raised.value.errors)} error(s)" in str(raised.value)
    return raised.value.errors


def the_error(tmp_path: Path, files: dict[str, Any], file: str, tag_name: str) -> str:
    """The registry's only error, which must name the file and the tag; returns its reason."""
    errors = errors_of(tmp_path, files)
    assert len(errors) == 1, errors
    prefix = f"{file}: tag {tag_name}: "
    assert errors[0].startswith(prefix), errors[0]
    return errors[0][len(prefix) :]


def with_base(*tags: dict[str, Any]) -> dict[str, Any]:
    return {"value": [*BASE, *tags]}


# --- a valid registry --------------------------------------------------------------------------


def test_the_documented_category_file_shape_loads(tmp_path: Path) -> None:
    registry = load(
        tmp_path,
        {
            "value": """\
            category: value
            defaults: {owner: crm-analytics, version: 1}
            tags:
              - name: orders_count_365d
                description: Orders placed in the last 365 days.
                value_type: number
                definition:
                  aggregate:
                    {fact: orders, function: count, window_days: 365, where: "not is_cancelled"}
              - name: net_revenue_365d
                description: Net revenue in CNY over the last 365 days.
                value_type: number
                definition:
                  aggregate: {fact: orders, function: sum, column: net_amount_cny, window_days: 365}
              - name: high_value
                description: Net revenue over the last year of at least 5000 CNY.
                value_type: boolean
                definition:
                  threshold: {tag: net_revenue_365d, op: ">=", value: 5000}
            """,
            "lifecycle": """\
            category: lifecycle
            defaults: {owner: crm-analytics, version: 1}
            tags:
              - name: first_order_at
                description: When the first order was placed.
                value_type: timestamp
                definition:
                  aggregate: {fact: orders, function: first_at}
              - name: days_since_first_order
                description: Whole days since the first order.
                value_type: number
                definition:
                  days_since: {tag: first_order_at}
              - name: lifecycle_stage
                description: Where the customer is in the lifecycle.
                value_type: enum
                allowed_values: [new, active, lapsed]
                definition:
                  case:
                    when:
                      - {condition: "days_since_first_order <= 30", value: new}
                      - {condition: "orders_count_365d > 0", value: active}
                    otherwise: lapsed
              - name: order_band
                description: Band of the orders of the last year.
                value_type: enum
                allowed_values: [none, few, many]
                definition:
                  bands:
                    tag: orders_count_365d
                    bands: [{value: none, below: 1}, {value: few, below: 5}, {value: many}]
              - name: revenue_quintile
                description: Quintile of the net revenue of the last year.
                value_type: number
                definition:
                  quantile: {tag: net_revenue_365d, buckets: 5, descending: true}
            """,
        },
    )
    tags = registry.by_name()
    assert set(tags) == {
        "orders_count_365d",
        "net_revenue_365d",
        "high_value",
        "first_order_at",
        "days_since_first_order",
        "lifecycle_stage",
        "order_band",
        "revenue_quintile",
    }
    high_value = tags["high_value"]
    assert (high_value.kind, high_value.category, high_value.file) == (
        "threshold",
        "value",
        "value.yml",
    )
    assert high_value.depends_on == ("net_revenue_365d",)
    assert high_value.owner == "crm-analytics" and high_value.version == 1  # from defaults
    assert tags["orders_count_365d"].refresh == "incremental"  # aggregates default to incremental
    assert tags["lifecycle_stage"].refresh == "full"  # rules are evaluated in full
    assert tags["lifecycle_stage"].allowed_values == ("new", "active", "lapsed")
    assert tags["lifecycle_stage"].depends_on == ("days_since_first_order", "orders_count_365d")
    assert len(registry.source_hash) == 16
    assert set(registry.facts) >= {"orders", "events", "crm_accounts"}


# --- free SQL: injection and anything outside the allow-list, at load, file and tag named --

INJECTIONS = [
    ("read_text('/etc/passwd') is not null", r"function read_text\(\) is not allowed"),
    ("1=1; drop table x", r"found 2 statements \(a ';' is not allowed\)"),
    ("(select 1) > 0", r"SUBQUERY is not allowed"),
    ("getenv('HOME')", r"function getenv\(\) is not allowed"),
    ("t.x", r"column 't\.x' must not name a table"),
    ("true -- drop table x", r"comments are not allowed"),
    ("true /* drop table x */", r"comments are not allowed"),
    ("*", r"STAR is not allowed|'\*' is not allowed"),
]

POSITIONS = {
    # position: (value type, definition around the payload, error prefix before the reason)
    "expression": ("boolean", lambda sql: {"expression": sql}, "expression: "),
    "case_condition": (
        "boolean",
        lambda sql: {"case": {"when": [{"condition": sql, "value": True}], "otherwise": False}},
        "case condition 1: ",
    ),
    "aggregate_where": ("number", lambda sql: count(where=sql), "where: "),
    "quantile_among": (
        "number",
        lambda sql: {"quantile": {"tag": "net_revenue_365d", "buckets": 5, "among": sql}},
        "among: ",
    ),
}


@pytest.mark.parametrize("position", sorted(POSITIONS))
@pytest.mark.parametrize(("sql", "reason"), INJECTIONS, ids=[s for s, _ in INJECTIONS])
def test_sql_outside_the_allow_list_is_rejected_at_load(
    tmp_path: Path, position: str, sql: str, reason: str
) -> None:
    value_type, definition, prefix = POSITIONS[position]
    error = the_error(
        tmp_path, with_base(tag("bad_tag", value_type, definition(sql))), "value.yml", "bad_tag"
    )
    assert error.startswith(prefix), error
    assert re.search(reason, error), error


def test_a_case_condition_cannot_break_out_of_its_branch(tmp_path: Path) -> None:
    # Spliced into "when (...)" as text, this would add a branch giving a value outside
    # allowed_values; each condition is checked on its own first.
    breakout = "orders_count_365d > 0) then 'hacked' when (true"
    case = {"case": {"when": [{"condition": breakout, "value": "buyer"}], "otherwise": "other"}}
    error = the_error(
        tmp_path,
        with_base(tag("segment", "enum", case, allowed_values=["buyer", "other"])),
        "value.yml",
        "segment",
    )
    assert error.startswith("case condition 1: not valid SQL"), error


@pytest.mark.parametrize(
    ("bad_tag", "reason"),
    [
        (
            tag(
                "segment",
                "enum",
                {"case": {"when": [{"condition": "true", "value": "x' or '1'='1"}]}},
                allowed_values=["x"],
            ),
            "must be snake_case",
        ),
        (
            tag(
                "is_gold",
                "boolean",
                {"threshold": {"tag": "vip_level", "op": "=", "value": "gold' --"}},
            ),
            "a text threshold value must be snake_case",
        ),
        (
            tag(
                "busy",
                "enum",
                {
                    "bands": {
                        "tag": "orders_count_365d",
                        "bands": [{"value": "low", "below": 3}, {"value": "high'; drop table x"}],
                    }
                },
                allowed_values=["low", "high"],
            ),
            "are not in allowed_values",
        ),
    ],
    ids=["case_value", "threshold_value", "band_value"],
)
def test_literal_values_cannot_carry_sql(
    tmp_path: Path, bad_tag: dict[str, Any], reason: str
) -> None:
    error = the_error(tmp_path, with_base(bad_tag), "value.yml", bad_tag["name"])
    assert reason in error, error


# --- unknown names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_tag", "reason"),
    [
        (
            tag("paid_orders", "number", count(where="stauts = 'paid'")),
            "where: unknown column 'stauts' (known: amount_cny, ",
        ),
        (
            # A tag's name is not a column of the fact its where filters.
            tag("big_orders", "number", count(where="net_revenue_365d > 100")),
            "where: unknown column 'net_revenue_365d'",
        ),
        (
            tag("big_spender", "boolean", {"expression": "net_revenu_365d > 1000"}),
            "expression: unknown column 'net_revenu_365d'",
        ),
        (
            # A fact column is not in the scope of a rule (only tags and profile columns are).
            tag("paid", "boolean", {"expression": "status = 'paid'"}),
            "expression: unknown column 'status'",
        ),
        (
            tag(
                "tier_one",
                "boolean",
                {"threshold": {"tag": "city_tierr", "op": "=", "value": "tier_1"}},
            ),
            "unknown tag or profile column 'city_tierr'",
        ),
        (
            tag("order_count", "number", count(fact="ordrs")),
            "unknown fact 'ordrs' (one of orders, ",
        ),
        (
            tag(
                "median_order",
                "number",
                {"aggregate": {"fact": "orders", "function": "median", "column": "amount_cny"}},
            ),
            "unknown aggregate function 'median' (one of count, ",
        ),
        (
            tag(
                "channel_total",
                "number",
                {"aggregate": {"fact": "orders", "function": "sum", "column": "channel"}},
            ),
            "sum cannot take column channel (text)",
        ),
        (
            tag(
                "amount_total",
                "number",
                {"aggregate": {"fact": "orders", "function": "sum", "column": "amount"}},
            ),
            "fact orders has no column 'amount'",
        ),
        (
            tag("amount_total", "number", {"aggregate": {"fact": "orders", "function": "sum"}}),
            "sum needs a column",
        ),
        (
            tag("odd", "number", {"percentile": {"tag": "orders_count_365d"}}),
            "unknown definition 'percentile'",
        ),
    ],
    ids=[
        "where_column",
        "where_tag_name",
        "expression_tag",
        "expression_fact_column",
        "threshold_tag",
        "fact",
        "aggregate_function",
        "sum_of_text",
        "aggregate_column",
        "aggregate_missing_column",
        "definition_kind",
    ],
)
def test_unknown_names_are_rejected(tmp_path: Path, bad_tag: dict[str, Any], reason: str) -> None:
    error = the_error(tmp_path, with_base(bad_tag), "value.yml", bad_tag["name"])
    assert reason in error, error


# --- types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_tag", "reason"),
    [
        (
            tag(
                "high_value",
                "boolean",
                {"threshold": {"tag": "net_revenue_365d", "op": ">=", "value": "high"}},
            ),
            "net_revenue_365d is number, the threshold is text",
        ),
        (
            tag(
                "gold_plus",
                "boolean",
                {"threshold": {"tag": "vip_level", "op": ">", "value": "gold"}},
            ),
            "> needs a number",
        ),
        (
            tag(
                "vip_band",
                "enum",
                {
                    "bands": {
                        "tag": "vip_level",
                        "bands": [{"value": "low", "below": 1}, {"value": "high"}],
                    }
                },
                allowed_values=["low", "high"],
            ),
            "bands need a number, vip_level is not",
        ),
        (
            tag(
                "order_band",
                "number",
                {
                    "bands": {
                        "tag": "orders_count_365d",
                        "bands": [{"value": "low", "below": 1}, {"value": "high"}],
                    }
                },
            ),
            "bands and case values need value_type enum",
        ),
        (
            tag(
                "order_band",
                "enum",
                {
                    "bands": {
                        "tag": "orders_count_365d",
                        "bands": [
                            {"value": "low", "below": 5},
                            {"value": "mid", "below": 2},
                            {"value": "high"},
                        ],
                    }
                },
                allowed_values=["low", "mid", "high"],
            ),
            "band limits must increase",
        ),
        (
            tag("recency_days", "number", {"days_since": {"tag": "net_revenue_365d"}}),
            "days_since needs a timestamp or date, net_revenue_365d is not",
        ),
        (
            tag("vip_decile", "number", {"quantile": {"tag": "vip_level", "buckets": 10}}),
            "quantiles need a number, vip_level is not",
        ),
        (
            tag("tier_flag", "boolean", {"expression": "city_tier"}),
            "the definition gives text, but value_type is boolean",
        ),
        (
            tag("revenue_flag", "boolean", {"expression": "net_revenue_365d + 1"}),
            "the definition gives number, but value_type is boolean",
        ),
        (
            tag("mixed", "boolean", {"expression": "net_revenue_365d > 'a'"}),
            "comparison > mixes number and text",
        ),
        (
            tag(
                "stage",
                "enum",
                {
                    "case": {
                        "when": [{"condition": "orders_count_365d > 0", "value": "active"}],
                        "otherwise": "churned",
                    }
                },
                allowed_values=["active", "lapsed"],
            ),
            "values ['churned'] are not in allowed_values",
        ),
        (
            tag(
                "stage",
                "enum",
                {"case": {"when": [{"condition": "orders_count_365d > 0", "value": "active"}]}},
            ),
            "an enum needs allowed_values",
        ),
        (
            tag("order_count", "number", count(), allowed_values=["a"]),
            "allowed_values is only for value_type enum",
        ),
        (tag("has_orders", "boolean", count()), "count gives number, not boolean"),
        (
            tag(
                "last_channel_flag",
                "boolean",
                {"aggregate": {"fact": "orders", "function": "last_value", "column": "channel"}},
            ),
            "last_value of column channel gives text, not boolean",
        ),
        (
            tag(
                "last_amount",
                "text",
                {"aggregate": {"fact": "orders", "function": "last_value", "column": "amount_cny"}},
            ),
            "last_value of column amount_cny gives number, not text",
        ),
        (
            tag("cancelled_count", "number", count(where="is_cancelled + 1")),
            "arithmetic needs number",
        ),
        (
            tag("filtered_count", "number", count(where="amount_cny")),
            "where must be a condition, but it is number",
        ),
        (
            tag(
                "revenue_rank",
                "number",
                {
                    "quantile": {
                        "tag": "net_revenue_365d",
                        "buckets": 5,
                        "among": "orders_count_365d",
                    }
                },
            ),
            "among must be a condition, but it is number",
        ),
        (
            tag(
                "two_kinds",
                "number",
                {
                    "threshold": {"tag": "orders_count_365d", "op": ">", "value": 1},
                    "expression": "1",
                },
            ),
            "definition must have exactly one of",
        ),
    ],
    ids=[
        "threshold_text_on_number",
        "threshold_order_on_enum",
        "bands_over_enum",
        "bands_not_enum",
        "band_limits",
        "days_since_number",
        "quantile_enum",
        "expression_text_for_boolean",
        "expression_number_for_boolean",
        "expression_mixed_comparison",
        "case_value_not_allowed",
        "enum_without_allowed_values",
        "allowed_values_on_number",
        "count_declared_boolean",
        "last_value_text_as_boolean",
        "last_value_number_as_text",
        "where_arithmetic_on_boolean",
        "where_not_a_condition",
        "among_not_a_condition",
        "two_definitions",
    ],
)
def test_type_mismatches_are_rejected(tmp_path: Path, bad_tag: dict[str, Any], reason: str) -> None:
    error = the_error(tmp_path, with_base(bad_tag), "value.yml", bad_tag["name"])
    assert reason in error, error


# --- names, categories and files -------------------------------------------------------------


def test_duplicate_name_within_a_file(tmp_path: Path) -> None:
    again = tag("net_revenue_365d", "number", count())
    error = the_error(tmp_path, with_base(again), "value.yml", "net_revenue_365d")
    assert error == "duplicate name (also defined in value.yml)"


def test_duplicate_name_across_files(tmp_path: Path) -> None:
    # Files load in name order: lifecycle.yml first, so value.yml holds the duplicate.
    files = {"lifecycle": [tag("net_revenue_365d", "number", count())], **with_base()}
    error = the_error(tmp_path, files, "value.yml", "net_revenue_365d")
    assert error == "duplicate name (also defined in lifecycle.yml)"


def test_a_tag_named_like_a_profile_column(tmp_path: Path) -> None:
    error = the_error(
        tmp_path, with_base(tag("city_tier", "number", count())), "value.yml", "city_tier"
    )
    assert error == "the name is a profile column"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("HighValue", "'HighValue' is not snake_case"),
        ("high-value", "'high-value' is not snake_case"),
        ("1st_order_at", "'1st_order_at' is not snake_case"),
        ("unified_customer_id", "'unified_customer_id' is reserved"),
        ("as_of", "'as_of' is reserved"),
        ("computed_at", "'computed_at' is reserved"),
    ],
)
def test_bad_and_reserved_names(tmp_path: Path, name: str, reason: str) -> None:
    error = the_error(tmp_path, with_base(tag(name, "number", count())), "value.yml", name)
    assert error.startswith("name: "), error
    assert reason in error, error


def test_unknown_category(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, {"hobbies": [tag("likes_cats", "number", count())]})
    assert len(errors) == 1, errors
    assert errors[0].startswith("hobbies.yml: unknown category 'hobbies' (one of demographic, ")


def test_file_name_must_match_its_category(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, {"values": ("value", BASE)})
    assert errors == ["values.yml: holds category 'value'; name the file value.yml"]


def test_unknown_key_in_a_tag(tmp_path: Path) -> None:
    typo = tag("order_count", "number", count())
    typo["valu_type"] = typo.pop("value_type")
    errors = errors_of(tmp_path, with_base(typo))
    assert sorted(errors) == [
        "value.yml: tag order_count: valu_type: Extra inputs are not permitted",
        "value.yml: tag order_count: value_type: Field required",
    ]


def test_unknown_key_in_a_definition(tmp_path: Path) -> None:
    bad = tag("order_count", "number", count(windw_days=30))
    error = the_error(tmp_path, with_base(bad), "value.yml", "order_count")
    assert error == "windw_days: Extra inputs are not permitted"


def test_a_short_description_is_rejected(tmp_path: Path) -> None:
    bad = {**tag("order_count", "number", count()), "description": "Orders"}
    error = the_error(tmp_path, with_base(bad), "value.yml", "order_count")
    assert error.startswith("description: "), error


def test_every_error_of_every_file_is_listed(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        {
            "lifecycle": [tag("stage_count", "boolean", count())],
            **with_base(tag("bad_where", "number", count(where="getenv('HOME')"))),
        },
    )
    assert len(errors) == 2, errors
    assert errors[0].startswith("lifecycle.yml: tag stage_count: count gives number")
    assert errors[1].startswith("value.yml: tag bad_where: where: function getenv()")


def test_the_facts_file_is_required(tmp_path: Path) -> None:
    directory = write_registry(tmp_path / "tags", with_base())
    (directory / FACTS_FILE).unlink()
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    assert len(raised.value.errors) == 1
    assert raised.value.errors[0].endswith(
        f"{FACTS_FILE}: missing (it declares the facts and the profile)"
    )


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, {"value": "category: value\ntags: [\n"})
    assert len(errors) == 1 and errors[0].startswith("value.yml: not valid YAML"), errors


# --- cycles ----------------------------------------------------------------------------------


def test_two_tag_cycle(tmp_path: Path) -> None:
    files = with_base(
        tag("a_score", "number", {"expression": "b_score + 1"}),
        tag("b_score", "number", {"expression": "a_score * 2"}),
    )
    errors = errors_of(tmp_path, files)
    assert errors == ["value.yml: tag a_score: cycle a_score -> b_score -> a_score"]


def test_three_tag_cycle_across_files(tmp_path: Path) -> None:
    files = {
        "lifecycle": [
            tag("a_flag", "boolean", {"threshold": {"tag": "c_score", "op": ">", "value": 1}}),
        ],
        **with_base(
            tag(
                "b_score",
                "number",
                {"case": {"when": [{"condition": "a_flag", "value": 1}], "otherwise": 0}},
            ),
            tag("c_score", "number", {"expression": "b_score + orders_count_365d"}),
        ),
    }
    errors = errors_of(tmp_path, files)
    assert errors == ["lifecycle.yml: tag a_flag: cycle a_flag -> c_score -> b_score -> a_flag"]


@pytest.mark.parametrize(
    "definition",
    [
        {"expression": "self_ref + 1"},
        {"threshold": {"tag": "self_ref", "op": ">", "value": 1}},
        {"case": {"when": [{"condition": "self_ref > 1", "value": 1}], "otherwise": 0}},
        {"quantile": {"tag": "self_ref", "buckets": 4}},
    ],
    ids=["expression", "threshold", "case", "quantile"],
)
def test_a_tag_cannot_read_itself(tmp_path: Path, definition: dict[str, Any]) -> None:
    error = the_error(
        tmp_path, with_base(tag("self_ref", "number", definition)), "value.yml", "self_ref"
    )
    assert error == "a tag cannot read itself"


# --- refresh and model scores ----------------------------------------------------------------


def test_incremental_refresh_is_only_for_aggregates(tmp_path: Path) -> None:
    rule = tag(
        "high_value",
        "boolean",
        {"threshold": {"tag": "net_revenue_365d", "op": ">=", "value": 5000}},
        refresh="incremental",
    )
    error = the_error(tmp_path, with_base(rule), "value.yml", "high_value")
    assert error.startswith("refresh: incremental is only for aggregates of facts"), error


def test_an_aggregate_may_refresh_in_full(tmp_path: Path) -> None:
    registry = load(tmp_path, with_base(tag("order_count", "number", count(), refresh="full")))
    assert registry.by_name()["order_count"].refresh == "full"


CHURN = tag("churn_score", "score", {"model_score": {"model": "churn_model", "output": "score"}})


def test_a_model_score_loads_in_its_category(tmp_path: Path) -> None:
    registry = load(tmp_path, {"model_score": [CHURN], **with_base()})
    churn = registry.by_name()["churn_score"]
    assert (churn.kind, churn.category, churn.refresh, churn.depends_on) == (
        "model_score",
        "model_score",
        "full",
        (),
    )


def test_a_rule_cannot_read_a_model_score(tmp_path: Path) -> None:
    rule = tag(
        "likely_churner", "boolean", {"threshold": {"tag": "churn_score", "op": ">", "value": 0.5}}
    )
    error = the_error(
        tmp_path, {"model_score": [CHURN], **with_base(rule)}, "value.yml", "likely_churner"
    )
    assert error.startswith("reads model score churn_score, which is written after"), error


def test_model_scores_belong_to_their_category(tmp_path: Path) -> None:
    error = the_error(tmp_path, with_base(CHURN), "value.yml", "churn_score")
    assert error == "model_score definitions belong to the model_score category, and only they"
    rule = tag("order_count", "number", count())
    error = the_error(tmp_path / "other", {"model_score": [rule]}, "model_score.yml", "order_count")
    assert error == "model_score definitions belong to the model_score category, and only they"


# --- ordering --------------------------------------------------------------------------------


def test_dependencies_come_first_with_their_levels(tmp_path: Path) -> None:
    # Written dependents first, across two files, to make the order the loader's work.
    files = {
        "lifecycle": [
            tag(
                "segment",
                "enum",
                {
                    "case": {
                        "when": [{"condition": "loyal and city_tier = 'tier_1'", "value": "core"}],
                        "otherwise": "rest",
                    }
                },
                allowed_values=["core", "rest"],
            ),
            tag("loyal", "boolean", {"expression": "frequent and recency_days < 90"}),
            tag("recency_days", "number", {"days_since": {"tag": "last_order_at"}}),
        ],
        "value": [
            tag(
                "frequent",
                "boolean",
                {"threshold": {"tag": "orders_count_365d", "op": ">=", "value": 4}},
            ),
            *BASE,
        ],
    }
    registry = load(tmp_path, files)
    names = [t.name for t in registry.tags]
    for position, current in enumerate(registry.tags):
        for dependency in current.depends_on:
            assert names.index(dependency) < position, (current.name, dependency, names)
    assert {t.name: t.level for t in registry.tags} == {
        "orders_count_365d": 0,
        "net_revenue_365d": 0,
        "last_order_at": 0,
        "vip_level": 0,
        "frequent": 1,
        "recency_days": 1,
        "loyal": 2,
        "segment": 3,
    }
    levels = [t.level for t in registry.tags]
    assert levels == sorted(levels)
    by_name = registry.by_name()
    # Profile columns are read, but are not dependencies.
    assert by_name["segment"].depends_on == ("loyal",)
    assert by_name["loyal"].depends_on == ("frequent", "recency_days")


# --- SQL rendering ---------------------------------------------------------------------------


def test_checked_sql_is_rendered_with_quoted_identifiers_per_dialect(tmp_path: Path) -> None:
    registry = load(
        tmp_path,
        with_base(
            tag(
                "older_big_spender",
                "boolean",
                {"expression": "year(birth_date) < 1990 and net_revenue_365d >= 100"},
            ),
            tag(
                "paid_orders",
                "number",
                count(where="status in ('paid', 'shipped') and not is_cancelled"),
            ),
            tag(
                "stage",
                "enum",
                {
                    "case": {
                        "when": [{"condition": "orders_count_365d > 0", "value": "active"}],
                        "otherwise": "lapsed",
                    }
                },
                allowed_values=["active", "lapsed"],
            ),
            tag(
                "revenue_rank",
                "number",
                {
                    "quantile": {
                        "tag": "net_revenue_365d",
                        "buckets": 5,
                        "among": "vip_level <> 'none'",
                    }
                },
            ),
        ),
    )
    tags = registry.by_name()
    assert dict(tags["older_big_spender"].sql) == {
        "duckdb": 'YEAR("birth_date") < 1990 AND "net_revenue_365d" >= 100',
        "postgres": 'EXTRACT(YEAR FROM "birth_date") < 1990 AND "net_revenue_365d" >= 100',
    }
    where = "\"status\" IN ('paid', 'shipped') AND NOT \"is_cancelled\""
    assert dict(tags["paid_orders"].sql) == {"duckdb": where, "postgres": where}
    case = "CASE WHEN (\"orders_count_365d\" > 0) THEN 'active' ELSE 'lapsed' END"
    assert dict(tags["stage"].sql) == {"duckdb": case, "postgres": case}
    among = "\"vip_level\" <> 'none'"
    assert dict(tags["revenue_rank"].sql) == {"duckdb": among, "postgres": among}
    assert tags["revenue_rank"].depends_on == ("net_revenue_365d", "vip_level")
    assert tags["net_revenue_365d"].sql == {}  # nothing free to render


# --- the compiled macro ----------------------------------------------------------------------


def test_compile_writes_the_macro_once(tmp_path: Path) -> None:
    directory = write_registry(tmp_path / "tags", with_base())
    target = tmp_path / "generated" / "tag_registry_compiled.sql"

    registry, changed = compile_registry(directory, target)
    assert changed
    macro = target.read_text(encoding="utf-8")
    assert "cdp_tag_registry_compiled" in macro
    payload = run_compiled(macro)
    assert payload == json.loads(json.dumps(registry.as_json()))
    assert [t["name"] for t in payload["tags"]] == [t.name for t in registry.tags]

    assert compile_registry(directory, target) == (registry, False)  # idempotent
    assert compile_registry(directory, target, check=True)[1] is False
    assert target.read_text(encoding="utf-8") == macro


def test_compile_check_reports_staleness_without_writing(tmp_path: Path) -> None:
    directory = write_registry(tmp_path / "tags", with_base())
    target = tmp_path / "generated" / "tag_registry_compiled.sql"

    assert compile_registry(directory, target, check=True)[1] is True  # missing is stale
    assert not target.exists()
    compile_registry(directory, target)
    before = target.read_text(encoding="utf-8")

    write_registry(directory, with_base(tag("order_count", "number", count())))
    assert compile_registry(directory, target, check=True)[1] is True
    assert target.read_text(encoding="utf-8") == before  # not written
    assert compile_registry(directory, target)[1] is True
    assert "order_count" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text", ["{{ var('x') }}", "{% do x %}", "{# note #}", "}} %} #}", "{% raw %}"]
)
def test_jinja_in_the_registry_text_is_never_evaluated(tmp_path: Path, text: str) -> None:
    # The payload sits in a raw block: Jinja syntax in a description comes back as written.
    description = f"Orders with {text} in the description."
    bad = {**tag("order_count", "number", count()), "description": description}
    target = tmp_path / "generated" / "tag_registry_compiled.sql"
    compile_registry(write_registry(tmp_path / "tags", with_base(bad)), target)
    payload = run_compiled(target.read_text(encoding="utf-8"))
    assert {t["name"]: t["description"] for t in payload["tags"]}["order_count"] == description


@pytest.mark.parametrize("text", ["{% endraw %}", "{%- endraw -%}", "{%endraw%}"])
def test_compile_rejects_text_that_would_end_the_raw_block(tmp_path: Path, text: str) -> None:
    bad = {**tag("order_count", "number", count()), "description": f"Orders {text} here."}
    directory = write_registry(tmp_path / "tags", with_base(bad))
    target = tmp_path / "generated" / "tag_registry_compiled.sql"
    with pytest.raises(ValueError, match="endraw"):
        compile_registry(directory, target)
    assert not target.exists()


def test_compile_refuses_an_invalid_registry(tmp_path: Path) -> None:
    directory = write_registry(tmp_path / "tags", with_base(tag("x", "boolean", count())))
    target = tmp_path / "generated" / "tag_registry_compiled.sql"
    with pytest.raises(RegistryError):
        compile_registry(directory, target)
    assert not target.exists()


# --- the real registry -----------------------------------------------------------------------


@pytest.mark.real_registry
def test_the_real_registry_loads_and_covers_every_category() -> None:
    """Reads dbt_project/tags/*.yml as committed (fails until every category file is written)."""
    registry = load_registry(REGISTRY_DIR)
    assert len(registry.tags) >= 40, [t.name for t in registry.tags]
    assert {t.category for t in registry.tags} == set(CATEGORIES)
    for current in registry.tags:
        assert current.file == f"{current.category}.yml"


def run_compiled(macro: str) -> dict[str, Any]:
    return run_macro(macro, "cdp_tag_registry_compiled")
