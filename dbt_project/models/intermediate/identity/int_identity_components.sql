{{ config(materialized='connected_components') }}

{#-
    Final customers: the deterministic customers joined by accepted probabilistic edges. One row
    per deterministic customer label with the smallest label of its final customer.
-#}

with

record_clusters as (

    select * from {{ ref('int_identity_record_clusters_deterministic') }}

),

probabilistic_edges as (

    select * from {{ ref('int_identity_probabilistic_edges') }}

),

final as (

    select
        node_a,
        node_b
    from probabilistic_edges
    union all
    select distinct
        deterministic_cluster_id as node_a,
        deterministic_cluster_id as node_b
    from record_clusters

)

select * from final
