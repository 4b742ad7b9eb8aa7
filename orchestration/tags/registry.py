"""The tag registry: YAML files under ``dbt_project/tags/`` loaded, validated and ordered.

``_facts.yml`` declares what definitions may read: the facts (one dbt model each, one row per
fact with its unified customer, when it happened and when it was loaded, and typed columns) and
the profile (one row per customer). Every other file holds the tags of one category of the
taxonomy. A tag is an aggregate of a fact over a window (a *trait*) or a rule over other tags and
profile columns (threshold, bands, quantile, days since, case, free expression), or a model score
written by a Dagster asset.

Loading checks everything a build would otherwise find late, or never: names, types against the
value type, unknown columns and tags, the allow-list of free SQL (``expressions.py``), duplicate
names and cycles. Every error names the file and the tag.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestration.tags.expressions import (
    BOOLEAN,
    DATE,
    NUMBER,
    TEXT,
    TIMESTAMP,
    ExpressionError,
    check_expression,
)

REGISTRY_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "tags"
FACTS_FILE = "_facts.yml"
CATEGORIES = (
    "demographic",
    "lifecycle",
    "value",
    "behaviour",
    "engagement",
    "preference",
    "channel",
    "risk",
    "model_score",
)
VALUE_TYPES = ("boolean", "enum", "number", "score", "timestamp", "text")
# The kind of value each value type holds, as the expression checker reasons about it.
VALUE_KIND = {
    "boolean": BOOLEAN,
    "enum": TEXT,
    "number": NUMBER,
    "score": NUMBER,
    "timestamp": TIMESTAMP,
    "text": TEXT,
}
COLUMN_TYPES = {
    "number": NUMBER,
    "text": TEXT,
    "boolean": BOOLEAN,
    "timestamp": TIMESTAMP,
    "date": DATE,
}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ENUM_VALUE = re.compile(r"^[a-z0-9][a-z0-9_]{0,62}$")
# Names that would clash with the columns every tag model carries.
RESERVED = {"unified_customer_id", "as_of", "computed_at", "definition_hash", "facts_watermark"}
# Aggregate functions: the column kinds they take ('' = no column) and the value type they give.
AGGREGATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "count": ((), ("number",)),
    "count_distinct": ((NUMBER, TEXT, DATE, TIMESTAMP, BOOLEAN), ("number",)),
    "sum": ((NUMBER,), ("number",)),
    "avg": ((NUMBER,), ("number",)),
    "min": ((NUMBER,), ("number",)),
    "max": ((NUMBER,), ("number",)),
    "distinct_days": ((), ("number",)),
    "first_at": ((), ("timestamp",)),
    "last_at": ((), ("timestamp",)),
    "first_value": ((TEXT, BOOLEAN, NUMBER), ("enum", "text", "boolean", "number")),
    "last_value": ((TEXT, BOOLEAN, NUMBER), ("enum", "text", "boolean", "number")),
    "mode": ((TEXT,), ("enum", "text")),
}
MAX_WINDOW_DAYS = 3660


class RegistryError(ValueError):
    """The registry is invalid; ``errors`` lists every problem, each naming file and tag."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(
            f"the tag registry has {len(errors)} error(s):\n" + "\n".join(f"- {e}" for e in errors)
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    model: str
    description: str
    occurred_at: str
    ingested_at: str
    columns: dict[str, Literal["number", "text", "boolean", "timestamp", "date"]]


class Profile(_Strict):
    model: str
    description: str
    columns: dict[str, Literal["number", "text", "boolean", "timestamp", "date"]]


class FactsFile(_Strict):
    facts: dict[str, Fact]
    profile: Profile


class Aggregate(_Strict):
    fact: str
    function: str
    column: str | None = None
    where: str | None = None
    window_days: int | None = Field(default=None, ge=1, le=MAX_WINDOW_DAYS)


class Threshold(_Strict):
    tag: str
    op: Literal[">", ">=", "<", "<=", "=", "<>"]
    value: float | int | str | bool


class Band(_Strict):
    value: str
    below: float | None = None


class Bands(_Strict):
    tag: str
    bands: list[Band] = Field(min_length=2)


class Quantile(_Strict):
    tag: str
    buckets: int = Field(ge=2, le=100)
    # Bucket 1 holds the highest values when true (an RFM score of 5 is the best either way).
    descending: bool = False
    # Rank only the customers this condition holds for (the rest get no bucket).
    among: str | None = None


class DaysSince(_Strict):
    tag: str


class When(_Strict):
    condition: str
    value: str | bool | float | int


class Case(_Strict):
    when: list[When] = Field(min_length=1)
    otherwise: str | bool | float | int | None = None


class ModelScore(_Strict):
    model: str
    output: Literal["score", "decile"]


DEFINITION_KINDS = {
    "aggregate": Aggregate,
    "threshold": Threshold,
    "bands": Bands,
    "quantile": Quantile,
    "days_since": DaysSince,
    "case": Case,
    "expression": str,
    "model_score": ModelScore,
}


class TagSpec(_Strict):
    name: str
    description: str = Field(min_length=10)
    owner: str
    value_type: Literal["boolean", "enum", "number", "score", "timestamp", "text"]
    allowed_values: list[str] | None = None
    refresh: Literal["full", "incremental"] | None = None
    version: int = Field(ge=1)
    history: bool | None = None
    definition: dict[str, Any]

    @field_validator("name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"{value!r} is not snake_case (a-z, 0-9, _; starting with a letter)")
        if value in RESERVED:
            raise ValueError(f"{value!r} is reserved")
        return value


class CategoryFile(_Strict):
    category: str
    defaults: dict[str, Any] = Field(default_factory=dict)
    tags: list[dict[str, Any]]


@dataclass(frozen=True)
class Tag:
    """One validated tag, with everything the dbt macros need to generate its SQL."""

    name: str
    category: str
    description: str
    owner: str
    value_type: str
    allowed_values: tuple[str, ...] | None
    refresh: str
    version: int
    history: bool
    kind: str
    definition: Mapping[str, Any]
    depends_on: tuple[str, ...]
    file: str
    # For aggregates: the fact filter; for expressions and cases: the rule; rendered per dialect.
    sql: Mapping[str, str] = field(default_factory=dict)
    # The columns the aggregate's `where` reads (the fact scan selects them).
    where_columns: tuple[str, ...] = ()
    level: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "owner": self.owner,
            "value_type": self.value_type,
            "allowed_values": list(self.allowed_values) if self.allowed_values else None,
            "refresh": self.refresh,
            "version": self.version,
            "history": self.history,
            "kind": self.kind,
            "definition": dict(self.definition),
            "depends_on": list(self.depends_on),
            "file": self.file,
            "sql": dict(self.sql),
            "where_columns": list(self.where_columns),
            "level": self.level,
        }


@dataclass(frozen=True)
class Registry:
    facts: Mapping[str, Fact]
    profile: Profile
    tags: tuple[Tag, ...]  # in dependency order (every tag after the tags it reads)
    source_hash: str

    def by_name(self) -> dict[str, Tag]:
        return {t.name: t for t in self.tags}

    def as_json(self) -> dict[str, Any]:
        aggregates = [t.as_json() for t in self.tags if t.kind == "aggregate"]
        return {
            "source_hash": self.source_hash,
            # Changes when any aggregate changes: stored traits are then recomputed from scratch.
            "traits_hash": _hash(json.dumps(aggregates, sort_keys=True)),
            "facts": {n: f.model_dump() for n, f in self.facts.items()},
            "profile": self.profile.model_dump(),
            "tags": [t.as_json() for t in self.tags],
        }


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def registry_files(directory: Path = REGISTRY_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.yml") if p.is_file())


def load_registry(directory: Path = REGISTRY_DIR) -> Registry:
    """Load and validate every registry file in ``directory``; raise RegistryError listing all."""
    errors: list[str] = []
    files = registry_files(directory)
    facts_path = directory / FACTS_FILE
    if facts_path not in files:
        raise RegistryError([f"{facts_path}: missing (it declares the facts and the profile)"])
    digest = hashlib.sha256()
    raw: dict[Path, Any] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode())
        try:
            raw[path] = yaml.safe_load(text)
        except yaml.YAMLError as error:
            errors.append(f"{path.name}: not valid YAML: {error}")
    if errors:
        raise RegistryError(errors)
    try:
        facts_file = FactsFile.model_validate(raw[facts_path])
    except ValidationError as error:
        raise RegistryError(_pydantic_errors(FACTS_FILE, None, error)) from None
    errors += _check_facts(facts_file)

    specs: list[tuple[str, str, TagSpec]] = []
    seen: dict[str, str] = {}
    for path in files:
        if path == facts_path:
            continue
        specs += _load_category_file(path, raw[path], seen, errors)
    profile_names = set(facts_file.profile.columns)
    for file, _, spec in specs:
        if spec.name in profile_names:
            errors.append(f"{file}: tag {spec.name}: the name is a profile column")
    if errors:
        raise RegistryError(errors)

    tags = _check_tags(specs, facts_file, errors)
    scored = {t.name for t in tags if t.kind == "model_score"}
    for tag in tags:
        for name in set(tag.depends_on) & scored:
            errors.append(
                f"{tag.file}: tag {tag.name}: reads model score {name}, which is written after "
                "the other tags are computed (the model trains on them)"
            )
    if errors:
        raise RegistryError(errors)
    ordered = _order(tags, errors)
    if errors:
        raise RegistryError(errors)
    return Registry(
        facts=facts_file.facts,
        profile=facts_file.profile,
        tags=tuple(ordered),
        source_hash=digest.hexdigest()[:16],
    )


def _pydantic_errors(file: str, tag: str | None, error: ValidationError) -> list[str]:
    where = f"{file}: tag {tag}" if tag else file
    return [
        f"{where}: {'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
        for e in error.errors()
    ]


def _check_facts(facts_file: FactsFile) -> list[str]:
    errors = []
    for name, fact in facts_file.facts.items():
        where = f"{FACTS_FILE}: fact {name}"
        if not NAME.match(name) or not NAME.match(fact.model):
            errors.append(f"{where}: fact and model names must be snake_case")
        for column in (fact.occurred_at, fact.ingested_at):
            if fact.columns.get(column) != "timestamp":
                errors.append(f"{where}: {column} must be a declared timestamp column")
        errors += [
            f"{where}: column {c!r} is not snake_case" for c in fact.columns if not NAME.match(c)
        ]
    errors += [
        f"{FACTS_FILE}: profile: column {c!r} is not snake_case"
        for c in facts_file.profile.columns
        if not NAME.match(c)
    ]
    return errors


def _load_category_file(
    path: Path, data: Any, seen: dict[str, str], errors: list[str]
) -> list[tuple[str, str, TagSpec]]:
    try:
        category_file = CategoryFile.model_validate(data)
    except ValidationError as error:
        errors += _pydantic_errors(path.name, None, error)
        return []
    category = category_file.category
    if category not in CATEGORIES:
        errors.append(
            f"{path.name}: unknown category {category!r} (one of {', '.join(CATEGORIES)})"
        )
        return []
    if path.stem != category:
        errors.append(f"{path.name}: holds category {category!r}; name the file {category}.yml")
    specs = []
    for position, entry in enumerate(category_file.tags, start=1):
        label = entry.get("name", f"#{position}") if isinstance(entry, dict) else f"#{position}"
        try:
            spec = TagSpec.model_validate({**category_file.defaults, **entry})
        except (ValidationError, TypeError) as error:
            if isinstance(error, ValidationError):
                errors += _pydantic_errors(path.name, label, error)
            else:
                errors.append(f"{path.name}: tag {label}: not a mapping")
            continue
        if spec.name in seen:
            errors.append(
                f"{path.name}: tag {spec.name}: duplicate name (also defined in {seen[spec.name]})"
            )
            continue
        seen[spec.name] = path.name
        specs.append((path.name, category, spec))
    return specs


def _check_tags(
    specs: list[tuple[str, str, TagSpec]], facts_file: FactsFile, errors: list[str]
) -> list[Tag]:
    value_types = {spec.name: spec.value_type for _, _, spec in specs}
    allowed = {spec.name: spec.allowed_values for _, _, spec in specs}
    tags = []
    for file, category, spec in specs:
        where = f"{file}: tag {spec.name}"
        try:
            tags.append(_check_tag(file, category, spec, facts_file, value_types, allowed))
        except (ValueError, ValidationError) as error:
            if isinstance(error, ValidationError):
                errors += _pydantic_errors(file, spec.name, error)
            else:
                errors.append(f"{where}: {error}")
    return tags


def _check_tag(
    file: str,
    category: str,
    spec: TagSpec,
    facts_file: FactsFile,
    value_types: Mapping[str, str],
    allowed: Mapping[str, list[str] | None],
) -> Tag:
    if len(spec.definition) != 1:
        kinds = ", ".join(DEFINITION_KINDS)
        raise ValueError(f"definition must have exactly one of: {kinds}")
    ((kind, body),) = spec.definition.items()
    if kind not in DEFINITION_KINDS:
        raise ValueError(f"unknown definition {kind!r} (one of {', '.join(DEFINITION_KINDS)})")
    if spec.value_type == "enum":
        if not spec.allowed_values:
            raise ValueError("an enum needs allowed_values")
        bad = [v for v in spec.allowed_values if not ENUM_VALUE.match(v)]
        if bad:
            raise ValueError(f"allowed values must be snake_case: {bad}")
        if len(set(spec.allowed_values)) != len(spec.allowed_values):
            raise ValueError("allowed_values has duplicates")
    elif spec.allowed_values is not None:
        raise ValueError("allowed_values is only for value_type enum")
    if (category == "model_score") != (kind == "model_score"):
        raise ValueError(
            "model_score definitions belong to the model_score category, and only they"
        )
    refresh = spec.refresh or ("incremental" if kind == "aggregate" else "full")
    if kind != "aggregate" and refresh != "full":
        raise ValueError(
            "refresh: incremental is only for aggregates of facts; rules over traits are "
            "evaluated for every customer on every run"
        )
    history = spec.history
    if history is None:
        history = spec.value_type in ("boolean", "enum", "score") or kind == "quantile"
    # Scope of rules: other tags by value kind, then profile columns.
    tag_scope = {name: VALUE_KIND[vt] for name, vt in value_types.items() if name != spec.name}
    profile_scope = {c: COLUMN_TYPES[t] for c, t in facts_file.profile.columns.items()}
    # as_of: the time the tags are computed for (birthdays, ages).
    rule_scope = {**profile_scope, "as_of": TIMESTAMP, **tag_scope}
    sql: dict[str, str] = {}
    where_columns: tuple[str, ...] = ()
    depends: list[str] = []
    result_kind: str
    definition: dict[str, Any]

    def refer(name: str) -> str:
        if name == spec.name:
            raise ValueError("a tag cannot read itself")
        if name not in rule_scope:
            raise ValueError(f"unknown tag or profile column {name!r}")
        if name in tag_scope:
            depends.append(name)
        return rule_scope[name]

    if kind == "aggregate":
        agg = Aggregate.model_validate(body)
        fact = facts_file.facts.get(agg.fact)
        if fact is None:
            raise ValueError(f"unknown fact {agg.fact!r} (one of {', '.join(facts_file.facts)})")
        if agg.function not in AGGREGATES:
            raise ValueError(
                f"unknown aggregate function {agg.function!r} (one of {', '.join(AGGREGATES)})"
            )
        column_kinds, result_types = AGGREGATES[agg.function]
        if column_kinds:
            if agg.column is None:
                raise ValueError(f"{agg.function} needs a column")
            if agg.column not in fact.columns:
                raise ValueError(f"fact {agg.fact} has no column {agg.column!r}")
            column_kind = COLUMN_TYPES[fact.columns[agg.column]]
            if column_kind not in column_kinds:
                raise ValueError(f"{agg.function} cannot take column {agg.column} ({column_kind})")
        elif agg.column is not None:
            raise ValueError(f"{agg.function} takes no column")
        if spec.value_type not in result_types:
            raise ValueError(
                f"{agg.function} gives {' or '.join(result_types)}, not {spec.value_type}"
            )
        if agg.function in ("first_value", "last_value"):
            # The value is the column's own: its kind must be the value type's (enum/text: text).
            column_kind = COLUMN_TYPES[fact.columns[agg.column or ""]]
            if column_kind != VALUE_KIND[spec.value_type]:
                raise ValueError(
                    f"{agg.function} of column {agg.column} gives {column_kind}, "
                    f"not {spec.value_type}"
                )
        if agg.where is not None:
            scope = {c: COLUMN_TYPES[t] for c, t in fact.columns.items()}
            checked = _checked(agg.where, scope, "where")
            if checked.kind != BOOLEAN:
                raise ValueError(f"where must be a condition, but it is {checked.kind}")
            sql = dict(checked.sql)
            where_columns = checked.columns
        definition = agg.model_dump()
        result_kind = VALUE_KIND[spec.value_type]
    elif kind == "threshold":
        rule = Threshold.model_validate(body)
        source_kind = refer(rule.tag)
        literal_kind = (
            BOOLEAN
            if isinstance(rule.value, bool)
            else NUMBER
            if isinstance(rule.value, int | float)
            else TEXT
        )
        if literal_kind == TEXT and not ENUM_VALUE.match(str(rule.value)):
            raise ValueError("a text threshold value must be snake_case")
        if source_kind != literal_kind:
            raise ValueError(f"{rule.tag} is {source_kind}, the threshold is {literal_kind}")
        if literal_kind != NUMBER and rule.op not in ("=", "<>"):
            raise ValueError(f"{rule.op} needs a number")
        definition = rule.model_dump()
        result_kind = BOOLEAN
    elif kind == "bands":
        rule = Bands.model_validate(body)
        if refer(rule.tag) != NUMBER:
            raise ValueError(f"bands need a number, {rule.tag} is not")
        limits = [b.below for b in rule.bands[:-1]]
        if any(v is None for v in limits) or rule.bands[-1].below is not None:
            raise ValueError("every band but the last needs 'below'; the last takes the rest")
        if limits != sorted(limits) or len(set(limits)) != len(limits):
            raise ValueError("band limits must increase")
        _check_values(spec, [b.value for b in rule.bands])
        definition = rule.model_dump()
        result_kind = TEXT
    elif kind == "quantile":
        rule = Quantile.model_validate(body)
        if refer(rule.tag) != NUMBER:
            raise ValueError(f"quantiles need a number, {rule.tag} is not")
        if rule.among is not None:
            checked = _checked(rule.among, rule_scope, "among")
            if checked.kind != BOOLEAN:
                raise ValueError(f"among must be a condition, but it is {checked.kind}")
            for name in checked.columns:
                refer(name)
            sql = dict(checked.sql)
        definition = rule.model_dump()
        result_kind = NUMBER
    elif kind == "days_since":
        rule = DaysSince.model_validate(body)
        if refer(rule.tag) not in (TIMESTAMP, DATE):
            raise ValueError(f"days_since needs a timestamp or date, {rule.tag} is not")
        definition = rule.model_dump()
        result_kind = NUMBER
    elif kind in ("case", "expression"):
        # The tag itself is in the checker's scope so that a self reference is reported as one
        # (by refer below), not as an unknown column.
        check_scope = {**rule_scope, spec.name: VALUE_KIND[spec.value_type]}
        case = Case.model_validate(body) if kind == "case" else None
        if case is not None:
            # Each condition on its own first: spliced into "when (...)" unchecked, a condition
            # such as "x > 1) then 'other' when (true" would add branches (and values) of its own.
            for number, branch in enumerate(case.when, start=1):
                condition = _checked(branch.condition, check_scope, f"case condition {number}")
                if condition.kind not in (BOOLEAN, "null"):
                    raise ValueError(
                        f"case condition {number} must be a condition, but it is {condition.kind}"
                    )
        text = body if case is None else _case_sql(case)
        if not isinstance(text, str):
            raise ValueError("an expression is a string of SQL")
        checked = _checked(text, check_scope, kind)
        for name in checked.columns:
            refer(name)
        if case is not None:
            values = [w.value for w in case.when] + (
                [case.otherwise] if case.otherwise is not None else []
            )
            if spec.value_type == "enum":
                _check_values(spec, [str(v) for v in values])
        sql = dict(checked.sql)
        definition = {kind: body}
        result_kind = checked.kind
    else:  # model_score
        rule = ModelScore.model_validate(body)
        if not NAME.match(rule.model):
            raise ValueError("the model name must be snake_case")
        definition = rule.model_dump()
        result_kind = NUMBER
    expected = VALUE_KIND[spec.value_type]
    if result_kind not in (expected, "null"):
        raise ValueError(f"the definition gives {result_kind}, but value_type is {spec.value_type}")
    if spec.value_type == "score" and kind not in ("model_score", "expression", "case"):
        raise ValueError("value_type score is for model scores and scoring rules")
    return Tag(
        name=spec.name,
        category=category,
        description=spec.description,
        owner=spec.owner,
        value_type=spec.value_type,
        allowed_values=tuple(spec.allowed_values) if spec.allowed_values else None,
        refresh=refresh,
        version=spec.version,
        history=history,
        kind=kind,
        definition=definition,
        depends_on=tuple(dict.fromkeys(depends)),
        file=file,
        sql=sql,
        where_columns=where_columns,
    )


def _checked(text: str, scope: Mapping[str, str], where: str):
    try:
        return check_expression(text, scope)
    except ExpressionError as error:
        raise ValueError(f"{where}: {error}") from None


def _case_sql(case: Case) -> str:
    """A case definition as one SQL CASE, for the checker (values become quoted literals)."""

    def literal(value: str | bool | float | int | None) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return repr(value)
        if not ENUM_VALUE.match(value):
            raise ValueError(f"case value {value!r} must be snake_case")
        return f"'{value}'"

    branches = " ".join(f"when ({w.condition}) then {literal(w.value)}" for w in case.when)
    return f"case {branches} else {literal(case.otherwise)} end"


def _check_values(spec: TagSpec, values: Iterable[str]) -> None:
    if spec.value_type != "enum":
        raise ValueError("bands and case values need value_type enum")
    unknown = sorted(set(values) - set(spec.allowed_values or ()))
    if unknown:
        raise ValueError(f"values {unknown} are not in allowed_values")


def _order(tags: list[Tag], errors: list[str]) -> list[Tag]:
    """Tags in dependency order with their level; a cycle is an error naming its tags."""
    by_name = {t.name: t for t in tags}
    levels: dict[str, int] = {}
    state: dict[str, str] = {}
    ordered: list[Tag] = []

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = [*path[path.index(name) :], name]
            errors.append(f"{by_name[name].file}: tag {name}: cycle {' -> '.join(cycle)}")
            return
        state[name] = "visiting"
        for dependency in by_name[name].depends_on:
            visit(dependency, [*path, name])
        state[name] = "done"
        tag = by_name[name]
        levels[name] = 1 + max((levels.get(d, 0) for d in tag.depends_on), default=-1)
        ordered.append(tag)

    for tag in tags:
        visit(tag.name, [])
    if errors:
        return []
    return [
        Tag(**{**t.__dict__, "level": levels[t.name]})
        for t in sorted(ordered, key=lambda t: (levels[t.name], ordered.index(t)))
    ]
