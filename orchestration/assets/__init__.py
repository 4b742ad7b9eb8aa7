"""Asset definitions: raw tables loaded by dlt, then the dbt models built on them."""
