{#-
    One row per unified customer: the profile of the tag system (tags/_facts.yml), the golden
    record of dim_customers with the tier of its city from the tag_city_tiers seed (matched
    case-insensitively; null when the city is null or the seed does not know it).
-#}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

city_tiers as (

    select * from {{ ref('tag_city_tiers') }}

),

final as (

    select
        customers.unified_customer_id,
        customers.gender,
        customers.birth_date,
        customers.city,
        customers.region,
        customers.country_code,
        city_tiers.city_tier
    from customers
    left join city_tiers
        on lower(customers.city) = lower(city_tiers.city)

)

select * from final
