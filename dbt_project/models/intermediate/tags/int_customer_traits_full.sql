{#- The traits (fact aggregates) of the registry with refresh: full, recomputed every build. -#}

{{ cdp_tag_traits_sql(cdp_tags_as_of(), refresh='full') }}
