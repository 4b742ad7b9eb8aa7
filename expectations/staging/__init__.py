"""Staging-layer suites: one module per staging model (``stg_<source>__<entity>s.py``).

The shared promises of every staging model are in :mod:`expectations.staging.conventions`.
"""

from __future__ import annotations

from expectations.staging import (
    stg_crm__customers,
    stg_email__email_events,
    stg_events__events,
    stg_orders__order_lines,
    stg_orders__orders,
    stg_service__tickets,
    stg_wechat__followers,
    stg_wechat__interactions,
)
from expectations.suite import TableSuite

_MODULES = (
    stg_crm__customers,
    stg_orders__orders,
    stg_orders__order_lines,
    stg_events__events,
    stg_email__email_events,
    stg_service__tickets,
    stg_wechat__followers,
    stg_wechat__interactions,
)


def staging_suites() -> list[TableSuite]:
    return [module.SUITE for module in _MODULES]
