{#-
    One row per node of the identity graph with its final customer label (cluster_id): the
    deterministic customer, merged with others by accepted probabilistic edges.
-#}

with

node_clusters as (

    select * from {{ ref('int_identity_node_clusters_deterministic') }}

),

components as (

    select * from {{ ref('int_identity_components') }}

),

final as (

    select
        node_clusters.node_id,
        node_clusters.identifier_type,
        node_clusters.identifier_value,
        node_clusters.soft_component_id,
        node_clusters.is_conflicting,
        node_clusters.deterministic_cluster_id,
        components.component_id as cluster_id
    from node_clusters
    inner join components
        on node_clusters.deterministic_cluster_id = components.node_id

)

select * from final
