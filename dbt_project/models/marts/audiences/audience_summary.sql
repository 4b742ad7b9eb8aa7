{#-
    One row per audience of the registry, even when it is empty: its definition, how many
    customers are in it now, how many match its condition but lack granted consent for its
    channel (eligible_without_consent), how many of the members the channel can reach, and how
    many entered and exited in the latest build (audience_membership_history).
-#}

with

defined as (

    select * from {{ ref('int_audiences_defined') }}

),

members as (

    select * from {{ ref('audience_members') }}

),

candidates as (

    select * from {{ ref('int_audience_candidates') }}

),

history as (

    select * from {{ ref('audience_membership_history') }}

),

build as (

    select coalesce(max(members.built_at), {{ cdp_audience_built_at() }}) as built_at
    from members

),

member_counts as (

    select
        members.audience_name,
        count(*) as members,
        count(case when members.has_contact_point then 1 end) as members_with_contact_point
    from members
    group by members.audience_name

),

candidate_counts as (

    select
        candidates.audience_name,
        count(*) as matching_condition,
        -- Members are the candidates with consent: the rest lack it.
        count(*) - count(members.unified_customer_id) as eligible_without_consent
    from candidates
    left join members
        on
            candidates.audience_name = members.audience_name
            and candidates.unified_customer_id = members.unified_customer_id
    group by candidates.audience_name

),

history_counts as (

    select
        history.audience_name,
        count(case when history.entered_at = build.built_at then 1 end) as entered_latest_build,
        count(case when history.exited_at = build.built_at then 1 end) as exited_latest_build,
        count(case when history.exited_at is null then 1 end) as open_spells
    from history
    cross join build
    group by history.audience_name

),

final as (

    select
        defined.audience_name,
        defined.channel,
        defined.owner,
        defined.description,
        defined.audience_version,
        defined.definition_file,
        coalesce(member_counts.members, 0) as members,
        coalesce(member_counts.members_with_contact_point, 0) as members_with_contact_point,
        coalesce(candidate_counts.matching_condition, 0) as matching_condition,
        coalesce(candidate_counts.eligible_without_consent, 0) as eligible_without_consent,
        coalesce(history_counts.entered_latest_build, 0) as entered_latest_build,
        coalesce(history_counts.exited_latest_build, 0) as exited_latest_build,
        coalesce(history_counts.open_spells, 0) as open_spells,
        build.built_at
    from defined
    cross join build
    left join member_counts
        on defined.audience_name = member_counts.audience_name
    left join candidate_counts
        on defined.audience_name = candidate_counts.audience_name
    left join history_counts
        on defined.audience_name = history_counts.audience_name

)

select * from final
