"""Why two records are one customer: the shortest chain of shared identifiers between them.

The evidence graph is bipartite: records and the identifiers that link them
(intermediate.int_identity_record_nodes), plus accepted probabilistic pairs between records
(intermediate.int_identity_probabilistic_edges). A breadth-first search inside the one customer
finds the chain with the fewest hops, e.g. ``crm.customers:C1 --email:a@x.com--> orders.orders:O7
--phone:+8613...--> events.events:E9``. A customer's records are few, so this is read on demand
rather than stored for every pair.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Link:
    """One hop: from_record and to_record share ``via`` (an identifier or a probabilistic match)."""

    from_record: str
    to_record: str
    edge_type: str  # deterministic | probabilistic
    via: str

    def __str__(self) -> str:
        return f"{self.from_record} --{self.via}--> {self.to_record}"


@dataclass(frozen=True)
class Explanation:
    record_a: str
    record_b: str
    unified_customer_id: str | None
    links: tuple[Link, ...]
    reason: str

    @property
    def same_customer(self) -> bool:
        return self.unified_customer_id is not None

    def as_text(self) -> str:
        if not self.links:
            return self.reason
        return "\n".join(str(link) for link in self.links)


def _customer_of(con: duckdb.DuckDBPyConnection, record_id: str) -> str | None:
    rows = con.execute(
        "select unified_customer_id from marts.dim_customer_records where record_id = ?",
        [record_id],
    ).fetchall()
    return rows[0][0] if rows else None


def explain_link(con: duckdb.DuckDBPyConnection, record_a: str, record_b: str) -> Explanation:
    """The shortest chain of links between two records (``'<source>.<table>:<key>'``)."""
    customer_a, customer_b = _customer_of(con, record_a), _customer_of(con, record_b)
    for record, customer in ((record_a, customer_a), (record_b, customer_b)):
        if customer is None:
            return Explanation(record_a, record_b, None, (), f"{record} is not a staged record")
    if customer_a != customer_b:
        return Explanation(
            record_a,
            record_b,
            None,
            (),
            f"different customers: {record_a} is {customer_a}, {record_b} is {customer_b}",
        )
    if record_a == record_b:
        return Explanation(record_a, record_b, customer_a, (), "the same record")

    memberships = con.execute(
        """
        select record_nodes.record_id, record_nodes.identifier_type || ':'
            || record_nodes.identifier_value
        from marts.dim_customer_records as records
        join intermediate.int_identity_record_nodes as record_nodes using (record_id)
        where records.unified_customer_id = ?
            and record_nodes.identifier_type <> 'source_record'
        """,
        [customer_a],
    ).fetchall()
    matches = con.execute(
        """
        select sample_record_id_l, sample_record_id_r, match_probability, model_version
        from intermediate.int_identity_probabilistic_edges
        where sample_record_id_l in (
            select record_id from marts.dim_customer_records where unified_customer_id = ?
        )
        """,
        [customer_a],
    ).fetchall()

    # Adjacency over ('r', record) and ('i', identifier) vertices; probabilistic pairs join records.
    neighbours: dict[tuple[str, str], list[tuple[tuple[str, str], str, str]]] = {}

    def connect(a: tuple[str, str], b: tuple[str, str], edge_type: str, via: str) -> None:
        neighbours.setdefault(a, []).append((b, edge_type, via))
        neighbours.setdefault(b, []).append((a, edge_type, via))

    for record, identifier in sorted(memberships):
        connect(("r", record), ("i", identifier), "deterministic", identifier)
    for left, right, probability, version in sorted(matches):
        via = f"probabilistic match p={probability:.3f} (model {version})"
        connect(("r", left), ("r", right), "probabilistic", via)

    start, goal = ("r", record_a), ("r", record_b)
    parent: dict[tuple[str, str], tuple[tuple[str, str], str, str] | None] = {start: None}
    queue = deque([start])
    while queue and goal not in parent:
        vertex = queue.popleft()
        for other, edge_type, via in neighbours.get(vertex, ()):
            if other not in parent:
                parent[other] = (vertex, edge_type, via)
                queue.append(other)
    if goal not in parent:
        return Explanation(
            record_a,
            record_b,
            customer_a,
            (),
            "no chain of linking identifiers: the records share a customer through an "
            "identifier that links only as a whole unit (conflicting component)",
        )

    # Walk back from the goal; collapse record -> identifier -> record into one link.
    path: list[tuple[tuple[str, str], str, str]] = []
    vertex = goal
    while (step := parent[vertex]) is not None:
        path.append((vertex, step[1], step[2]))
        vertex = step[0]
    path.reverse()
    links: list[Link] = []
    previous_record = record_a
    for vertex, edge_type, via in path:
        if vertex[0] == "r":
            links.append(Link(previous_record, vertex[1], edge_type, via))
            previous_record = vertex[1]
    return Explanation(record_a, record_b, customer_a, tuple(links), "linked")


def sample_explanations(con: duckdb.DuckDBPyConnection, samples: int = 3) -> list[Explanation]:
    """Explanations for a few customers spanning the most sources: one record of the most trusted
    source against one record of the least trusted, chosen deterministically."""
    rows = con.execute(
        f"""
        with spread as (
            select unified_customer_id, count(distinct source_name) as sources
            from marts.dim_customer_records group by unified_customer_id
        ),
        chosen as (
            select unified_customer_id from spread where sources >= 3
            order by sources desc, unified_customer_id limit {int(samples)}
        ),
        ends as (
            select records.unified_customer_id,
                min(records.record_id) filter (where records.source_name = 'crm') as crm_record,
                max(records.record_id) filter (where records.source_name <> 'crm') as other_record
            from marts.dim_customer_records as records
            join chosen using (unified_customer_id)
            group by records.unified_customer_id
        )
        select crm_record, other_record from ends
        where crm_record is not null and other_record is not null
        order by unified_customer_id
        """
    ).fetchall()
    return [explain_link(con, a, b) for a, b in rows]
