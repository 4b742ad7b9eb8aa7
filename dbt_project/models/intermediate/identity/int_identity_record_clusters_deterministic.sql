{#-
    One row per staged record with its deterministic customer: the customer of the record's
    highest-priority linking identifier (its hard id when it has one). All linking identifiers
    of a record are in one customer except on a conflicting component, where the record follows
    its strongest identifier.
-#}

with

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

node_clusters as (

    select * from {{ ref('int_identity_node_clusters_deterministic') }}

),

ranked as (

    select
        record_nodes.record_id,
        record_nodes.source_name,
        record_nodes.source_table,
        record_nodes.record_key,
        record_nodes.node_id,
        record_nodes.identifier_type,
        node_clusters.deterministic_cluster_id,
        row_number() over (
            partition by record_nodes.record_id
            order by record_nodes.priority, record_nodes.node_id
        ) as strength_rank
    from record_nodes
    inner join node_clusters
        on record_nodes.node_id = node_clusters.node_id

),

final as (

    select
        record_id,
        source_name,
        source_table,
        record_key,
        node_id as resolved_by_node_id,
        identifier_type as resolved_by_type,
        deterministic_cluster_id
    from ranked
    where strength_rank = 1

)

select * from final
