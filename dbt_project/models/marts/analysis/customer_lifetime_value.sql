{#-
    One row per unified customer with at least one order that is not cancelled placed at or before
    as_of (the tags' as_of: var tags_as_of, else the run's start): historical value and a simple
    predicted value for the next 12 months.

    predicted_12m_net_revenue_cny = yearly_net_revenue_cny * active_probability:
    - yearly_net_revenue_cny = net_revenue_cny * 365 / max(tenure_days, min_tenure): the customer's
      historical net revenue per year, the tenure floored at var('clv_min_tenure_days', 365) days,
      so a customer with less than a year of history is expected to repeat what they did so far,
      not to extrapolate one recent order to twelve;
    - active_probability = max(0, 1 - days_since_last_order / 365): a linear decay, 1 for an order
      on as_of day, 0 after a year without one.
    A transparent heuristic for ranking and BI, not a fitted (BG/NBD, Gamma-Gamma) model.
-#}

{%- set as_of = cdp_tags_as_of() %}
{%- set min_tenure_days = var('clv_min_tenure_days', 365) %}

with

as_of as (

    select {{ as_of }} as as_of

),

orders as (

    select * from {{ ref('fct_orders') }}
    where
        not is_cancelled
        and ordered_at <= {{ as_of }}

),

customer_orders as (

    select
        orders.unified_customer_id,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as last_order_at,
        count(*) as orders_count,
        count(case when orders.is_refunded then 1 end) as refunded_orders_count,
        sum(orders.amount_cny) as gross_revenue_cny,
        sum(orders.net_amount_cny) as net_revenue_cny,
        max(orders.net_amount_cny) as largest_order_net_amount_cny,
        count(distinct orders.channel) as order_channels_count
    from orders
    group by orders.unified_customer_id

),

customer_metrics as (

    select
        customer_orders.*,
        {{ cdp_ratio(
            'customer_orders.net_revenue_cny',
            'customer_orders.orders_count - customer_orders.refunded_orders_count'
        ) }} as average_order_value_cny,
        as_of.as_of,
        {{ dbt.datediff(
            'customer_orders.first_order_at', 'as_of.as_of', 'day'
        ) }} as tenure_days,
        {{ dbt.datediff(
            'customer_orders.last_order_at', 'as_of.as_of', 'day'
        ) }} as days_since_last_order
    from customer_orders
    cross join as_of

),

customer_predictions as (

    select
        customer_metrics.*,
        cast(customer_metrics.orders_count * 365 as double precision)
        / greatest(customer_metrics.tenure_days, {{ min_tenure_days }}) as orders_per_year,
        cast(customer_metrics.net_revenue_cny * 365 as double precision)
        / greatest(customer_metrics.tenure_days, {{ min_tenure_days }}) as yearly_net_revenue_cny,
        case
            when customer_metrics.days_since_last_order >= 365 then 0.0
            else 1.0 - customer_metrics.days_since_last_order / 365.0
        end as active_probability
    from customer_metrics

),

final as (

    select
        customer_predictions.unified_customer_id,
        customer_predictions.orders_count,
        customer_predictions.refunded_orders_count,
        customer_predictions.order_channels_count,
        customer_predictions.gross_revenue_cny,
        customer_predictions.net_revenue_cny,
        customer_predictions.largest_order_net_amount_cny,
        customer_predictions.average_order_value_cny,
        customer_predictions.tenure_days,
        customer_predictions.days_since_last_order,
        customer_predictions.orders_per_year,
        customer_predictions.yearly_net_revenue_cny,
        customer_predictions.active_probability,
        cast(
            customer_predictions.yearly_net_revenue_cny * customer_predictions.active_probability
            as decimal(18, 2)
        ) as predicted_12m_net_revenue_cny,
        ntile(10) over (
            order by
                customer_predictions.net_revenue_cny desc,
                customer_predictions.unified_customer_id asc
        ) as net_revenue_decile,
        customer_predictions.first_order_at,
        customer_predictions.last_order_at,
        customer_predictions.as_of
    from customer_predictions

)

select * from final
