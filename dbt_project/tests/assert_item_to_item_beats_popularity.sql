{{ config(severity='warn') }}

{#-
    The item-to-item recommender must beat the popularity baseline on the hold-out
    (marts/recommendations/recommendation_evaluation): a warning, with both rows, when its hit
    rate@k is not higher. Data without co-purchase or co-view signal cannot beat popularity.
    Judged only on enough hold-out buyers (recommendation_config().min_customers_evaluated): on a
    few dozen, either method can win by chance.
-#}

{%- set min_customers = recommendation_config().min_customers_evaluated %}

with

evaluation as (

    select * from {{ ref('recommendation_evaluation') }}

),

item_to_item as (

    select *
    from evaluation
    where method = 'item_to_item'

),

popularity as (

    select *
    from evaluation
    where method = 'popularity'

),

final as (

    select
        item_to_item.hit_rate_at_k as item_to_item_hit_rate_at_k,
        popularity.hit_rate_at_k as popularity_hit_rate_at_k,
        item_to_item.customers_evaluated
    from item_to_item
    cross join popularity
    where
        coalesce(item_to_item.hit_rate_at_k, 0) <= coalesce(popularity.hit_rate_at_k, 0)
        and item_to_item.customers_evaluated >= {{ min_customers | int }}

)

select * from final
