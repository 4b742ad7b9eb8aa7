from __future__ import annotations

import os
from pathlib import Path

import pytest
from dagster import RunRequest, SensorResult, SkipReason, build_sensor_context

from ingestion.settings import Settings
from orchestration.sensors import landing_files_sensor


def _evaluate(cursor: str | None) -> SensorResult | SkipReason:
    return landing_files_sensor(build_sensor_context(cursor=cursor))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_sensor_skips_an_empty_landing_folder(cdp_settings: Settings) -> None:
    assert isinstance(_evaluate(None), SkipReason)


def test_sensor_requests_ingestion_for_a_new_file(cdp_settings: Settings) -> None:
    _write(cdp_settings.landing_dir / "crm" / "customers_001.csv", "CustomerID\n1\n")
    result = _evaluate(None)
    assert isinstance(result, SensorResult)
    (request,) = result.run_requests
    assert isinstance(request, RunRequest)
    assert request.run_key == result.cursor


def test_sensor_skips_an_unchanged_tree(cdp_settings: Settings) -> None:
    _write(cdp_settings.landing_dir / "crm" / "customers_001.csv", "CustomerID\n1\n")
    first = _evaluate(None)
    assert isinstance(first, SensorResult)
    assert isinstance(_evaluate(first.cursor), SkipReason)


@pytest.mark.parametrize("change", ["new_file", "changed_file"])
def test_sensor_requests_again_after_a_change(cdp_settings: Settings, change: str) -> None:
    path = cdp_settings.landing_dir / "crm" / "customers_001.csv"
    _write(path, "CustomerID\n1\n")
    first = _evaluate(None)
    assert isinstance(first, SensorResult)
    if change == "new_file":
        _write(cdp_settings.landing_dir / "email" / "email_events_002.csv", "event_id\n1\n")
    else:
        _write(path, "CustomerID\n1\n2\n")
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = _evaluate(first.cursor)
    assert isinstance(second, SensorResult)
    assert second.run_requests[0].run_key != first.cursor


def test_sensor_ignores_files_no_table_loads(cdp_settings: Settings) -> None:
    _write(cdp_settings.landing_dir / "crm" / "notes.txt", "not a landing file")
    assert isinstance(_evaluate(None), SkipReason)
