{#-
    One row per recommender (item_to_item: the production recommender, item-to-item with its
    popularity fill; popularity: the popularity baseline alone), measured on a hold-out: both are
    re-run by the production macros as of cutoff = tags_as_of - holdout_days, on the data known
    then, and compared with the purchases in (cutoff, tags_as_of].

    Customers evaluated: those with a hold-out purchase (purchase signal) of a product they had
    not bought by the cutoff. For each:
      hit rate@k   share of them who bought at least one recommended product in the hold-out;
      precision@k  recommended products bought / recommendations made;
      recall@k     mean over customers of (recommended products bought / new products bought);
      coverage     distinct products recommended / products with any signal by the cutoff.
-#}

{%- set config = recommendation_config() -%}
{%- set as_of = cdp_tags_as_of() -%}
{%- set cutoff = dbt.dateadd('day', -1 * config.holdout_days, as_of) -%}

with

interactions as (

    select * from {{ ref('int_recommendation_interactions') }}

),

holdout_purchases as (

    select distinct
        interactions.unified_customer_id,
        interactions.sku
    from interactions
    where
        interactions.interaction_type = 'purchase'
        and interactions.is_signal
        and interactions.interacted_at > {{ cutoff }}
        and interactions.interacted_at <= {{ as_of }}

),

bought_before_cutoff as (

    select distinct
        interactions.unified_customer_id,
        interactions.sku
    from interactions
    where
        interactions.is_bought
        and interactions.interacted_at <= {{ cutoff }}

),

new_purchases as (

    select
        holdout_purchases.unified_customer_id,
        holdout_purchases.sku
    from holdout_purchases
    left join bought_before_cutoff
        on
            holdout_purchases.unified_customer_id = bought_before_cutoff.unified_customer_id
            and holdout_purchases.sku = bought_before_cutoff.sku
    where bought_before_cutoff.sku is null

),

evaluated_customers as (

    select
        new_purchases.unified_customer_id,
        count(*) as new_products
    from new_purchases
    group by new_purchases.unified_customer_id

),

catalogue as (

    select count(distinct interactions.sku) as products
    from interactions
    where interactions.is_signal and interactions.interacted_at <= {{ cutoff }}

),

training_similarities as (

    {{ recommendation_similarities('interactions', cutoff) | indent(4) }}

),

item_to_item_recommendations as (

    {{ recommendation_scores(
        'interactions', 'training_similarities', 'evaluated_customers', cutoff
    ) | indent(4) }}

),

popularity_recommendations as (

    {{ recommendation_scores(
        'interactions', 'training_similarities', 'evaluated_customers', cutoff,
        item_to_item=false
    ) | indent(4) }}

),

recommendations as (

    select
        'item_to_item' as recommender,
        item_to_item_recommendations.unified_customer_id,
        item_to_item_recommendations.sku,
        item_to_item_recommendations.method
    from item_to_item_recommendations
    union all
    select
        'popularity' as recommender,
        popularity_recommendations.unified_customer_id,
        popularity_recommendations.sku,
        popularity_recommendations.method
    from popularity_recommendations

),

customer_results as (

    select
        recommendations.recommender,
        recommendations.unified_customer_id,
        count(*) as recommended,
        count(new_purchases.sku) as hits,
        count(*) filter (where recommendations.method = 'item_to_item') as item_to_item_recommended
    from recommendations
    left join new_purchases
        on
            recommendations.unified_customer_id = new_purchases.unified_customer_id
            and recommendations.sku = new_purchases.sku
    group by recommendations.recommender, recommendations.unified_customer_id

),

recommender_products as (

    select
        recommendations.recommender,
        count(distinct recommendations.sku) as products_recommended
    from recommendations
    group by recommendations.recommender

),

recommenders as (

    select 'item_to_item' as recommender
    union all
    select 'popularity' as recommender

),

customer_grid as (

    -- Every evaluated customer counts for every recommender, with or without recommendations.
    select
        recommenders.recommender,
        evaluated_customers.unified_customer_id,
        evaluated_customers.new_products,
        coalesce(customer_results.recommended, 0) as recommended,
        coalesce(customer_results.hits, 0) as hits,
        coalesce(customer_results.item_to_item_recommended, 0) as item_to_item_recommended
    from recommenders
    cross join evaluated_customers
    left join customer_results
        on
            recommenders.recommender = customer_results.recommender
            and evaluated_customers.unified_customer_id = customer_results.unified_customer_id

),

summary as (

    select
        customer_grid.recommender,
        count(*) as customers_evaluated,
        count(*) filter (where customer_grid.item_to_item_recommended > 0)
            as customers_with_item_to_item,
        count(*) filter (where customer_grid.hits > 0) as customers_with_hit,
        cast(sum(customer_grid.recommended) as {{ dbt.type_bigint() }}) as recommendations_made,
        cast(sum(customer_grid.hits) as {{ dbt.type_bigint() }}) as recommendations_bought,
        avg(customer_grid.hits * 1.0 / customer_grid.new_products) as recall_at_k
    from customer_grid
    group by customer_grid.recommender

),

final as (

    select
        summary.recommender as method,  -- noqa: RF04
        {{ config.k }} as k,
        {{ cutoff }} as cutoff_at,
        {{ as_of }} as holdout_ends_at,
        {{ config.holdout_days }} as holdout_days,
        summary.customers_evaluated,
        summary.customers_with_item_to_item,
        summary.customers_with_hit,
        summary.customers_with_hit * 1.0 / nullif(summary.customers_evaluated, 0)
            as hit_rate_at_k,
        summary.recommendations_bought * 1.0 / nullif(summary.recommendations_made, 0)
            as precision_at_k,
        summary.recall_at_k,
        coalesce(recommender_products.products_recommended, 0) * 1.0
        / nullif(catalogue.products, 0) as catalogue_coverage,
        summary.recommendations_made,
        summary.recommendations_bought
    from summary
    cross join catalogue
    left join recommender_products
        on summary.recommender = recommender_products.recommender

)

select * from final
