"""The chunked runner: same verdict as one batch, keys partitioned, counts and keys only."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from expectations.context import publish
from expectations.runner import Outcome, SuiteOutcome, validate_suite
from expectations.suite import (
    CRITICAL,
    WARNING,
    Expectations,
    TableSuite,
    gx_expectations,
    table_aggregates,
    table_expectations,
)

ROWS = 4000
# Row 7 of every 40 has a malformed email: 2.5% of the rows, spread over every chunk.
BAD_EMAIL_EVERY = 40
COLUMNS = {"record_key": "VARCHAR", "email": "VARCHAR", "phone": "VARCHAR", "amount": "BIGINT"}


def _rates() -> Expectations:
    gxe = gx_expectations()
    return Expectations(
        rows=[
            # 97.5% of the emails match: passes at 0.97, fails at 0.98, in total as in one batch.
            gxe.ExpectColumnValuesToMatchRegex(
                column="email", regex="@", mostly=0.97, severity=WARNING, description="lenient"
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="email", regex="@", mostly=0.98, severity=WARNING, description="strict"
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="amount", min_value=0, max_value=999, severity=WARNING
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="phone", regex=r"^\+[0-9]+$", mostly=0.5, severity=WARNING
            ),
        ]
    )


def _suite(table: str = "people", identifiers: tuple[str, ...] = ("email", "phone")) -> TableSuite:
    return TableSuite(
        name=f"main.{table}",
        asset_key=("main", table),
        schema="main",
        table=table,
        key="record_key",
        columns=COLUMNS,
        aggregates=table_aggregates(not_collapsed_columns=identifiers),
        expectations=lambda: (
            table_expectations("record_key", not_collapsed_columns=identifiers) + _rates()
        ),
    )


def _warehouse(path: Path, *statements: str) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"""
            create table people as
            select
                'K' || lpad(cast(i as varchar), 6, '0') as record_key,
                case when i % {BAD_EMAIL_EVERY} = 7 then 'person' || i || '.example.com'
                    else 'person' || i || '@example.com' end as email,
                '+86138' || lpad(cast(i as varchar), 8, '0') as phone,
                cast(i % 1000 as bigint) as amount
            from range({ROWS}) as numbers(i)
            """
        )
        for statement in statements:
            con.execute(statement)
    return path


def _rule(outcome: Outcome) -> str | None:
    return (outcome.expectation.meta or {}).get("rule")


def _verdicts(outcome: SuiteOutcome) -> list[tuple]:
    return [
        (o.expectation.expectation_type, o.column, o.success, o.counts, o.observed_value)
        for o in outcome.outcomes
    ]


def _failed(outcome: SuiteOutcome) -> dict[str, list]:
    return {
        severity: [
            (o.expectation.expectation_type, o.column)
            for o in outcome.of_severity(severity)
            if not o.success
        ]
        for severity in (CRITICAL, WARNING)
    }


def test_chunked_runner_gives_the_same_verdict_as_one_batch(tmp_path: Path) -> None:
    path = _warehouse(tmp_path / "w.duckdb")
    whole = validate_suite(_suite(), path, chunk_rows=10 * ROWS)
    chunked = validate_suite(_suite(), path, chunk_rows=ROWS // 10)
    assert (whole.chunks, chunked.chunks) == (1, 10)
    assert whole.rows_validated == chunked.rows_validated == ROWS
    assert _verdicts(chunked) == _verdicts(whole)
    strict = next(o for o in chunked.outcomes if o.expectation.description == "strict")
    assert strict.counts["unexpected_count"] == ROWS // BAD_EMAIL_EVERY
    assert strict.counts["element_count"] == ROWS
    assert _failed(chunked) == {
        CRITICAL: [],
        WARNING: [("expect_column_values_to_match_regex", "email")],
    }


def test_chunked_runner_catches_a_duplicate_key_split_across_chunks(tmp_path: Path) -> None:
    # The first and the last row share a key: sequential chunks would never see both.
    path = _warehouse(
        tmp_path / "w.duckdb",
        "insert into people select * from people where record_key = 'K000000'",
        "insert into people select 'K000001', email, phone, amount from people "
        "where record_key = 'K003999'",
    )
    outcome = validate_suite(_suite(), path, chunk_rows=ROWS // 20)
    assert outcome.chunks == 21
    unique = next(o for o in outcome.outcomes if _rule(o) == "key_unique")
    assert not unique.success
    assert unique.counts["unexpected_count"] == 4  # every copy of both duplicated keys
    assert sorted(unique.failing_keys) == ["K000000", "K000000", "K000001", "K000001"]
    assert not outcome.passed(CRITICAL)


def test_runner_fails_structure_on_collapsed_missing_or_retyped_columns(tmp_path: Path) -> None:
    path = _warehouse(
        tmp_path / "w.duckdb",
        "update people set phone = ''",  # collapsed: blank everywhere
        "alter table people alter amount type varchar",  # type drift
        "alter table people drop column email",  # a required column is gone
    )
    outcome = validate_suite(_suite(), path, chunk_rows=ROWS // 4)
    by_rule = {_rule(o): o for o in outcome.of_severity(CRITICAL)}
    assert by_rule["columns_exist"].failing_keys == ["email"]
    assert by_rule["columns_keep_types"].failing_keys == ["amount"]
    collapsed = [o for o in outcome.outcomes if _rule(o) == "not_collapsed"]
    assert [(o.expectation.meta["column"], o.success, o.observed_value) for o in collapsed] == [
        ("email", False, None),  # the aggregate cannot run on a missing column
        ("phone", False, 0),
    ]
    assert by_rule["key_unique"].success
    # Expectations on the missing column fail with GX's error rather than passing unseen.
    on_email = [o for o in outcome.of_severity(WARNING) if o.column == "email"]
    assert on_email and all(not o.success and o.exception for o in on_email)


def test_runner_reports_a_missing_table_as_a_structure_failure(tmp_path: Path) -> None:
    path = _warehouse(tmp_path / "w.duckdb")
    outcome = validate_suite(_suite(table="nobody"), path)
    assert not outcome.passed(CRITICAL)
    assert outcome.row_count == 0
    exists = next(o for o in outcome.outcomes if _rule(o) == "columns_exist")
    assert exists.failing_keys == list(COLUMNS)[:5]
    assert all(not o.success for o in outcome.outcomes if o.batch != "catalog")


def test_results_and_data_docs_never_contain_row_values(tmp_path: Path) -> None:
    path = _warehouse(
        tmp_path / "w.duckdb",
        "update people set phone = 'tel ' || phone where amount % 2 = 0",
        "insert into people select * from people where amount = 3",  # duplicates
    )
    outcome = validate_suite(_suite(), path, chunk_rows=ROWS // 8)
    assert not outcome.passed(CRITICAL) and not outcome.passed(WARNING)
    page = publish(outcome, "test-run", data_dir=tmp_path / "data")
    stored = list((tmp_path / "data" / "gx" / "validations").rglob("*.json"))
    assert page.is_file() and len(stored) == 1
    texts = [
        json.dumps([o.summary() for o in outcome.outcomes], default=str),
        page.read_text(encoding="utf-8"),
        stored[0].read_text(encoding="utf-8"),
    ]
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select email, phone from people").fetchall()
    values = [value for row in rows for value in row]
    failing_keys = {key for o in outcome.outcomes for key in o.failing_keys}
    assert failing_keys  # keys are reported ...
    for text in texts:
        assert "@example.com" not in text and "+86138" not in text  # ... values never are
        assert not any(value in text for value in values[:: ROWS // 50])


@pytest.mark.parametrize("keep", [2])
def test_data_docs_keep_the_latest_runs_only(tmp_path: Path, keep: int, monkeypatch) -> None:
    import expectations.context as context

    monkeypatch.setattr(context, "KEEP_RUNS", keep)
    path = _warehouse(tmp_path / "w.duckdb")
    pages = [
        publish(validate_suite(_suite(), path), f"run-{n}", data_dir=tmp_path / "data")
        for n in range(4)
    ]
    assert [p.is_file() for p in pages] == [False, False, True, True]
    assert len(list((tmp_path / "data" / "gx" / "validations").rglob("*.json"))) == keep
