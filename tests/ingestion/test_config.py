"""sources.yml is validated strictly, and every mistake names where it is."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingestion.config import ConfigError, load_sources_config
from ingestion.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "sources.yml"


def _write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_shipped_config_is_valid_and_covers_every_kind() -> None:
    config = load_sources_config(SHIPPED)
    assert {source.kind for source in config.sources.values()} == {
        "crm",
        "orders",
        "events",
        "email",
        "service",
        "social",
    }
    followers = config.sources["wechat"].tables["followers"]
    assert followers.mapping["subscribed_at"].format == "epoch_seconds"
    assert config.sources["events"].tables["events"].mapping["event_name"].column == [
        "event",
        "name",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sources"]["crm"].update(kind="erp"),
            r"sources\.crm\.kind: unknown kind 'erp'",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"]["customers"]["mapping"].update(emial="E"),
            r"sources\.crm: tables\.customers\.mapping\.emial: not a standard field of customers",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"]["customers"]["mapping"].pop("record_key"),
            r"tables\.customers\.mapping\.record_key: required field of customers is not mapped",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"].update(
                orders=d["sources"]["crm"]["tables"]["customers"]
            ),
            r"tables\.orders: kind 'crm' has no table 'orders'",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"]["customers"].update(timezone="Mars/Base"),
            r"sources\.crm\.tables\.customers\.timezone: unknown time zone 'Mars/Base'",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"]["customers"].update(format="xlsx"),
            r"sources\.crm\.tables\.customers\.format",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"]["customers"]["mapping"].update(
                email={"column": "Email", "format": "%Y"}
            ),
            r"mapping\.email: a format applies to dates and timestamps",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"]["customers"]["mapping"].update(
                birth_date={"column": "BirthDate", "format": "epoch_seconds"}
            ),
            r"mapping\.birth_date: epoch_seconds applies to timestamps only",
        ),
        (
            lambda d: d["sources"]["crm"]["tables"]["customers"]["mapping"].update(
                email='Email"; drop table x; --'
            ),
            r"must be 1-200 printable characters without quotes",
        ),
        (
            lambda d: d["sources"].update({"Bad-Name": d["sources"]["crm"]}),
            r"source name 'Bad-Name' must be lowercase snake_case",
        ),
        (
            lambda d: d["sources"]["crm"].update(owner="me"),
            r"sources\.crm\.owner: Extra inputs are not permitted",
        ),
        (
            lambda d: d.update(defaults={"phone_region": "XX"}),
            r"defaults\.phone_region: unknown phone region 'XX'",
        ),
        (
            lambda d: d.update(defaults={"phone_region": "cn"}),
            r"defaults\.phone_region: unknown phone region 'cn'; use an upper-case",
        ),
        (
            lambda d: d.update(defaults={"phone_regoin": "CN"}),
            r"defaults\.phone_regoin: Extra inputs are not permitted",
        ),
    ],
)
def test_config_mistakes_are_named(tmp_path: Path, change, message: str) -> None:
    document = _shipped()
    change(document)
    with pytest.raises(ConfigError, match=message):
        load_sources_config(_write(tmp_path, document))


def test_default_phone_region_is_optional(tmp_path: Path) -> None:
    assert load_sources_config(SHIPPED).defaults.phone_region == "CN"
    document = _shipped()
    document.pop("defaults")
    assert load_sources_config(_write(tmp_path, document)).defaults.phone_region == "CN"
    document["defaults"] = {"phone_region": "HK"}
    assert load_sources_config(_write(tmp_path, document)).defaults.phone_region == "HK"


def test_missing_and_unparseable_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sources configuration file not found"):
        load_sources_config(tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("sources: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_sources_config(broken)
