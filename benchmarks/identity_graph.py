"""Benchmark: connected components of a synthetic identity graph, scipy vs the dbt materialization.

    uv run python -m benchmarks.identity_graph --persons 1000000 --out /tmp/identity_graph.json

The graph: ~2.75 identifiers per person (1 + Poisson(1.75)), each identifier of a person linked
to an earlier one of the same person (10% of the links repeated, reversed), persons with a single
identifier declared by a self-loop, 0.1% of persons with a chain of 50-150 extra identifiers
(depth: what defeats label propagation) and five junk identifiers on 10,000 identifiers each
(what makes one large component). Node ids are dense but shuffled, so that no labelling luck
helps. The 1% delta: 1% new persons, links from existing persons to new identifiers (0.5% of
persons) and links merging two existing persons (0.1% of persons).

Steps, each in its own process so that one's peak resident memory does not hide another's:
(1) scipy: read the edges from DuckDB, factorise the ids, build a CSR matrix, csgraph
connected_components, smallest id per component; (2) the `connected_components` materialization
run by dbt (tests/identity/cc_project, the same tiny project the tests use) from scratch; (3) the
delta appended to the edge table, then the same dbt model again (incremental). Both dbt results
are compared with scipy's node by node. Seconds are wall-clock: scipy's exclude the read; the
materialization's are its own (from `components__runs`), the dbt invocation with parsing is
shown beside them. `edges` is what each step worked on: scipy every edge row, the materialization
the distinct edges between two different nodes (after contraction when incremental).
`--declare-all-nodes` adds a self-loop for every identifier, as a model that unions its node
table into the edges would.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.stages import STAGE_FLAG, emit, peak_mib, run_stage

if TYPE_CHECKING:
    import numpy as np

    Edges = tuple[np.ndarray, np.ndarray]

PROJECT_DIR = Path(__file__).resolve().parents[1] / "tests" / "identity" / "cc_project"
DATABASE = "identity_graph.duckdb"
MODEL = "components"


def synthetic_identity_graph(
    persons: int, seed: int, declare_all: bool = False
) -> tuple[Edges, Edges, int]:
    """Edges (node_a, node_b) of the base graph and of a 1% delta (numpy int64), node count."""
    import numpy as np

    rng = np.random.default_rng(seed)

    def people(count: int, first_id: int) -> tuple[list[np.ndarray], list[np.ndarray], int]:
        """Identifiers of `count` persons from first_id on: a random tree per person."""
        per_person = 1 + rng.poisson(1.75, count)
        total = int(per_person.sum())
        starts = np.cumsum(per_person) - per_person
        first = np.repeat(starts, per_person)
        position = np.arange(total) - first
        child = np.nonzero(position > 0)[0]
        parent = first[child] + (rng.random(child.size) * position[child]).astype(np.int64)
        repeated = rng.choice(child.size, child.size // 10, replace=False)
        alone = np.arange(total) if declare_all else starts[per_person == 1]
        node_a = [child, parent[repeated], alone]
        node_b = [parent, child[repeated], alone]
        return [part + first_id for part in node_a], [part + first_id for part in node_b], total

    node_a, node_b, total = people(persons, 0)
    # Long chains hanging off 0.1% of the persons' first identifiers.
    chains = max(1, persons // 1000)
    lengths = rng.integers(50, 151, chains)
    chain_ids = total + np.arange(int(lengths.sum()))
    chain_start = np.repeat(np.cumsum(lengths) - lengths, lengths)
    heads = np.repeat(rng.choice(total, chains, replace=False), lengths)
    previous = np.where(np.arange(chain_ids.size) == chain_start, heads, chain_ids - 1)
    node_a.append(chain_ids)
    node_b.append(previous)
    total += chain_ids.size
    # Junk identifiers ("test@example.com", "0000000000") on 10,000 identifiers each.
    for junk in range(5):
        leaves = rng.choice(total, min(10_000, total), replace=False)
        node_a.append(np.full(leaves.size, total + junk))
        node_b.append(leaves)
    total += 5
    base_total = total

    delta_a, delta_b, new_total = people(max(1, persons // 100), total)
    total += new_total
    attach = max(1, persons // 200)
    delta_a.append(rng.integers(base_total, total, attach))
    delta_b.append(rng.integers(0, base_total, attach))
    merge = max(1, persons // 1000)
    delta_a.append(rng.integers(0, base_total, merge))
    delta_b.append(rng.integers(0, base_total, merge))

    shuffled = rng.permutation(total).astype(np.int64) + 1
    base = (shuffled[np.concatenate(node_a)], shuffled[np.concatenate(node_b)])
    delta = (shuffled[np.concatenate(delta_a)], shuffled[np.concatenate(delta_b)])
    return base, delta, base_total


def _generate(work: Path, persons: int, seed: int, declare_all: bool) -> dict:
    import duckdb
    import pyarrow as pa

    start = time.perf_counter()
    base, delta, nodes = synthetic_identity_graph(persons, seed, declare_all)
    with duckdb.connect(str(work / DATABASE)) as con:
        con.execute("create schema if not exists graph")
        for name, (node_a, node_b) in {"edges": base, "edges_delta": delta}.items():
            con.register("rows", pa.table({"node_a": node_a, "node_b": node_b}))
            con.execute(f"create or replace table graph.{name} as select * from rows")
            con.unregister("rows")
    return {
        "seconds": time.perf_counter() - start,
        "nodes": nodes,
        "edge_rows": int(base[0].size),
        "delta_rows": int(delta[0].size),
        "peak_mib": peak_mib(),
    }


def _scipy(work: Path) -> dict:
    """The whole scipy run on the current edge table; its result is kept for the comparison."""
    import duckdb
    import numpy as np
    import pyarrow as pa
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    with duckdb.connect(str(work / DATABASE)) as con:
        start = time.perf_counter()
        columns = con.execute("select node_a, node_b from graph.edges").fetchnumpy()
        read_seconds = time.perf_counter() - start

        start = time.perf_counter()
        node_a, node_b = columns["node_a"], columns["node_b"]
        ids, index = np.unique(np.concatenate([node_a, node_b]), return_inverse=True)
        size = node_a.size
        matrix = csr_matrix(
            (np.ones(size, dtype=np.int8), (index[:size], index[size:])),
            shape=(ids.size, ids.size),
        )
        components, labels = connected_components(matrix, directed=False)
        smallest = np.full(components, np.iinfo(np.int64).max)
        np.minimum.at(smallest, labels, ids)
        seconds = time.perf_counter() - start

        con.execute("create schema if not exists bench")
        con.register("result", pa.table({"node_id": ids, "component_id": smallest[labels]}))
        con.execute("create or replace table bench.scipy_components as select * from result")
    return {
        "seconds": seconds,
        "read_seconds": read_seconds,
        "nodes": int(ids.size),
        "edges": int(size),
        "components": int(components),
        "peak_mib": peak_mib(),
    }


def _apply_delta(work: Path) -> dict:
    import duckdb

    with duckdb.connect(str(work / DATABASE)) as con:
        start = time.perf_counter()
        con.execute("insert into graph.edges select * from graph.edges_delta")
    return {"seconds": time.perf_counter() - start}


def _dbt(work: Path) -> dict:
    """The materialization through dbt's Python API, compared with scipy's last result."""
    import duckdb
    from dbt.cli.main import dbtRunner

    database = work / DATABASE
    os.environ["CC_DUCKDB_PATH"] = str(database)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    start = time.perf_counter()
    result = dbtRunner().invoke(
        [
            "run",
            "--select",
            MODEL,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--quiet",
        ]
    )
    dbt_seconds = time.perf_counter() - start
    if not result.success:
        raise SystemExit(f"dbt run failed: {result.exception or result.result}")
    # Not read_only: dbt-duckdb may still hold the database open in this process.
    with duckdb.connect(str(database)) as con:
        columns = ["mode", "reason", "rounds", "nodes", "edges", "edges_added", "seconds"]
        row = con.execute(
            f"select {', '.join(columns)} from main.{MODEL}__runs order by finished_at desc limit 1"
        ).fetchall()[0]
        differing = con.execute(
            f"""
            select count(*)
            from main.{MODEL} as materialized
            full outer join bench.scipy_components as reference
                on materialized.node_id = reference.node_id
            where materialized.node_id is null
                or reference.node_id is null
                or materialized.component_id <> reference.component_id
            """
        ).fetchall()[0][0]
    return dict(zip(columns, row, strict=True)) | {
        "dbt_seconds": dbt_seconds,
        "differing_nodes_vs_scipy": differing,
        "peak_mib": peak_mib(),
    }


def _run_stage(work: Path, *args: str) -> dict:
    return run_stage("benchmarks.identity_graph", ["--work", str(work), STAGE_FLAG, *args])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--declare-all-nodes", action="store_true", help="a self-loop per node")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument(STAGE_FLAG, nargs="+", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:
        kind, *rest = args.stage
        if kind == "generate":
            result = _generate(args.work, int(rest[0]), int(rest[1]), rest[2] == "1")
        else:
            result = {"scipy": _scipy, "apply_delta": _apply_delta, "dbt": _dbt}[kind](args.work)
        emit(result)
        return

    with tempfile.TemporaryDirectory(prefix="cdp-identity-graph-") as scratch:
        work = (args.work or Path(scratch)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        declare_all = "1" if args.declare_all_nodes else "0"
        generated = _run_stage(work, "generate", str(args.persons), str(args.seed), declare_all)
        print(
            f"generate {args.persons:,} persons: {generated['nodes']:,} identifiers, "
            f"{generated['edge_rows']:,} edge rows (+{generated['delta_rows']:,} in the delta), "
            f"{generated['seconds']:.1f} s"
        )
        steps = {"scipy full": _run_stage(work, "scipy"), "dbt full": _run_stage(work, "dbt")}
        _run_stage(work, "apply_delta")
        # scipy again first: its result is the reference the incremental run is compared with.
        after_delta = _run_stage(work, "scipy")
        steps["dbt incremental (1% delta)"] = _run_stage(work, "dbt")
        steps["scipy full, after the delta"] = after_delta

        print(
            f"{'step':<30}{'seconds':>9}{'rounds':>8}{'nodes':>12}{'edges':>12}"
            f"{'peak MiB':>10}  notes"
        )
        for name, step in steps.items():
            if name.startswith("scipy"):
                notes = f"+{step['read_seconds']:.1f} s to read the edges"
                rounds = "-"
            else:
                notes = (
                    f"{step['mode']}; dbt invocation {step['dbt_seconds']:.1f} s; "
                    f"{step['differing_nodes_vs_scipy']} nodes differ from scipy"
                )
                rounds = str(step["rounds"])
            print(
                f"{name:<30}{step['seconds']:>9.2f}{rounds:>8}{step['nodes']:>12,}"
                f"{step['edges']:>12,}{step['peak_mib']:>10,.0f}  {notes}"
            )
        if args.out:
            args.out.write_text(
                json.dumps(
                    {"persons": args.persons, "seed": args.seed, "generate": generated}
                    | {"steps": steps},
                    indent=2,
                    default=str,
                )
            )


if __name__ == "__main__":
    main()
