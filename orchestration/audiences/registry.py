"""The audience registry: YAML files under ``dbt_project/audiences/`` loaded and validated.

An audience is a named, owned condition over the tags of ``marts.dim_customer_tags`` (one column
per tag of the tag registry, ``dbt_project/tags/``) for one activation channel. A condition is a
tree of ``all`` / ``any`` / ``not`` nodes whose leaves compare one tag with literal values
(``{tag: lifecycle_stage, in: [at_risk, lapsed]}``), or a free ``expression`` string checked by
the tag registry's allow-listed SQL parser (``orchestration/tags/expressions.py``).

Loading checks what a build would otherwise find late or never: names, channels, owners,
unknown tags, enum values outside a tag's ``allowed_values`` (in leaves and in expressions),
operators that do not fit the tag's type, duplicates across files, and any SQL that is not an
allowed scalar expression (functions such as ``read_text``, subqueries, a second statement).
Every error names the file and the audience. The condition is compiled into one SQL expression
per dialect, with quoted identifiers, that the dbt macros place as it is.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlglot import exp

from orchestration.tags.expressions import (
    BOOLEAN,
    NUMBER,
    TIMESTAMP,
    ExpressionError,
    check_expression,
)
from orchestration.tags.registry import (
    NAME,
    REGISTRY_DIR,
    VALUE_KIND,
    Registry,
    load_registry,
)

AUDIENCES_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "audiences"
CHANNELS = ("email", "sms", "ads", "wechat")
OWNER = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,62}$")
# Leaf operators: SQL template and the kind of value each takes ('list' of values, 'pair' for
# between, 'is' for true / false / null, 'one' for a single value).
OPERATORS: dict[str, tuple[str, str]] = {
    "eq": ("=", "one"),
    "ne": ("<>", "one"),
    "gt": (">", "one"),
    "gte": (">=", "one"),
    "lt": ("<", "one"),
    "lte": ("<=", "one"),
    "in": ("in", "list"),
    "not_in": ("not in", "list"),
    "between": ("between", "pair"),
    "is": ("is", "is"),
}
ORDERED = {"gt", "gte", "lt", "lte", "between"}
MAX_DEPTH = 10


class AudienceError(ValueError):
    """The audience registry is invalid; ``errors`` lists every problem (file and audience)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(
            f"the audience registry has {len(errors)} error(s):\n"
            + "\n".join(f"- {e}" for e in errors)
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AudienceSpec(_Strict):
    name: str
    description: str = Field(min_length=10)
    owner: str
    channel: str
    condition: Any
    version: int = Field(default=1, ge=1)

    @field_validator("name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"{value!r} is not snake_case (a-z, 0-9, _; starting with a letter)")
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if not OWNER.match(value):
            raise ValueError(f"{value!r} is not a team or person handle (a-z, 0-9, _ . @ -)")
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(f"unknown channel {value!r} (one of {', '.join(CHANNELS)})")
        return value


class AudienceFile(_Strict):
    defaults: dict[str, Any] = Field(default_factory=dict)
    audiences: list[dict[str, Any]] = Field(min_length=1)


@dataclass(frozen=True)
class Audience:
    """One validated audience, with its condition as SQL per dialect."""

    name: str
    description: str
    owner: str
    channel: str
    version: int
    file: str
    condition: Any
    tags: tuple[str, ...]
    sql: Mapping[str, str]
    definition_hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "owner": self.owner,
            "channel": self.channel,
            "version": self.version,
            "file": self.file,
            "condition": self.condition,
            "tags": list(self.tags),
            "sql": dict(self.sql),
            "definition_hash": self.definition_hash,
        }


@dataclass(frozen=True)
class AudienceRegistry:
    audiences: tuple[Audience, ...]  # sorted by name
    source_hash: str

    def by_name(self) -> dict[str, Audience]:
        return {a.name: a for a in self.audiences}

    def as_json(self) -> dict[str, Any]:
        return {
            "source_hash": self.source_hash,
            "channels": list(CHANNELS),
            "audiences": [a.as_json() for a in self.audiences],
        }


def audience_files(directory: Path = AUDIENCES_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.yml") if p.is_file())


def tag_scope(tags: Registry) -> dict[str, str]:
    """The columns of marts.dim_customer_tags a condition may read, by value kind."""
    return {tag.name: VALUE_KIND[tag.value_type] for tag in tags.tags}


def load_audiences(
    directory: Path = AUDIENCES_DIR, tags: Registry | None = None
) -> AudienceRegistry:
    """Load and validate every audience file; raise AudienceError listing every problem."""
    tags = tags if tags is not None else load_registry(REGISTRY_DIR)
    scope = tag_scope(tags)
    allowed = {t.name: t.allowed_values for t in tags.tags if t.value_type == "enum"}
    errors: list[str] = []
    digest = hashlib.sha256()
    seen: dict[str, str] = {}
    audiences: list[Audience] = []
    for path in audience_files(directory):
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode())
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            errors.append(f"{path.name}: not valid YAML: {error}")
            continue
        try:
            audience_file = AudienceFile.model_validate(data)
        except ValidationError as error:
            errors += _pydantic_errors(path.name, None, error)
            continue
        for position, entry in enumerate(audience_file.audiences, start=1):
            label = (
                str(entry.get("name", f"#{position}"))
                if isinstance(entry, dict)
                else f"#{position}"
            )
            where = f"{path.name}: audience {label}"
            if not isinstance(entry, dict):
                errors.append(f"{where}: not a mapping")
                continue
            try:
                spec = AudienceSpec.model_validate({**audience_file.defaults, **entry})
            except ValidationError as error:
                errors += _pydantic_errors(path.name, label, error)
                continue
            if spec.name in seen:
                errors.append(f"{where}: duplicate name (also defined in {seen[spec.name]})")
                continue
            seen[spec.name] = path.name
            try:
                audiences.append(_check_audience(path.name, spec, scope, allowed))
            except (ExpressionError, ValueError) as error:
                errors.append(f"{where}: condition: {error}")
    if errors:
        raise AudienceError(errors)
    return AudienceRegistry(
        audiences=tuple(sorted(audiences, key=lambda a: a.name)),
        source_hash=digest.hexdigest()[:16],
    )


def _pydantic_errors(file: str, audience: str | None, error: ValidationError) -> list[str]:
    where = f"{file}: audience {audience}" if audience else file
    return [
        f"{where}: {'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
        for e in error.errors()
    ]


def _check_audience(
    file: str,
    spec: AudienceSpec,
    scope: Mapping[str, str],
    allowed: Mapping[str, tuple[str, ...] | None],
) -> Audience:
    text = condition_sql(spec.condition, scope, allowed)
    checked = check_expression(text, scope)
    if checked.kind != BOOLEAN:
        raise ValueError(f"must be a condition, but it is {checked.kind}")
    _check_enum_literals(text, scope, allowed)
    definition = json.dumps(
        {"condition": spec.condition, "channel": spec.channel, "version": spec.version},
        sort_keys=True,
        default=str,
    )
    return Audience(
        name=spec.name,
        description=spec.description,
        owner=spec.owner,
        channel=spec.channel,
        version=spec.version,
        file=file,
        condition=spec.condition,
        tags=tuple(sorted(set(checked.columns))),
        sql=dict(checked.sql),
        definition_hash=hashlib.sha256(definition.encode()).hexdigest()[:16],
    )


def condition_sql(
    node: Any,
    scope: Mapping[str, str],
    allowed: Mapping[str, tuple[str, ...] | None],
    depth: int = 0,
) -> str:
    """SQL text of a condition tree (checked again, as a whole, by the expression checker)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, str):
        # A bare string is a free expression: `condition: "orders_count_365d >= 2"`.
        node = {"expression": node}
    if not isinstance(node, dict) or not node:
        raise ValueError("a condition is a mapping: all, any, not, expression, or a leaf with tag")
    keys = set(node)
    if keys in ({"all"}, {"any"}):
        ((kind, children),) = node.items()
        if not isinstance(children, list) or not children:
            raise ValueError(f"{kind} takes a non-empty list of conditions")
        joiner = " and " if kind == "all" else " or "
        return (
            "(" + joiner.join(condition_sql(c, scope, allowed, depth + 1) for c in children) + ")"
        )
    if keys == {"not"}:
        return f"(not {condition_sql(node['not'], scope, allowed, depth + 1)})"
    if keys == {"expression"}:
        text = node["expression"]
        if not isinstance(text, str):
            raise ValueError("expression takes a string of SQL")
        checked = check_expression(text, scope)
        if checked.kind != BOOLEAN:
            raise ValueError(f"expression must be a condition, but it is {checked.kind}")
        return f"({text})"
    if "tag" in keys:
        return _leaf_sql(node, scope, allowed)
    raise ValueError(
        f"unknown condition keys {sorted(keys)} (all, any, not, expression, or tag with one "
        f"operator of {', '.join(OPERATORS)})"
    )


def _leaf_sql(
    node: dict[str, Any],
    scope: Mapping[str, str],
    allowed: Mapping[str, tuple[str, ...] | None],
) -> str:
    tag = node["tag"]
    if not isinstance(tag, str) or tag not in scope:
        raise ValueError(f"unknown tag {tag!r} (not a column of dim_customer_tags)")
    operators = [k for k in node if k != "tag"]
    if len(operators) != 1 or operators[0] not in OPERATORS:
        raise ValueError(
            f"tag {tag}: a leaf takes exactly one operator of {', '.join(OPERATORS)}, "
            f"got {operators or 'none'}"
        )
    (operator,) = operators
    symbol, shape = OPERATORS[operator]
    value = node[operator]
    kind = scope[tag]
    column = f'"{tag}"'
    if shape == "is":
        if value is None:
            return f"({column} is null)"
        if not isinstance(value, bool) or kind != BOOLEAN:
            raise ValueError(
                f"tag {tag}: 'is' takes true or false on a boolean tag, or null on any tag"
            )
        return f"({column} is {'true' if value else 'false'})"
    if operator in ORDERED and kind not in (NUMBER, TIMESTAMP):
        raise ValueError(f"tag {tag} is {kind}: {operator} needs a number or timestamp tag")
    if shape == "list":
        if not isinstance(value, list) or not value:
            raise ValueError(f"tag {tag}: {operator} takes a non-empty list")
        values = value
    elif shape == "pair":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError(f"tag {tag}: between takes a list of two values [low, high]")
        values = value
    else:
        values = [value]
    literals = [_literal(tag, kind, v) for v in values]
    _check_allowed(tag, allowed.get(tag), values)
    if shape == "list":
        return f"({column} {symbol} ({', '.join(literals)}))"
    if shape == "pair":
        return f"({column} between {literals[0]} and {literals[1]})"
    return f"({column} {symbol} {literals[0]})"


def _literal(tag: str, kind: str, value: Any) -> str:
    """A SQL literal of ``value`` that fits a tag of ``kind``; rendered by sqlglot (escaped)."""
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"tag {tag} is boolean, {value!r} is not true or false")
        return "true" if value else "false"
    if kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"tag {tag} is a number, {value!r} is not")
        return exp.Literal.number(value).sql(dialect="duckdb")
    if kind == TIMESTAMP:
        text = str(value)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", text):
            raise ValueError(f"tag {tag} is a timestamp: compare with 'YYYY-MM-DD[ HH:MM[:SS]]'")
        return exp.Literal.string(text).sql(dialect="duckdb")
    if not isinstance(value, str):
        raise ValueError(f"tag {tag} is {kind}, {value!r} is not text")
    return exp.Literal.string(value).sql(dialect="duckdb")


def _check_allowed(tag: str, allowed: tuple[str, ...] | None, values: list[Any]) -> None:
    if allowed is None:
        return
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(
            f"tag {tag}: values {unknown} are not in its allowed_values ({', '.join(allowed)})"
        )


def _check_enum_literals(
    text: str, scope: Mapping[str, str], allowed: Mapping[str, tuple[str, ...] | None]
) -> None:
    """An enum tag compared (=, <>, IN) with a text literal outside its allowed_values would
    never match: it is a typo, reported like one (free expressions included)."""

    tree = sqlglot.parse_one(text, dialect="duckdb")
    for node in tree.walk():
        if isinstance(node, exp.EQ | exp.NEQ):
            pairs = [(node.left, [node.right]), (node.right, [node.left])]
        elif isinstance(node, exp.In):
            pairs = [(node.this, list(node.expressions))]
        else:
            continue
        for column, others in pairs:
            if not isinstance(column, exp.Column) or allowed.get(column.name) is None:
                continue
            literals = [o.this for o in others if isinstance(o, exp.Literal) and o.is_string]
            _check_allowed(column.name, allowed[column.name], literals)
