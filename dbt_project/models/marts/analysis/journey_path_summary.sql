{#-
    One row per distinct touch path of journey_paths (ordered touch channels before the first
    order, consecutive repeats collapsed; '(no touch)' for customers converting without one):
    converting customers, their share, touches, days to conversion and first-order revenue, and
    the path's rank by customers (1 = most common; ties by path).
-#}

with

journeys as (

    select * from {{ ref('journey_paths') }}

),

paths as (

    select
        journeys.touch_path,
        max(journeys.path_steps_count) as path_steps_count,
        count(*) as converting_customers,
        avg(journeys.touches_count) as average_touches,
        avg(journeys.days_to_conversion) as average_days_to_conversion,
        percentile_cont(0.5) within group (order by journeys.days_to_conversion)
            as median_days_to_conversion,
        sum(journeys.conversion_net_amount_cny) as conversion_net_revenue_cny
    from journeys
    group by journeys.touch_path

),

final as (

    select
        row_number() over (
            order by paths.converting_customers desc, paths.touch_path asc
        ) as path_rank,
        paths.touch_path,
        paths.path_steps_count,
        paths.converting_customers,
        {{ cdp_ratio('paths.converting_customers', 'sum(paths.converting_customers) over ()') }}
            as share_of_converting_customers,
        paths.average_touches,
        paths.average_days_to_conversion,
        paths.median_days_to_conversion,
        paths.conversion_net_revenue_cny
    from paths

)

select * from final
