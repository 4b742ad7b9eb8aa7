"""Deterministic sample landing data for a fictional omni-channel retailer, with ground truth.

``generate(persons, seed, out)`` writes ``out/landing/<source>/...`` (the files ``sources.yml``
maps), ``out/ground_truth/ground_truth.parquet`` (one row per written record: source, table,
record_key, person_id, plus file, row and issue) and ``out/ground_truth/manifest.json`` (exact
row counts per table and file, and counts of every kind of injected mess).

Determinism: all randomness comes from numpy ``PCG64`` streams seeded from ``seed`` and a fixed
id per module; no wall-clock time, no Python ``hash``; DuckDB output is always explicitly ordered.
The same seed and arguments give byte-identical files.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingestion.sample_data import settings as S
from ingestion.sample_data.crm import generate_crm
from ingestion.sample_data.email import generate_email
from ingestion.sample_data.events import generate_events
from ingestion.sample_data.orders import generate_orders
from ingestion.sample_data.persons import Window, generate_persons
from ingestion.sample_data.service import generate_service
from ingestion.sample_data.wechat import generate_wechat
from ingestion.sample_data.writers import Output, connect

__all__ = ["Manifest", "default_start_date", "generate", "load_manifest"]

# 2: persons prefer product categories (orders, views); Segment consent preference events;
# sessions that end in an order view a product before adding it to the cart.
GENERATOR_VERSION = 2


@dataclass(frozen=True)
class Manifest:
    """What one run wrote. ``tables`` is keyed ``"<source>.<table>"`` like the JSON file."""

    root: Path
    meta: dict[str, Any]
    tables: dict[str, dict[str, Any]]
    timings_s: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def landing_dir(self) -> Path:
        return self.root / "landing"

    @property
    def ground_truth_path(self) -> Path:
        return self.root / "ground_truth" / "ground_truth.parquet"

    @property
    def manifest_path(self) -> Path:
        return self.root / "ground_truth" / "manifest.json"

    def rows(self, table: str) -> int:
        return int(self.tables[table]["rows"])


def default_start_date(end_date: date) -> date:
    """First day of the month ``WINDOW_MONTHS - 1`` months before the end date's month."""
    months = end_date.year * 12 + end_date.month - 1 - (S.WINDOW_MONTHS - 1)
    return date(months // 12, months % 12 + 1, 1)


def load_manifest(root: Path) -> Manifest:
    data = json.loads((root / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))
    meta = data.pop("_meta")
    return Manifest(root=root, meta=meta, tables=data)


def generate(
    persons: int,
    seed: int,
    out: Path,
    *,
    start_date: date | None = None,
    end_date: date | None = None,
) -> Manifest:
    """Generate the landing files, ground truth and manifest for ``persons`` people under ``out``.

    Replaces ``out/landing`` and ``out/ground_truth`` (and nothing else under ``out``).
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    end = end_date or S.DEFAULT_END_DATE
    start = start_date or default_start_date(end)
    window = Window.build(start, end)
    out = Path(out)
    con = connect()
    output = Output(out, con)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    people = generate_persons(con, persons, seed, window)
    lap("persons")
    generate_crm(output, people, seed, end)
    lap("crm")
    generate_orders(output, people, seed)
    lap("orders")
    generate_events(output, people, seed)
    lap("events")
    generate_email(output, people, seed)
    lap("email")
    generate_service(output, people, seed)
    lap("service")
    generate_wechat(output, people, seed)
    lap("wechat")
    meta = {
        "generator_version": GENERATOR_VERSION,
        "persons": persons,
        "seed": seed,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "months": list(window.month_labels),
        "local_timezone": "Asia/Shanghai",
        "ground_truth_row": (
            "row = 1-based physical line for CSV (header is line 1) and JSONL, 1-based array "
            "position for JSON arrays, 1-based row for parquet; records whose key is unusable "
            "(issue bad_json, missing_key, bad_field_count) have record_key '<file>:<row>' with "
            "file relative to landing/"
        ),
    }
    manifest = output.finish(meta)
    lap("ground_truth")
    con.close()
    manifest.pop("_meta")
    return Manifest(root=out, meta=meta, tables=manifest, timings_s=timings)
