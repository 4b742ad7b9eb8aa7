{#- After a build, the open spells of audience_membership_history are exactly the members of
    audience_members: a member without an open spell, or an open spell without a member, is a
    row here. -#}
{{ config(meta={'dagster': {'ref': {'name': 'audience_membership_history'}}}) }}

with

members as (

    select * from {{ ref('audience_members') }}

),

history as (

    select * from {{ ref('audience_membership_history') }}

),

open_spells as (

    select
        history.audience_name,
        history.unified_customer_id
    from history
    where history.exited_at is null

),

members_without_spell as (

    select
        'member_without_open_spell' as problem,
        members.audience_name,
        members.unified_customer_id
    from members
    where not exists (
        select 1
        from open_spells
        where
            open_spells.audience_name = members.audience_name
            and open_spells.unified_customer_id = members.unified_customer_id
    )

),

spells_without_member as (

    select
        'open_spell_without_member' as problem,
        open_spells.audience_name,
        open_spells.unified_customer_id
    from open_spells
    where not exists (
        select 1
        from members
        where
            members.audience_name = open_spells.audience_name
            and members.unified_customer_id = open_spells.unified_customer_id
    )

),

final as (

    select * from members_without_spell
    union all
    select * from spells_without_member

)

select * from final
