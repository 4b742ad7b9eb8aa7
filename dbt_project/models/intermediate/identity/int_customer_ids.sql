{#-
    The persistent unified_customer_id of every node of the identity graph, carried over from
    the previous build of this same table (it reads itself: `dbt build --full-refresh` does not
    reset a table model, and a run with no new data reproduces it exactly).

    - A customer whose nodes are unchanged keeps its id.
    - Customers that merge keep the oldest id among them (then the smallest).
    - A customer that splits keeps its id on its largest part (most of its old nodes; ties to
      the smallest label); the other parts get new ids.
    - A new id is 'cus_' and 24 hex digits of the md5 of the customer's anchor (its
      highest-priority, smallest identifier), so the same data gives the same ids even from an
      empty warehouse; if that id is taken, the invocation id is mixed in.

    One row per current node, plus one row (unified_customer_id null, is_current false) per node
    of the previous build that no longer links, so int_identity_events can see splits caused by
    an excluded identifier. previous_unified_customer_id is the node's id before this build.
-#}

{%- set previous_relation = (
    adapter.get_relation(this.database, this.schema, this.identifier) if execute else none
) %}

with

node_clusters as (

    select * from {{ ref('int_identity_node_clusters') }}

),

identifier_types as (

    select * from {{ ref('identity_identifier_types') }}

),

{% if previous_relation is not none %}

previous as (

    select
        node_id,
        identifier_type,
        identifier_value,
        unified_customer_id,
        customer_id_created_at,
        customer_id_created_invocation_id
    from {{ previous_relation }}
    where is_current

),

{% else %}

    previous as (

        select
            cast(null as bigint) as node_id,
            cast(null as {{ dbt.type_string() }}) as identifier_type,
            cast(null as {{ dbt.type_string() }}) as identifier_value,
            cast(null as {{ dbt.type_string() }}) as unified_customer_id,
            cast(null as {{ dbt.type_timestamp() }}) as customer_id_created_at,
            cast(null as {{ dbt.type_string() }}) as customer_id_created_invocation_id
        where 1 = 0

    ),

{% endif %}

overlap as (

    select
        node_clusters.cluster_id,
        previous.unified_customer_id,
        min(previous.customer_id_created_at) as customer_id_created_at,
        min(previous.customer_id_created_invocation_id) as customer_id_created_invocation_id,
        count(*) as shared_nodes
    from node_clusters
    inner join previous
        on node_clusters.node_id = previous.node_id
    group by node_clusters.cluster_id, previous.unified_customer_id

),

largest_parts as (

    select
        *,
        row_number() over (
            partition by unified_customer_id
            order by shared_nodes desc, cluster_id asc
        ) as part_rank
    from overlap

),

survivors as (

    select
        *,
        row_number() over (
            partition by cluster_id
            order by customer_id_created_at, unified_customer_id
        ) as age_rank
    from largest_parts
    where part_rank = 1

),

anchors as (

    select
        node_clusters.cluster_id,
        node_clusters.identifier_type || ':' || node_clusters.identifier_value as anchor_key,
        row_number() over (
            partition by node_clusters.cluster_id
            order by
                identifier_types.priority,
                node_clusters.identifier_type,
                node_clusters.identifier_value
        ) as anchor_rank
    from node_clusters
    inner join identifier_types
        on node_clusters.identifier_type = identifier_types.identifier_type

),

new_ids as (

    select
        anchors.cluster_id,
        'cus_' || substr({{ dbt.hash('anchors.anchor_key') }}, 1, 24) as content_id,
        'cus_'
        || substr(
            {{ dbt.hash("anchors.anchor_key || '|" ~ invocation_id ~ "'") }}, 1, 24
        ) as fallback_id
    from anchors
    where
        anchors.anchor_rank = 1
        and not exists (
            select 1
            from survivors
            where survivors.cluster_id = anchors.cluster_id and survivors.age_rank = 1
        )

),

cluster_ids as (

    select
        cluster_id,
        unified_customer_id,
        customer_id_created_at,
        customer_id_created_invocation_id
    from survivors
    where age_rank = 1
    union all
    select
        new_ids.cluster_id,
        case
            when exists (
                select 1
                from previous
                where previous.unified_customer_id = new_ids.content_id
            ) then new_ids.fallback_id
            else new_ids.content_id
        end as unified_customer_id,
        {{ dbt.current_timestamp() }} as customer_id_created_at,
        '{{ invocation_id }}' as customer_id_created_invocation_id
    from new_ids

),

current_nodes as (

    select
        node_clusters.node_id,
        node_clusters.identifier_type,
        node_clusters.identifier_value,
        node_clusters.cluster_id,
        node_clusters.deterministic_cluster_id,
        cluster_ids.unified_customer_id,
        previous.unified_customer_id as previous_unified_customer_id,
        cluster_ids.customer_id_created_at,
        cluster_ids.customer_id_created_invocation_id,
        true as is_current
    from node_clusters
    inner join cluster_ids
        on node_clusters.cluster_id = cluster_ids.cluster_id
    left join previous
        on node_clusters.node_id = previous.node_id

),

removed_nodes as (

    select
        previous.node_id,
        previous.identifier_type,
        previous.identifier_value,
        cast(null as bigint) as cluster_id,
        cast(null as bigint) as deterministic_cluster_id,
        cast(null as {{ dbt.type_string() }}) as unified_customer_id,
        previous.unified_customer_id as previous_unified_customer_id,
        cast(null as {{ dbt.type_timestamp() }}) as customer_id_created_at,
        cast(null as {{ dbt.type_string() }}) as customer_id_created_invocation_id,
        false as is_current
    from previous
    where not exists (
        select 1
        from node_clusters
        where node_clusters.node_id = previous.node_id
    )

),

final as (

    select
        *,
        '{{ invocation_id }}' as assigned_invocation_id
    from current_nodes
    union all
    select
        *,
        '{{ invocation_id }}' as assigned_invocation_id
    from removed_nodes

)

select * from final
