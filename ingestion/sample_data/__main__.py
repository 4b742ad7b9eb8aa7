"""CLI: ``python -m ingestion.sample_data --persons N --seed S --out DIR``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from ingestion.sample_data import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.sample_data",
        description="Generate deterministic sample landing files with ground truth.",
    )
    parser.add_argument("--persons", type=int, default=2000, help="number of true persons")
    parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same bytes)")
    parser.add_argument("--out", type=Path, required=True, help="output root directory")
    parser.add_argument(
        "--start-date",
        type=date.fromisoformat,
        default=None,
        help="first day (default: 12 months ending with the end date's month)",
    )
    parser.add_argument(
        "--end-date", type=date.fromisoformat, default=None, help="last day (default 2026-11-30)"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    manifest = generate(
        args.persons, args.seed, args.out, start_date=args.start_date, end_date=args.end_date
    )
    elapsed = time.perf_counter() - began
    print(
        f"wrote {manifest.landing_dir} ({args.persons} persons, seed {args.seed}, "
        f"{manifest.meta['start_date']}..{manifest.meta['end_date']}) in {elapsed:.1f}s"
    )
    for name, entry in manifest.tables.items():
        issues = ", ".join(f"{k}={v}" for k, v in entry["issues"].items()) or "-"
        print(
            f"  {name:<22} {entry['rows']:>10,} rows in {len(entry['files']):>2} files; "
            f"issues: {issues}"
        )
    print(f"ground truth: {manifest.ground_truth_path}")
    print(f"manifest:     {manifest.manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
