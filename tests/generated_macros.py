"""Call a generated registry macro (orchestration/generated_macros.py) as dbt would."""

from __future__ import annotations

import json
from typing import Any

import jinja2
import pytest


class _Returned(Exception):
    """How dbt's return() leaves a macro."""

    def __init__(self, value: Any):
        self.value = value


def _raise_return(value: Any) -> None:
    raise _Returned(value)


def run_macro(macro: str, name: str) -> dict[str, Any]:
    """Render the macro text with Jinja, with dbt's return() and fromjson(), and call ``name``."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.globals.update({"return": _raise_return, "fromjson": json.loads})
    template = environment.from_string(macro + "{{ " + name + "() }}")
    with pytest.raises(_Returned) as returned:
        template.render()
    return returned.value.value
