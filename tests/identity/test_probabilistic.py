"""Probabilistic matching: the configuration, the hard-id guard, and a run on synthetic profiles.

The synthetic profiles (~3,000 records of ~1,800 persons, built here with numpy) carry the
truth (person_id) so precision and recall of the accepted pairs can be measured. They include
what makes matching hard: typos, missing fields, namesakes, households sharing one phone,
surname and city, and persons with two CRM accounts (two hard ids the guard must keep apart).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from dagster import AssetKey, materialize

from ingestion.settings import Settings
from orchestration.assets.probabilistic import (
    IDENTITY_PROFILES_KEY,
    PROBABILISTIC_PAIRS_KEY,
    build_probabilistic_assets,
)
from orchestration.identity.matching_config import (
    DEFAULT_CONFIG_PATH,
    MatchingConfig,
    MatchingConfigError,
    load_matching_config,
    parse_matching_config,
)
from orchestration.identity.probabilistic import (
    ACCEPTED,
    MODEL_INDEX,
    OUTPUT_COLUMNS,
    REJECTED_HARD_ID_CONFLICT,
    REVIEW,
    MatchingResult,
    MaxPairsExceededError,
    ScoredPair,
    apply_hard_id_guard,
    count_block_pairs,
    run_probabilistic_matching,
)
from orchestration.translators import CdpDbtTranslator

# --- configuration -----------------------------------------------------------------------------


def _raw_config() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def _parse(raw: dict[str, Any]) -> MatchingConfig:
    return parse_matching_config(raw, Path("identity_matching.yml"))


def test_shipped_config_is_valid() -> None:
    config = load_matching_config(DEFAULT_CONFIG_PATH)
    assert config.review_threshold < config.match_threshold


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda raw: raw.update(match_treshold=0.9), "match_treshold: Extra inputs"),
        (lambda raw: raw["training"].update(sed=1), "training.sed: Extra inputs"),
        (lambda raw: raw["comparisons"][0].update(threshold=[0.9]), "comparisons.0.threshold"),
    ],
)
def test_config_rejects_unknown_keys(edit: Any, message: str) -> None:
    raw = _raw_config()
    edit(raw)
    with pytest.raises(MatchingConfigError, match=message):
        _parse(raw)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"match_threshold": 1.0}, "match_threshold: must lie strictly between 0 and 1"),
        ({"review_threshold": 0.0}, "review_threshold: must lie strictly between 0 and 1"),
        ({"review_threshold": 0.97}, "review_threshold .* must be below match_threshold"),
        ({"match_threshold": "0.9"}, "match_threshold: Input should be a valid number"),
    ],
)
def test_config_rejects_bad_thresholds(edit: dict[str, Any], message: str) -> None:
    with pytest.raises(MatchingConfigError, match=message):
        _parse({**_raw_config(), **edit})


def test_config_rejects_unknown_and_unlisted_columns() -> None:
    raw = _raw_config()
    raw["comparisons"][0]["column"] = "nickname"
    with pytest.raises(
        MatchingConfigError, match=r"comparisons\.0\.column: unknown column 'nickname'"
    ):
        _parse(raw)
    raw = _raw_config()
    raw["blocking_rules_for_prediction"].append(["record_id"])
    with pytest.raises(MatchingConfigError, match=r"blocking_rules_for_prediction\.5\.0: unknown"):
        _parse(raw)
    raw = _raw_config()
    raw["blocking_rules_for_prediction"].append(["postal_code", "l.x = r.x or 1=1"])
    with pytest.raises(MatchingConfigError, match=re.escape("unknown column 'l.x = r.x or 1=1'")):
        _parse(raw)
    raw = _raw_config()
    raw["columns"].remove("city_key")
    with pytest.raises(MatchingConfigError, match="column 'city_key' is not in columns"):
        _parse(raw)


def test_config_rejects_wrong_types_and_untrainable_comparisons() -> None:
    raw = _raw_config()
    raw["comparisons"][2] = {"column": "birth_date", "method": "jaro_winkler", "thresholds": [0.9]}
    with pytest.raises(MatchingConfigError, match="compares string columns; 'birth_date' is date"):
        _parse(raw)
    raw = _raw_config()
    raw["training"]["blocking_rules"] = [["email"]]
    with pytest.raises(
        MatchingConfigError, match=r"comparisons\.3: every training\.blocking_rules"
    ):
        _parse(raw)
    raw = _raw_config()
    raw["prior"] = {"probability_two_random_records_match": 0.001, "recall": 0.5}
    with pytest.raises(MatchingConfigError, match="recall only applies"):
        _parse(raw)


def test_config_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "matching.yml"
    path.write_text(yaml.safe_dump({**_raw_config(), "max_pairs": 0}), encoding="utf-8")
    with pytest.raises(MatchingConfigError, match=f"{path}: invalid .*\n  max_pairs: "):
        load_matching_config(path)


# --- the hard-id guard and the pair counts -----------------------------------------------------


def _pair(left: str, right: str, cluster_l: int, cluster_r: int, probability: float) -> ScoredPair:
    return ScoredPair(left, right, cluster_l, cluster_r, probability, 0.0)


def test_guard_never_joins_two_hard_ids_through_a_third_cluster() -> None:
    # A (crm 1) - B (no hard id) - C (crm 2): B joins A first, so B-C would join crm 1 and 2.
    pairs = [
        _pair("b", "c", 2, 3, 0.98),
        _pair("a", "b", 1, 2, 0.99),
        _pair("a", "d", 1, 4, 0.97),  # D has no hard id: joins A's group
        _pair("c", "d", 3, 4, 0.96),  # D is in A's group now: conflict again
        _pair("a2", "b", 1, 2, 0.96),  # same group already: accepted, no conflict
        _pair("c", "e", 3, 5, 0.7),  # review band: never joins anything
    ]
    decided = apply_hard_id_guard(pairs, {1: "crm_id:1", 3: "crm_id:2"}, match_threshold=0.95)
    statuses = {(p.record_id_l, p.record_id_r): status for p, status in decided}
    assert statuses == {
        ("a", "b"): ACCEPTED,
        ("b", "c"): REJECTED_HARD_ID_CONFLICT,
        ("a", "d"): ACCEPTED,
        ("c", "d"): REJECTED_HARD_ID_CONFLICT,
        ("a2", "b"): ACCEPTED,
        ("c", "e"): REVIEW,
    }
    assert [p.match_probability for p, _ in decided] == [0.99, 0.98, 0.97, 0.96, 0.96, 0.7]


def test_guard_breaks_probability_ties_by_record_ids() -> None:
    pairs = [_pair("y", "z", 2, 3, 0.99), _pair("x", "y", 1, 2, 0.99)]
    decided = apply_hard_id_guard(pairs, {1: "crm_id:1", 3: "crm_id:2"}, 0.95)
    assert [(p.record_id_l, status) for p, status in decided] == [
        ("x", ACCEPTED),
        ("y", REJECTED_HARD_ID_CONFLICT),
    ]


def test_count_block_pairs_leaves_out_pairs_within_a_cluster() -> None:
    with duckdb.connect() as work:
        work.execute(
            "create table profiles as select * from (values "
            "('r1', 1, '+1'), ('r2', 1, '+1'), ('r3', 2, '+1'), ('r4', 3, '+2'), ('r5', 4, null)"
            ") as t(record_id, cluster_id, phone_e164)"
        )
        assert count_block_pairs(work, ["phone_e164"], other_clusters_only=True) == 2
        assert count_block_pairs(work, ["phone_e164"], other_clusters_only=False) == 3


# --- runs --------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = _words(
    "wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng "
    "liang xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye "
    "cheng wei su lu ding ren shen yao cui zhong tan fan jin shi liao jia xia"
)
SYLLABLES = _words(
    "ming hua jian guo wei li na fang jun yong jie tao chao lei ping gang hui xin yu hong xia "
    "qiang bo yan ting lin hao yi kai rui chen xue mei jing yang bin feng dan lan qing wen zhi "
    "hai shan long peng xiang cheng min juan ying fei qiu song kun yun hang ze tian xuan"
)
CITIES = _words(
    "shanghai beijing guangzhou shenzhen hangzhou chengdu wuhan nanjing xian suzhou tianjin "
    "chongqing qingdao xiamen dalian ningbo changsha zhengzhou kunming hefei"
)
DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com")
OTHER_SOURCES = ("ecom.customers", "service.tickets", "wechat.followers", "pos.members")


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word) - 1))
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(26))] + word[i + 1 :]


def _persons(rng: np.random.Generator, n_persons: int) -> list[dict[str, Any]]:
    weights = 1 / np.arange(1, len(SURNAMES) + 1) ** 0.8  # a few surnames are very common
    weights /= weights.sum()
    persons = []
    for _ in range(n_persons):
        first = "".join(rng.choice(SYLLABLES, size=int(rng.integers(1, 3))))
        last = SURNAMES[rng.choice(len(SURNAMES), p=weights)]
        city = int(rng.integers(len(CITIES)))
        persons.append(
            {
                "first": first,
                "last": last,
                "birth": dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, 20000))),
                "phone": f"+861{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}",
                "local": f"{first}.{last}{rng.integers(0, 100) if rng.random() < 0.5 else ''}",
                "domain": DOMAINS[int(rng.integers(len(DOMAINS)))],
                "city": CITIES[city],
                "postal": f"{100000 + city * 1000 + int(rng.integers(0, 1000)):06d}",
            }
        )
    # Households: one in five neighbouring pairs share phone, surname, city and postal code.
    for index in range(0, n_persons - 1, 2):
        if rng.random() < 0.2:
            head, member = persons[index], persons[index + 1]
            for key in ("phone", "last", "city", "postal"):
                member[key] = head[key]
            member["local"] = f"{member['first']}.{member['last']}"
    return persons


def _record(rng: np.random.Generator, person: dict[str, Any], duplicate: bool) -> dict[str, Any]:
    """One source record of a person; a duplicate carries typos, gaps and changed contacts."""
    values = dict(person)
    if duplicate:
        draw = rng.random(7)
        if draw[0] < 0.15:
            values["first"] = _typo(rng, values["first"])
        elif draw[0] > 0.95:
            values["first"] = None
        if draw[1] < 0.05:
            values["last"] = _typo(rng, values["last"])
        elif draw[1] > 0.97:
            values["last"] = None
        if draw[2] < 0.3:
            values["birth"] = None
        elif draw[2] < 0.38:
            values["birth"] += dt.timedelta(days=int(rng.integers(1, 20)))
        if draw[3] < 0.35:
            values["local"] = None
        elif draw[3] < 0.45:
            values["domain"] = DOMAINS[int(rng.integers(len(DOMAINS)))]
        elif draw[3] < 0.55:
            values["local"] = f"{values['first'] or 'x'}{rng.integers(1000, 9999)}"
        if draw[4] < 0.3:
            values["phone"] = None
        elif draw[4] < 0.4:
            values["phone"] = f"+861{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}"
        if draw[5] < 0.15:
            values["city"] = None
        elif draw[5] < 0.2:  # moved
            values["city"], values["postal"] = CITIES[int(rng.integers(len(CITIES)))], None
        if draw[6] < 0.3:
            values["postal"] = None
    first, last, local = values["first"], values["last"], values["local"]
    return {
        "first_name_key": first,
        "last_name_key": last,
        "full_name_key": last + first if first and last else None,
        "birth_date": values["birth"],
        "email": f"{local}@{values['domain']}" if local else None,
        "email_local": local,
        "phone_e164": values["phone"],
        "city_key": values["city"],
        "postal_code": values["postal"],
        "country_code": "CN",
    }


def synthetic_profiles(n_persons: int = 1800, seed: int = 7) -> pd.DataFrame:
    """Profile records with their truth (person_id), clustered as the deterministic step would."""
    rng = np.random.default_rng(seed)
    rows = []
    for person_id, person in enumerate(_persons(rng, n_persons)):
        copies = 1 + int(rng.choice([0, 1, 2], p=[0.45, 0.4, 0.15]))
        for copy_index in range(copies):
            # Most first records come from the CRM; a later one now and then is a second account.
            is_crm = rng.random() < (0.6 if copy_index == 0 else 0.05)
            source = "crm.customers" if is_crm else OTHER_SOURCES[rng.integers(len(OTHER_SOURCES))]
            record_id = f"{source}:{len(rows):06d}"
            hard_id = f"crm_id:{10_000_000 + len(rows)}" if is_crm else None
            rows.append(
                {
                    "record_id": record_id,
                    "source": source.split(".")[0],
                    "person_id": person_id,
                    "own_hard_id": hard_id,
                    **_record(rng, person, duplicate=copy_index > 0),
                }
            )
    frame = pd.DataFrame(rows)
    _cluster_by_email(frame)
    return frame.drop(columns=["own_hard_id"])


def _cluster_by_email(frame: pd.DataFrame) -> None:
    """Stand-in for the deterministic step: records sharing an email, at most one hard id each."""
    parent = list(range(len(frame)))
    hard = list(frame["own_hard_id"])

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_with_email: dict[str, int] = {}
    for index, email in enumerate(frame["email"]):
        if pd.isna(email):  # pandas 3 stores missing strings as NaN, not None
            continue
        other = first_with_email.setdefault(email, index)
        root_a, root_b = find(other), find(index)
        if root_a == root_b or (
            pd.notna(hard[root_a]) and pd.notna(hard[root_b]) and hard[root_a] != hard[root_b]
        ):
            continue
        keep, gone = min(root_a, root_b), max(root_a, root_b)
        parent[gone] = keep
        hard[keep] = hard[keep] if pd.notna(hard[keep]) else hard[gone]
    roots = [find(index) for index in range(len(frame))]
    frame["cluster_id"] = [1_000 + root for root in roots]
    frame["hard_id"] = [hard[root] if pd.notna(hard[root]) else None for root in roots]


def _load_profiles(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.execute("create schema if not exists intermediate")
    con.register("frame", frame)
    con.execute(
        "create or replace table intermediate.int_identity_profiles as select record_id, source, "
        "cluster_id::bigint as cluster_id, hard_id::varchar as hard_id, first_name_key, "
        "last_name_key, full_name_key, birth_date::date as birth_date, email, email_local, "
        "phone_e164, city_key, postal_code, country_code from frame"
    )
    con.unregister("frame")


@dataclass
class EndToEnd:
    first: MatchingResult
    second: MatchingResult
    pairs: pd.DataFrame
    truth: pd.DataFrame
    columns: list[tuple[str, str]]
    models_dir: Path


@pytest.fixture(scope="module")
def end_to_end(tmp_path_factory: pytest.TempPathFactory) -> EndToEnd:
    """Two identical runs on the synthetic profiles, into one warehouse and one models folder."""
    folder = tmp_path_factory.mktemp("probabilistic")
    frame = synthetic_profiles()
    config = load_matching_config(DEFAULT_CONFIG_PATH)
    with duckdb.connect(str(folder / "warehouse.duckdb")) as con:
        _load_profiles(con, frame)
        first = run_probabilistic_matching(con, config, folder / "models")
        second = run_probabilistic_matching(con, config, folder / "models")
        pairs = con.sql("select * from identity.probabilistic_pairs").df()
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'identity' and table_name = 'probabilistic_pairs' "
            "order by ordinal_position"
        ).fetchall()
    return EndToEnd(first, second, pairs, frame, columns, folder / "models")


def test_end_to_end_saves_one_stable_model_version(end_to_end: EndToEnd) -> None:
    first, second = end_to_end.first, end_to_end.second
    assert first.trained and first.model_version and len(first.model_version) == 12
    assert second.model_version == first.model_version
    assert first.model_path is not None and first.model_path.is_file()
    assert first.model_path.name == f"{first.model_version}.json"
    index = json.loads((end_to_end.models_dir / MODEL_INDEX).read_text())
    assert list(index["versions"]) == [first.model_version]
    assert index["latest"] == first.model_version
    assert second.pairs_by_status == first.pairs_by_status
    compared = {"first_name_key", "last_name_key", "birth_date", "email", "phone_e164", "city_key"}
    assert set(first.training) == compared
    assert set(first.seconds_by_step) >= {"read", "train", "predict", "guard", "write"}


def test_end_to_end_output_has_exactly_the_contract_columns(end_to_end: EndToEnd) -> None:
    expected = [(name, type_.upper()) for name, type_ in OUTPUT_COLUMNS.items()]
    expected = [
        (name, "TIMESTAMP WITH TIME ZONE" if type_ == "TIMESTAMPTZ" else type_)
        for name, type_ in expected
    ]
    assert end_to_end.columns == expected
    pairs = end_to_end.pairs
    assert (pairs["cluster_id_l"] != pairs["cluster_id_r"]).all()
    assert (pairs["record_id_l"] < pairs["record_id_r"]).all()
    assert (pairs["match_probability"] >= end_to_end.first.review_threshold).all()
    assert set(pairs["model_version"]) == {end_to_end.first.model_version}
    assert pairs["status"].value_counts().to_dict() == {
        status: count for status, count in end_to_end.second.pairs_by_status.items() if count
    }


def _labelled(end_to_end: EndToEnd) -> pd.DataFrame:
    person = end_to_end.truth.set_index("record_id")["person_id"]
    pairs = end_to_end.pairs.copy()
    pairs["is_match"] = (
        pairs["record_id_l"].map(person).to_numpy() == pairs["record_id_r"].map(person).to_numpy()
    )
    return pairs


def _true_pairs_between_clusters(truth: pd.DataFrame) -> int:
    pairs = truth.merge(truth, on="person_id", suffixes=("_l", "_r"))
    return int(
        (
            (pairs["record_id_l"] < pairs["record_id_r"])
            & (pairs["cluster_id_l"] != pairs["cluster_id_r"])
        ).sum()
    )


def test_end_to_end_accepted_pairs_are_precise(end_to_end: EndToEnd) -> None:
    pairs = _labelled(end_to_end)
    accepted = pairs[pairs["status"] == ACCEPTED]
    precision = accepted["is_match"].mean()
    recall = accepted["is_match"].sum() / _true_pairs_between_clusters(end_to_end.truth)
    print(f"accepted: {len(accepted)} pairs, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.5


def test_end_to_end_has_review_pairs(end_to_end: EndToEnd) -> None:
    assert end_to_end.first.pairs_by_status[REVIEW] > 0
    review = end_to_end.pairs[end_to_end.pairs["status"] == REVIEW]
    assert (review["match_probability"] < end_to_end.first.match_threshold).all()


def test_end_to_end_never_accepts_two_hard_ids_into_one_customer(end_to_end: EndToEnd) -> None:
    truth, pairs = end_to_end.truth, end_to_end.pairs
    assert (pairs["status"] == REJECTED_HARD_ID_CONFLICT).any()  # the data has second accounts
    parent: dict[int, int] = {}

    def find(cluster: int) -> int:
        parent.setdefault(cluster, cluster)
        while parent[cluster] != cluster:
            cluster = parent[cluster]
        return cluster

    for row in pairs[pairs["status"] == ACCEPTED].itertuples():
        parent[find(row.cluster_id_l)] = find(row.cluster_id_r)
    hard = truth.dropna(subset=["hard_id"]).drop_duplicates("cluster_id")
    per_customer = hard.groupby(hard["cluster_id"].map(find))["hard_id"].nunique()
    assert per_customer.max() == 1


def test_tiny_input_writes_an_empty_table(tmp_path: Path) -> None:
    config = load_matching_config(DEFAULT_CONFIG_PATH)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        _load_profiles(con, synthetic_profiles(n_persons=20))
        result = run_probabilistic_matching(con, config, tmp_path / "models")
        rows = con.execute("select count(*) from identity.probabilistic_pairs").fetchone()[0]
        columns = [
            row[0] for row in con.execute("describe identity.probabilistic_pairs").fetchall()
        ]
    assert not result.trained and "fewer than training.min_records" in str(result.skipped_reason)
    assert result.model_version is None and result.pairs_by_status == dict.fromkeys(
        (ACCEPTED, REVIEW, REJECTED_HARD_ID_CONFLICT), 0
    )
    assert rows == 0 and columns == list(OUTPUT_COLUMNS)
    assert not (tmp_path / "models").exists()


def test_no_candidate_pairs_writes_an_empty_table(tmp_path: Path) -> None:
    raw = _raw_config()
    raw["blocking_rules_for_prediction"] = [["email"]]
    config = _parse(raw)
    one_record_per_person = synthetic_profiles(n_persons=60).drop_duplicates("person_id")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        _load_profiles(con, one_record_per_person)
        result = run_probabilistic_matching(con, config, tmp_path / "models")
    assert result.skipped_reason == "the prediction blocking rules produce no candidate pairs"


def test_max_pairs_stops_the_run_before_scoring(tmp_path: Path) -> None:
    raw = copy.deepcopy(_raw_config())
    raw["max_pairs"] = 10
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        _load_profiles(con, synthetic_profiles(n_persons=60))
        with pytest.raises(MaxPairsExceededError, match="more than max_pairs"):
            run_probabilistic_matching(con, _parse(raw), tmp_path / "models")


# --- the Dagster asset -------------------------------------------------------------------------


def test_profiles_key_is_the_dbt_translator_key() -> None:
    props = {
        "resource_type": "model",
        "name": "int_identity_profiles",
        "fqn": ["cdp", "intermediate", "identity", "int_identity_profiles"],
        "config": {"schema": "intermediate"},  # from `+schema` of models/intermediate
        "meta": {},
    }
    assert CdpDbtTranslator().get_asset_key(props) == IDENTITY_PROFILES_KEY


def test_asset_writes_the_table_and_reports_metadata(cdp_settings: Settings) -> None:
    (asset_def,) = build_probabilistic_assets(DEFAULT_CONFIG_PATH)
    spec = next(iter(asset_def.specs))
    assert spec.key == PROBABILISTIC_PAIRS_KEY == AssetKey(["identity", "probabilistic_pairs"])
    assert spec.group_name == "identity"
    assert {dep.asset_key for dep in spec.deps} == {IDENTITY_PROFILES_KEY}
    assert set(spec.kinds) == {"splink", "duckdb"} and spec.description
    cdp_settings.duckdb_path.parent.mkdir(parents=True)
    with duckdb.connect(str(cdp_settings.duckdb_path)) as con:
        _load_profiles(con, synthetic_profiles(n_persons=20))
    result = materialize([asset_def])
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["dagster/row_count"].value == 0
    assert metadata["pairs_accepted"].value == 0
    assert metadata["match_threshold"].value == 0.95
    assert "min_records" in metadata["skipped_reason"].value
    with duckdb.connect(str(cdp_settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from identity.probabilistic_pairs").fetchone()[0] == 0
