{#-
    One row: the version of the identity rules this build ran with, an md5 over the rows of the
    identity seeds (types, priorities, limits, blocklist) and the probabilistic model versions
    whose edges were accepted. The ledger and run metrics carry it, so a split can be traced to
    a rule change.
-#}

with

identifier_types as (

    select * from {{ ref('identity_identifier_types') }}

),

blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

probabilistic_edges as (

    select * from {{ ref('int_identity_probabilistic_edges') }}

),

rule_rows as (

    select
        'type|' || identifier_type || '|' || cast(priority as {{ dbt.type_string() }})
        || '|' || cast(is_hard_id as {{ dbt.type_string() }})
        || '|' || cast(links_records as {{ dbt.type_string() }})
        || '|' || coalesce(cast(max_hard_ids as {{ dbt.type_string() }}), '')
        || '|' || coalesce(cast(max_linked_identifiers as {{ dbt.type_string() }}), '')
        || '|' || coalesce(cast(ttl_days as {{ dbt.type_string() }}), '') as rule_row
    from identifier_types
    union all
    select 'block|' || identifier_type || '|' || match_type || '|' || value as rule_row
    from blocklist
    union all
    select distinct 'model|' || model_version as rule_row
    from probabilistic_edges

),

final as (

    select
        substr({{ dbt.hash(dbt.listagg('rule_row', "'\\n'", 'order by rule_row')) }}, 1, 12)
            as rule_version,
        count(*) as rule_rows
    from rule_rows

)

select * from final
