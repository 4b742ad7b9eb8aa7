{#-
    The model-score tags of the registry (category model_score), one row per scored customer,
    from the tables the model assets write. Empty until a model asset has run once, so that
    `dbt build` alone still builds every other tag. Scores of customer ids that a later identity
    build retired (merged away) are dropped until the model scores again.
-#}

{%- set scores = source('ml', 'propensity_scores') -%}
{%- set scores_exist = (
    execute and adapter.get_relation(scores.database, scores.schema, scores.identifier) is not none
) -%}

with

customers as (

    select unified_customer_id from {{ ref('int_customers_enriched') }}

),

{% if scores_exist %}

scores as (

    select
        unified_customer_id,
        model_name,
        score,
        decile
    from {{ scores }}

),

{% else %}

    scores as (

        select
            cast(null as {{ dbt.type_string() }}) as unified_customer_id,
            cast(null as {{ dbt.type_string() }}) as model_name,
            cast(null as double) as score,
            cast(null as integer) as decile
        where 1 = 0

    ),

{% endif %}

final as (

    select
        scores.unified_customer_id,
        {{ cdp_model_score_columns() | indent(4) }}
    from scores
    inner join customers
        on scores.unified_customer_id = customers.unified_customer_id
    group by scores.unified_customer_id

)

select * from final
