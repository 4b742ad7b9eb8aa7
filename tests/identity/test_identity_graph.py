"""Identity resolution on generated sample data, through the real graph: Dagster run, then dbt.

One module-scoped run of the whole `all_assets` job on a few hundred persons; the tests that
change data work on copies of its warehouse and rebuild the identity models with `dbt run`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ingestion.sample_data import settings as generator_settings
from ingestion.settings import Settings
from orchestration.identity.accuracy import identity_accuracy
from orchestration.identity.explain import explain_link

from .dbt_cli import run_dbt

pytestmark = pytest.mark.slow

# Models downstream of the raw data that identity tests rebuild (no tests: those run in the job).
IDENTITY_REBUILD = [
    "path:models/staging",
    "path:models/intermediate/identity",
    "path:models/marts/identity",
]


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _copy_warehouse(settings: Settings, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.duckdb_path, copy)
    return copy


def _dbt_run(warehouse: Path, tmp_path: Path, *select: str) -> None:
    """`dbt run` of the selection on the given warehouse."""
    done = run_dbt(warehouse, tmp_path, "run", "--select", *select)
    assert done.returncode == 0, done.stdout[-4000:]


def _customer_of(warehouse: Path, record_id: str) -> str:
    return _query(
        warehouse,
        "select unified_customer_id from marts.dim_customer_records where record_id = ?",
        [record_id],
    )[0][0]


def test_identity_run_succeeds_with_every_check(identity_run) -> None:
    _, result = identity_run
    assert result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert not failed, failed


def test_every_staged_record_resolves_to_one_customer(identity_run) -> None:
    settings, _ = identity_run
    staged = sum(
        _query(settings.duckdb_path, f"select count(*) from staging.{model}")[0][0]
        for model in (
            "stg_crm__customers",
            "stg_orders__orders",
            "stg_events__events",
            "stg_email__email_events",
            "stg_service__tickets",
            "stg_wechat__followers",
            "stg_wechat__interactions",
        )
    )
    (records, distinct, customers_missing) = _query(
        settings.duckdb_path,
        """
        select count(*), count(distinct record_id),
            count(*) filter (where unified_customer_id not in
                (select unified_customer_id from marts.dim_customers))
        from marts.dim_customer_records
        """,
    )[0]
    assert records == distinct == staged
    assert customers_missing == 0


def test_soft_components_equal_scipy_connected_components(identity_run) -> None:
    settings, _ = identity_run
    path = settings.duckdb_path
    labels = dict(
        _query(path, "select node_id, component_id from intermediate.int_identity_components_soft")
    )
    edges = np.array(
        _query(path, "select node_a, node_b from intermediate.int_identity_edges"), dtype=np.int64
    ).reshape(-1, 2)
    nodes = np.array(sorted(labels), dtype=np.int64)
    index = {node: i for i, node in enumerate(nodes.tolist())}
    rows = np.array([index[a] for a in edges[:, 0]], dtype=np.int64)
    cols = np.array([index[b] for b in edges[:, 1]], dtype=np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(nodes)))
    _, reference = connected_components(graph, directed=False)
    # Same partition: each reference component maps to exactly one SQL label and vice versa.
    pairs = {(int(reference[i]), labels[int(node)]) for i, node in enumerate(nodes)}
    assert len(pairs) == len({r for r, _ in pairs}) == len({label for _, label in pairs})
    # The SQL label is the smallest node of its component.
    for _, label in pairs:
        assert labels[label] == label


def test_no_customer_holds_two_crm_ids(identity_run) -> None:
    settings, _ = identity_run
    rows = _query(
        settings.duckdb_path,
        """
        select unified_customer_id from intermediate.int_customer_ids
        where is_current and identifier_type = 'crm_id'
        group by 1 having count(*) > 1
        """,
    )
    assert rows == []


def test_junk_identifiers_never_link(identity_run) -> None:
    settings, _ = identity_run
    path = settings.duckdb_path
    linked = {
        value
        for (value,) in _query(
            path,
            "select identifier_value from marts.dim_customer_identifiers "
            "where identifier_type in ('email', 'phone')",
        )
    }
    junk_excluded = {
        value
        for (value,) in _query(
            path,
            "select identifier_value from intermediate.int_identifiers_excluded "
            "where exclusion_rule = 'junk_value'",
        )
    }
    assert junk_excluded, "the sample carries junk emails and phones"
    assert not junk_excluded & linked
    for junk in generator_settings.JUNK_EMAILS + generator_settings.JUNK_PHONES:
        assert junk.lower() not in linked


def test_household_phones_do_not_merge_family_members(identity_run) -> None:
    settings, _ = identity_run
    truth = (settings.ground_truth_dir / "ground_truth.parquet").as_posix()
    rows = _query(
        settings.duckdb_path,
        f"""
        with crm as (
            select c.phone_e164, t.person_id, 'crm.customers:' || c.customer_id as record_id
            from staging.stg_crm__customers c
            join read_parquet('{truth}') t
                on t.source = 'crm' and t."table" = 'customers' and t.record_key = c.customer_id
            where c.phone_is_valid
        ),
        household_phones as (
            select phone_e164 from crm group by 1 having count(distinct person_id) > 1
        )
        select h.phone_e164,
            (select count(*) from intermediate.int_identifiers_excluded x
             where x.identifier_type = 'phone' and x.identifier_value = h.phone_e164
                and x.exclusion_rule = 'shared_across_hard_ids') as excluded,
            (select count(distinct r.unified_customer_id) from crm
             join marts.dim_customer_records r using (record_id)
             where crm.phone_e164 = h.phone_e164) as customers,
            (select count(distinct person_id) from crm where crm.phone_e164 = h.phone_e164)
                as persons
        from household_phones h
        """,
    )
    assert rows, "the sample has households sharing a phone"
    for phone, excluded, customers, persons in rows:
        assert excluded == 1, phone
        assert customers >= persons, phone


def test_accuracy_against_ground_truth(identity_run) -> None:
    settings, _ = identity_run
    truth = settings.ground_truth_dir / "ground_truth.parquet"
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        results = identity_accuracy(con, truth)
    final = results["with_probabilistic"]
    assert final.records > 5_000
    assert final.precision >= 0.99, final
    assert final.recall >= 0.7, final
    assert results["deterministic"].precision >= 0.99
    stored = _query(
        settings.duckdb_path, "select partition, precision, recall from identity.accuracy_runs"
    )
    assert {row[0]: row[1:] for row in stored}.keys() == {
        "deterministic",
        "with_probabilistic",
        "any_shared_identifier",
    }
    ceiling = {row[0]: row[1:] for row in stored}["any_shared_identifier"]
    # The rules cost little recall against what any chain of shared identifiers could reach,
    # and buy precision: linking on everything merges households.
    assert final.recall >= 0.9 * ceiling[1]
    assert final.precision > ceiling[0]


def test_explanation_chains_shared_identifiers(identity_run) -> None:
    settings, _ = identity_run
    record_a, record_b = _query(
        settings.duckdb_path,
        """
        select min(record_id) filter (where source_name = 'crm'),
            min(record_id) filter (where source_name = 'email')
        from marts.dim_customer_records
        group by unified_customer_id
        having count(*) filter (where source_name = 'crm') = 1
            and count(*) filter (where source_name = 'email') > 0
        order by 1 limit 1
        """,
    )[0]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        explanation = explain_link(con, record_a, record_b)
        other = explain_link(con, record_a, "crm.customers:does-not-exist")
    assert explanation.same_customer
    assert explanation.links[0].from_record == record_a
    assert explanation.links[-1].to_record == record_b
    assert explanation.links[-1].via.startswith("email:")
    assert not other.same_customer


def test_rebuild_with_no_new_data_changes_no_id(identity_run, tmp_path: Path) -> None:
    settings, _ = identity_run
    warehouse = _copy_warehouse(settings, tmp_path)
    before = dict(
        _query(warehouse, "select record_id, unified_customer_id from marts.dim_customer_records")
    )
    events_before = _query(warehouse, "select count(*) from marts.identity_events")[0][0]
    _dbt_run(warehouse, tmp_path, *IDENTITY_REBUILD)
    after = dict(
        _query(warehouse, "select record_id, unified_customer_id from marts.dim_customer_records")
    )
    assert after == before
    assert _query(warehouse, "select count(*) from marts.identity_events")[0][0] == events_before
    metrics = _query(
        warehouse,
        "select new_customer_ids, merge_events, split_events, soft_graph_mode "
        "from marts.identity_run_metrics order by computed_at",
    )
    assert len(metrics) == 2
    assert metrics[-1][:3] == (0, 0, 0)
    assert metrics[-1][3] == "incremental"


def test_ids_do_not_depend_on_input_order_or_history(identity_run, tmp_path: Path) -> None:
    settings, _ = identity_run
    warehouse = _copy_warehouse(settings, tmp_path)
    before = dict(
        _query(warehouse, "select record_id, unified_customer_id from marts.dim_customer_records")
    )
    with duckdb.connect(str(warehouse)) as con:
        # An empty identity state, and every raw table in another order.
        for schema in ("intermediate", "marts"):
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [schema],
            ).fetchall():
                con.execute(f'drop table "{schema}"."{table}"')
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%' and table_name not like '_dlt%'"
        ).fetchall():
            con.execute(
                f'create or replace table "{schema}"."{table}" as '
                f'select * from "{schema}"."{table}" order by hash(random())'
            )
    _dbt_run(warehouse, tmp_path, *IDENTITY_REBUILD, "path:models/intermediate/quality")
    after = dict(
        _query(warehouse, "select record_id, unified_customer_id from marts.dim_customer_records")
    )
    assert after == before


def _insert_guest_order(
    warehouse: Path, order_id: str, email: str, customer_id: str | None
) -> None:
    """A copy of an existing raw order with a new key, email and customer (a real dlt row)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """
            insert into raw_orders.orders
            select * replace (? as record_key, ? as email, ? as customer_key,
                null as phone)
            from raw_orders.orders order by record_key limit 1
            """,
            [order_id, email, customer_id],
        )


def test_merge_and_split_are_recorded_in_the_ledger(identity_run, tmp_path: Path) -> None:
    settings, _ = identity_run
    warehouse = _copy_warehouse(settings, tmp_path)
    member, member_record = _query(
        warehouse,
        """
        select r.unified_customer_id, r.record_id from marts.dim_customer_records r
        join marts.dim_customers c using (unified_customer_id)
        where r.source_name = 'crm' and c.crm_id is not null
        order by r.record_id limit 1
        """,
    )[0]
    crm_id = member_record.split(":", 1)[1]

    # A guest order with a new email: a new customer.
    _insert_guest_order(warehouse, "O-TEST-1", "new.person.7781@163.com", None)
    _dbt_run(warehouse, tmp_path, *IDENTITY_REBUILD)
    newcomer = _customer_of(warehouse, "orders.orders:O-TEST-1")
    assert newcomer != member
    events = _query(
        warehouse,
        "select event_type, customer_id from marts.identity_events "
        "where invocation_id = (select max_by(invocation_id, computed_at) "
        "from marts.identity_run_metrics)",
    )
    assert ("new", newcomer) in events

    # The member orders with that email: the two merge, the member's (older) id survives.
    _insert_guest_order(warehouse, "O-TEST-2", "new.person.7781@163.com", crm_id)
    _dbt_run(warehouse, tmp_path, *IDENTITY_REBUILD)
    assert _customer_of(warehouse, "orders.orders:O-TEST-1") == member
    merge = _query(
        warehouse,
        "select customer_id, other_customer_id, evidence from marts.identity_events "
        "where event_type = 'merge'",
    )
    assert [(m[0], m[1]) for m in merge] == [(member, newcomer)]
    assert "orders.orders:O-TEST-2" in merge[0][2]

    # The bridging order is deleted at the source: the customer splits, the member keeps its id.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw_orders.orders where record_key = 'O-TEST-2'")
    _dbt_run(warehouse, tmp_path, *IDENTITY_REBUILD)
    assert _customer_of(warehouse, member_record) == member
    split_off = _customer_of(warehouse, "orders.orders:O-TEST-1")
    assert split_off != member
    split = _query(
        warehouse,
        "select customer_id, other_customer_id from marts.identity_events "
        "where event_type = 'split'",
    )
    assert split == [(member, split_off)]
    # The order carried a CRM number and an email: the attachment of hard ids was recomputed
    # from scratch (an edge went away), the soft graph (no soft edge lost) only incrementally.
    modes = _query(
        warehouse,
        "select mode, reason from intermediate.int_identity_components_deterministic__runs "
        "order by finished_at",
    )
    assert modes[-1][0] == "full" and "removed" in modes[-1][1]
