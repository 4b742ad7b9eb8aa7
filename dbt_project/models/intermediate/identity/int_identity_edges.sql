{#-
    The deterministic edges of the identity graph between identifiers that are not hard ids:
    one row per pair of nodes that co-occur on a record, as a star from each record's smallest
    node (a record with k identifiers gives k-1 edges, not k(k-1)/2), with the evidence: how
    many records carry the pair and one of them. Hard ids (CRM numbers, national ids) are not
    nodes of this graph: int_identity_components_deterministic attaches them afterwards, so no
    chain of softer identifiers can put two of them in one customer.
-#}

with

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

soft_links as (

    select
        record_id,
        observed_at,
        node_id
    from record_nodes
    where not is_hard_id

),

record_anchors as (

    select
        record_id,
        min(node_id) as anchor_node_id
    from soft_links
    group by record_id

),

final as (

    select
        record_anchors.anchor_node_id as node_a,
        soft_links.node_id as node_b,
        'deterministic' as edge_type,
        count(*) as records,
        min(soft_links.record_id) as sample_record_id,
        min(soft_links.observed_at) as first_seen_at
    from soft_links
    inner join record_anchors
        on soft_links.record_id = record_anchors.record_id
    where soft_links.node_id <> record_anchors.anchor_node_id
    group by record_anchors.anchor_node_id, soft_links.node_id

)

select * from final
