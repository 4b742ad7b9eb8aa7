{#-
    One row per unified customer and as-of date with the numeric traits and encoded tags of the
    registry, point-in-time correct: each date's values come only from facts that happened at or
    before it (cdp_customer_tags_as_of), for the customers known by then. Numbers and scores as
    they are, booleans as 0/1, enums one-hot (<tag>__<value>); timestamps (see the days_since
    tags) and free text are left out, and so are model scores (models train on this table).
    The dates: cdp_tag_feature_dates (month starts, then tags_as_of).
-#}

with

tag_values as (

    {{ cdp_customer_tags_at_dates(cdp_tag_feature_dates()) | indent(4) }}

),

final as (

    select
        unified_customer_id,
        as_of,
        {{ cdp_tag_feature_columns() | indent(4) }}
    from tag_values

)

select * from final
