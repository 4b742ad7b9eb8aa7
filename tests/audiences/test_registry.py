"""The audience registry: validation errors, the SQL of conditions and the compiled macro.

Each test writes a few audience files in tmp_path and validates them against the real tag
registry (dbt_project/tags/, loaded once), so it runs in milliseconds and needs no warehouse.
Errors are asserted one by one: the file and the audience are named and the reason is the right
one. The last tests read the real dbt_project/audiences/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestration.audiences.compiler import compile_audiences
from orchestration.audiences.registry import (
    AUDIENCES_DIR,
    CHANNELS,
    AudienceError,
    load_audiences,
)
from orchestration.tags.registry import Registry, load_registry

from ..generated_macros import run_macro


@pytest.fixture(scope="module")
def tags() -> Registry:
    return load_registry()


def audience(name: str = "winback", channel: str = "email", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"Test audience {name}, written by the registry tests.",
        "owner": "crm-lifecycle",
        "channel": channel,
        "condition": {"tag": "lifecycle_stage", "in": ["lapsed"]},
        **extra,
    }


def write(directory: Path, files: dict[str, Any]) -> Path:
    """One YAML file per entry: name -> list of audiences, or raw YAML text."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else yaml.safe_dump({"audiences": content})
        (directory / f"{name}.yml").write_text(text, encoding="utf-8")
    return directory


def errors_of(tmp_path: Path, tags: Registry, files: dict[str, Any]) -> list[str]:
    with pytest.raises(AudienceError) as raised:
        load_audiences(write(tmp_path / "audiences", files), tags)
    return raised.value.errors


def sql_of(tmp_path: Path, tags: Registry, condition: Any, dialect: str = "duckdb") -> str:
    registry = load_audiences(
        write(tmp_path / "audiences", {"team": [audience(condition=condition)]}), tags
    )
    return registry.audiences[0].sql[dialect]


# --- conditions compile to quoted, checked SQL ------------------------------------------------
def test_structured_condition_renders_quoted_sql(tmp_path: Path, tags: Registry) -> None:
    condition = {
        "all": [
            {"tag": "lifecycle_stage", "in": ["at_risk", "lapsed"]},
            {"tag": "orders_count_365d", "gte": 2},
            {"tag": "email_unsubscribed", "is": False},
            {"not": {"tag": "serial_returner", "is": True}},
            {"any": [{"tag": "age", "between": [25, 44]}, {"tag": "home_country", "eq": "CN"}]},
        ]
    }
    assert sql_of(tmp_path, tags, condition) == (
        """(("lifecycle_stage" IN ('at_risk', 'lapsed')) AND ("orders_count_365d" >= 2) """
        """AND ("email_unsubscribed" IS FALSE) AND (NOT ("serial_returner" IS TRUE)) """
        """AND (("age" BETWEEN 25 AND 44) OR ("home_country" = 'CN')))"""
    )
    assert '"lifecycle_stage"' in sql_of(tmp_path, tags, condition, "postgres")


def test_free_expression_and_bare_string_conditions(tmp_path: Path, tags: Registry) -> None:
    text = "purchase_propensity_decile >= 8 and days_since_last_visit <= 30"
    expected = '("purchase_propensity_decile" >= 8 AND "days_since_last_visit" <= 30)'
    assert sql_of(tmp_path, tags, {"expression": text}) == expected
    assert sql_of(tmp_path, tags, text) == expected
    mixed = {"all": [{"expression": "orders_count_365d > 0"}, {"tag": "high_value", "is": True}]}
    assert sql_of(tmp_path, tags, mixed) == (
        '(("orders_count_365d" > 0) AND ("high_value" IS TRUE))'
    )


def test_text_values_are_escaped_literals_not_sql(tmp_path: Path, tags: Registry) -> None:
    # A quote in a value of a free-text tag stays inside the literal: no injection.
    sql = sql_of(tmp_path, tags, {"tag": "home_region", "eq": "x' or '1'='1"})
    assert sql == """("home_region" = 'x'' or ''1''=''1')"""


def test_is_null_works_on_any_tag_and_timestamps_compare_with_dates(
    tmp_path: Path, tags: Registry
) -> None:
    assert sql_of(tmp_path, tags, {"tag": "vip_level", "is": None}) == '("vip_level" IS NULL)'
    assert sql_of(tmp_path, tags, {"tag": "last_order_at", "gte": "2026-06-01"}) == (
        """("last_order_at" >= '2026-06-01')"""
    )


# --- validation errors name the file and the audience -------------------------------------------
@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ({"tag": "no_such_tag", "is": True}, "unknown tag 'no_such_tag'"),
        (
            {"tag": "lifecycle_stage", "in": ["lapsed", "dormant"]},
            "values ['dormant'] are not in its allowed_values",
        ),
        (
            {"expression": "lifecycle_stage = 'dormant'"},
            "values ['dormant'] are not in its allowed_values",
        ),
        (
            {"expression": "value_tier in ('top', 'platinum')"},
            "values ['platinum'] are not in its allowed_values",
        ),
        ({"tag": "lifecycle_stage", "gte": "active"}, "gte needs a number or timestamp tag"),
        ({"tag": "orders_count_365d", "is": True}, "'is' takes true or false on a boolean tag"),
        ({"tag": "orders_count_365d", "gte": "2"}, "is a number, '2' is not"),
        ({"tag": "high_value", "eq": 1}, "is boolean, 1 is not true or false"),
        ({"tag": "last_order_at", "gte": "yesterday"}, "compare with 'YYYY-MM-DD"),
        ({"tag": "age", "between": [25]}, "between takes a list of two values"),
        ({"tag": "age", "in": []}, "in takes a non-empty list"),
        ({"tag": "age", "gte": 1, "lte": 9}, "exactly one operator"),
        ({"tag": "age", "like": "1%"}, "exactly one operator"),
        ({"all": []}, "all takes a non-empty list"),
        ({"either": []}, "unknown condition keys ['either']"),
        ({"expression": "orders_count_365d + 1"}, "must be a condition, but it is number"),
        ({"expression": "age > 'old'"}, "mixes number and text"),
        ({"expression": "unknown_column > 1"}, "unknown column 'unknown_column'"),
        (["not", "a", "mapping"], "a condition is a mapping"),
    ],
)
def test_invalid_conditions_are_rejected(
    tmp_path: Path, tags: Registry, condition: Any, reason: str
) -> None:
    errors = errors_of(tmp_path, tags, {"team": [audience(condition=condition)]})
    assert len(errors) == 1, errors
    assert errors[0].startswith("team.yml: audience winback: condition: "), errors[0]
    assert reason in errors[0], errors[0]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("read_text('/etc/passwd') is not null", "function read_text() is not allowed"),
        ("getenv('HOME') = 'x'", "is not allowed"),
        ("orders_count_365d > 0; drop table marts.dim_customers", "a ';' is not allowed"),
        (
            "orders_count_365d in (select orders_count_365d from marts.dim_customer_tags)",
            "IN takes a list of values, not a subquery",
        ),
        ("unified_customer_id = 'cus_1'", "unknown column 'unified_customer_id'"),
        ("(select count(*) from marts.dim_customers) > 0", "is not allowed"),
        ("orders_count_365d in (select 1)", "IN takes a list of values, not a subquery"),
        ("orders_count_365d > 0 -- and more", "comments are not allowed"),
        ("marts.dim_customers.age > 1", "must not name a table"),
        ("orders_count_365d > 0) or (true", "not valid SQL"),
    ],
)
def test_sql_injection_attempts_are_rejected(
    tmp_path: Path, tags: Registry, expression: str, reason: str
) -> None:
    errors = errors_of(tmp_path, tags, {"team": [audience(condition={"expression": expression})]})
    assert len(errors) == 1, errors
    assert errors[0].startswith("team.yml: audience winback: condition: "), errors[0]
    assert reason in errors[0], errors[0]


def test_duplicate_names_across_files_are_rejected(tmp_path: Path, tags: Registry) -> None:
    errors = errors_of(
        tmp_path, tags, {"a_team": [audience()], "b_team": [audience(channel="sms")]}
    )
    assert errors == ["b_team.yml: audience winback: duplicate name (also defined in a_team.yml)"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (audience(channel="fax"), "channel: Value error, unknown channel 'fax'"),
        (audience(channel="Email"), "unknown channel 'Email'"),
        (audience(name="Win-Back"), "name: Value error, 'Win-Back' is not snake_case"),
        (audience(owner="CRM Team"), "owner: Value error"),
        (audience(description="short"), "description: String should have at least 10"),
        (audience(version=0), "version: Input should be greater than or equal to 1"),
        (audience(audience_size=10), "audience_size: Extra inputs are not permitted"),
        ({k: v for k, v in audience().items() if k != "channel"}, "channel: Field required"),
    ],
)
def test_invalid_fields_are_rejected(
    tmp_path: Path, tags: Registry, entry: dict[str, Any], reason: str
) -> None:
    errors = errors_of(tmp_path, tags, {"team": [entry]})
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"team.yml: audience {entry['name']}: "), errors[0]
    assert reason in errors[0], errors[0]


def test_every_error_is_reported_at_once(tmp_path: Path, tags: Registry) -> None:
    errors = errors_of(
        tmp_path,
        tags,
        {
            "team": [
                audience("first", condition={"tag": "nope", "is": True}),
                audience("second", channel="fax"),
            ],
            "broken": "audiences: [\n",
            "empty": "audiences: []\n",
        },
    )
    assert len(errors) == 4, errors
    assert errors[0].startswith("broken.yml: not valid YAML")
    assert errors[1].startswith("empty.yml: audiences: List should have at least 1 item")
    assert errors[2].startswith("team.yml: audience first: condition: unknown tag 'nope'")
    assert errors[3].startswith("team.yml: audience second: channel:")


def test_file_defaults_apply_and_entries_override_them(tmp_path: Path, tags: Registry) -> None:
    text = yaml.safe_dump(
        {
            "defaults": {"owner": "growth-marketing", "channel": "ads"},
            "audiences": [
                {k: v for k, v in audience("one").items() if k not in ("owner", "channel")},
                {k: v for k, v in audience("two", channel="wechat").items() if k != "owner"},
            ],
        }
    )
    registry = load_audiences(write(tmp_path / "audiences", {"growth": text}), tags)
    assert [(a.name, a.owner, a.channel, a.version) for a in registry.audiences] == [
        ("one", "growth-marketing", "ads", 1),
        ("two", "growth-marketing", "wechat", 1),
    ]


# --- the compiled macro -------------------------------------------------------------------------


def test_compile_writes_the_macro_once(tmp_path: Path, tags: Registry) -> None:
    directory = write(
        tmp_path / "audiences",
        {"team": [audience("b_second", channel="sms"), audience("a_first")]},
    )
    target = tmp_path / "generated" / "audience_registry_compiled.sql"
    registry, changed = compile_audiences(directory, target, tags=tags)
    assert changed
    macro = target.read_text(encoding="utf-8")
    payload = run_compiled(macro)
    assert payload == json.loads(json.dumps(registry.as_json()))
    assert [a["name"] for a in payload["audiences"]] == ["a_first", "b_second"]
    first = payload["audiences"][0]
    assert first["sql"] == {
        "duckdb": """("lifecycle_stage" IN ('lapsed'))""",
        "postgres": """("lifecycle_stage" IN ('lapsed'))""",
    }
    assert first["tags"] == ["lifecycle_stage"]
    assert (first["channel"], first["owner"], first["file"]) == (
        "email",
        "crm-lifecycle",
        "team.yml",
    )
    assert compile_audiences(directory, target, tags=tags) == (registry, False)  # idempotent
    assert target.read_text(encoding="utf-8") == macro


def test_compile_check_does_not_write_and_invalid_registry_writes_nothing(
    tmp_path: Path, tags: Registry
) -> None:
    directory = write(tmp_path / "audiences", {"team": [audience()]})
    target = tmp_path / "generated" / "audience_registry_compiled.sql"
    assert compile_audiences(directory, target, tags=tags, check=True)[1] is True
    assert not target.exists()
    compile_audiences(directory, target, tags=tags)
    before = target.read_text(encoding="utf-8")
    write(directory, {"team": [audience(channel="fax")]})
    with pytest.raises(AudienceError):
        compile_audiences(directory, target, tags=tags)
    assert target.read_text(encoding="utf-8") == before


def test_definition_hash_follows_the_definition_only(tmp_path: Path, tags: Registry) -> None:
    def hash_of(**extra: Any) -> str:
        registry = load_audiences(
            write(tmp_path / "audiences", {"team": [audience(**extra)]}), tags
        )
        return registry.audiences[0].definition_hash

    base = hash_of()
    assert hash_of(description="Another description of the same audience.") == base
    assert hash_of(version=2) != base
    assert hash_of(condition={"tag": "lifecycle_stage", "in": ["at_risk"]}) != base


# --- the real registry ------------------------------------------------------------------------
def test_real_audiences_are_valid_and_cover_every_channel(tags: Registry) -> None:
    registry = load_audiences(AUDIENCES_DIR, tags)
    assert 5 <= len(registry.audiences) <= 8
    assert {a.channel for a in registry.audiences} == set(CHANNELS)
    assert len({a.file for a in registry.audiences}) >= 2
    for item in registry.audiences:
        assert item.tags and set(item.tags) <= {t.name for t in tags.tags}, item.name


def run_compiled(macro: str) -> dict[str, Any]:
    return run_macro(macro, "cdp_audience_registry_compiled")
