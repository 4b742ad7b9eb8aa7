"""Compile the validated audience registry into the dbt macro the audience models read.

Like the tag registry (``orchestration/tags/compiler.py``): dbt's Jinja cannot read files, so
``cdp audiences compile`` (run by ``cdp prepare``, ``make validate`` and whenever the Dagster
definitions load) writes the validated audiences as JSON inside a macro,
``cdp_audience_registry_compiled()``, in ``dbt_project/macros/audiences/generated/`` (not
committed). Conditions in it were parsed, allow-listed and rendered with quoted identifiers
per dialect, so the macros only place them.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.audiences.registry import AUDIENCES_DIR, AudienceRegistry, load_audiences
from orchestration.generated_macros import MACROS_DIR, json_macro, write_if_changed
from orchestration.tags.registry import Registry

GENERATED_MACRO = MACROS_DIR / "audiences" / "generated" / "audience_registry_compiled.sql"


def render_macro(registry: AudienceRegistry) -> str:
    return json_macro(
        "cdp_audience_registry_compiled",
        registry.as_json(),
        generated_by="`cdp audiences compile` from dbt_project/audiences/*.yml",
        what="the audience registry",
    )


def compile_audiences(
    directory: Path = AUDIENCES_DIR,
    target: Path = GENERATED_MACRO,
    *,
    tags: Registry | None = None,
    check: bool = False,
) -> tuple[AudienceRegistry, bool]:
    """Validate the audiences and write the macro; returns (registry, whether the file changed).

    With ``check`` nothing is written: the return says whether the file is stale.
    """
    registry = load_audiences(directory, tags)
    return registry, write_if_changed(target, render_macro(registry), check=check)
