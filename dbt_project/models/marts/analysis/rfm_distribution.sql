{#-
    One row per RFM segment and RFM score (the rfm_segment and rfm_score tags of
    dim_customer_tags, as of the tags' as_of): customers, their share of all customers and of the
    scored ones, and their net revenue (365 days, as the RFM scores, and lifetime). Customers
    without a purchase in the 365 days have segment no_purchase_365d and a null score: one row.
-#}

with

customer_tags as (

    select * from {{ ref('dim_customer_tags') }}

),

cells as (

    select
        customer_tags.rfm_segment,
        customer_tags.rfm_score,
        customer_tags.rfm_recency_score,
        customer_tags.rfm_frequency_score,
        customer_tags.rfm_monetary_score,
        max(customer_tags.as_of) as as_of,
        count(*) as customers,
        cast(sum(coalesce(customer_tags.orders_count_365d, 0)) as {{ dbt.type_bigint() }})
            as orders_count_365d,
        sum(coalesce(customer_tags.net_revenue_365d, 0)) as net_revenue_365d_cny,
        sum(coalesce(customer_tags.net_revenue_lifetime, 0)) as net_revenue_lifetime_cny,
        avg(customer_tags.days_since_last_order) as average_days_since_last_order
    from customer_tags
    group by
        customer_tags.rfm_segment,
        customer_tags.rfm_score,
        customer_tags.rfm_recency_score,
        customer_tags.rfm_frequency_score,
        customer_tags.rfm_monetary_score

),

cells_with_totals as (

    select
        cells.*,
        sum(cells.customers) over () as all_customers,
        sum(case when cells.rfm_score is not null then cells.customers else 0 end) over ()
            as scored_customers,
        sum(cells.net_revenue_365d_cny) over () as all_net_revenue_365d_cny,
        cast(sum(cells.customers) over (partition by cells.rfm_segment) as {{ dbt.type_bigint() }})
            as segment_customers
    from cells

),

final as (

    select
        cells_with_totals.rfm_segment,
        cells_with_totals.rfm_score,
        cells_with_totals.rfm_recency_score,
        cells_with_totals.rfm_frequency_score,
        cells_with_totals.rfm_monetary_score,
        cells_with_totals.customers,
        {{ cdp_ratio('cells_with_totals.customers', 'cells_with_totals.all_customers') }}
            as share_of_customers,
        case
            when cells_with_totals.rfm_score is not null
                then {{ cdp_ratio(
                    'cells_with_totals.customers', 'cells_with_totals.scored_customers'
                ) }}
        end as share_of_scored_customers,
        cells_with_totals.segment_customers,
        {{ cdp_ratio('cells_with_totals.segment_customers', 'cells_with_totals.all_customers') }}
            as segment_share_of_customers,
        cells_with_totals.orders_count_365d,
        cells_with_totals.net_revenue_365d_cny,
        {{ cdp_ratio(
            'cells_with_totals.net_revenue_365d_cny', 'cells_with_totals.all_net_revenue_365d_cny'
        ) }} as share_of_net_revenue_365d,
        {{ cdp_ratio('cells_with_totals.net_revenue_365d_cny', 'cells_with_totals.customers') }}
            as average_net_revenue_365d_cny,
        cells_with_totals.net_revenue_lifetime_cny,
        cells_with_totals.average_days_since_last_order,
        cells_with_totals.as_of
    from cells_with_totals

)

select * from final
