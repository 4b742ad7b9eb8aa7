"""Load and strictly validate ``sources.yml``: which landing files to load and how they map.

Every mistake is reported before anything is loaded, with the source, table and field named, so a
user editing the file for their own data gets ``sources.crm.tables.customers.mapping.emial: ...``
rather than a stack trace from the middle of a load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ingestion.kinds import KINDS, EntitySpec
from ingestion.settings import get_settings

FileFormat = Literal["csv", "jsonl", "json", "parquet"]
EPOCH_SECONDS = "epoch_seconds"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# A JSON path segment or column name: anything printable except the characters we quote with.
_COLUMN = re.compile(r"^[^\x00-\x1f\"'`]{1,200}$")


class ConfigError(ValueError):
    """A mistake in sources.yml or in the files it points at, detected before any load."""


def _as_column_mapping(value: object) -> object:
    # The short forms `field: Column` and `field: [A, B]` expand to the full object.
    if isinstance(value, str | list):
        return {"column": value}
    return value


class ColumnMapping(BaseModel):
    """Where one standard field comes from in a landing file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: list[str] = Field(min_length=1)
    format: str | None = None

    @field_validator("column", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("column")
    @classmethod
    def _check_columns(cls, value: list[str]) -> list[str]:
        for column in value:
            if not _COLUMN.match(column):
                raise ValueError(
                    f"column {column!r} must be 1-200 printable characters without quotes"
                )
        return value


class TableConfig(BaseModel):
    """One raw table: the files of one entity and the mapping of their columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1)
    format: FileFormat
    timezone: str = "UTC"
    csv_delimiter: str = Field(default=",", min_length=1, max_length=1)
    mapping: dict[str, Annotated[ColumnMapping, BeforeValidator(_as_column_mapping)]]

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    def resolve_glob(self, landing_dir: Path) -> tuple[Path, str]:
        """The folder to search and the glob pattern relative to it."""
        path = Path(self.path)
        base = path if path.is_absolute() else landing_dir / path
        parts = base.parts
        for index, part in enumerate(parts):
            if any(char in part for char in "*?["):
                return Path(*parts[:index]), str(Path(*parts[index:]))
        return base.parent, base.name

    def files(self, landing_dir: Path) -> list[Path]:
        folder, pattern = self.resolve_glob(landing_dir)
        return sorted(p for p in folder.glob(pattern) if p.is_file())


class SourceConfig(BaseModel):
    """One source: a kind and its tables (entity name -> table)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    tables: dict[str, TableConfig] = Field(min_length=1)

    @field_validator("kind")
    @classmethod
    def _check_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; known kinds: {', '.join(sorted(KINDS))}")
        return value

    @model_validator(mode="after")
    def _check_tables(self) -> SourceConfig:
        kind = KINDS[self.kind]
        problems: list[str] = []
        for entity_name, table in self.tables.items():
            entity = kind.entities.get(entity_name)
            if entity is None:
                problems.append(
                    f"tables.{entity_name}: kind {self.kind!r} has no table {entity_name!r}; "
                    f"known: {', '.join(sorted(kind.entities))}"
                )
                continue
            problems.extend(
                f"tables.{entity_name}.{problem}" for problem in _mapping_problems(entity, table)
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def entity(self, name: str) -> EntitySpec:
        return KINDS[self.kind].entities[name]


def _mapping_problems(entity: EntitySpec, table: TableConfig) -> list[str]:
    problems = []
    for field_name, mapping in table.mapping.items():
        if field_name not in entity.field_names:
            problems.append(
                f"mapping.{field_name}: not a standard field of {entity.name}; "
                f"known: {', '.join(entity.field_names)}"
            )
            continue
        field = entity.field(field_name)
        if mapping.format is not None and field.type not in ("date", "timestamp"):
            problems.append(
                f"mapping.{field_name}: a format applies to dates and timestamps, "
                f"not to {field.type}"
            )
        if mapping.format == EPOCH_SECONDS and field.type != "timestamp":
            problems.append(f"mapping.{field_name}: {EPOCH_SECONDS} applies to timestamps only")
        if mapping.format not in (None, EPOCH_SECONDS) and "%" not in mapping.format:
            problems.append(
                f"mapping.{field_name}: format {mapping.format!r} is neither "
                f"{EPOCH_SECONDS} nor a strptime format such as '%d/%m/%Y'"
            )
    for field in entity.fields:
        if field.required and field.name not in table.mapping:
            problems.append(f"mapping.{field.name}: required field of {entity.name} is not mapped")
    return problems


class DefaultsConfig(BaseModel):
    """Deployment-wide defaults (the optional top-level ``defaults:`` of sources.yml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Region a phone is parsed in when its record has no (known) country: where most customers are.
    phone_region: str = "CN"

    @field_validator("phone_region")
    @classmethod
    def _check_phone_region(cls, value: str) -> str:
        import phonenumbers

        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"unknown phone region {value!r}; use an upper-case ISO 3166-1 alpha-2 code that "
                "phonenumbers supports, such as CN, HK, US or GB"
            )
        return value


class SourcesConfig(BaseModel):
    """The whole of sources.yml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: DefaultsConfig = DefaultsConfig()
    sources: dict[str, SourceConfig] = Field(min_length=1)

    @field_validator("sources")
    @classmethod
    def _check_names(cls, value: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(
                    f"source name {name!r} must be lowercase snake_case (it names raw_{name})"
                )
        return value


def _format_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid sources configuration"]
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {location}: {message}")
    return "\n".join(lines)


def load_sources_config(path: Path | None = None) -> SourcesConfig:
    """Read and validate the sources file (``CDP_SOURCES_CONFIG``, default ``sources.yml``)."""
    path = path or get_settings().sources_config
    if not path.is_file():
        raise ConfigError(f"{path}: sources configuration file not found (CDP_SOURCES_CONFIG)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    try:
        return SourcesConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_format_error(path, error)) from None
