{#-
    One row per first-order cohort month and month since (0 = the cohort month itself, up to the
    last month with orders): a complete grid, months without any active customer included with 0.
    Orders are those of fct_orders that are not cancelled (a refunded order counts as activity,
    with net revenue 0), in UTC calendar months. The cohort of a customer is the month of their
    first such order; active customers of a month are the cohort's customers with an order in it.
    The last month of the data is usually partial.
-#}

with

orders as (

    select * from {{ ref('fct_orders') }}
    where not is_cancelled

),

orders_monthly as (

    select
        orders.unified_customer_id,
        orders.net_amount_cny,
        cast({{ dbt.date_trunc('month', 'orders.ordered_at') }} as date) as activity_month
    from orders

),

customer_months as (

    select
        orders_monthly.unified_customer_id,
        orders_monthly.activity_month,
        count(*) as orders_count,
        sum(orders_monthly.net_amount_cny) as net_revenue_cny
    from orders_monthly
    group by orders_monthly.unified_customer_id, orders_monthly.activity_month

),

customer_cohorts as (

    select
        customer_months.unified_customer_id,
        min(customer_months.activity_month) as cohort_month
    from customer_months
    group by customer_months.unified_customer_id

),

cohort_sizes as (

    select
        customer_cohorts.cohort_month,
        count(*) as cohort_customers
    from customer_cohorts
    group by customer_cohorts.cohort_month

),

months as (

    select distinct customer_months.activity_month
    from customer_months

),

cohort_grid as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_customers,
        months.activity_month,
        {{ dbt.datediff('cohort_sizes.cohort_month', 'months.activity_month', 'month') }}
            as months_since_first_order
    from cohort_sizes
    inner join months
        on cohort_sizes.cohort_month <= months.activity_month

),

cohort_activity as (

    select
        customer_cohorts.cohort_month,
        customer_months.activity_month,
        count(*) as active_customers,
        cast(sum(customer_months.orders_count) as {{ dbt.type_bigint() }}) as orders_count,
        sum(customer_months.net_revenue_cny) as net_revenue_cny
    from customer_months
    inner join customer_cohorts
        on customer_months.unified_customer_id = customer_cohorts.unified_customer_id
    group by customer_cohorts.cohort_month, customer_months.activity_month

),

cohort_filled as (

    select
        cohort_grid.cohort_month,
        cohort_grid.activity_month,
        cohort_grid.months_since_first_order,
        cohort_grid.cohort_customers,
        coalesce(cohort_activity.active_customers, 0) as active_customers,
        coalesce(cohort_activity.orders_count, 0) as orders_count,
        coalesce(cohort_activity.net_revenue_cny, 0) as net_revenue_cny
    from cohort_grid
    left join cohort_activity
        on
            cohort_grid.cohort_month = cohort_activity.cohort_month
            and cohort_grid.activity_month = cohort_activity.activity_month

),

cohort_cumulative as (

    select
        cohort_filled.*,
        sum(cohort_filled.net_revenue_cny) over (
            partition by cohort_filled.cohort_month
            order by cohort_filled.months_since_first_order
            rows between unbounded preceding and current row
        ) as cumulative_net_revenue_cny
    from cohort_filled

),

final as (

    select
        cohort_cumulative.cohort_month,
        cohort_cumulative.months_since_first_order,
        cohort_cumulative.activity_month,
        cohort_cumulative.cohort_customers,
        cohort_cumulative.active_customers,
        {{ cdp_ratio('cohort_cumulative.active_customers', 'cohort_cumulative.cohort_customers') }}
            as retention_rate,
        cohort_cumulative.orders_count,
        cohort_cumulative.net_revenue_cny,
        cohort_cumulative.cumulative_net_revenue_cny,
        {{ cdp_ratio(
            'cohort_cumulative.cumulative_net_revenue_cny', 'cohort_cumulative.cohort_customers'
        ) }} as cumulative_net_revenue_per_customer_cny
    from cohort_cumulative

)

select * from final
