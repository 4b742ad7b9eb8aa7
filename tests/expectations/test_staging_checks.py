"""Staging suites on the sample built by dbt: clean passes; identity corruption is critical."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from expectations.runner import SuiteOutcome, validate_suite
from expectations.staging import staging_suites
from expectations.suite import CRITICAL, WARNING
from ingestion.reference import load_phone_numbers
from ingestion.settings import Settings
from orchestration.project import dbt_environment, dbt_project

from ..isolation import isolate_data_dir
from .conftest import Sample


def _dbt(args: list[str], target: Path) -> None:
    from dagster_dbt import DbtCliResource

    dbt = DbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir))
    with dbt_environment():
        dbt.cli(args, target_path=target, raise_on_error=True).wait()


@pytest.fixture(scope="module")
def staged(gx_sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A copy of the sample with the phone step run and the staging views built by dbt."""
    data = tmp_path_factory.mktemp("gx_staged") / "data"
    shutil.copytree(gx_sample.settings.data_dir, data)
    with pytest.MonkeyPatch.context() as patch:
        settings = isolate_data_dir(patch, data)
        load_phone_numbers(settings)
        target = data / "dbt_target"
        _dbt(["seed"], target)
        _dbt(["run", "--select", "staging"], target)
        yield settings


def _failures(outcome: SuiteOutcome, severity: str) -> list[dict]:
    return [o.summary() for o in outcome.of_severity(severity) if not o.success]


def test_every_staging_model_has_a_suite() -> None:
    manifest = json.loads(dbt_project.manifest_path.read_text())
    models = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"].startswith("stg_")
    }
    assert {suite.table for suite in staging_suites()} == models


def test_clean_sample_passes_every_staging_suite(staged: Settings) -> None:
    failures = {}
    for suite in staging_suites():
        outcome = validate_suite(suite, staged.duckdb_path)
        assert outcome.row_count > 0, suite.name
        for severity in (CRITICAL, WARNING):
            if found := _failures(outcome, severity):
                failures[(suite.name, severity)] = found
    assert failures == {}


def test_a_junk_email_marked_valid_fails_the_staging_structure(
    staged: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    shutil.copytree(staged.data_dir, data, ignore=shutil.ignore_patterns("dbt_target"))
    settings = isolate_data_dir(monkeypatch, data)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        # A broken junk rule: every address counts as valid, placeholders included.
        con.execute(
            "create table staging.broken as select * replace "
            "(email is not null as email_is_valid) from staging.stg_crm__customers"
        )
        con.execute("drop view staging.stg_crm__customers")
        con.execute("alter table staging.broken rename to stg_crm__customers")
        (junk,) = con.execute(
            "select count(*) from staging.stg_crm__customers "
            "where email_is_valid and email_invalid_reason is not null"
        ).fetchall()[0]
    assert junk > 0
    (suite,) = [s for s in staging_suites() if s.table == "stg_crm__customers"]
    outcome = validate_suite(suite, settings.duckdb_path, chunk_rows=200)
    failed = {(f["expectation"], f["column"]) for f in _failures(outcome, CRITICAL)}
    assert ("expect_column_values_to_be_null", "email_invalid_reason") in failed
    reason = next(o for o in outcome.of_severity(CRITICAL) if o.column == "email_invalid_reason")
    assert reason.counts["unexpected_count"] == junk
    assert len(reason.failing_keys) == 5
