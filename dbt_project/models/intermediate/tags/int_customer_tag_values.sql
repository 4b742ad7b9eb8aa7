{#-
    Every tag but the model scores, one row per unified customer, as of tags_as_of: the profile,
    the stored traits, and the rules of the registry evaluated over them (macros/tags/).
-#}

{{ cdp_tag_values_sql(
    [ref('int_customer_traits'), ref('int_customer_traits_full')],
    cdp_tags_as_of()
) }}
