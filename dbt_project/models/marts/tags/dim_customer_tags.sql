{#-
    One row per unified customer with one column per tag of the registry (model scores
    included), typed: what BI tools read. Customers without a value of a tag have null.
-#}

with

customers as (

    select unified_customer_id from {{ ref('dim_customers') }}

),

tag_values as (

    select * from {{ ref('int_customer_tag_values') }}

),

model_scores as (

    select * from {{ ref('int_customer_model_scores') }}

),

final as (

    select
        customers.unified_customer_id,
        tag_values.as_of,
        {{ cdp_tag_wide_columns('tag_values', 'model_scores') | indent(4) }}
    from customers
    left join tag_values
        on customers.unified_customer_id = tag_values.unified_customer_id
    left join model_scores
        on customers.unified_customer_id = model_scores.unified_customer_id

)

select * from final
