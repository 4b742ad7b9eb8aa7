"""Pairwise precision, recall and F1 of identity resolution against the generator's ground truth.

A pair is two source records; it is *predicted* when both resolve to one customer and *true* when
both belong to one person. Counting pairs per group (n choose 2) rather than listing them keeps
this one aggregation, whatever the size. Only records that are both staged and in the ground
truth count (order lines are not identity records; quarantined rows resolve to nobody).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

# record_id -> customer label, for the two partitions the issue asks about.
PARTITIONS = {
    "deterministic": (
        "select record_id, cast(deterministic_cluster_id as varchar) as customer "
        "from intermediate.int_identity_record_clusters_deterministic"
    ),
    "with_probabilistic": (
        "select record_id, unified_customer_id as customer from marts.dim_customer_records"
    ),
}
ACCURACY_TABLE = "identity.accuracy_runs"


@dataclass(frozen=True)
class PairwiseAccuracy:
    partition: str
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_row(self) -> dict[str, float | int | str]:
        return {
            **asdict(self),
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
        }


def _truth_sql(truth_path: Path) -> str:
    path = truth_path.as_posix().replace("'", "''")
    # CRM rows appear once per exported version: one person per record key all the same.
    return (
        "select distinct source || '.' || \"table\" || ':' || record_key as record_id, person_id "
        f"from read_parquet('{path}')"
    )


def _labelled(partition_sql: str, truth_path: Path) -> str:
    return (
        f"select p.record_id, p.customer, t.person_id from ({partition_sql}) p "
        f"join ({_truth_sql(truth_path)}) t using (record_id)"
    )


def pairwise_accuracy(
    con: duckdb.DuckDBPyConnection, partition: str, partition_sql: str, truth_path: Path
) -> PairwiseAccuracy:
    """Pair counts of one record -> customer partition against the ground truth."""
    labelled = _labelled(partition_sql, truth_path)
    row = con.execute(
        f"""
        with labelled as ({labelled}),
        pairs as (
            select
                (select count(*) from labelled) as records,
                (select coalesce(sum(n * (n - 1) // 2), 0)
                 from (select count(*) as n from labelled group by person_id)) as true_pairs,
                (select coalesce(sum(n * (n - 1) // 2), 0)
                 from (select count(*) as n from labelled group by customer)) as predicted_pairs,
                (select coalesce(sum(n * (n - 1) // 2), 0)
                 from (select count(*) as n from labelled group by customer, person_id))
                    as correct_pairs
        )
        select * from pairs
        """
    ).fetchall()[0]
    return PairwiseAccuracy(partition, *(int(v) for v in row))


def identity_accuracy(
    con: duckdb.DuckDBPyConnection, truth_path: Path
) -> dict[str, PairwiseAccuracy]:
    """Accuracy of the deterministic partition and of the final one (with probabilistic edges)."""
    return {name: pairwise_accuracy(con, name, sql, truth_path) for name, sql in PARTITIONS.items()}


def missed_pairs_by_source(
    con: duckdb.DuckDBPyConnection, truth_path: Path, limit: int = 8
) -> list[dict[str, object]]:
    """Where recall goes: true pairs the final partition splits, by the two records' sources.

    For one person, the pairs between sources s and t are n_s * n_t (or n_s choose 2); those kept
    are the same sum within each customer; the difference is what was missed.
    """
    labelled = _labelled(PARTITIONS["with_probabilistic"], truth_path)
    rows = con.execute(
        f"""
        with labelled as ({labelled}),
        cells as (
            select person_id, customer, split_part(record_id, ':', 1) as source, count(*) as n
            from labelled group by all
        ),
        per_person as (
            select person_id, source, sum(n) as n from cells group by all
        ),
        true_pairs as (
            select a.source as source_a, b.source as source_b,
                sum(case when a.source = b.source then a.n * (a.n - 1) // 2 else a.n * b.n end)
                    as pairs
            from per_person a join per_person b
                on a.person_id = b.person_id and a.source <= b.source
            group by all
        ),
        kept_pairs as (
            select a.source as source_a, b.source as source_b,
                sum(case when a.source = b.source then a.n * (a.n - 1) // 2 else a.n * b.n end)
                    as pairs
            from cells a join cells b
                on a.person_id = b.person_id and a.customer = b.customer
                and a.source <= b.source
            group by all
        )
        select t.source_a, t.source_b, t.pairs - coalesce(k.pairs, 0) as missed_pairs,
            t.pairs as true_pairs
        from true_pairs t left join kept_pairs k using (source_a, source_b)
        order by missed_pairs desc, t.source_a, t.source_b
        limit {int(limit)}
        """
    ).fetchall()
    total = sum(r[2] for r in rows) or 1
    return [
        {
            "sources": f"{a} ~ {b}",
            "missed_pairs": int(missed),
            "true_pairs": int(true),
            "recall": round(1 - missed / true, 4) if true else 1.0,
            "share_of_listed_misses": round(missed / total, 4),
        }
        for a, b, missed, true in rows
    ]


def any_shared_identifier(con: duckdb.DuckDBPyConnection, truth_path: Path) -> PairwiseAccuracy:
    """The partition that joins records by any chain of shared usable identifiers at all (no
    exclusions, no hard-id limits): its recall is the ceiling no identity rule could beat, its
    precision what linking without rules would cost.

    Records that share nothing with the rest of their person (a device that never identified, a
    WeChat follower with neither a bound phone nor a unionid elsewhere) cap recall at this.
    """
    import numpy as np
    import pyarrow as pa
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    records = con.execute(
        "select distinct record_id from intermediate.int_identifiers order by record_id"
    ).fetchnumpy()["record_id"]
    pairs = con.execute(
        """
        with observed as (
            select distinct record_id, identifier_type || ':' || identifier_value as identifier
            from intermediate.int_identifiers
            where identifier_type <> 'source_record' and unusable_rule is null
        ),
        records as (
            select record_id, row_number() over (order by record_id) - 1 as i
            from (select distinct record_id from intermediate.int_identifiers)
        ),
        identifiers as (
            select identifier, row_number() over (order by identifier) - 1 as j
            from (select distinct identifier from observed)
        )
        select records.i, identifiers.j
        from observed join records using (record_id) join identifiers using (identifier)
        """
    ).fetchnumpy()
    n = len(records)
    size = n + (int(pairs["j"].max()) + 1 if len(pairs["j"]) else 0)
    graph = coo_matrix((np.ones(len(pairs["i"])), (pairs["i"], pairs["j"] + n)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    components = pa.table({"record_id": records, "customer": labels[:n].astype(np.int64)})
    con.register("_linkable_components", components)
    try:
        return pairwise_accuracy(
            con,
            "any_shared_identifier",
            "select record_id, customer from _linkable_components",
            truth_path,
        )
    finally:
        con.unregister("_linkable_components")


def store_accuracy(
    con: duckdb.DuckDBPyConnection, run_id: str, results: dict[str, PairwiseAccuracy]
) -> None:
    """Append this run's figures to identity.accuracy_runs (one row per partition)."""
    con.execute("create schema if not exists identity")
    con.execute(
        f"""
        create table if not exists {ACCURACY_TABLE} (
            run_id varchar, measured_at timestamptz, partition varchar, records bigint,
            true_pairs bigint, predicted_pairs bigint, correct_pairs bigint,
            precision double, recall double, f1 double
        )
        """
    )
    now = datetime.now(UTC)
    con.execute(f"delete from {ACCURACY_TABLE} where run_id = ?", [run_id])
    for result in results.values():
        row = result.as_row()
        con.execute(
            f"insert into {ACCURACY_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                now,
                result.partition,
                row["records"],
                row["true_pairs"],
                row["predicted_pairs"],
                row["correct_pairs"],
                row["precision"],
                row["recall"],
                row["f1"],
            ],
        )
