{#-
    One row per audience and customer whose condition holds on marts.dim_customer_tags, before
    consent: who the audience would reach if consent did not matter. audience_members keeps
    those with granted consent for the audience's channel.
-#}

with

customer_tags as (

    select * from {{ ref('dim_customer_tags') }}

),

matched as (

    {{ cdp_audience_candidates_sql('customer_tags') | indent(4) }}

),

final as (

    select * from matched

)

select * from final
