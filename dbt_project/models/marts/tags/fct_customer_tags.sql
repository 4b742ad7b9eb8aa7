{#-
    One row per unified customer and tag that has a value: every tag of the registry, model
    scores included, as of tags_as_of. The long form that activation, audiences and the tag
    history read; dim_customer_tags has the same values one column per tag.
-#}

with

tag_values as (

    select * from {{ ref('int_customer_tag_values') }}

),

model_scores as (

    select * from {{ ref('int_customer_model_scores') }}

),

long_values as (

    {{ cdp_tags_long_sql(cdp_tag_list(exclude_kinds=['model_score']), 'tag_values') | indent(4) }}

    union all

    {{ cdp_tags_long_sql(cdp_tag_list(kinds=['model_score']), 'model_scores') | indent(4) }}

),

final as (

    select
        long_values.unified_customer_id,
        long_values.tag_name,
        long_values.category,
        long_values.value_type,
        long_values.tag_value,
        long_values.tag_value_number,
        long_values.tag_version,
        {{ cdp_tags_as_of() }} as as_of,
        {{ cdp_tag_timestamp(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }} as computed_at
    from long_values

)

select * from final
