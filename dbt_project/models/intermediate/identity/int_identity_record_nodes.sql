{#-
    int_identity_links with the node id of each identifier: one row per (record, linking
    identifier). The graph models and the record mart read this instead of joining on the
    identifier text again.
-#}

with

links as (

    select * from {{ ref('int_identity_links') }}

),

nodes as (

    select * from {{ ref('int_identity_nodes') }}

),

final as (

    select
        links.record_id,
        links.source_name,
        links.source_table,
        links.record_key,
        nodes.node_id,
        links.identifier_type,
        links.identifier_value,
        links.priority,
        links.is_hard_id,
        links.observed_at
    from links
    inner join nodes
        on
            links.identifier_type = nodes.identifier_type
            and links.identifier_value = nodes.identifier_value

)

select * from final
