"""activation.yml validation: every mistake names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.settings import Settings
from orchestration.activation.config import (
    ActivationConfigError,
    FilesDestination,
    WebhookDestination,
    load_activation_config,
)

from .conftest import config_of


def test_shipped_activation_yml_is_valid() -> None:
    config = load_activation_config()
    assert config.destinations


def test_files_default_to_csv_under_the_data_dir(cdp_settings: Settings) -> None:
    config = config_of({"destinations": {"out": {"kind": "files"}}})
    destination = config.destinations["out"]
    assert isinstance(destination, FilesDestination)
    assert destination.format == "csv"
    assert destination.audiences == "all"
    assert destination.folder(cdp_settings) == cdp_settings.data_dir / "exports"
    relative = config_of({"destinations": {"out": {"kind": "files", "path": "x/y"}}})
    assert relative.destinations["out"].folder(cdp_settings) == cdp_settings.data_dir / "x/y"


def test_webhook_defaults() -> None:
    config = config_of(
        {
            "destinations": {
                "hook": {"kind": "webhook", "url": "https://h.example/x", "audiences": ["a"]}
            }
        }
    )
    destination = config.destinations["hook"]
    assert isinstance(destination, WebhookDestination)
    assert destination.token_header == "Authorization"
    assert destination.routes("a") and not destination.routes("b")


@pytest.mark.parametrize(
    ("raw", "key", "words"),
    [
        ({"destinations": {}}, "destinations", "at least 1"),
        ({"destinations": {"Bad-Name": {"kind": "files"}}}, "destinations.Bad-Name", "lowercase"),
        ({"destinations": {"out": {"kind": "ftp"}}}, "destinations.out", "files"),
        (
            {"destinations": {"out": {"kind": "files", "format": "xlsx"}}},
            "destinations.out.format",
            "csv",
        ),
        (
            {"destinations": {"out": {"kind": "files", "colour": "red"}}},
            "destinations.out.colour",
            "Extra",
        ),
        ({"destinations": {"h": {"kind": "webhook"}}}, "destinations.h.url", "required"),
        (
            {"destinations": {"h": {"kind": "webhook", "url": "ftp://x"}}},
            "destinations.h.url",
            "http",
        ),
        (
            {"destinations": {"h": {"kind": "webhook", "url": "http://x", "token": "s3cr3t"}}},
            "destinations.h",
            "secrets never go in activation.yml",
        ),
        (
            {"destinations": {"out": {"kind": "files", "audiences": ["a", "a"]}}},
            "destinations.out.audiences",
            "listed twice",
        ),
        (
            {"destinations": {"out": {"kind": "files", "audiences": []}}},
            "destinations.out.audiences",
            "at least 1",
        ),
        (
            {"destinations": {"out": {"kind": "files", "audiences": "some"}}},
            "destinations.out.audiences",
            "all",
        ),
        (
            {"destinations": {"h": {"kind": "webhook", "url": "http://x", "batch_size": 0}}},
            "destinations.h.batch_size",
            "greater than or equal to 1",
        ),
        (
            {"destinations": {"out": {"kind": "files", "ads_platform": "tiktok"}}},
            "destinations.out.ads_platform",
            "meta",
        ),
        ({"destination": {}}, "destination", "Extra"),
    ],
)
def test_config_errors_name_file_and_key(raw: dict, key: str, words: str) -> None:
    with pytest.raises(ActivationConfigError) as error:
        config_of(raw)
    message = str(error.value)
    assert message.startswith("activation.yml: invalid activation configuration")
    line = next((line for line in message.splitlines() if line.strip().startswith(f"{key}")), None)
    assert line is not None, message
    assert words in message, message


def test_missing_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(ActivationConfigError, match="not found"):
        load_activation_config(tmp_path / "nope.yml")
    broken = tmp_path / "activation.yml"
    broken.write_text("destinations: [unclosed\n", encoding="utf-8")
    with pytest.raises(ActivationConfigError, match=f"{broken}: not valid YAML"):
        load_activation_config(broken)
