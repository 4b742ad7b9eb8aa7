"""The dbt macro explain_link (macros/identity/explain_link.sql) against Python's explain_link.

One module-scoped run of the whole `all_assets` job on generated sample data (as in
test_identity_graph.py). The macro's SQL is compiled once with `dbt compile --inline` and run
with DuckDB read-only; `dbt run-operation explain_link` is run for its printed form, its
messages and its refusal of anything that is not a record id. Several shortest chains may
exist, so a chain is checked for validity and length, not for equality with Python's.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.identity.explain import Explanation, explain_link

from .dbt_cli import run_dbt

pytestmark = pytest.mark.slow

QUERY_SEPARATOR = "-- explain_link query --"
HOP_LINE = re.compile(r"^(\S+) --(.+)--> (\S+)$")


@pytest.fixture(scope="module")
def dbt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One target folder for every dbt call of the module, so later calls parse partially."""
    return tmp_path_factory.mktemp("explain_macro_dbt")


def _run_operation(
    warehouse: Path, dbt_dir: Path, record_a: str, record_b: str
) -> subprocess.CompletedProcess[str]:
    arguments = json.dumps({"record_a": record_a, "record_b": record_b})
    return run_dbt(warehouse, dbt_dir, "run-operation", "explain_link", "--args", arguments)


def _compile_queries(
    warehouse: Path, dbt_dir: Path, requests: list[tuple[str, str, int]]
) -> list[str]:
    """The macro's SQL for each (record_a, record_b, max_hops), from one `dbt compile --inline`."""
    template = f"\n{QUERY_SEPARATOR}\n".join(
        f"{{{{ cdp_explain_link_sql('{a}', '{b}', max_hops={hops}) }}}}" for a, b, hops in requests
    )
    done = run_dbt(
        warehouse, dbt_dir, "compile", "--inline", template, "--output", "json", "--quiet"
    )
    assert done.returncode == 0, done.stdout[-4000:]
    queries = json.loads(done.stdout)["compiled"].split(QUERY_SEPARATOR)
    assert len(queries) == len(requests)
    return queries


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _python_explanation(path: Path, record_a: str, record_b: str) -> Explanation:
    with duckdb.connect(str(path), read_only=True) as con:
        return explain_link(con, record_a, record_b)


def _steps(edge_types: list[str]) -> int:
    """Length in graph steps: a deterministic hop is record -> identifier -> record."""
    return sum(2 if edge_type == "deterministic" else 1 for edge_type in edge_types)


def _chosen_pairs(path: Path) -> dict[str, tuple[str, str]]:
    """Record pairs of one customer from different sources: a CRM record and an email event,
    an order and a web event, and (if any) a pair whose shortest chain has 3+ hops."""
    pairs = {}
    crm_email = _query(
        path,
        """
        select min(record_id) filter (where source_name = 'crm'),
            min(record_id) filter (where source_name = 'email')
        from marts.dim_customer_records
        group by unified_customer_id
        having count(*) filter (where source_name = 'crm') > 0
            and count(*) filter (where source_name = 'email') > 0
        order by unified_customer_id
        limit 1
        """,
    )
    assert crm_email, "no customer with a CRM record and an email event"
    pairs["crm_vs_email"] = crm_email[0]
    order_event = _query(
        path,
        """
        select min(record_id) filter (where source_name = 'orders'),
            max(record_id) filter (where source_name = 'events')
        from marts.dim_customer_records
        group by unified_customer_id
        having count(*) filter (where source_name = 'orders') > 0
            and count(*) filter (where source_name = 'events') > 0
        order by unified_customer_id
        limit 1
        """,
    )
    if order_event:
        pairs["order_vs_event"] = order_event[0]
    # Candidates for a long chain: the CRM record against the record of each other source of
    # customers spanning most sources; the first whose Python chain has 3+ hops.
    candidates = _query(
        path,
        """
        with spread as (
            select unified_customer_id, count(distinct source_name) as sources
            from marts.dim_customer_records
            group by unified_customer_id
            having count(*) filter (where source_name = 'crm') > 0
        )
        select crm.record_id, other.record_id
        from spread
        inner join marts.dim_customer_records as crm
            on spread.unified_customer_id = crm.unified_customer_id and crm.source_name = 'crm'
        inner join marts.dim_customer_records as other
            on spread.unified_customer_id = other.unified_customer_id
            and other.source_name <> 'crm'
        where spread.sources >= 3
        order by spread.sources desc, spread.unified_customer_id, other.source_name desc,
            other.record_id
        limit 200
        """,
    )
    for record_a, record_b in candidates:
        if len(_python_explanation(path, record_a, record_b).links) >= 3:
            pairs["three_hops"] = (record_a, record_b)
            break
    return pairs


def _assert_valid_chain(path: Path, record_a: str, record_b: str, chain: list[tuple]) -> None:
    """Each hop joins the previous one, joins two records of one customer, and its identifier is
    held by both records (or it is an accepted probabilistic pair)."""
    assert [hop for hop, *_ in chain] == list(range(1, len(chain) + 1))
    assert chain[0][1] == record_a
    assert chain[-1][4] == record_b
    for previous, following in itertools.pairwise(chain):
        assert previous[4] == following[1]
    records = [record_a] + [to_record for *_, to_record in chain]
    customers = _query(
        path,
        "select distinct unified_customer_id from marts.dim_customer_records "
        "where list_contains(?, record_id)",
        [records],
    )
    assert len(customers) == 1
    for _, from_record, via, edge_type, to_record in chain:
        if edge_type == "deterministic":
            holders = _query(
                path,
                """
                select distinct record_id from intermediate.int_identity_record_nodes
                where identifier_type || ':' || identifier_value = ?
                    and identifier_type <> 'source_record' and record_id in (?, ?)
                """,
                [via, from_record, to_record],
            )
            assert {row[0] for row in holders} == {from_record, to_record}, via
        else:
            assert edge_type == "probabilistic"
            assert _query(
                path,
                """
                select count(*) from intermediate.int_identity_probabilistic_edges
                where (sample_record_id_l = ? and sample_record_id_r = ?)
                    or (sample_record_id_l = ? and sample_record_id_r = ?)
                """,
                [from_record, to_record, to_record, from_record],
            )[0][0]


def _assert_same_length_as_python(
    path: Path, record_a: str, record_b: str, chain: list[tuple]
) -> None:
    python = _python_explanation(path, record_a, record_b)
    assert python.same_customer and python.links, python.reason
    sql_types = [edge_type for *_, edge_type, _ in chain]
    python_types = [link.edge_type for link in python.links]
    # Both searches are breadth-first over the same graph: equal length in graph steps. With
    # deterministic hops only, that is the same number of hops (a probabilistic hop is one
    # step, so a tie between mixed chains may differ in hop count).
    assert _steps(sql_types) == _steps(python_types)
    if set(sql_types) == set(python_types) == {"deterministic"}:
        assert len(chain) == len(python.links)
    assert python.links[0].from_record == chain[0][1]
    assert python.links[-1].to_record == chain[-1][4]


@pytest.fixture(scope="module")
def pairs(identity_run) -> dict[str, tuple[str, str]]:
    settings, result = identity_run
    assert result.success
    return _chosen_pairs(settings.duckdb_path)


@pytest.fixture(scope="module")
def long_pair(pairs: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """The pair with the longest chain found (3+ hops when the sample has one)."""
    return pairs.get("three_hops", pairs["crm_vs_email"])


@pytest.fixture(scope="module")
def compiled(
    identity_run, dbt_dir: Path, pairs: dict[str, tuple[str, str]], long_pair: tuple[str, str]
) -> dict[str, str]:
    """The macro's SQL for every pair (max_hops 8), and for the long pair with max_hops exactly
    at its Python length ("bound_exact") and one below ("bound_short")."""
    settings, _ = identity_run
    hops = len(_python_explanation(settings.duckdb_path, *long_pair).links)
    requests = {name: (*pair, 8) for name, pair in pairs.items()}
    requests["bound_exact"] = (*long_pair, hops)
    if hops > 1:
        requests["bound_short"] = (*long_pair, hops - 1)
    queries = _compile_queries(settings.duckdb_path, dbt_dir, list(requests.values()))
    return dict(zip(requests, queries, strict=True))


def test_explain_link_sql_matches_python(
    identity_run, pairs: dict[str, tuple[str, str]], compiled: dict[str, str]
) -> None:
    settings, _ = identity_run
    warehouse = settings.duckdb_path
    assert pairs["crm_vs_email"][0].startswith("crm.")
    assert pairs["crm_vs_email"][1].startswith("email.")
    for name, (record_a, record_b) in pairs.items():
        chain = _query(warehouse, compiled[name])
        assert chain, f"{name}: no chain between {record_a} and {record_b}"
        _assert_valid_chain(warehouse, record_a, record_b, chain)
        _assert_same_length_as_python(warehouse, record_a, record_b, chain)
    if "three_hops" in pairs:
        assert len(_query(warehouse, compiled["three_hops"])) >= 3


def test_explain_link_sql_bounds_the_search_by_max_hops(
    identity_run, long_pair: tuple[str, str], compiled: dict[str, str]
) -> None:
    settings, _ = identity_run
    warehouse = settings.duckdb_path
    hops = len(_python_explanation(warehouse, *long_pair).links)
    assert len(_query(warehouse, compiled["bound_exact"])) == hops
    if "bound_short" in compiled:
        assert _query(warehouse, compiled["bound_short"]) == []


def test_explain_link_sql_follows_probabilistic_edges(
    identity_run, long_pair: tuple[str, str], compiled: dict[str, str], tmp_path: Path
) -> None:
    """An accepted probabilistic pair added between the ends of the long chain becomes the
    shortest chain (one step), for the macro and for Python alike."""
    settings, _ = identity_run
    record_a, record_b = long_pair
    # The compiled SQL names the database "cdp" (the file's stem): keep the name on the copy.
    warehouse = tmp_path / settings.duckdb_path.name
    shutil.copy(settings.duckdb_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """
            insert into intermediate.int_identity_probabilistic_edges
                (node_a, node_b, edge_type, match_probability, sample_record_id_l,
                sample_record_id_r, model_version)
            values (-1, -2, 'probabilistic', 0.9876, ?, ?, 'test')
            """,
            [record_b, record_a],
        )
    chain = _query(warehouse, compiled["bound_exact"])
    via = "probabilistic match p=0.988 (model test)"
    assert chain == [(1, record_a, via, "probabilistic", record_b)]
    _assert_valid_chain(warehouse, record_a, record_b, chain)
    python = _python_explanation(warehouse, record_a, record_b)
    assert [(link.edge_type, link.via) for link in python.links] == [("probabilistic", via)]


def test_explain_link_operation_prints_the_chain(
    identity_run, dbt_dir: Path, long_pair: tuple[str, str], compiled: dict[str, str]
) -> None:
    settings, _ = identity_run
    warehouse = settings.duckdb_path
    record_a, record_b = long_pair
    chain = _query(warehouse, compiled["bound_exact"])
    done = _run_operation(warehouse, dbt_dir, record_a, record_b)
    assert done.returncode == 0, done.stdout[-4000:]
    printed = [m.groups() for line in done.stdout.splitlines() if (m := HOP_LINE.match(line))]
    assert printed == [(row[1], row[2], row[4]) for row in chain]
    customer = _query(
        warehouse,
        "select unified_customer_id from marts.dim_customer_records where record_id = ?",
        [record_a],
    )[0][0]
    assert f"explain_link: customer {customer}, {len(chain)} hop(s)" in done.stdout


def test_explain_link_operation_explains_unknown_records(identity_run, dbt_dir: Path) -> None:
    settings, _ = identity_run
    done = _run_operation(
        settings.duckdb_path, dbt_dir, "crm.customers:does-not-exist", "crm.customers:C1"
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "explain_link: crm.customers:does-not-exist is not a staged record" in done.stdout
    assert not [line for line in done.stdout.splitlines() if HOP_LINE.match(line)]


def test_explain_link_operation_explains_different_customers(identity_run, dbt_dir: Path) -> None:
    settings, _ = identity_run
    warehouse = settings.duckdb_path
    record_a, record_b = _query(
        warehouse,
        """
        select min(record_id), max(record_id) from (
            select min(record_id) as record_id from marts.dim_customer_records
            where source_name = 'crm'
            group by unified_customer_id
        )
        """,
    )[0]
    done = _run_operation(warehouse, dbt_dir, record_a, record_b)
    assert done.returncode == 0, done.stdout[-4000:]
    assert f"explain_link: different customers: {record_a} is cus_" in done.stdout


def test_explain_link_operation_refuses_sql_in_a_record_id(identity_run, dbt_dir: Path) -> None:
    settings, _ = identity_run
    done = _run_operation(settings.duckdb_path, dbt_dir, "x'; drop table y; --", "crm.customers:C1")
    assert done.returncode != 0
    assert "Compilation Error" in done.stdout
    assert "record_a must be a record id like crm.customers:C1" in done.stdout
