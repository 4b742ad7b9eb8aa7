"""How identifiers look when they arrive: SQL builders for the variants of phones, emails, names.

Each source writes the same true contact points in its own ways. The variant of every record is
a small integer drawn in numpy (deterministic); these builders turn ``(value, style)`` into the
string the record carries, in DuckDB SQL so 10M rows format in seconds.
"""

from __future__ import annotations

import re

import numpy as np

# Phone formats per numbering plan; ``{a:b}`` is ``b`` digits of the national number from
# position ``a`` (1-based), ``{n}`` the whole national number. The first of each list is the
# international spaced form; every style listed here is guaranteed to appear in CRM data.
PHONE_FORMATS: dict[str, tuple[str, ...]] = {
    "CN": (
        "+86 {1:3} {4:4} {8:4}",
        "{n}",
        "0086-{1:3}-{4:4}-{8:4}",
        "+86-{n}",
        "+86{n}",
        "{1:3} {4:4} {8:4}",
    ),
    "US": (
        "({1:3}) {4:3}-{7:4}",
        "+1 {1:3}-{4:3}-{7:4}",
        "{1:3}.{4:3}.{7:4}",
        "+1{n}",
        "1-{1:3}-{4:3}-{7:4}",
    ),
    "GB_LONDON": (
        "+44 {1:2} {3:4} {7:4}",
        "0{1:2} {3:4} {7:4}",
        "+44{n}",
        "0044 {1:2} {3:4} {7:4}",
    ),
    "GB_AREA": ("+44 {1:3} {4:3} {7:4}", "0{1:3} {4:3} {7:4}", "+44{n}", "0{n}"),
    "GB_MOBILE": ("+44 {1:4} {5:6}", "0{1:4} {5:6}", "+44{n}", "0{n}"),
    "HK": ("+852 {1:4} {5:4}", "{n}", "852-{1:4}-{5:4}", "+852{n}", "(852) {1:4} {5:4}"),
    "DE": ("+49 {1:3} {4:8}", "0{1:3} {4:8}", "0049 {1:3} {4:8}", "+49{n}", "0{1:3}/{4:8}"),
    "FR": (
        "+33 {1:1} {2:2} {4:2} {6:2} {8:2}",
        "0{1:1} {2:2} {4:2} {6:2} {8:2}",
        "+33{n}",
        "0{n}",
        "0{1:1}.{2:2}.{4:2}.{6:2}.{8:2}",
    ),
    "SG": ("+65 {1:4} {5:4}", "{n}", "+65{n}", "(65) {1:4} {5:4}"),
}

# Email styles: 0 as registered (lower case), 1 capitalised local part and upper-case domain,
# 2 all upper case, 3 padded with whitespace and capitalised (``  Alice@EXAMPLE.COM ``),
# 4 trailing whitespace only.
EMAIL_STYLES = 5
CONSENT_FORMATS = (("Y", "N"), ("1", "0"), ("true", "false"), ("TRUE", "FALSE"), ("yes", "no"))
COUNTRY_NAMES = {
    "CN": ("China", "中国"),
    "US": ("United States", "USA"),
    "GB": ("United Kingdom", "UK"),
    "HK": ("Hong Kong", "香港"),
    "DE": ("Germany", "Deutschland"),
    "FR": ("France", "France"),
    "SG": ("Singapore", "Singapore"),
}


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


def _format_sql(template: str, nat: str) -> str:
    parts: list[str] = []
    for token in re.split(r"(\{[^}]*\})", template):
        if not token:
            continue
        if token == "{n}":
            parts.append(nat)
        elif token.startswith("{"):
            a, b = token[1:-1].split(":")
            parts.append(f"substr({nat}, {int(a)}, {int(b)})")
        else:
            parts.append(sql_str(token))
    return " || ".join(parts)


def _plan_sql(country: str, nat: str) -> str:
    return (
        f"CASE WHEN {country} = 'GB' AND left({nat}, 2) = '20' THEN 'GB_LONDON' "
        f"WHEN {country} = 'GB' AND left({nat}, 1) = '1' THEN 'GB_AREA' "
        f"WHEN {country} = 'GB' THEN 'GB_MOBILE' ELSE {country} END"
    )


def phone_sql(country: str, nat: str, style: str) -> str:
    """SQL: the national number ``nat`` of ``country`` written in format ``style % k``."""
    branches = []
    for plan, formats in PHONE_FORMATS.items():
        inner = " ".join(f"WHEN {i} THEN {_format_sql(f, nat)}" for i, f in enumerate(formats))
        branches.append(f"WHEN '{plan}' THEN (CASE ({style}) % {len(formats)} {inner} END)")
    return f"(CASE {_plan_sql(country, nat)} {' '.join(branches)} END)"


def phone_e164_sql(calling_code: str, nat: str) -> str:
    return f"('+' || {calling_code} || {nat})"


def email_sql(email: str, style: str) -> str:
    """SQL: ``email`` (lower case) written in email style ``style`` (see EMAIL_STYLES)."""
    at = f"strpos({email}, '@')"
    capital = (
        f"upper(left({email}, 1)) || substr({email}, 2, {at} - 2) || '@' "
        f"|| upper(substr({email}, {at} + 1))"
    )
    return (
        f"(CASE ({style}) WHEN 0 THEN {email} WHEN 1 THEN {capital} WHEN 2 THEN upper({email}) "
        f"WHEN 3 THEN '  ' || {capital} || ' ' ELSE {email} || ' ' END)"
    )


def typo_sql(text: str, pos: str) -> str:
    """SQL: swap two neighbouring letters of ``text`` (a typing error), at ``pos`` mod length."""
    k = f"(1 + ({pos}) % greatest(length({text}) - 1, 1))"
    return (
        f"(CASE WHEN length({text}) < 3 THEN {text} || {text}[-1:] ELSE "
        f"left({text}, {k} - 1) || substr({text}, {k} + 1, 1) || substr({text}, {k}, 1) "
        f"|| substr({text}, {k} + 2) END)"
    )


def name_latin_sql(first: str, last: str, chinese: str, style: str) -> str:
    """SQL: a Latin-script full name. Pinyin names come surname-first or given-first, in
    upper case surname (passport style), or run together; Western names in a few layouts."""
    return (
        f"(CASE WHEN {chinese} THEN (CASE ({style}) % 5 "
        f"WHEN 0 THEN {last} || ' ' || {first} WHEN 1 THEN {first} || ' ' || {last} "
        f"WHEN 2 THEN upper({last}) || ' ' || {first} WHEN 3 THEN lower({last} || ' ' || {first}) "
        f"ELSE {last} || lower({first}) END) "
        f"ELSE (CASE ({style}) % 5 WHEN 1 THEN {last} || ', ' || {first} "
        f"WHEN 2 THEN upper({first} || ' ' || {last}) ELSE {first} || ' ' || {last} END) END)"
    )


def consent_sql(value: str, style: str) -> str:
    """SQL: a boolean consent in one of the export formats; style >= len(formats) is empty."""
    cases = " ".join(
        f"WHEN {i} THEN (CASE WHEN {value} THEN {sql_str(y)} ELSE {sql_str(n)} END)"
        for i, (y, n) in enumerate(CONSENT_FORMATS)
    )
    return f"(CASE ({style}) {cases} ELSE '' END)"


def country_sql(country: str, style: str) -> str:
    """SQL: the country as ISO code (style 0) or one of its names (1, 2)."""
    names = " ".join(
        f"WHEN {sql_str(code)} THEN "
        f"(CASE WHEN ({style}) = 1 THEN {sql_str(a)} ELSE {sql_str(b)} END)"
        for code, (a, b) in COUNTRY_NAMES.items()
    )
    return f"(CASE WHEN ({style}) = 0 THEN {country} ELSE (CASE {country} {names} END) END)"


def draw(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    """Draw category codes 0..k-1 with the given weights (normalised)."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int16)


_MASK48 = np.uint64((1 << 48) - 1)


def scramble48(k: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A bijection on 48-bit integers (odd multiplier mod 2^48): unique ids from a counter."""
    a = np.uint64(int(rng.integers(1, 1 << 46)) * 2 + 1)
    b = np.uint64(int(rng.integers(0, 1 << 47)))
    with np.errstate(over="ignore"):
        return ((k.astype(np.uint64) * a + b) & _MASK48).astype(np.int64)
