"""Raw-layer suites: one module per table of a kind, applied to every source of that kind.

A raw table's name and columns come from its kind (``ingestion/kinds.py``) and its source from
``sources.yml``, so the suites are generated from both: :mod:`expectations.raw.builder` writes
the structure every raw table shares, and the module of the table (``<kind>__<entity>.py``) adds
what is specific to it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from expectations.raw import (
    crm__customers,
    email__email_events,
    events__events,
    orders__order_lines,
    orders__orders,
    service__tickets,
    social__followers,
    social__interactions,
)
from expectations.raw.builder import RawTable, raw_suite, raw_table
from expectations.suite import Expectations, TableSuite
from ingestion.config import SourcesConfig, load_sources_config

_MODULES: tuple[ModuleType, ...] = (
    crm__customers,
    orders__orders,
    orders__order_lines,
    events__events,
    email__email_events,
    service__tickets,
    social__followers,
    social__interactions,
)
TABLE_MODULES: dict[tuple[str, str], Callable[[RawTable], Expectations]] = {
    (module.KIND, module.ENTITY): module.expectations for module in _MODULES
}


def raw_suites(config: SourcesConfig | None = None) -> list[TableSuite]:
    """One suite per entity table of every source of the sources file."""
    config = config or load_sources_config()
    suites = []
    for source_name, source in config.sources.items():
        for entity_name in source.tables:
            specific = TABLE_MODULES[(source.kind, entity_name)]
            suites.append(raw_suite(raw_table(source_name, source, entity_name), specific))
    return suites
