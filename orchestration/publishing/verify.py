"""Does the published copy open read-only and hold what the live marts hold? (the asset check)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.publishing.writer import META_TABLE, discover_relations, two_part


@dataclass(frozen=True)
class Verification:
    """Row counts of the published copy against the live warehouse, table by table."""

    run_id: str | None
    published: dict[str, int]
    live: dict[str, int]
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def published_counts(path: Path) -> tuple[str | None, dict[str, int], list[str]]:
    """Open the copy read-only: its run id, rows per table counted, and disagreements with
    its own ``_published`` table."""
    problems: list[str] = []
    with duckdb.connect(str(path), read_only=True) as con:
        meta = con.execute(
            f"select run_id, table_schema, table_name, row_count from {two_part(*META_TABLE)}"
        ).fetchall()
        run_ids = {row[0] for row in meta}
        counts = {}
        for _, schema, name, expected in meta:
            (rows,) = con.execute(f"select count(*) from {two_part(schema, name)}").fetchone() or (
                None,
            )
            counts[f"{schema}.{name}"] = rows
            if rows != expected:
                problems.append(f"{schema}.{name}: {rows} rows, {expected} in {META_TABLE[1]}")
    if len(run_ids) > 1:
        problems.append(f"{META_TABLE[1]} mixes runs {sorted(run_ids)}")
    return (next(iter(run_ids)) if run_ids else None), counts, problems


def live_counts(live_path: Path, schemas: Sequence[str]) -> dict[str, int]:
    """Rows per table and view of ``schemas`` in the live warehouse (opened read-only)."""
    with duckdb.connect(str(live_path), read_only=True) as con:
        counts = {}
        for source in discover_relations(con, schemas):
            (rows,) = con.execute(
                f"select count(*) from {two_part(source.schema, source.name)}"
            ).fetchone() or (None,)
            counts[f"{source.schema}.{source.name}"] = rows
    return counts


def verify_published(path: Path, live_path: Path, schemas: Sequence[str]) -> Verification:
    """The copy opens read-only, and has the same tables and row counts as the live schemas."""
    if not path.is_file():
        return Verification(None, {}, {}, [f"{path} does not exist"])
    try:
        run_id, published, problems = published_counts(path)
    except duckdb.Error as error:
        return Verification(None, {}, {}, [f"{path} does not open read-only: {error}"])
    live = live_counts(live_path, schemas)
    for name in sorted(live.keys() - published.keys()):
        problems.append(f"{name}: in the live warehouse, not published")
    for name in sorted(published.keys() - live.keys()):
        problems.append(f"{name}: published, no longer in the live warehouse")
    for name in sorted(live.keys() & published.keys()):
        if live[name] != published[name]:
            problems.append(f"{name}: {published[name]} rows published, {live[name]} live")
    return Verification(run_id, published, live, problems)
