"""Compile the validated tag registry into the dbt macro the tag models read.

dbt's Jinja cannot read files, so `cdp tags compile` (run by `cdp prepare`, `make validate` and
whenever the Dagster definitions load) writes the validated registry as JSON inside a macro,
``cdp_tag_registry_compiled()``, in ``dbt_project/macros/tags/generated/`` (not committed: it is
built from the YAML). Free SQL in it has already been parsed, allow-listed and re-rendered with
quoted identifiers for each dialect, so the macros only place it.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.generated_macros import MACROS_DIR, json_macro, write_if_changed
from orchestration.tags.registry import REGISTRY_DIR, Registry, load_registry

GENERATED_MACRO = MACROS_DIR / "tags" / "generated" / "tag_registry_compiled.sql"


def render_macro(registry: Registry) -> str:
    return json_macro(
        "cdp_tag_registry_compiled",
        registry.as_json(),
        generated_by="`cdp tags compile` from dbt_project/tags/*.yml",
        what="the tag registry",
    )


def compile_registry(
    directory: Path = REGISTRY_DIR, target: Path = GENERATED_MACRO, *, check: bool = False
) -> tuple[Registry, bool]:
    """Validate the registry and write the macro; returns (registry, whether the file changed).

    With ``check`` nothing is written: the return says whether the file is stale.
    """
    registry = load_registry(directory)
    return registry, write_if_changed(target, render_macro(registry), check=check)
