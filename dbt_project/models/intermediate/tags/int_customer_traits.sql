{#-
    The traits (fact aggregates) of the registry with refresh: incremental, as of tags_as_of.
    Each build recomputes only the customers whose facts or records changed, or whose facts left
    a window (macros/tags/incremental_traits.sql); --full-refresh recomputes everyone.
-#}

{{ cdp_incremental_traits_sql('incremental') }}
