"""Load and strictly validate ``identity_matching.yml``, the probabilistic matching configuration.

Analytics engineers edit that file; every mistake is reported before anything runs, with the file
and the key named (``comparisons.2.thresholds: ...``). Columns may only be profile columns of
``intermediate.int_identity_profiles``, and blocking rules are lists of column names rather than
SQL, so nothing from the file reaches a query unless it is one of the names below.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ingestion.settings import PROJECT_ROOT

CONFIG_PATH_VAR = "CDP_IDENTITY_MATCHING_CONFIG"
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "identity_matching.yml"

# The profile columns a model may read, with their type. record_id, cluster_id and hard_id are
# structural (always read, never compared) and source is informational, so none of them is here.
PROFILE_COLUMNS: dict[str, Literal["string", "date"]] = {
    "first_name_key": "string",
    "last_name_key": "string",
    "full_name_key": "string",
    "birth_date": "date",
    "email": "string",
    "email_local": "string",
    "phone_e164": "string",
    "city_key": "string",
    "postal_code": "string",
    "country_code": "string",
}
# Rough lengths of the date units, only to check that date levels widen from one to the next.
_UNIT_DAYS = {"day": 1.0, "month": 30.44, "year": 365.25}


class MatchingConfigError(ValueError):
    """A mistake in identity_matching.yml, detected before any matching runs."""


def _check_column(name: str) -> str:
    if name not in PROFILE_COLUMNS:
        raise ValueError(f"unknown column {name!r}; profile columns: {', '.join(PROFILE_COLUMNS)}")
    return name


def _check_rule(columns: list[str]) -> list[str]:
    if len(set(columns)) != len(columns):
        raise ValueError(f"a column is repeated in the rule {columns}")
    return columns


def _check_probability(value: float) -> float:
    if not 0.0 < value < 1.0:
        raise ValueError(f"must lie strictly between 0 and 1, got {value}")
    return value


Column = Annotated[str, AfterValidator(_check_column)]
# Records are paired when they are equal (and not null) on every column of the rule.
BlockingRule = Annotated[list[Column], Field(min_length=1), AfterValidator(_check_rule)]
Probability = Annotated[float, AfterValidator(_check_probability)]


def rule_label(rule: list[str]) -> str:
    """A readable name of a blocking rule: ``last_name_key+birth_date``."""
    return "+".join(rule)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _ComparisonBase(_Strict):
    column: Column

    # The column type each method compares; checked against PROFILE_COLUMNS.
    column_type: ClassVar[Literal["string", "date"]] = "string"

    @model_validator(mode="after")
    def _check_column_type(self) -> _ComparisonBase:
        wanted = self.column_type
        if PROFILE_COLUMNS[self.column] != wanted:
            method = getattr(self, "method", "?")
            raise ValueError(
                f"method {method!r} compares {wanted} columns; {self.column!r} is "
                f"{PROFILE_COLUMNS[self.column]}"
            )
        return self

    @property
    def columns_used(self) -> set[str]:
        return {self.column}


class ExactComparison(_ComparisonBase):
    """Splink ``ExactMatch``: null / equal / anything else."""

    method: Literal["exact"]
    term_frequency_adjustments: bool = False


class JaroWinklerComparison(_ComparisonBase):
    """Splink ``JaroWinklerAtThresholds``: null / equal / similarity >= each threshold / else."""

    method: Literal["jaro_winkler"]
    thresholds: list[Probability] = Field(min_length=1)
    term_frequency_adjustments: bool = False

    @model_validator(mode="after")
    def _check_descending(self) -> JaroWinklerComparison:
        if sorted(self.thresholds, reverse=True) != self.thresholds or len(
            set(self.thresholds)
        ) != len(self.thresholds):
            raise ValueError(f"thresholds must strictly decrease, got {self.thresholds}")
        return self


class EditDistanceComparison(_ComparisonBase):
    """Splink ``LevenshteinAtThresholds`` / ``DamerauLevenshteinAtThresholds``."""

    method: Literal["levenshtein", "damerau_levenshtein"]
    distances: list[Annotated[int, Field(ge=1, le=20)]] = Field(min_length=1)
    term_frequency_adjustments: bool = False

    @model_validator(mode="after")
    def _check_ascending(self) -> EditDistanceComparison:
        if sorted(set(self.distances)) != self.distances:
            raise ValueError(f"distances must strictly increase, got {self.distances}")
        return self


class DateLevel(_Strict):
    """One level of a date comparison: the two dates lie within ``within`` units."""

    unit: Literal["day", "month", "year"]
    within: Annotated[int, Field(ge=1, le=100)]


class DateDifferenceComparison(_ComparisonBase):
    """Splink ``AbsoluteDateDifferenceAtThresholds``: null / equal / within each level / else."""

    method: Literal["date_difference"]
    levels: list[DateLevel] = Field(min_length=1)
    column_type: ClassVar[Literal["string", "date"]] = "date"

    @model_validator(mode="after")
    def _check_widening(self) -> DateDifferenceComparison:
        spans = [_UNIT_DAYS[level.unit] * level.within for level in self.levels]
        if any(later <= earlier for earlier, later in itertools.pairwise(spans)):
            raise ValueError("levels must widen from one to the next (e.g. 1 month, then 1 year)")
        return self


class EmailComparison(_ComparisonBase):
    """Null / equal address / equal local part / local part similar (Jaro-Winkler) / else.

    Splink's own ``EmailComparison`` extracts the local part with a regex; the profile table
    already carries it normalised (``email_local``), so the levels are built on that column.
    """

    method: Literal["email"]
    local_part_column: Column = "email_local"
    local_part_jaro_winkler: Probability | None = None
    term_frequency_adjustments: bool = False

    @property
    def columns_used(self) -> set[str]:
        return {self.column, self.local_part_column}


class PhoneComparison(_ComparisonBase):
    """Null / equal number / equal last N digits (for each N, longest first) / else.

    The last digits catch the same subscriber number under a different country or trunk prefix.
    """

    method: Literal["phone"]
    last_digits: list[Annotated[int, Field(ge=4, le=14)]] = Field(default_factory=list)
    term_frequency_adjustments: bool = False

    @model_validator(mode="after")
    def _check_descending(self) -> PhoneComparison:
        if sorted(set(self.last_digits), reverse=True) != self.last_digits:
            raise ValueError(f"last_digits must strictly decrease, got {self.last_digits}")
        return self


class ExactHierarchyComparison(_ComparisonBase):
    """Null (all columns) / equal column / else equal on each fallback column in turn / else.

    For columns measuring one thing at different precision (a postal code inside a city): the
    agreement counts once, where two separate comparisons would multiply correlated evidence.
    """

    method: Literal["exact_hierarchy"]
    fallback_columns: list[Column] = Field(min_length=1)
    term_frequency_adjustments: bool = False

    @model_validator(mode="after")
    def _check_fallbacks(self) -> ExactHierarchyComparison:
        for column in self.fallback_columns:
            if PROFILE_COLUMNS[column] != "string":
                raise ValueError(f"fallback column {column!r} is not a string column")
        if len({self.column, *self.fallback_columns}) != 1 + len(self.fallback_columns):
            raise ValueError("fallback_columns repeat a column")
        return self

    @property
    def columns_used(self) -> set[str]:
        return {self.column, *self.fallback_columns}


ComparisonSpec = (
    ExactComparison
    | ExactHierarchyComparison
    | JaroWinklerComparison
    | EditDistanceComparison
    | DateDifferenceComparison
    | EmailComparison
    | PhoneComparison
)
Comparison = Annotated[ComparisonSpec, Field(discriminator="method")]


class TrainingConfig(_Strict):
    """How the m and u probabilities are estimated."""

    blocking_rules: list[BlockingRule] = Field(min_length=1)
    seed: Annotated[int, Field(ge=0)] = 42
    u_max_pairs: Annotated[int, Field(ge=1_000)] = 10_000_000
    em_max_pairs: Annotated[int, Field(ge=1_000)] | None = None
    em_max_iterations: Annotated[int, Field(ge=1, le=1_000)] = 25
    em_convergence: Probability = 0.0001
    min_records: Annotated[int, Field(ge=2)] = 50


class PriorConfig(_Strict):
    """probability_two_random_records_match: given, or estimated from deterministic rules."""

    probability_two_random_records_match: Probability | None = None
    deterministic_rules: list[BlockingRule] | None = Field(default=None, min_length=1)
    recall: Annotated[float, Field(gt=0.0, le=1.0)] | None = None

    @model_validator(mode="after")
    def _check_one_way(self) -> PriorConfig:
        given = self.probability_two_random_records_match is not None
        estimated = self.deterministic_rules is not None
        if given == estimated:
            raise ValueError(
                "set either probability_two_random_records_match or deterministic_rules "
                "(with recall), not both and not neither"
            )
        if estimated and self.recall is None:
            raise ValueError("recall is required with deterministic_rules")
        if given and self.recall is not None:
            raise ValueError("recall only applies to deterministic_rules")
        return self


class MatchingConfig(_Strict):
    """The whole of identity_matching.yml."""

    columns: list[Column] = Field(min_length=1)
    blocking_rules_for_prediction: list[BlockingRule] = Field(min_length=1)
    training: TrainingConfig
    prior: PriorConfig
    comparisons: list[Comparison] = Field(min_length=1)
    match_threshold: Probability
    review_threshold: Probability
    max_pairs: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _check_consistency(self) -> MatchingConfig:
        problems: list[str] = []
        if self.review_threshold >= self.match_threshold:
            problems.append(
                f"review_threshold ({self.review_threshold}) must be below match_threshold "
                f"({self.match_threshold})"
            )
        if len(set(self.columns)) != len(self.columns):
            problems.append("columns: a column is listed twice")
        listed = set(self.columns)
        rules = {
            "blocking_rules_for_prediction": self.blocking_rules_for_prediction,
            "training.blocking_rules": self.training.blocking_rules,
            "prior.deterministic_rules": self.prior.deterministic_rules or [],
        }
        for key, key_rules in rules.items():
            for index, rule in enumerate(key_rules):
                for column in rule:
                    if column not in listed:
                        problems.append(f"{key}.{index}: column {column!r} is not in columns")
        seen: set[str] = set()
        for index, comparison in enumerate(self.comparisons):
            for column in sorted(comparison.columns_used - listed):
                problems.append(f"comparisons.{index}: column {column!r} is not in columns")
            if comparison.column in seen:
                problems.append(f"comparisons.{index}: {comparison.column!r} is compared twice")
            seen.add(comparison.column)
            # Splink cannot estimate m for a comparison from pairs blocked on its own columns.
            if all(set(rule) & comparison.columns_used for rule in self.training.blocking_rules):
                problems.append(
                    f"comparisons.{index}: every training.blocking_rules rule uses "
                    f"{sorted(comparison.columns_used)}, so its m probabilities cannot be "
                    "estimated; add a training rule without those columns"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _format_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid identity matching configuration"]
    for item in error.errors():
        loc = list(item["loc"])
        if len(loc) > 2 and loc[0] == "comparisons":
            del loc[2]  # the discriminated union adds the method name; it is not a key
        location = ".".join(str(part) for part in loc)
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {location or '(top level)'}: {message}")
    return "\n".join(lines)


def config_path() -> Path:
    """``CDP_IDENTITY_MATCHING_CONFIG`` if set, else identity_matching.yml at the repo root."""
    value = os.environ.get(CONFIG_PATH_VAR, "").strip()
    return Path(value).expanduser().resolve() if value else DEFAULT_CONFIG_PATH


def parse_matching_config(raw: object, path: Path) -> MatchingConfig:
    """Validate an already-parsed YAML document; errors name ``path`` and the key."""
    try:
        return MatchingConfig.model_validate(raw)
    except ValidationError as error:
        raise MatchingConfigError(_format_error(path, error)) from None


def load_matching_config(path: Path | None = None) -> MatchingConfig:
    """Read and validate the matching configuration file."""
    path = path or config_path()
    if not path.is_file():
        raise MatchingConfigError(
            f"{path}: identity matching configuration file not found ({CONFIG_PATH_VAR})"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise MatchingConfigError(f"{path}: not valid YAML: {error}") from error
    return parse_matching_config(raw, path)
