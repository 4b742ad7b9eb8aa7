"""Great Expectations suites, one module per validated table, run as Dagster asset checks.

The suites arrive with the cleansing work (staging normalisation); until then the raw layer is
guarded by the loader's own rules (types, required fields, quarantine) and dbt's key tests.
"""
