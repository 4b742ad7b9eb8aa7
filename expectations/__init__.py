"""Great Expectations suites, one module per validated table, run as Dagster asset checks.

- :mod:`expectations.suite`: what a suite is (a table, its key, expectations by batch) and the
  expectations every suite shares.
- :mod:`expectations.raw`: the raw tables, generated from their kind and ``sources.yml``.
- :mod:`expectations.staging`: the staging models.
- :mod:`expectations.runner`: validation on pandas chunks read from DuckDB, merged on totals.
- :mod:`expectations.context`: the GX contexts, the validation store and the Data Docs.

The Dagster side is :mod:`orchestration.checks`.
"""
