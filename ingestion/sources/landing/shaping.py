"""Turn a raw batch into loadable rows and quarantine records, in one vectorised pass.

Each batch is registered in a private in-memory DuckDB connection (never the warehouse file, which
has one writer: dlt). For every mapped standard field the raw value is cast to the field's type; a
value that is present but does not cast, or a required field that is empty, becomes a quarantine
record naming the file, row, field and reason. Whether the row is still loaded depends on the
field's ``on_invalid`` rule (see ``ingestion/kinds.py``). Reasons are stable codes without the
values themselves, so they can be counted in Dagster metadata without exposing personal data; the
original value is kept in the quarantine table's ``raw_value`` column.

Every value taken from sources.yml is quoted as an SQL identifier or literal here; the configuration
validator already rejects quote characters in column names, so nothing can be spliced in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention

from ingestion.config import EPOCH_SECONDS, ConfigError, TableConfig
from ingestion.kinds import EntitySpec, StandardField

from .readers import RawBatch, Rejected
from .settings import (
    ACTION_ROW_QUARANTINED,
    ACTION_VALUE_NULLED,
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    JSON_LINE_COLUMN,
    LINEAGE_COLUMNS,
    MAX_YEAR,
    MIN_YEAR,
    ROW_COLUMN,
)

_NAMING = NamingConvention()

SQL_TYPES = {
    "text": "varchar",
    "timestamp": "timestamptz",
    "date": "date",
    "decimal": f"decimal({DECIMAL_PRECISION}, {DECIMAL_SCALE})",
    "integer": "bigint",
    "boolean": "boolean",
    "json": "varchar",
}

ARROW_TYPES = {
    "text": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "decimal": pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "json": pa.string(),
}


def entity_arrow_schema(entity: EntitySpec) -> pa.Schema:
    """Standard fields and lineage columns of a raw table, as the shaper produces them."""
    source_file, source_row, ingested_at = LINEAGE_COLUMNS
    return pa.schema(
        [
            pa.field(field.name, ARROW_TYPES[field.type], nullable=field.name != "record_key")
            for field in entity.fields
        ]
        + [
            (source_file, pa.string()),
            (source_row, pa.int64()),
            (ingested_at, pa.timestamp("us", tz="UTC")),
        ]
    )


QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("quarantine_key", pa.string(), nullable=False),
        ("source", pa.string()),
        ("table_name", pa.string()),
        ("file_name", pa.string()),
        ("row_number", pa.int64()),
        ("source_record_key", pa.string()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("action", pa.string()),
        ("raw_value", pa.string()),
        ("raw_record", pa.string()),
        ("quarantined_at", pa.timestamp("us", tz="UTC")),
    ]
)


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def json_path(dotted: str) -> str:
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in dotted.split("."))


def warehouse_name(column: str) -> str:
    """The name dlt gives a column in the warehouse (snake_case)."""
    return _NAMING.normalize_identifier(column)


@dataclass
class ShapedBatch:
    rows: pa.Table
    problems: pa.Table
    rows_read: int
    rows_quarantined: int
    values_nulled: int


class Shaper:
    """Shapes the batches of one raw table; holds its own in-memory DuckDB connection."""

    def __init__(
        self,
        source_name: str,
        entity: EntitySpec,
        table: TableConfig,
        ingested_at: datetime,
    ) -> None:
        self.source_name = source_name
        self.entity = entity
        self.table = table
        self.ingested_at = ingested_at
        self.is_json = table.format in ("json", "jsonl")
        self.con = duckdb.connect(":memory:")
        self._keys: list[str] = []  # top-level keys of the JSON batch being shaped
        self._text_keys: set[str] = set()
        self._extras: list[tuple[str, str]] = []  # kept unmapped columns: (expression, name)
        self._value_columns: dict[str, str] = {}  # field -> the shaped column holding its value
        # Timestamps written without an offset are local times of the source's time zone.
        self.con.execute(f"set TimeZone = {literal(table.timezone)}")

    def close(self) -> None:
        self.con.close()

    def _is_identity(self, field: StandardField) -> bool:
        """Whether the field's value is its raw text unchanged (so it cannot be invalid)."""
        return field.type == "text" or (field.type == "json" and self.is_json)

    def _scalar(self, query: str) -> object:
        # fetchall: DuckDB 2.0 refuses new work on a connection with a half-fetched result.
        return self.con.execute(query).fetchall()[0][0]

    # -- expressions ---------------------------------------------------------------------------

    def _raw(self, field: StandardField, columns: dict[str, pa.DataType]) -> str | None:
        """SQL for the raw value of a field: the first non-blank of its mapped columns.

        None when the field is not mapped; a typed null when it is mapped but none of its columns
        is in this batch, so a required field is then reported missing rather than skipped.
        """
        mapping = self.table.mapping.get(field.name)
        if mapping is None:
            return None
        if self.is_json:
            options = [
                self._json_value(column, as_json=field.type == "json")
                for column in mapping.column
                if column.split(".")[0] in self._keys
            ]
        else:
            options = [ident(c) for c in mapping.column if c in columns]
        if not options:
            return "cast(null as varchar)"
        if len(options) == 1:
            return options[0]
        branches = " ".join(
            f"when trim(cast({option} as varchar)) <> '' then cast({option} as varchar)"
            for option in options
        )
        return f"(case {branches} end)"

    def _json_value(self, dotted: str, *, as_json: bool) -> str:
        """A value of the parsed record ``__j`` (a struct of its top-level keys)."""
        first, *rest = dotted.split(".")
        member = f"__j.{ident(first)}"
        if not rest and first in self._text_keys:
            return member
        if as_json and not rest:
            # Already JSON text (the parse typed it so); a JSON null is no value.
            return f"nullif(cast({member} as varchar), 'null')"
        path = literal(json_path(".".join(rest)) if rest else "$")
        if as_json:
            return (
                f"case when json_extract_string({member}, {path}) is not null "
                f"then cast(json_extract({member}, {path}) as varchar) end"
            )
        return f"json_extract_string({member}, {path})"

    def _cast(self, field: StandardField, raw: str, source_type: pa.DataType | None) -> str:
        mapping = self.table.mapping[field.name]
        text = f"trim(cast({raw} as varchar))"
        tz = literal(self.table.timezone)
        if field.type == "timestamp":
            if mapping.format == EPOCH_SECONDS:
                seconds = f"try_cast({text} as double)"
                value = (
                    f"case when {seconds} between -2208988800 and 4102444800 "
                    f"then to_timestamp({seconds}) end"
                )
            elif mapping.format is not None:
                parsed = f"try_strptime({text}, {literal(mapping.format)})"
                value = parsed if "%z" in mapping.format else f"timezone({tz}, {parsed})"
            elif source_type is not None and pa.types.is_timestamp(source_type):
                value = (
                    f"cast({raw} as timestamptz)" if source_type.tz else f"timezone({tz}, {raw})"
                )
            elif source_type is not None and pa.types.is_date(source_type):
                value = f"timezone({tz}, cast({raw} as timestamp))"
            else:
                value = f"try_cast({text} as timestamptz)"
            return _within_years(value, "timestamptz")
        if field.type == "date":
            if mapping.format is not None:
                value = f"cast(try_strptime({text}, {literal(mapping.format)}) as date)"
            elif source_type is not None and pa.types.is_date(source_type):
                value = raw
            else:
                value = f"try_cast({text} as date)"
            return _within_years(value, "date")
        if field.type == "json":
            if self.is_json:
                return raw  # taken from a record that parsed, so valid JSON already
            return f"(case when json_valid({raw}) then cast({raw} as varchar) end)"
        if field.type == "text":
            return f"cast({raw} as varchar)"
        return f"try_cast({text} as {SQL_TYPES[field.type]})"

    # -- shaping -------------------------------------------------------------------------------

    def _unmapped(self, columns: dict[str, pa.DataType]) -> list[tuple[str, str]]:
        """(SQL expression, warehouse name) of every column that is kept but not mapped."""
        mapped = {c for m in self.table.mapping.values() for c in m.column}
        if self.is_json:
            unmapped = [key for key in self._keys if key not in mapped]
            scalars = {}
            if unmapped:
                checks = ", ".join(
                    f"coalesce(bool_and(json_type(__j.{ident(key)}) not in ('OBJECT', 'ARRAY')), "
                    "true)"
                    for key in unmapped
                )
                values = self.con.execute(f"select {checks} from parsed where __object").fetchall()[
                    0
                ]
                scalars = dict(zip(unmapped, values, strict=True))
            kept = [
                (
                    self._json_value(key, as_json=False)
                    if scalars[key]
                    else f"cast(__j.{ident(key)} as varchar)",
                    key,
                )
                for key in unmapped
            ]
        else:
            kept = [
                (ident(name), name) for name in columns if name not in mapped and name != ROW_COLUMN
            ]
        return self._check_names(kept)

    def _check_names(self, kept: list[tuple[str, str]]) -> list[tuple[str, str]]:
        taken = {name: f"standard field {name!r}" for name in self.entity.field_names}
        taken.update({name: f"lineage column {name!r}" for name in LINEAGE_COLUMNS})
        result = []
        for expression, original in kept:
            name = warehouse_name(original)
            if name in taken:
                raise ConfigError(
                    f"source {self.source_name!r}, table {self.entity.name!r}: column "
                    f"{original!r} becomes {name!r} in the warehouse, which collides with "
                    f"{taken[name]}; map it in sources.yml or rename it in the file"
                )
            taken[name] = f"column {original!r}"
            result.append((expression, name))
        return result

    def _parse_json(self, file_name: str) -> None:
        """Parse every line once into a struct of its top-level keys (``parsed.__j``)."""
        line = ident(JSON_LINE_COLUMN)
        self.con.execute(
            "create or replace temp view lines as select *, "
            f"json_valid({line}) as __valid, "
            f"json_valid({line}) and starts_with(ltrim({line}), '{{') as __object from src"
        )
        keys = [
            row[0]
            for row in self.con.execute(
                f"select distinct unnest(json_keys({line})) from lines where __object order by 1"
            ).fetchall()
        ]
        by_case: dict[str, str] = {}
        for key in keys:
            if key.lower() in by_case:
                raise ConfigError(
                    f"source {self.source_name!r}, table {self.entity.name!r}, file {file_name}: "
                    f"keys {by_case[key.lower()]!r} and {key!r} differ only by case; the "
                    "warehouse cannot keep both"
                )
            by_case[key.lower()] = key
        nested = {
            column.split(".")[0]
            for mapping in self.table.mapping.values()
            for column in mapping.column
            if "." in column
        }
        # Keys mapped whole onto a non-JSON field are read as text; all others as JSON.
        self._text_keys = {
            column
            for name, mapping in self.table.mapping.items()
            if self.entity.field(name).type != "json"
            for column in mapping.column
            if "." not in column and column not in nested
        }
        self._keys = keys
        if keys:
            spec = json.dumps({k: "VARCHAR" if k in self._text_keys else "JSON" for k in keys})
            parsed = f"case when __object then from_json({line}, {literal(spec)}) end"
        else:
            parsed = "null"
        self.con.execute(
            f"create or replace temp table parsed as select {ident(ROW_COLUMN)}, __valid, "
            f"__object, {parsed} as __j from lines"
        )

    def shape(self, batch: RawBatch, file_name: str) -> ShapedBatch:
        table = batch.table
        columns = {name: table.schema.field(name).type for name in table.column_names}
        self.con.register("src", table)
        try:
            return self._shape(batch, file_name, columns)
        finally:
            self.con.unregister("src")

    def _shape(
        self, batch: RawBatch, file_name: str, columns: dict[str, pa.DataType]
    ) -> ShapedBatch:
        row = ident(ROW_COLUMN)
        if self.is_json:
            self._parse_json(file_name)
            structural = (
                "case when not __valid then 'invalid_json' "
                "when not __object then 'not_a_json_object' end"
            )
            raw_record = ident(JSON_LINE_COLUMN)
        else:
            self._keys, self._text_keys = [], set()
            self.con.execute("create or replace temp view parsed as select * from src")
            structural = "cast(null as varchar)"
            pairs = ", ".join(
                f"{literal(name)}: {ident(name)}" for name in columns if name != ROW_COLUMN
            )
            raw_record = f"cast(to_json({{{pairs}}}) as varchar)" if pairs else "null"

        fields = []  # (field, raw expression or None)
        selects = [row, f"{structural} as __structural"]
        row_rules = ["__structural is not null"]
        problem_rules = ["__structural is not null"]
        for field in self.entity.fields:
            raw = self._raw(field, columns)
            fields.append((field, raw))
            if raw is None:
                continue
            cast = self._cast(
                field,
                raw,
                None if self.is_json else columns.get(self.table.mapping[field.name].column[0]),
            )
            value, blank, invalid, original = (
                ident(f"__{part}__{field.name}") for part in ("value", "blank", "invalid", "raw")
            )
            # Later expressions reuse the earlier aliases (DuckDB resolves aliases within a
            # select list), so each value is parsed once.
            selects += [
                f"cast({raw} as varchar) as {original}",
                f"({original} is null or trim({original}) = '') as {blank}",
            ]
            if field.required:
                row_rules.append(blank)
                problem_rules.append(blank)
            if self._is_identity(field):
                # Text is kept as it arrived: the original is the value, and never invalid.
                self._value_columns[field.name] = original
                continue
            self._value_columns[field.name] = value
            selects += [
                f"{cast} as {value}",
                f"(not {blank} and {value} is null) as {invalid}",
            ]
            problem_rules.append(invalid)
            if field.on_invalid == "quarantine_row":
                row_rules.append(invalid)
        self._extras = self._unmapped(columns)
        selects += [
            f"{expression} as {ident('__extra__' + name)}" for expression, name in self._extras
        ]
        selects.append(f"({' or '.join(row_rules)}) as __quarantined")
        selects.append(f"({' or '.join(problem_rules)}) as __has_problem")
        # Only the narrow shaped columns are materialised, never the raw lines themselves.
        self.con.execute(
            f"create or replace temp table flagged as select {', '.join(selects)} from parsed"
        )
        self.con.execute(
            "create or replace temp table problem_rows as select flagged.*, "
            f"original.__raw_record from flagged join (select {row}, {raw_record} as __raw_record "
            f"from src) as original using ({row}) where flagged.__has_problem"
        )

        problems = self._problems(fields, file_name)
        rows = self._rows(fields, file_name)
        rejected = self._rejected(batch.rejected, file_name)
        counted = self._scalar("select count(*) from problem_rows where __quarantined")
        nulled = problems.filter(pa.compute.equal(problems["action"], ACTION_VALUE_NULLED))
        problems = pa.concat_tables([rejected, problems])
        return ShapedBatch(
            rows=rows,
            problems=problems,
            rows_read=batch.table.num_rows + len(batch.rejected),
            rows_quarantined=counted + len(batch.rejected),
            values_nulled=nulled.num_rows,
        )

    def _problems(self, fields: list[tuple[StandardField, str | None]], file_name: str) -> pa.Table:
        key = (
            ident("__raw__record_key")
            if self.table.mapping.get("record_key")
            else "cast(null as varchar)"
        )
        common = f"{key} as record_key, __raw_record as raw_record from problem_rows"
        parts = [
            f"select {ident(ROW_COLUMN)} as row_number, cast(null as varchar) as field, "
            "__structural as reason, "
            "case __structural when 'invalid_json' then 'the line is not valid JSON' "
            "else 'the line is valid JSON but not an object' end as detail, "
            f"{literal(ACTION_ROW_QUARANTINED)} as action, cast(null as varchar) as raw_value, "
            f"{common} where __structural is not null"
        ]
        for field, raw in fields:
            if raw is None:
                continue
            name = literal(field.name)
            if field.required:
                parts.append(
                    f"select {ident(ROW_COLUMN)}, {name}, 'missing_required_field', "
                    f"{literal(f'required field {field.name} is empty')}, "
                    f"{literal(ACTION_ROW_QUARANTINED)}, {ident('__raw__' + field.name)}, "
                    f"{common} where __structural is null and {ident('__blank__' + field.name)}"
                )
            if self._is_identity(field):
                continue
            action = (
                f"{literal(ACTION_ROW_QUARANTINED)}"
                if field.on_invalid == "quarantine_row"
                else f"case when __quarantined then {literal(ACTION_ROW_QUARANTINED)} "
                f"else {literal(ACTION_VALUE_NULLED)} end"
            )
            expected = self._expected(field)
            parts.append(
                f"select {ident(ROW_COLUMN)}, {name}, {literal('invalid_' + field.type)}, "
                f"{literal(f'{field.name} is not {expected}')}, {action}, "
                f"{ident('__raw__' + field.name)}, "
                f"{common} where __structural is null and {ident('__invalid__' + field.name)}"
            )
        query = " union all ".join(parts)
        table = self.con.sql(
            f"select * from ({query}) order by row_number, field nulls first"
        ).to_arrow_table()
        return self._quarantine_table(
            file_name,
            row_numbers=table["row_number"],
            record_keys=table["record_key"],
            fields=table["field"],
            reasons=table["reason"],
            details=table["detail"],
            actions=table["action"],
            raw_values=table["raw_value"],
            raw_records=table["raw_record"],
        )

    def _expected(self, field: StandardField) -> str:
        mapping = self.table.mapping[field.name]
        if field.type in ("date", "timestamp"):
            shape = f" in format {mapping.format}" if mapping.format else ""
            return f"a valid {field.type}{shape} between {MIN_YEAR} and {MAX_YEAR}"
        return {
            "decimal": "a decimal number",
            "integer": "a whole number",
            "boolean": "a boolean",
            "json": "valid JSON",
        }.get(field.type, f"a {field.type}")

    def _rejected(self, rejected: list[Rejected], file_name: str) -> pa.Table:
        size = len(rejected)
        return self._quarantine_table(
            file_name,
            row_numbers=pa.array([r.row_number for r in rejected], pa.int64()),
            record_keys=pa.nulls(size, pa.string()),
            fields=pa.nulls(size, pa.string()),
            reasons=pa.array([r.reason for r in rejected], pa.string()),
            details=pa.array([r.detail for r in rejected], pa.string()),
            actions=pa.array([ACTION_ROW_QUARANTINED] * size, pa.string()),
            raw_values=pa.nulls(size, pa.string()),
            raw_records=pa.array([r.text for r in rejected], pa.string()),
        )

    def _quarantine_table(self, file_name: str, **columns: pa.Array) -> pa.Table:
        size = len(columns["row_numbers"])
        fields = columns["fields"].to_pylist()
        rows = columns["row_numbers"].to_pylist()
        keys = [
            f"{self.entity.name}|{file_name}|{row}|{field or '*'}"
            for row, field in zip(rows, fields, strict=True)
        ]
        return pa.table(
            [
                pa.array(keys, pa.string()),
                pa.array([self.source_name] * size, pa.string()),
                pa.array([self.entity.name] * size, pa.string()),
                pa.array([file_name] * size, pa.string()),
                columns["row_numbers"],
                columns["record_keys"],
                columns["fields"],
                columns["reasons"],
                columns["details"],
                columns["actions"],
                columns["raw_values"],
                columns["raw_records"],
                pa.array([self.ingested_at] * size, pa.timestamp("us", tz="UTC")),
            ],
            schema=QUARANTINE_SCHEMA,
        )

    def _rows(self, fields: list[tuple[StandardField, str | None]], file_name: str) -> pa.Table:
        selects = []
        for field, raw in fields:
            if raw is None:
                # Every standard field exists in every raw table, so models never depend on
                # which optional fields one user's files happen to have.
                selects.append(f"cast(null as {SQL_TYPES[field.type]}) as {ident(field.name)}")
            else:
                selects.append(f"{self._value_columns[field.name]} as {ident(field.name)}")
        selects += [f"{ident('__extra__' + name)} as {ident(name)}" for _, name in self._extras]
        source_file, source_row, ingested_at = LINEAGE_COLUMNS
        selects += [
            f"{literal(file_name)} as {ident(source_file)}",
            f"{ident(ROW_COLUMN)} as {ident(source_row)}",
            f"cast({literal(self.ingested_at.isoformat())} as timestamptz) as {ident(ingested_at)}",
        ]
        table = self.con.sql(
            f"select {', '.join(selects)} from flagged where not __quarantined "
            f"order by {ident(ROW_COLUMN)}"
        ).to_arrow_table()
        return _conform(table)


def _within_years(value: str, sql_type: str) -> str:
    """The value, or null when it falls outside the plausible years (typos such as 0199)."""
    # Compared with constants: year() of a timestamptz goes through the ICU calendar per row.
    low = f"cast('{MIN_YEAR}-01-01' as {sql_type})"
    high = f"cast('{MAX_YEAR + 1}-01-01' as {sql_type})"
    return f"(case when {value} >= {low} and {value} < {high} then {value} end)"


def _conform(table: pa.Table) -> pa.Table:
    """Arrow types as the warehouse keeps them: timestamps in UTC, the key never null."""
    # DuckDB hands timestamptz to Arrow in the session's zone.
    utc = pa.timestamp("us", tz="UTC")
    fields = [
        field.with_type(utc) if pa.types.is_timestamp(field.type) and field.type.tz else field
        for field in table.schema
    ]
    # Rows without a key were quarantined; saying so matches the table's primary key hint.
    fields = [f.with_nullable(False) if f.name == "record_key" else f for f in fields]
    return table.cast(pa.schema(fields))
