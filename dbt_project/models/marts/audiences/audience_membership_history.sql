{#-
    One row per spell a customer spent in an audience: entered_at, exited_at (null while still
    in) and why they left. Incremental and self-referencing: each build compares the members of
    this build (audience_members) with the spells still open in the table, opens a spell for
    each new member and closes the open spells of those who are no longer in. A build with no
    change writes nothing, so rebuilding is idempotent; a customer who leaves and comes back
    gets a new spell. `--full-refresh` does not reset it (full_refresh: false): the history
    would be lost.

    Times are the build time of audience_members (built_at). exit_reason, in this order:
    audience_removed (no longer in the registry), customer_no_longer_exists (merged into
    another unified id or erased), consent_withdrawn (still matches the condition but the
    channel's consent is withdrawn), consent_missing (still matches but has no consent record,
    e.g. after a merge), condition_no_longer_met.
-#}

{{ config(
    materialized='incremental',
    unique_key='membership_spell_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    full_refresh=false
) }}

with

members as (

    select * from {{ ref('audience_members') }}

),

candidates as (

    select * from {{ ref('int_audience_candidates') }}

),

defined as (

    select * from {{ ref('int_audiences_defined') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

consent as (

    select * from {{ ref('dim_customer_consent') }}

),

build as (

    select coalesce(max(members.built_at), {{ cdp_audience_built_at() }}) as built_at
    from members

),

{% if is_incremental() %}

open_spells as (

    select
        previous.membership_spell_id,
        previous.audience_name,
        previous.unified_customer_id,
        previous.entered_at
    from {{ this }} as previous
    where previous.exited_at is null

),

{% else %}

    open_spells as (

        select
            cast(null as {{ dbt.type_string() }}) as membership_spell_id,
            cast(null as {{ dbt.type_string() }}) as audience_name,
            cast(null as {{ dbt.type_string() }}) as unified_customer_id,
            cast(null as {{ cdp_tag_timestamp_type() }}) as entered_at
        where 1 = 0

    ),

{% endif %}

entered as (

    select
        {{ dbt.hash(dbt.concat([
            'members.audience_name', "'|'", 'members.unified_customer_id', "'|'",
            'cast(build.built_at as ' ~ dbt.type_string() ~ ')'
        ])) }} as membership_spell_id,
        members.audience_name,
        members.unified_customer_id,
        build.built_at as entered_at,
        cast(null as {{ cdp_tag_timestamp_type() }}) as exited_at,
        cast(null as {{ dbt.type_string() }}) as exit_reason
    from members
    cross join build
    where not exists (
        select 1
        from open_spells
        where
            open_spells.audience_name = members.audience_name
            and open_spells.unified_customer_id = members.unified_customer_id
    )

),

closed as (

    select open_spells.*
    from open_spells
    where not exists (
        select 1
        from members
        where
            members.audience_name = open_spells.audience_name
            and members.unified_customer_id = open_spells.unified_customer_id
    )

),

exited as (

    select
        closed.membership_spell_id,
        closed.audience_name,
        closed.unified_customer_id,
        closed.entered_at,
        build.built_at as exited_at,
        case
            when defined.audience_name is null then 'audience_removed'
            when customers.unified_customer_id is null then 'customer_no_longer_exists'
            when candidates.unified_customer_id is null then 'condition_no_longer_met'
            when consent.unified_customer_id is null then 'consent_missing'
            else 'consent_withdrawn'
        end as exit_reason
    from closed
    cross join build
    left join defined
        on closed.audience_name = defined.audience_name
    left join customers
        on closed.unified_customer_id = customers.unified_customer_id
    left join candidates
        on
            closed.audience_name = candidates.audience_name
            and closed.unified_customer_id = candidates.unified_customer_id
    left join consent
        on
            candidates.unified_customer_id = consent.unified_customer_id
            and candidates.channel = consent.channel

),

final as (

    select * from entered
    union all
    select * from exited

)

select * from final
