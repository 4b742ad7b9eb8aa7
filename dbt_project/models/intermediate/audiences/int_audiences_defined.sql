{#-
    One row per audience of the registry (dbt_project/audiences/*.yml, compiled by
    `cdp audiences compile`): name, channel, owner, description, version, file, the condition
    as the warehouse runs it, the tags it reads and a hash of its definition.
-#}

with

defined as (

    {{ cdp_audience_catalog_sql() | indent(4) }}

),

final as (

    select * from defined

)

select * from final
