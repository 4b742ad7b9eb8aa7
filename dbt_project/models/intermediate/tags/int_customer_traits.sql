{#-
    The traits (fact aggregates) of the registry with refresh: incremental, as of tags_as_of.
    Each build recomputes only the customers whose facts or identity changed, or whose facts left
    a window (macros/tags/incremental_traits.sql); --full-refresh recomputes everyone.
-#}

-- depends_on: {{ ref('int_identity_record_customers') }}

{{ config(post_hook=[
    "{{ cdp_traits_records_hook(0) }}",
    "{{ cdp_traits_records_hook(1) }}",
]) }}

{{ cdp_incremental_traits_sql('incremental') }}
