{#-
    One row per unified customer and rank (top k, default 10): the next products to offer, as of
    tags_as_of (macros/recommendations/recommendation_scores.sql): item-to-item from the
    customer's recent purchases and views, never a product they already bought, then the most
    popular products they have not bought (method popularity_fallback).
-#}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

interactions as (

    select * from {{ ref('int_recommendation_interactions') }}

),

similarities as (

    select * from {{ ref('product_similarities') }}

),

products as (

    select * from {{ ref('int_recommendation_products') }}

),

recommendations as (

    {{ recommendation_scores(
        'interactions', 'similarities', 'customers', cdp_tags_as_of()
    ) | indent(4) }}

),

final as (

    select
        recommendations.unified_customer_id,
        recommendations.recommendation_rank,
        recommendations.sku,
        products.product_name,
        products.category,
        recommendations.score,
        recommendations.method,
        recommendations.reason_sku,
        reason_products.product_name as reason_product_name,
        {{ cdp_tags_as_of() }} as recommended_as_of
    from recommendations
    left join products
        on recommendations.sku = products.sku
    left join products as reason_products
        on recommendations.reason_sku = reason_products.sku

)

select * from final
