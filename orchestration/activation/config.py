"""Load and strictly validate ``activation.yml``: which audiences go to which destination.

Every mistake is reported before anything is exported, with the file and the key named
(``destinations.crm_hook.url: ...``). Secrets never come from this file: a webhook's token is read
by dlt from ``DESTINATION__ACTIVATION_<NAME>__TOKEN`` (or ``.dlt/secrets.toml``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingestion.settings import PROJECT_ROOT, Settings

CONFIG_PATH_VAR = "CDP_ACTIVATION_CONFIG"
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "activation.yml"
# Destination names become dlt pipeline names, folder names and env var names: keep them plain.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SECRET_KEYS = ("token", "secret", "password", "api_key", "authorization", "headers")


class ActivationConfigError(ValueError):
    """A mistake in activation.yml, detected before any export runs."""


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f"{value!r} must be lowercase letters, digits and _ (max 40), a letter first"
        )
    return value


def _check_audiences(value: list[str]) -> list[str]:
    duplicates = sorted({name for name in value if value.count(name) > 1})
    if duplicates:
        raise ValueError(f"audience(s) listed twice: {', '.join(duplicates)}")
    return value


def _check_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
AudienceList = Annotated[list[Name], Field(min_length=1), AfterValidator(_check_audiences)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        # A token in a committed YAML file leaks; say where it belongs instead of "extra input".
        if isinstance(data, dict):
            for key in data:
                if str(key).lower() in _SECRET_KEYS:
                    raise ValueError(
                        f"{key!r}: secrets never go in activation.yml; set the environment "
                        "variable DESTINATION__ACTIVATION_<NAME>__TOKEN or .dlt/secrets.toml"
                    )
        return data


class _DestinationBase(_Strict):
    # `all`: every audience of marts.audience_summary; a list: those audiences only.
    audiences: Literal["all"] | AudienceList = "all"
    # Whose published rules hash the identifiers of `ads` audiences (see hashing.py).
    ads_platform: Literal["meta", "google"] = "meta"

    def routes(self, audience_name: str) -> bool:
        return self.audiences == "all" or audience_name in self.audiences


class FilesDestination(_DestinationBase):
    """CSV or Parquet files written by dlt's filesystem destination."""

    kind: Literal["files"]
    format: Literal["csv", "parquet"] = "csv"
    # A folder; relative paths are under the CDP data dir. Default: <CDP_DATA_DIR>/exports.
    path: str | None = None

    def folder(self, settings: Settings) -> Path:
        if not self.path:
            return settings.data_dir / "exports"
        folder = Path(self.path).expanduser()
        return folder if folder.is_absolute() else settings.data_dir / folder


class WebhookDestination(_DestinationBase):
    """JSON batches POSTed to a URL by a dlt custom destination."""

    kind: Literal["webhook"]
    url: Annotated[str, AfterValidator(_check_url)]
    batch_size: int = Field(default=500, ge=1, le=10_000)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # HTTP attempts per batch on 429/5xx/connection errors before dlt marks the job for retry.
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0, le=60)
    token_header: str = "Authorization"
    token_prefix: str = "Bearer "


Destination = Annotated[FilesDestination | WebhookDestination, Field(discriminator="kind")]


class ActivationConfig(_Strict):
    destinations: dict[Name, Destination] = Field(min_length=1)


def config_path() -> Path:
    """``CDP_ACTIVATION_CONFIG`` if set, else activation.yml at the repository root."""
    value = os.environ.get(CONFIG_PATH_VAR, "").strip()
    return Path(value).expanduser().resolve() if value else DEFAULT_CONFIG_PATH


def _format_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid activation configuration"]
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        # The discriminated union adds the kind ('files'/'webhook') to the path: not a key.
        if len(loc) > 2 and loc[0] == "destinations" and loc[2] in ("files", "webhook"):
            del loc[2]
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {'.'.join(loc) or '(top level)'}: {message}")
    return "\n".join(lines)


def parse_activation_config(raw: object, path: Path) -> ActivationConfig:
    """Validate an already-parsed YAML document; errors name ``path`` and the key."""
    try:
        return ActivationConfig.model_validate(raw)
    except ValidationError as error:
        raise ActivationConfigError(_format_error(path, error)) from None


def load_activation_config(path: Path | None = None) -> ActivationConfig:
    """Read and validate the activation configuration file."""
    path = path or config_path()
    if not path.is_file():
        raise ActivationConfigError(f"{path}: activation configuration file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ActivationConfigError(f"{path}: not valid YAML: {error}") from error
    return parse_activation_config(raw, path)
