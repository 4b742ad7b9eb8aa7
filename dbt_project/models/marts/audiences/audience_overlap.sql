{#-
    One row per pair of audiences of the registry (audience_a sorts before audience_b), empty
    ones included: members of each, members in both, and how much they overlap: the Jaccard
    share (both / either) and the share of each audience that is also in the other. What a
    campaign planner reads before sending two audiences the same week.
-#}

with

defined as (

    select * from {{ ref('int_audiences_defined') }}

),

members as (

    select * from {{ ref('audience_members') }}

),

member_counts as (

    select
        members.audience_name,
        count(*) as members
    from members
    group by members.audience_name

),

shared as (

    select
        members_a.audience_name as audience_a,
        members_b.audience_name as audience_b,
        count(*) as shared_members
    from members as members_a
    inner join members as members_b
        on
            members_a.unified_customer_id = members_b.unified_customer_id
            and members_a.audience_name < members_b.audience_name
    group by members_a.audience_name, members_b.audience_name

),

pairs as (

    select
        defined_a.audience_name as audience_a,
        defined_b.audience_name as audience_b,
        defined_a.channel as channel_a,
        defined_b.channel as channel_b
    from defined as defined_a
    inner join defined as defined_b
        on defined_a.audience_name < defined_b.audience_name

),

final as (

    select
        pairs.audience_a,
        pairs.audience_b,
        pairs.channel_a,
        pairs.channel_b,
        coalesce(counts_a.members, 0) as members_a,
        coalesce(counts_b.members, 0) as members_b,
        coalesce(shared.shared_members, 0) as shared_members,
        coalesce(shared.shared_members, 0) * 1.0 / nullif(
            coalesce(counts_a.members, 0) + coalesce(counts_b.members, 0)
            - coalesce(shared.shared_members, 0),
            0
        ) as overlap_share,
        coalesce(shared.shared_members, 0) * 1.0 / nullif(counts_a.members, 0) as share_of_a,
        coalesce(shared.shared_members, 0) * 1.0 / nullif(counts_b.members, 0) as share_of_b
    from pairs
    left join member_counts as counts_a
        on pairs.audience_a = counts_a.audience_name
    left join member_counts as counts_b
        on pairs.audience_b = counts_b.audience_name
    left join shared
        on
            pairs.audience_a = shared.audience_a
            and pairs.audience_b = shared.audience_b

)

select * from final
