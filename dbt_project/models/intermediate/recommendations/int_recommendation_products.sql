{#-
    One row per SKU seen in an order line or a product event, with its latest name and category
    (order lines first: they are the shop's own records; then events): the catalogue the
    recommendation marts describe their products with.
-#}

with

order_lines as (

    select * from {{ ref('stg_orders__order_lines') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

sightings as (

    select
        order_lines.sku,
        order_lines.product_name,
        order_lines.category,
        1 as source_priority,
        order_lines.ingested_at as seen_at
    from order_lines
    where order_lines.sku is not null
    union all
    select
        events.product_sku as sku,
        events.product_name,
        events.product_category as category,
        2 as source_priority,
        events.occurred_at as seen_at
    from events
    where events.product_sku is not null

),

ranked as (

    select
        sightings.sku,
        sightings.product_name,
        sightings.category,
        row_number() over (
            partition by sightings.sku
            order by
                sightings.source_priority asc,
                sightings.seen_at desc,
                sightings.product_name asc,
                sightings.category asc
        ) as sighting_rank
    from sightings

),

final as (

    select
        ranked.sku,
        ranked.product_name,
        ranked.category
    from ranked
    where ranked.sighting_rank = 1

)

select * from final
