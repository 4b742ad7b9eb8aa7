"""The connected_components materialization, run by real dbt on DuckDB and checked against scipy.

The project is parsed once per module and its manifest handed to every later invocation (a
parse costs ~3 s, the runs here ~1 s), so every invocation passes the same --vars: with
identity_verify_full on, each incremental run below is also checked by the materialization
against a full recompute. All tests share one DuckDB file, emptied before each test rather than
deleted, because dbt-duckdb may keep the database open between invocations in one process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt.contracts.graph.manifest import Manifest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

PROJECT_DIR = Path(__file__).parent / "cc_project"
MODEL = "components"


@dataclass
class Graph:
    """Edge rows as the model returns them; node_a = node_b declares a node."""

    node_a: np.ndarray
    node_b: np.ndarray

    def __add__(self, other: Graph) -> Graph:
        return Graph(
            np.concatenate([self.node_a, other.node_a]),
            np.concatenate([self.node_b, other.node_b]),
        )


def _graph(node_a: list[int] | np.ndarray, node_b: list[int] | np.ndarray) -> Graph:
    return Graph(np.asarray(node_a, dtype=np.int64), np.asarray(node_b, dtype=np.int64))


def expected_components(graph: Graph) -> dict[int, int]:
    """node_id -> smallest node_id of its component, by scipy (self-loops declare nodes)."""
    ids, index = np.unique(np.concatenate([graph.node_a, graph.node_b]), return_inverse=True)
    if ids.size == 0:
        return {}
    size = graph.node_a.size
    matrix = coo_matrix(
        (np.ones(size, dtype=np.int8), (index[:size], index[size:])), shape=(ids.size, ids.size)
    )
    _, labels = connected_components(matrix, directed=False)
    smallest = np.full(labels.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(smallest, labels, ids)
    return dict(zip(ids.tolist(), smallest[labels].tolist(), strict=True))


def _dbt_cli(folder: Path, *args: str) -> list[str]:
    return [
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
        "--vars",
        "{identity_verify_full: true}",
    ]


@dataclass
class Warehouse:
    """One DuckDB file plus the dbt invocation around the fixture project."""

    folder: Path
    manifest: Manifest

    @property
    def database(self) -> Path:
        return self.folder / "warehouse.duckdb"

    def write_edges(self, graph: Graph, *, extra_rows: pa.Table | None = None) -> None:
        rows = pa.table({"node_a": graph.node_a, "node_b": graph.node_b})
        if extra_rows is not None:
            rows = pa.concat_tables([rows, extra_rows.cast(rows.schema)])
        with duckdb.connect(str(self.database)) as con:
            con.execute("create schema if not exists graph")
            con.register("edge_rows", rows)
            con.execute("create or replace table graph.edges as select * from edge_rows")

    def execute(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database)) as con:
            return con.execute(sql).fetchall()

    def dbt(self, *args: str, succeed: bool = True, parse: bool = False) -> dbtRunnerResult:
        """dbt on the module's manifest, or parsing again (parse=True) after a config change."""
        runner = dbtRunner() if parse else dbtRunner(manifest=self.manifest)
        result = runner.invoke(_dbt_cli(self.folder, *args))
        assert result.success is succeed, _messages(result)
        return result

    def components(self) -> dict[int, int]:
        return dict(self.execute(f"select node_id, component_id from main.{MODEL}"))

    def last_run(self) -> dict:
        columns = "mode, reason, rounds, nodes, edges, edges_added, edges_removed, seconds"
        rows = self.execute(
            f"select {columns} from main.{MODEL}__runs order by finished_at desc limit 1"
        )
        return dict(zip([name.strip() for name in columns.split(",")], rows[0], strict=True))

    def tables(self) -> set[str]:
        return {row[0] for row in self.execute("select table_name from information_schema.tables")}


def _messages(result: dbtRunnerResult) -> str:
    if result.exception is not None:
        return str(result.exception)
    return "\n".join(str(node.message) for node in getattr(result.result, "results", []))


@pytest.fixture(scope="module")
def parsed_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Manifest]]:
    folder = tmp_path_factory.mktemp("cc")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("CC_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
        monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        parsed = dbtRunner().invoke(_dbt_cli(folder, "parse"))
        assert parsed.success, parsed.exception
        yield folder, parsed.result


@pytest.fixture
def warehouse(parsed_project: tuple[Path, Manifest]) -> Warehouse:
    warehouse = Warehouse(*parsed_project)
    for schema, table in warehouse.execute(
        "select table_schema, table_name from information_schema.tables"
    ):
        warehouse.execute(f'drop table "{schema}"."{table}"')
    return warehouse


def _chain(length: int, start: int = 0) -> Graph:
    """A path of `length` hops whose ids grow away from the smallest, the slowest shape for
    label propagation (one pass per hop)."""
    nodes = np.arange(start, start + length + 1)
    return _graph(nodes[1:], nodes[:-1])


def _shuffled_ids(graph: Graph, seed: int) -> Graph:
    """Same graph, ids replaced by a random injective map onto large sparse BIGINTs."""
    ids, index = np.unique(np.concatenate([graph.node_a, graph.node_b]), return_inverse=True)
    rng = np.random.default_rng(seed)
    new_ids = rng.choice(2**40, size=ids.size, replace=False) * 997 + 1
    size = graph.node_a.size
    return _graph(new_ids[index[:size]], new_ids[index[size:]])


def _random_graphs(seed: int) -> Graph:
    """A union of sparse random graphs around the giant-component threshold, disjoint ids."""
    rng = np.random.default_rng(seed)
    parts = []
    offset = 0
    for nodes, mean_degree in [(3_000, 0.5), (3_000, 1.0), (3_000, 1.5), (500, 4.0)]:
        edges = int(nodes * mean_degree / 2)
        parts.append(
            _graph(rng.integers(0, nodes, edges) + offset, rng.integers(0, nodes, edges) + offset)
        )
        offset += nodes
    graph = parts[0]
    for part in parts[1:]:
        graph = graph + part
    # Nodes of a part that drew no edge are still declared (as the identity graph declares every
    # identifier), so the node set is known.
    declared = np.arange(offset)
    return graph + _graph(declared, declared)


def _one_large_component(seed: int) -> Graph:
    """10,000 nodes in one component: a random recursive tree with long chains, extra edges."""
    rng = np.random.default_rng(seed)
    size = 10_000
    child = np.arange(1, size)
    # Every 10th node continues a chain from the previous node: depth in the hundreds.
    parent = np.where(child % 10 != 0, child - 1, (rng.random(child.size) * child).astype(int))
    extra = rng.integers(0, size, (500, 2))
    return _shuffled_ids(_graph(child, parent) + _graph(extra[:, 0], extra[:, 1]), seed)


CASES = {
    "chain_200_hops": _chain(200),
    "chain_200_hops_shuffled_ids": _shuffled_ids(_chain(200), 1),
    "star_10k_leaves": _graph(np.arange(1, 10_001), np.zeros(10_000, dtype=np.int64)),
    "star_10k_leaves_centre_not_smallest": _graph(
        np.full(10_000, 5_000), np.delete(np.arange(10_001), 5_000)
    ),
    "one_component_10k_nodes": _one_large_component(2),
    "random_graphs": _shuffled_ids(_random_graphs(3), 4),
    "isolated_nodes": _graph([1, 2, 3, 10], [1, 2, 3, 11]),
    "duplicate_and_reversed_edges": _graph([1, 2, 2, 3, 3, 7, 8, 8], [2, 1, 1, 2, 2, 8, 7, 7]),
    "empty": _graph([], []),
}


@pytest.mark.parametrize("case", CASES)
def test_connected_components_equal_scipy(warehouse: Warehouse, case: str) -> None:
    graph = CASES[case]
    warehouse.write_edges(graph)
    warehouse.dbt("run", "--select", MODEL)
    assert warehouse.components() == expected_components(graph)
    run = warehouse.last_run()
    assert run["mode"] == "full"
    assert run["nodes"] == len(expected_components(graph))
    # Scratch tables are gone; the model, its edge snapshot and its run log remain.
    assert {name for name in warehouse.tables() if name.startswith(MODEL)} == {
        MODEL,
        f"{MODEL}__edges",
        f"{MODEL}__runs",
    }
    print(f"{case}: {run['rounds']} rounds")


def test_connected_components_declares_nodes_from_rows_with_a_null_end(
    warehouse: Warehouse,
) -> None:
    nulls = pa.table(
        {
            "node_a": pa.array([40, None, None], pa.int64()),
            "node_b": pa.array([None, 41, None], pa.int64()),
        }
    )
    warehouse.write_edges(_graph([1], [2]), extra_rows=nulls)
    warehouse.dbt("run", "--select", MODEL)
    assert warehouse.components() == {1: 1, 2: 1, 40: 40, 41: 41}


def test_connected_components_incremental_equals_full(warehouse: Warehouse) -> None:
    base = _random_graphs(5)
    warehouse.write_edges(base)
    warehouse.dbt("build", "--select", MODEL)
    full_nodes = warehouse.last_run()["nodes"]
    before = warehouse.components()

    # Nothing changed: an incremental run with nothing to cluster.
    warehouse.dbt("run", "--select", MODEL)
    unchanged = warehouse.last_run()
    assert (unchanged["mode"], unchanged["edges_added"], unchanged["rounds"]) == (
        "incremental",
        0,
        0,
    )
    assert warehouse.components() == before

    # Merge two existing components (the merged one takes the smaller id), attach new nodes to an
    # existing component (one of them declared again on its own), and add a new component of
    # new nodes with ids smaller than all others.
    first, second = sorted(set(before.values()))[10:12]
    member_of_first = max(node for node, component in before.items() if component == first)
    member_of_second = max(node for node, component in before.items() if component == second)
    added = _graph(
        [member_of_first, 9_000_001, 9_000_002, -5, 9_000_002],
        [member_of_second, member_of_second, 9_000_001, -6, 9_000_002],
    )
    graph = base + added
    warehouse.write_edges(graph)
    warehouse.dbt("run", "--select", MODEL)
    run = warehouse.last_run()
    assert run["mode"] == "incremental"
    assert run["reason"] is None
    assert (run["edges_added"], run["edges_removed"]) == (5, 0)
    assert run["nodes"] <= 10 < full_nodes
    incremental = warehouse.components()
    assert incremental == expected_components(graph)
    assert incremental[member_of_second] == min(first, second)
    print(f"incremental: {run['rounds']} rounds on {run['nodes']} nodes (full: {full_nodes})")

    # The same edges from scratch give the very same table.
    warehouse.dbt("build", "--select", MODEL, "--full-refresh")
    run = warehouse.last_run()
    assert (run["mode"], run["reason"]) == ("full", "full refresh requested")
    assert warehouse.components() == incremental


def test_connected_components_removed_edge_recomputes_in_full(warehouse: Warehouse) -> None:
    chain = _chain(200)
    warehouse.write_edges(chain)
    warehouse.dbt("run", "--select", MODEL)
    # Cut the chain in the middle: the upper half becomes its own component.
    cut = Graph(chain.node_a[chain.node_a != 100], chain.node_b[chain.node_a != 100])
    warehouse.write_edges(cut)
    warehouse.dbt("run", "--select", MODEL)
    run = warehouse.last_run()
    assert run["mode"] == "full"
    assert run["reason"] == "1 clustered edge(s) removed"
    assert run["edges_removed"] == 1
    assert warehouse.components() == expected_components(cut)
    assert warehouse.components()[200] == 100


def test_connected_components_verify_full_reports_a_difference(warehouse: Warehouse) -> None:
    warehouse.write_edges(_graph([1, 3], [2, 4]))
    warehouse.dbt("run", "--select", MODEL)
    # A result that no longer matches its edges (edited by hand, or a bug).
    warehouse.execute(f"insert into main.{MODEL} values (99, 99)")
    warehouse.write_edges(_graph([1, 3, 2], [2, 4, 3]))
    result = warehouse.dbt("run", "--select", MODEL, succeed=False)
    assert "differs from a full recompute on 1 node(s)" in _messages(result)
    # The failed run changed nothing: same table, same snapshot, no scratch tables.
    assert warehouse.components() == {1: 1, 2: 1, 3: 3, 4: 3, 99: 99}
    assert warehouse.execute(f"select count(*) from main.{MODEL}__edges") == [(2,)]
    assert not [name for name in warehouse.tables() if "__cc_" in name]


def test_connected_components_fails_loudly_without_convergence(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.write_edges(_chain(5))
    warehouse.dbt("run", "--select", MODEL)
    warehouse.write_edges(_chain(200))
    monkeypatch.setenv("CC_MAX_ROUNDS", "1")
    result = warehouse.dbt("run", "--select", MODEL, succeed=False, parse=True)
    message = _messages(result)
    assert "connected_components model" in message
    assert "components" in message
    assert "did not converge in 1 rounds" in message
    assert warehouse.components() == expected_components(_chain(5))
    assert not [name for name in warehouse.tables() if "__cc_" in name]
