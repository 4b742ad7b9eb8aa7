{#-
    One row per product and similar product kept: the item-to-item similarities of the
    recommendations as of tags_as_of (macros/recommendations/recommendation_similarities.sql).
-#}

with

interactions as (

    select * from {{ ref('int_recommendation_interactions') }}

),

products as (

    select * from {{ ref('int_recommendation_products') }}

),

similarities as (

    {{ recommendation_similarities('interactions', cdp_tags_as_of()) | indent(4) }}

),

final as (

    select
        similarities.sku,
        similarities.similar_sku,
        similarities.neighbour_rank,
        products.product_name,
        products.category,
        similar_products.product_name as similar_product_name,
        similar_products.category as similar_category,
        similarities.co_purchase_customers,
        similarities.co_view_customers,
        similarities.co_purchase_similarity,
        similarities.co_view_similarity,
        similarities.similarity_score,
        {{ cdp_tags_as_of() }} as computed_as_of
    from similarities
    left join products
        on similarities.sku = products.sku
    left join products as similar_products
        on similarities.similar_sku = similar_products.sku

)

select * from final
