{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail'
    )
}}

{#-
    The identity ledger: one row per change of a unified customer in a build, appended for ever.

    - new: a customer none of whose identifiers had an id before.
    - merge: customer_id absorbed other_customer_id (the younger one, now retired).
    - split: part of customer_id (which keeps its id on its largest part, or was merged
      elsewhere) now forms other_customer_id.

    Each row carries the build that assigned the ids (invocation_id of int_customer_ids), the
    identity rule version and the evidence: the records that bridge the merged customers (with their identifiers) or the accepted
    probabilistic pairs; for a split, the identifiers that no longer link and why. A build with no
    new data appends nothing.
-#}

with

customer_ids as (

    select * from {{ ref('int_customer_ids') }}

),

record_nodes as (

    select * from {{ ref('int_identity_record_nodes') }}

),

probabilistic_edges as (

    select * from {{ ref('int_identity_probabilistic_edges') }}

),

node_clusters as (

    select * from {{ ref('int_identity_node_clusters') }}

),

excluded as (

    select * from {{ ref('int_identifiers_excluded') }}

),

rule_versions as (

    select * from {{ ref('int_identity_rule_versions') }}

),

current_ids as (

    select * from customer_ids
    where is_current

),

ids_build as (

    -- the dbt invocation that assigned these ids (Dagster may run this model in a later one)
    select max(assigned_invocation_id) as invocation_id from customer_ids

),

moves as (

    select
        previous_unified_customer_id as from_customer_id,
        unified_customer_id as to_customer_id,
        count(*) as nodes_moved
    from current_ids
    where
        previous_unified_customer_id is not null
        and previous_unified_customer_id <> unified_customer_id
    group by previous_unified_customer_id, unified_customer_id

),

ranked_moves as (

    select
        moves.*,
        exists(
            select 1
            from current_ids
            where current_ids.unified_customer_id = moves.from_customer_id
        ) as from_still_exists,
        row_number() over (
            partition by moves.from_customer_id
            order by moves.nodes_moved desc, moves.to_customer_id asc
        ) as move_rank
    from moves

),

bridging_records as (

    select
        record_nodes.record_id,
        current_ids.unified_customer_id,
        {{ dbt.listagg(
            "record_nodes.identifier_type || ':' || record_nodes.identifier_value",
            "', '",
            "order by record_nodes.identifier_type, record_nodes.identifier_value"
        ) }} as identifiers
    from record_nodes
    inner join current_ids
        on record_nodes.node_id = current_ids.node_id
    group by record_nodes.record_id, current_ids.unified_customer_id
    having count(distinct coalesce(current_ids.previous_unified_customer_id, '(new)')) > 1

),

record_evidence as (

    select
        unified_customer_id,
        {{ dbt.listagg(
            "'record ' || record_id || ' carries ' || identifiers",
            "'; '",
            "order by record_id",
            5
        ) }} as evidence
    from bridging_records
    group by unified_customer_id

),

probabilistic_evidence as (

    select
        current_ids.unified_customer_id,
        {{ dbt.listagg(
            "'probabilistic p=' || cast(round(probabilistic_edges.match_probability, 4) as "
            ~ dbt.type_string() ~ ") || ': ' || probabilistic_edges.sample_record_id_l || ' ~ '"
            ~ " || probabilistic_edges.sample_record_id_r || ' (model ' || probabilistic_edges.model_version || ')'",
            "'; '",
            "order by probabilistic_edges.sample_record_id_l",
            5
        ) }} as evidence
    from probabilistic_edges
    inner join node_clusters
        on probabilistic_edges.node_a = node_clusters.deterministic_cluster_id
    inner join current_ids
        on node_clusters.node_id = current_ids.node_id
    group by current_ids.unified_customer_id

),

removed_evidence as (

    select
        customer_ids.previous_unified_customer_id as unified_customer_id,
        {{ dbt.listagg(
            "customer_ids.identifier_type || ':' || customer_ids.identifier_value || ' no longer links ('"
            ~ " || coalesce(excluded.exclusion_rule, 'no longer observed') || ')'",
            "'; '",
            "order by customer_ids.identifier_type, customer_ids.identifier_value",
            5
        ) }} as evidence
    from customer_ids
    left join excluded
        on
            customer_ids.identifier_type = excluded.identifier_type
            and customer_ids.identifier_value = excluded.identifier_value
    where not customer_ids.is_current
    group by customer_ids.previous_unified_customer_id

),

new_customers as (

    select
        unified_customer_id,
        count(*) as nodes
    from current_ids
    group by unified_customer_id
    having count(previous_unified_customer_id) = 0

),

changes as (

    select
        'new' as event_type,
        new_customers.unified_customer_id as customer_id,
        cast(null as {{ dbt.type_string() }}) as other_customer_id,
        new_customers.nodes,
        cast(null as {{ dbt.type_string() }}) as evidence
    from new_customers
    union all
    select
        case
            when ranked_moves.move_rank = 1 and not ranked_moves.from_still_exists then 'merge'
            else 'split'
        end as event_type,
        case
            when ranked_moves.move_rank = 1 and not ranked_moves.from_still_exists
                then ranked_moves.to_customer_id
            else ranked_moves.from_customer_id
        end as customer_id,
        case
            when ranked_moves.move_rank = 1 and not ranked_moves.from_still_exists
                then ranked_moves.from_customer_id
            else ranked_moves.to_customer_id
        end as other_customer_id,
        ranked_moves.nodes_moved as nodes,
        case
            when ranked_moves.move_rank = 1 and not ranked_moves.from_still_exists
                then coalesce(record_evidence.evidence, probabilistic_evidence.evidence)
            else removed_evidence.evidence
        end as evidence
    from ranked_moves
    left join record_evidence
        on ranked_moves.to_customer_id = record_evidence.unified_customer_id
    left join probabilistic_evidence
        on ranked_moves.to_customer_id = probabilistic_evidence.unified_customer_id
    left join removed_evidence
        on ranked_moves.from_customer_id = removed_evidence.unified_customer_id

),

final as (

    select
        ids_build.invocation_id,
        rule_versions.rule_version,
        changes.event_type,
        changes.customer_id,
        changes.other_customer_id,
        changes.nodes,
        changes.evidence,
        {{ dbt.current_timestamp() }} as recorded_at
    from changes
    cross join rule_versions
    cross join ids_build
    {% if is_incremental() %}
    -- once per id assignment, however often this model runs
    where not exists (
        select 1
        from {{ this }} as recorded
        where recorded.invocation_id = ids_build.invocation_id
    )
    {% endif %}

)

select * from final
