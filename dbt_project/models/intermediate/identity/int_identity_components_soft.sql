{{ config(materialized='connected_components') }}

{#-
    Connected components of the soft identity graph (every linking identifier except hard ids):
    one row per node with the smallest node id of its component. Converges by itself (large-star
    / small-star rounds until nothing changes, see macros/identity/connected_components.sql) and
    clusters only new edges against the previous components when nothing was removed.
-#}

with

edges as (

    select * from {{ ref('int_identity_edges') }}

),

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

soft_nodes as (

    select distinct node_id
    from record_nodes
    where not is_hard_id

),

final as (

    select
        node_a,
        node_b
    from edges
    union all
    select
        node_id as node_a,
        node_id as node_b
    from soft_nodes

)

select * from final
