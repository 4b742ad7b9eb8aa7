{#- Every staged record resolves to exactly one unified customer: as many rows in
    dim_customer_records as source_record observations in int_identifiers, none missing. -#}
{{ config(meta={'dagster': {'ref': {'name': 'dim_customer_records'}}}) }}

with

identifiers as (

    select * from {{ ref('int_identifiers') }}

),

records as (

    select * from {{ ref('dim_customer_records') }}

),

final as (

    select identifiers.record_id
    from identifiers
    where
        identifiers.identifier_type = 'source_record'
        and not exists (
            select 1
            from records
            where records.record_id = identifiers.record_id
        )

)

select * from final
