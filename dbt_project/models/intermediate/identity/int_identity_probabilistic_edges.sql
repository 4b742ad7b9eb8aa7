{#-
    The accepted probabilistic edges of the identity graph: one row per pair of deterministic
    customers that a Splink pair joins, with its best probability and evidence. Pairs are mapped
    through their records to the current deterministic customers (the ids are internal labels
    that move), and a pair between two customers that hold different hard ids is dropped again
    here, whatever the file says. Empty until the Splink asset has run once, so `dbt build` alone
    gives the deterministic result.
-#}

{%- set pairs = source('identity', 'probabilistic_pairs') -%}
{%- set pairs_exist = (
    execute and adapter.get_relation(pairs.database, pairs.schema, pairs.identifier) is not none
) %}

with

record_clusters as (

    select * from {{ ref('int_identity_record_clusters_deterministic') }}

),

profiles as (

    select * from {{ ref('int_identity_profiles') }}

),

{% if pairs_exist %}

pairs as (

    select
        record_id_l,
        record_id_r,
        match_probability,
        model_version
    from {{ pairs }}
    where status = 'accepted'

),

{% else %}

    pairs as (

        select
            cast(null as {{ dbt.type_string() }}) as record_id_l,
            cast(null as {{ dbt.type_string() }}) as record_id_r,
            cast(null as double) as match_probability,
            cast(null as {{ dbt.type_string() }}) as model_version
        where 1 = 0

    ),

{% endif %}

cluster_hard_ids as (

    select distinct
        cluster_id,
        hard_id
    from profiles

),

mapped as (

    select
        least(left_records.deterministic_cluster_id, right_records.deterministic_cluster_id)
            as node_a,
        greatest(left_records.deterministic_cluster_id, right_records.deterministic_cluster_id)
            as node_b,
        pairs.record_id_l,
        pairs.record_id_r,
        pairs.match_probability,
        pairs.model_version
    from pairs
    inner join record_clusters as left_records
        on pairs.record_id_l = left_records.record_id
    inner join record_clusters as right_records
        on pairs.record_id_r = right_records.record_id
    where left_records.deterministic_cluster_id <> right_records.deterministic_cluster_id

),

guarded as (

    select mapped.*
    from mapped
    left join cluster_hard_ids as hard_a
        on mapped.node_a = hard_a.cluster_id
    left join cluster_hard_ids as hard_b
        on mapped.node_b = hard_b.cluster_id
    where hard_a.hard_id is null or hard_b.hard_id is null or hard_a.hard_id = hard_b.hard_id

),

ranked as (

    select
        guarded.*,
        row_number() over (
            partition by guarded.node_a, guarded.node_b
            order by
                guarded.match_probability desc, guarded.record_id_l asc, guarded.record_id_r asc
        ) as evidence_rank
    from guarded

),

final as (

    select
        node_a,
        node_b,
        'probabilistic' as edge_type,
        match_probability,
        record_id_l as sample_record_id_l,
        record_id_r as sample_record_id_r,
        model_version
    from ranked
    where evidence_rank = 1

)

select * from final
