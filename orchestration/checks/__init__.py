"""Asset checks beyond dbt's tests: the Great Expectations suites of expectations/."""

from orchestration.checks.gx import RATES_CHECK, STRUCTURE_CHECK, build_gx_checks

__all__ = ["RATES_CHECK", "STRUCTURE_CHECK", "build_gx_checks"]
