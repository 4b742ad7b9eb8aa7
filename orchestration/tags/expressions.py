"""Free SQL in tag definitions: parsed with sqlglot, checked against an allow-list, typed, quoted.

A definition may carry a SQL expression (a filter on a fact, a rule over other tags). It is never
spliced into a model as written: it is parsed into an expression tree, every node must be of an
allowed kind (comparisons, boolean logic, arithmetic, CASE, IN, BETWEEN, LIKE and a short list of
scalar functions), every column must be one the definition may see, and the tree is then rendered
again by sqlglot with every identifier quoted, once per warehouse dialect. A second statement, a
subquery, a table reference or any other function (``read_text``, ``getenv``) is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

# The dialects a compiled registry carries SQL for (dbt's target.type picks one).
DIALECTS = ("duckdb", "postgres")

# Value kinds the checker reasons about (a tag's value_type maps onto one of them).
NUMBER, TEXT, BOOLEAN, TIMESTAMP, DATE, NULL = (
    "number",
    "text",
    "boolean",
    "timestamp",
    "date",
    "null",
)

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_SYMBOLS = {exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_LOGIC = (exp.And, exp.Or)
# Scalar functions a rule may call, by sqlglot node: name shown in errors, argument kinds, result.
_FUNCTIONS: dict[type[exp.Expression], tuple[str, str]] = {
    exp.Abs: ("abs", NUMBER),
    exp.Round: ("round", NUMBER),
    exp.Floor: ("floor", NUMBER),
    exp.Ceil: ("ceil", NUMBER),
    exp.Lower: ("lower", TEXT),
    exp.Upper: ("upper", TEXT),
    exp.Length: ("length", NUMBER),
    exp.Month: ("month", NUMBER),
    exp.Year: ("year", NUMBER),
    exp.Day: ("day", NUMBER),
    exp.Coalesce: ("coalesce", ""),
    exp.Greatest: ("greatest", ""),
    exp.Least: ("least", ""),
}


class ExpressionError(ValueError):
    """A free SQL expression that is not allowed; the message says why."""


@dataclass(frozen=True)
class CheckedExpression:
    """An allowed expression: its inferred kind, the columns it reads and its SQL per dialect."""

    kind: str
    columns: tuple[str, ...]
    sql: Mapping[str, str]


def check_expression(text: str, scope: Mapping[str, str]) -> CheckedExpression:
    """Parse ``text``, allow only safe nodes and the columns of ``scope``, infer its kind.

    ``scope`` maps each column the expression may read to its kind.

    Raises ExpressionError naming the offending part.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        statements = sqlglot.parse(text, dialect="duckdb")
    except ParseError as error:
        raise ExpressionError(f"not valid SQL: {_first_line(error)}") from None
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        raise ExpressionError(
            f"must be one expression, found {len(statements)} statements (a ';' is not allowed)"
        )
    tree = statements[0]
    if isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command):
        raise ExpressionError(f"must be a scalar expression, not a {tree.key.upper()} statement")
    if any(node.comments for node in tree.walk()):
        raise ExpressionError("comments are not allowed in an expression (use the description)")
    columns: list[str] = []
    kind = _kind_of(tree, scope, columns)
    quoted = tree.copy()
    for column in quoted.find_all(exp.Column):
        column.set("this", exp.to_identifier(column.name, quoted=True))
    sql = {dialect: quoted.sql(dialect=dialect, identify=True) for dialect in DIALECTS}
    return CheckedExpression(kind=kind, columns=tuple(dict.fromkeys(columns)), sql=sql)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _kind_of(node: exp.Expression, scope: Mapping[str, str], columns: list[str]) -> str:
    """The kind of ``node`` after checking it and its children (recursively)."""
    if isinstance(node, exp.Column):
        if node.table or node.args.get("db") or node.args.get("catalog"):
            raise ExpressionError(f"column {node.sql()!r} must not name a table")
        if isinstance(node.this, exp.Star):
            raise ExpressionError("'*' is not allowed")
        name = node.name
        if name not in scope:
            known = ", ".join(sorted(scope)) or "none"
            raise ExpressionError(f"unknown column {name!r} (known: {known})")
        columns.append(name)
        return scope[name]
    if isinstance(node, exp.Literal):
        return TEXT if node.is_string else NUMBER
    if isinstance(node, exp.Boolean):
        return BOOLEAN
    if isinstance(node, exp.Null):
        return NULL
    if isinstance(node, exp.Paren):
        return _kind_of(node.this, scope, columns)
    if isinstance(node, exp.Neg):
        return _expect(node.this, NUMBER, scope, columns, "'-'")
    if isinstance(node, exp.Not):
        return _expect(node.this, BOOLEAN, scope, columns, "NOT")
    if isinstance(node, _LOGIC):
        _expect(node.left, BOOLEAN, scope, columns, node.key.upper())
        _expect(node.right, BOOLEAN, scope, columns, node.key.upper())
        return BOOLEAN
    if isinstance(node, _ARITHMETIC):
        _expect(node.left, NUMBER, scope, columns, "arithmetic")
        _expect(node.right, NUMBER, scope, columns, "arithmetic")
        return NUMBER
    if isinstance(node, _COMPARISONS):
        _same_kind([node.left, node.right], scope, columns, f"comparison {_SYMBOLS[type(node)]}")
        return BOOLEAN
    if isinstance(node, exp.Is):
        _kind_of(node.this, scope, columns)
        if not isinstance(node.expression, exp.Null | exp.Boolean):
            raise ExpressionError("IS must be followed by NULL, TRUE or FALSE")
        return BOOLEAN
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise ExpressionError("IN takes a list of values, not a subquery")
        _same_kind([node.this, *node.expressions], scope, columns, "IN")
        return BOOLEAN
    if isinstance(node, exp.Between):
        _same_kind([node.this, node.args["low"], node.args["high"]], scope, columns, "BETWEEN")
        return BOOLEAN
    if isinstance(node, exp.Like | exp.ILike):
        _expect(node.this, TEXT, scope, columns, "LIKE")
        _expect(node.expression, TEXT, scope, columns, "LIKE")
        return BOOLEAN
    if isinstance(node, exp.Case):
        if node.this is not None:
            raise ExpressionError("use CASE WHEN <condition> THEN ..., not CASE <value> WHEN")
        results = []
        for branch in node.args.get("ifs") or []:
            _expect(branch.this, BOOLEAN, scope, columns, "WHEN")
            results.append(branch.args["true"])
        if node.args.get("default") is not None:
            results.append(node.args["default"])
        return _same_kind(results, scope, columns, "CASE results")
    for function, (name, result) in _FUNCTIONS.items():
        if type(node) is function:
            kinds = [
                _kind_of(arg, scope, columns)
                for arg in _arguments(node)
                if isinstance(arg, exp.Expression)
            ]
            if function in (exp.Month, exp.Year, exp.Day):
                if any(k not in (DATE, TIMESTAMP, NULL) for k in kinds):
                    raise ExpressionError(f"{name}() takes a date or timestamp")
                return NUMBER
            if result == "":
                return _merge_kinds(kinds, name)
            if function in (exp.Lower, exp.Upper, exp.Length) and any(
                k not in (TEXT, NULL) for k in kinds
            ):
                raise ExpressionError(f"{name}() takes text")
            if (
                result == NUMBER
                and function not in (exp.Length,)
                and any(k not in (NUMBER, NULL) for k in kinds)
            ):
                raise ExpressionError(f"{name}() takes numbers")
            return result
    if isinstance(node, exp.Anonymous | exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        allowed = ", ".join(sorted(n for n, _ in _FUNCTIONS.values()))
        raise ExpressionError(f"function {name.lower()}() is not allowed (allowed: {allowed})")
    raise ExpressionError(f"{node.key.upper()} is not allowed in a tag expression")


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    args: list[exp.Expression] = []
    for value in node.args.values():
        if isinstance(value, list):
            args.extend(v for v in value if isinstance(v, exp.Expression))
        elif isinstance(value, exp.Expression):
            args.append(value)
    return args


def _expect(
    node: exp.Expression, kind: str, scope: Mapping[str, str], columns: list[str], where: str
) -> str:
    found = _kind_of(node, scope, columns)
    if found not in (kind, NULL):
        raise ExpressionError(f"{where} needs {kind}, but {node.sql()!r} is {found}")
    return kind


def _same_kind(
    nodes: list[exp.Expression], scope: Mapping[str, str], columns: list[str], where: str
) -> str:
    kinds = [_kind_of(n, scope, columns) for n in nodes]
    return _merge_kinds(kinds, where, nodes)


def _merge_kinds(kinds: list[str], where: str, nodes: list[exp.Expression] | None = None) -> str:
    real = {k for k in kinds if k != NULL}
    # A date compares with a timestamp; a timestamp also compares with an ISO text literal.
    if real <= {DATE, TIMESTAMP, TEXT} and real & {DATE, TIMESTAMP}:
        literal_texts = [n for n, k in zip(nodes or [], kinds, strict=False) if k == TEXT]
        if all(isinstance(n, exp.Literal) for n in literal_texts):
            return TIMESTAMP if TIMESTAMP in real else DATE
    if len(real) > 1:
        raise ExpressionError(f"{where} mixes {' and '.join(sorted(real))}")
    return real.pop() if real else NULL
