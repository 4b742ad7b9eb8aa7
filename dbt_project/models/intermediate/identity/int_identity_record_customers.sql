{#-
    One row per staged record with its unified customer: the customer of the record's strongest
    linking identifier, after probabilistic merges.
-#}

with

record_clusters as (

    select * from {{ ref('int_identity_record_clusters_deterministic') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids') }}

),

merged_clusters as (

    select
        cluster_id,
        count(distinct deterministic_cluster_id) > 1 as has_probabilistic_link
    from customer_ids
    where is_current
    group by cluster_id

),

final as (

    select
        record_clusters.record_id,
        record_clusters.source_name,
        record_clusters.source_table,
        record_clusters.record_key,
        customer_ids.unified_customer_id,
        record_clusters.resolved_by_type,
        customer_ids.identifier_value as resolved_by_value,
        merged_clusters.has_probabilistic_link
    from record_clusters
    inner join customer_ids
        on record_clusters.resolved_by_node_id = customer_ids.node_id and customer_ids.is_current
    inner join merged_clusters
        on customer_ids.cluster_id = merged_clusters.cluster_id

)

select * from final
