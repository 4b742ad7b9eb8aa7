"""The `cdp` command: demo, generate, load, prepare, explain, tags and audiences (validate |
compile)."""

from __future__ import annotations

import argparse
import sys


def _prepare() -> int:
    """Parse the dbt project so target/manifest.json exists before definitions load."""
    from orchestration.project import prepare_manifest

    print(f"dbt manifest: {prepare_manifest()}")
    return 0


def _generate(argv: list[str]) -> int:
    import runpy

    sys.argv = ["python -m ingestion.sample_data", *argv]
    runpy.run_module("ingestion.sample_data", run_name="__main__")
    return 0


def _load() -> int:
    """Run the ingestion job (every source) against the instance at DAGSTER_HOME."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.demo import ensure_dagster_home

    ensure_dagster_home()
    with DagsterInstance.get() as instance:
        result = defs.resolve_job_def("ingestion").execute_in_process(
            instance=instance, raise_on_error=False
        )
    return 0 if result.success else 1


def _explain(argv: list[str]) -> int:
    """Print the chain of shared identifiers joining two records of one customer."""
    import duckdb

    from ingestion.settings import get_settings
    from orchestration.identity.explain import explain_link

    parser = argparse.ArgumentParser(
        prog="cdp explain",
        description="Why two records ('<source>.<table>:<key>') are one unified customer.",
    )
    parser.add_argument("record_a")
    parser.add_argument("record_b")
    args = parser.parse_args(argv)
    # Read-only: it may run while no pipeline holds the file (DuckDB has one writer).
    with duckdb.connect(str(get_settings().duckdb_path), read_only=True) as con:
        explanation = explain_link(con, args.record_a, args.record_b)
    if explanation.same_customer:
        print(f"{args.record_a} and {args.record_b} are {explanation.unified_customer_id}:")
    print(explanation.as_text())
    return 0 if explanation.same_customer else 1


def _tags(argv: list[str]) -> int:
    """Validate the tag registry (dbt_project/tags/) and compile it for dbt."""
    from collections import Counter

    from orchestration.tags.compiler import GENERATED_MACRO, compile_registry
    from orchestration.tags.registry import RegistryError

    parser = argparse.ArgumentParser(
        prog="cdp tags",
        description="validate: check the registry and compile it; compile: the same, quietly.",
    )
    parser.add_argument("action", choices=["validate", "compile"])
    args = parser.parse_args(argv)
    try:
        registry, changed = compile_registry()
    except (RegistryError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    if args.action == "validate":
        by_category = Counter(tag.category for tag in registry.tags)
        by_kind = Counter(tag.kind for tag in registry.tags)
        print(f"tag registry valid: {len(registry.tags)} tags, {len(registry.facts)} facts")
        for category, count in sorted(by_category.items()):
            print(f"  {category:<14} {count:>3}")
        print("  by definition: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
    print(f"{'wrote' if changed else 'up to date:'} {GENERATED_MACRO}")
    return 0


def _audiences(argv: list[str]) -> int:
    """Validate the audience registry (dbt_project/audiences/) and compile it for dbt."""
    from collections import Counter

    from orchestration.audiences.compiler import GENERATED_MACRO, compile_audiences
    from orchestration.audiences.registry import AudienceError
    from orchestration.tags.registry import RegistryError

    parser = argparse.ArgumentParser(
        prog="cdp audiences",
        description="validate: check the audiences against the tag registry and compile them; "
        "compile: the same, quietly.",
    )
    parser.add_argument("action", choices=["validate", "compile"])
    args = parser.parse_args(argv)
    try:
        registry, changed = compile_audiences()
    except (AudienceError, RegistryError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    if args.action == "validate":
        by_channel = Counter(audience.channel for audience in registry.audiences)
        files = {audience.file for audience in registry.audiences}
        print(f"audience registry valid: {len(registry.audiences)} audiences in {len(files)} files")
        for channel, count in sorted(by_channel.items()):
            print(f"  {channel:<8} {count:>3}")
    print(f"{'wrote' if changed else 'up to date:'} {GENERATED_MACRO}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="cdp", description=__doc__)
    parser.add_argument(
        "command",
        choices=["demo", "generate", "load", "prepare", "explain", "tags", "audiences"],
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from orchestration.demo import main as demo_main

        return demo_main(rest)
    if args.command == "generate":
        return _generate(rest)
    if args.command == "load":
        return _load()
    if args.command == "explain":
        return _explain(rest)
    if args.command == "tags":
        return _tags(rest)
    if args.command == "audiences":
        return _audiences(rest)
    return _prepare()


if __name__ == "__main__":
    sys.exit(main())
