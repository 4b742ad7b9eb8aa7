"""Probabilistic matching of identity profiles with Splink, then the hard-id guard.

One run: read ``intermediate.int_identity_profiles`` from the warehouse, train a Splink model on
it (u by seeded random sampling, m by EM over the training blocking rules), save the model under
a content-addressed version, score the candidate pairs between different deterministic clusters,
decide each pair's status with a greedy union-find over clusters that never lets one unified
customer hold two hard ids, and replace ``identity.probabilistic_pairs``.

Splink works in a private in-memory DuckDB, so its scratch tables never touch the warehouse file;
only the profiles are read from it and only the pairs are written back.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import ColumnExpression, DuckDBAPI, Linker, SettingsCreator, block_on
from splink import comparison_level_library as cll
from splink import comparison_library as cl
from splink.blocking_rule_library import And, CustomRule

from orchestration.identity.matching_config import (
    ComparisonSpec,
    DateDifferenceComparison,
    EditDistanceComparison,
    EmailComparison,
    ExactComparison,
    ExactHierarchyComparison,
    JaroWinklerComparison,
    MatchingConfig,
    PhoneComparison,
    rule_label,
)
from orchestration.warehouse_tables import ARROW_BATCH, quote, relation, replacing_table

PROFILES_TABLE = ("intermediate", "int_identity_profiles")
OUTPUT_TABLE = ("identity", "probabilistic_pairs")
STRUCTURAL_COLUMNS = ("record_id", "cluster_id", "hard_id")
# The contract of identity.probabilistic_pairs, in order.
OUTPUT_COLUMNS: dict[str, str] = {
    "record_id_l": "varchar",
    "record_id_r": "varchar",
    "cluster_id_l": "bigint",
    "cluster_id_r": "bigint",
    "match_probability": "double",
    "match_weight": "double",
    "status": "varchar",
    "model_version": "varchar",
    "scored_at": "timestamptz",
}
ACCEPTED = "accepted"
REVIEW = "review"
REJECTED_HARD_ID_CONFLICT = "rejected_hard_id_conflict"
STATUSES = (ACCEPTED, REVIEW, REJECTED_HARD_ID_CONFLICT)
MODEL_INDEX = "index.json"

# Splink writes a random linker_uid into the saved settings; a fixed one keeps the model's
# content, and so its version, a function of the training alone.
_LINKER_UID = "cdp_identity"
# DuckDB sums in parallel, so EM's last bits can differ between identical runs; the saved model
# keeps 10 significant digits, far below any effect on a match weight, so its hash is stable.
_SIGNIFICANT_DIGITS = 10
# Added to every prediction rule: pairs inside one deterministic cluster are one customer already.
# A constant written here, never text from the configuration file.
_OTHER_CLUSTER_SQL = "l.cluster_id <> r.cluster_id"


class MaxPairsExceededError(RuntimeError):
    """The blocking rules would generate more candidate pairs than max_pairs allows."""


class ProfilesTableError(ValueError):
    """The profiles table breaks the contract (missing columns, duplicate ids, two hard ids)."""


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """One scored candidate pair of records from different deterministic clusters."""

    record_id_l: str
    record_id_r: str
    cluster_id_l: int
    cluster_id_r: int
    match_probability: float
    match_weight: float


@dataclass(frozen=True)
class MatchingResult:
    """What one run did: counts per status, the model, a training summary and timings."""

    records: int
    candidate_pairs_by_rule: dict[str, int]
    training_pairs_by_rule: dict[str, int]
    pairs_by_status: dict[str, int]
    model_version: str | None
    model_path: Path | None
    match_threshold: float
    review_threshold: float
    probability_two_random_records_match: float | None
    training: dict[str, Any]
    seconds: float
    seconds_by_step: dict[str, float] = field(default_factory=dict)
    skipped_reason: str | None = None

    @property
    def trained(self) -> bool:
        return self.skipped_reason is None


# --- (a) input ---------------------------------------------------------------------------------


def read_profiles(
    con: duckdb.DuckDBPyConnection,
    config: MatchingConfig,
    table: tuple[str, str] = PROFILES_TABLE,
) -> pa.Table:
    """The structural and configured profile columns of the profiles table, by record_id."""
    schema, name = table
    present = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    if not present:
        raise ProfilesTableError(f"{schema}.{name} does not exist (build the dbt model first)")
    wanted = [*STRUCTURAL_COLUMNS, *config.columns]
    missing = [column for column in wanted if column not in present]
    if missing:
        raise ProfilesTableError(f"{schema}.{name} lacks columns: {', '.join(missing)}")
    select = ", ".join(quote(column) for column in wanted)
    profiles = con.sql(
        f"select {select} from {relation(table)} order by record_id"
    ).to_arrow_table()
    record_ids = profiles.column("record_id")
    null_keys = record_ids.null_count + profiles.column("cluster_id").null_count
    if null_keys:
        raise ProfilesTableError(f"{schema}.{name}: {null_keys} null record_id or cluster_id")
    duplicates = len(record_ids) - len(record_ids.unique())
    if duplicates:
        raise ProfilesTableError(f"{schema}.{name}: {duplicates} duplicated record_id values")
    return profiles


def cluster_hard_ids(work: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """The hard id of each deterministic cluster that has one (table ``profiles`` of ``work``)."""
    rows = work.execute(
        "select cluster_id, min(hard_id), count(distinct hard_id) from profiles "
        "where hard_id is not null group by cluster_id"
    ).fetchall()
    broken = [cluster_id for cluster_id, _, distinct in rows if distinct > 1]
    if broken:
        raise ProfilesTableError(
            f"{len(broken)} deterministic clusters hold more than one hard id "
            f"(e.g. cluster_id {min(broken)}); the deterministic step must prevent that"
        )
    return {int(cluster_id): hard_id for cluster_id, hard_id, _ in rows}


def count_block_pairs(
    work: duckdb.DuckDBPyConnection, rule: Sequence[str], *, other_clusters_only: bool
) -> int:
    """Exact number of pairs a blocking rule generates on table ``profiles`` of ``work``.

    Counted from block sizes, without forming the pairs, so it is cheap even when the answer is
    too large to score. With ``other_clusters_only`` pairs inside one cluster are not counted.
    """
    columns = ", ".join(quote(column) for column in rule)
    not_null = " and ".join(f"{quote(column)} is not null" for column in rule)
    within = "sum(records * (records - 1) // 2)" if other_clusters_only else "0"
    sql = f"""
        with per_cluster as (
            select {columns}, cluster_id, count(*)::hugeint as records
            from profiles
            where {not_null}
            group by all
        ),

        per_block as (
            select sum(records) as records, {within} as same_cluster_pairs
            from per_cluster
            group by {columns}
        )

        select coalesce(sum(records * (records - 1) // 2 - same_cluster_pairs), 0)
        from per_block
    """
    return int(work.execute(sql).fetchone()[0])


# --- (b) the Splink model ----------------------------------------------------------------------


def _comparison(spec: ComparisonSpec) -> Any:
    """The Splink comparison creator of one configured comparison."""
    tf = getattr(spec, "term_frequency_adjustments", False)
    column = spec.column
    if isinstance(spec, ExactComparison):
        return cl.ExactMatch(column).configure(term_frequency_adjustments=tf)
    if isinstance(spec, ExactHierarchyComparison):
        columns = [column, *spec.fallback_columns]
        levels = [cll.And(*[cll.NullLevel(name) for name in columns])]
        levels += [cll.ExactMatchLevel(name, term_frequency_adjustments=tf) for name in columns]
        levels.append(cll.ElseLevel())
        return cl.CustomComparison(levels, output_column_name=column)
    if isinstance(spec, JaroWinklerComparison):
        return cl.JaroWinklerAtThresholds(column, spec.thresholds).configure(
            term_frequency_adjustments=tf
        )
    if isinstance(spec, EditDistanceComparison):
        creator = (
            cl.LevenshteinAtThresholds
            if spec.method == "levenshtein"
            else cl.DamerauLevenshteinAtThresholds
        )
        return creator(column, spec.distances).configure(term_frequency_adjustments=tf)
    if isinstance(spec, DateDifferenceComparison):
        return cl.AbsoluteDateDifferenceAtThresholds(
            column,
            input_is_string=False,
            metrics=[level.unit for level in spec.levels],
            thresholds=[level.within for level in spec.levels],
        )
    if isinstance(spec, EmailComparison):
        local = spec.local_part_column
        levels = [
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=tf),
            cll.ExactMatchLevel(local).configure(label_for_charts=f"Exact match on {local}"),
        ]
        if spec.local_part_jaro_winkler is not None:
            levels.append(cll.JaroWinklerLevel(local, spec.local_part_jaro_winkler))
        levels.append(cll.ElseLevel())
        return cl.CustomComparison(levels, output_column_name=column)
    if isinstance(spec, PhoneComparison):
        levels = [cll.NullLevel(column), cll.ExactMatchLevel(column, term_frequency_adjustments=tf)]
        for digits in spec.last_digits:
            # substring(x, -n, n): the last n characters in DuckDB; n is a validated integer.
            tail = cll.ExactMatchLevel(ColumnExpression(column).substr(-digits, digits))
            levels.append(tail.configure(label_for_charts=f"Last {digits} digits match"))
        levels.append(cll.ElseLevel())
        return cl.CustomComparison(levels, output_column_name=column)
    raise TypeError(f"no Splink comparison for {type(spec).__name__}")


def build_settings(config: MatchingConfig) -> SettingsCreator:
    """The Splink settings of an untrained model described by the configuration."""
    prior = config.prior.probability_two_random_records_match
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[_comparison(spec) for spec in config.comparisons],
        blocking_rules_to_generate_predictions=[
            And(block_on(*rule), CustomRule(_OTHER_CLUSTER_SQL))
            for rule in config.blocking_rules_for_prediction
        ],
        # Replaced by the estimate from deterministic rules when those are configured.
        probability_two_random_records_match=prior if prior is not None else 0.0001,
        em_convergence=config.training.em_convergence,
        max_iterations=config.training.em_max_iterations,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["cluster_id"],
        linker_uid=_LINKER_UID,
    )


def train_model(
    db_api: DuckDBAPI, config: MatchingConfig, training_rules: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Train on table ``profiles`` and return the model as a canonical settings dict."""
    linker = Linker(db_api.register("profiles"), build_settings(config), log_level=None)
    training = config.training
    if config.prior.deterministic_rules is not None:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*rule) for rule in config.prior.deterministic_rules],
            recall=config.prior.recall,
        )
    # Splink 5 samples by hashing record ids with the seed: the same rows on every run.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=training.u_max_pairs, seed=training.seed
    )
    for rule in training_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*rule), max_pairs=training.em_max_pairs
        )
    return canonical_model(linker.misc.save_model_to_json())


def canonical_model(model: Any) -> Any:
    """The model with floats rounded to 10 significant digits (see _SIGNIFICANT_DIGITS)."""
    if isinstance(model, float):
        return float(f"{model:.{_SIGNIFICANT_DIGITS}g}")
    if isinstance(model, dict):
        return {key: canonical_model(value) for key, value in model.items()}
    if isinstance(model, list):
        return [canonical_model(value) for value in model]
    return model


def training_summary(model: Mapping[str, Any]) -> dict[str, Any]:
    """m and u per comparison level (null levels carry no weight and are left out)."""
    comparisons = {}
    for comparison in model["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            levels.append(
                {
                    "level": level.get("label_for_charts", level["sql_condition"]),
                    "m": level.get("m_probability"),
                    "u": level.get("u_probability"),
                }
            )
        comparisons[comparison["output_column_name"]] = levels
    return comparisons


# --- (c) model storage -------------------------------------------------------------------------


def _write_atomically(path: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(tmp, path)


def save_model(model: Mapping[str, Any], models_dir: Path, *, records: int) -> tuple[str, Path]:
    """Save the model as ``<version>.json``, version = first 12 hex of its sha256; index it."""
    models_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(model, indent=2, sort_keys=True) + "\n"
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    path = models_dir / f"{version}.json"
    if not path.is_file():
        _write_atomically(path, text)
    index_path = models_dir / MODEL_INDEX
    index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.is_file() else {}
    versions = index.setdefault("versions", {})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    entry = versions.setdefault(version, {"file": path.name, "first_trained_at": now})
    entry.update({"last_trained_at": now, "records": records})
    index["latest"] = version
    _write_atomically(index_path, json.dumps(index, indent=2, sort_keys=True) + "\n")
    return version, path


# --- (d) prediction ----------------------------------------------------------------------------


def predict_pairs(
    db_api: DuckDBAPI, model: Mapping[str, Any], review_threshold: float
) -> list[ScoredPair]:
    """Pairs between different clusters scoring >= review_threshold with the saved model."""
    # Score with the saved (rounded) model, not the in-memory one: the version names the model
    # that produced the probabilities.
    linker = Linker(db_api.register("profiles"), dict(model), log_level=None)
    predictions = linker.inference.predict(
        threshold_match_probability=review_threshold, warning_mode="never"
    )
    # (e) the rules already exclude pairs within one cluster; the filter states it again here.
    rows = db_api.duckdb_con.execute(
        f"""
        select record_id_l, record_id_r, cluster_id_l, cluster_id_r,
            match_probability, match_weight
        from {predictions.physical_name}
        where cluster_id_l <> cluster_id_r and match_probability >= ?
        order by match_probability desc, record_id_l, record_id_r
        """,
        [review_threshold],
    ).fetchall()
    return [ScoredPair(*row) for row in rows]


# --- (f) the hard-id guard ---------------------------------------------------------------------


def apply_hard_id_guard(
    pairs: Sequence[ScoredPair], hard_ids: Mapping[int, str], match_threshold: float
) -> list[tuple[ScoredPair, str]]:
    """Status of each pair, in descending probability (ties by record ids).

    A greedy union-find over deterministic clusters: a pair at or above ``match_threshold``
    joins its two clusters' groups unless both groups already hold a hard id and the ids differ
    (``rejected_hard_id_conflict``): no unified customer ever ends up with two hard ids, even
    through a chain of clusters without one. Pairs below ``match_threshold`` are ``review``.
    """
    parent: dict[int, int] = {}
    group_hard_id: dict[int, str | None] = {}

    def find(cluster: int) -> int:
        if cluster not in parent:
            parent[cluster] = cluster
            group_hard_id[cluster] = hard_ids.get(cluster)
            return cluster
        root = cluster
        while parent[root] != root:
            root = parent[root]
        while parent[cluster] != root:  # path compression
            parent[cluster], cluster = root, parent[cluster]
        return root

    ordered = sorted(pairs, key=lambda p: (-p.match_probability, p.record_id_l, p.record_id_r))
    decided: list[tuple[ScoredPair, str]] = []
    for pair in ordered:
        if pair.match_probability < match_threshold:
            decided.append((pair, REVIEW))
            continue
        root_l, root_r = find(pair.cluster_id_l), find(pair.cluster_id_r)
        if root_l == root_r:
            decided.append((pair, ACCEPTED))
            continue
        hard_l, hard_r = group_hard_id[root_l], group_hard_id[root_r]
        if hard_l is not None and hard_r is not None and hard_l != hard_r:
            decided.append((pair, REJECTED_HARD_ID_CONFLICT))
            continue
        keep, absorbed = min(root_l, root_r), max(root_l, root_r)
        parent[absorbed] = keep
        group_hard_id[keep] = hard_l if hard_l is not None else hard_r
        decided.append((pair, ACCEPTED))
    return decided


# --- (g) output --------------------------------------------------------------------------------


def write_pairs(
    con: duckdb.DuckDBPyConnection,
    decided: Sequence[tuple[ScoredPair, str]],
    model_version: str | None,
    scored_at: datetime,
    table: tuple[str, str] = OUTPUT_TABLE,
) -> None:
    """Replace the output table: build ``<table>__new``, then drop and rename in one transaction."""
    data = pa.table(
        {
            "record_id_l": pa.array([p.record_id_l for p, _ in decided], pa.string()),
            "record_id_r": pa.array([p.record_id_r for p, _ in decided], pa.string()),
            "cluster_id_l": pa.array([p.cluster_id_l for p, _ in decided], pa.int64()),
            "cluster_id_r": pa.array([p.cluster_id_r for p, _ in decided], pa.int64()),
            "match_probability": pa.array([p.match_probability for p, _ in decided], pa.float64()),
            "match_weight": pa.array([p.match_weight for p, _ in decided], pa.float64()),
            "status": pa.array([status for _, status in decided], pa.string()),
        }
    )
    select = (
        "select record_id_l, record_id_r, cluster_id_l, cluster_id_r, match_probability, "
        f"match_weight, status, ?, ? from {ARROW_BATCH}"
    )
    with replacing_table(con, table, OUTPUT_COLUMNS, data, select, [model_version, scored_at]):
        pass


# --- one run -----------------------------------------------------------------------------------


@contextmanager
def _work_database(profiles: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
    work = duckdb.connect()
    try:
        work.register("__profiles_arrow", profiles)
        work.execute("create table profiles as select * from __profiles_arrow")
        work.unregister("__profiles_arrow")
        yield work
    finally:
        work.close()


def run_probabilistic_matching(
    con: duckdb.DuckDBPyConnection,
    config: MatchingConfig,
    models_dir: Path,
    *,
    profiles_table: tuple[str, str] = PROFILES_TABLE,
    output_table: tuple[str, str] = OUTPUT_TABLE,
    scored_at: datetime | None = None,
) -> MatchingResult:
    """Read profiles from ``con``, train, save, predict, guard and write the pairs to ``con``."""
    started = time.perf_counter()
    steps: dict[str, float] = {}
    scored_at = scored_at or datetime.now(UTC)
    mark = started

    def lap(step: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps[step] = round(now - mark, 3)
        mark = now

    profiles = read_profiles(con, config, profiles_table)
    records = profiles.num_rows
    lap("read")

    def finish(
        decided: Sequence[tuple[ScoredPair, str]],
        *,
        candidates: dict[str, int],
        training_pairs: dict[str, int] | None = None,
        version: str | None = None,
        path: Path | None = None,
        model: Mapping[str, Any] | None = None,
        skipped_reason: str | None = None,
    ) -> MatchingResult:
        write_pairs(con, decided, version, scored_at, output_table)
        lap("write")
        counts = dict.fromkeys(STATUSES, 0)
        for _, status in decided:
            counts[status] += 1
        return MatchingResult(
            records=records,
            candidate_pairs_by_rule=candidates,
            training_pairs_by_rule=training_pairs or {},
            pairs_by_status=counts,
            model_version=version,
            model_path=path,
            match_threshold=config.match_threshold,
            review_threshold=config.review_threshold,
            probability_two_random_records_match=(
                model["probability_two_random_records_match"] if model else None
            ),
            training=training_summary(model) if model else {},
            seconds=round(time.perf_counter() - started, 3),
            seconds_by_step=steps,
            skipped_reason=skipped_reason,
        )

    if records < config.training.min_records:
        return finish(
            [],
            candidates={},
            skipped_reason=(
                f"{records} profile records, fewer than training.min_records "
                f"({config.training.min_records}): nothing trained, no pairs written"
            ),
        )

    with _work_database(profiles) as work:
        candidates = {
            rule_label(rule): count_block_pairs(work, rule, other_clusters_only=True)
            for rule in config.blocking_rules_for_prediction
        }
        total = sum(candidates.values())
        if total > config.max_pairs:
            raise MaxPairsExceededError(
                f"the prediction blocking rules generate up to {total:,} candidate pairs, more "
                f"than max_pairs ({config.max_pairs:,}); pairs per rule: {candidates}. Narrow "
                "the largest rule (add a column) or raise max_pairs."
            )
        if total == 0:
            return finish(
                [],
                candidates=candidates,
                skipped_reason="the prediction blocking rules produce no candidate pairs",
            )
        training_pairs: dict[str, int] = {}
        training_rules = []
        for rule in config.training.blocking_rules:
            count = count_block_pairs(work, rule, other_clusters_only=False)
            if count > config.max_pairs and config.training.em_max_pairs is None:
                raise MaxPairsExceededError(
                    f"training rule {rule_label(rule)} generates {count:,} pairs, more than "
                    f"max_pairs ({config.max_pairs:,}); set training.em_max_pairs to sample them"
                )
            training_pairs[rule_label(rule)] = count
            if count:  # EM over an empty block has nothing to learn from
                training_rules.append(rule)
        if not training_rules:
            return finish(
                [],
                candidates=candidates,
                training_pairs=training_pairs,
                skipped_reason="the training blocking rules produce no pairs: nothing to learn m",
            )
        hard_ids = cluster_hard_ids(work)
        lap("checks")

        db_api = DuckDBAPI(work)
        model = train_model(db_api, config, training_rules)
        lap("train")
        version, path = save_model(model, models_dir, records=records)
        scored = predict_pairs(db_api, model, config.review_threshold)
        lap("predict")
        decided = apply_hard_id_guard(scored, hard_ids, config.match_threshold)
        lap("guard")
    return finish(
        decided,
        candidates=candidates,
        training_pairs=training_pairs,
        version=version,
        path=path,
        model=model,
    )
