{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='fail'
    )
}}

{#-
    One row per build of the identity graph: customers, singletons, the largest customer, the
    ledger's new ids, merge and split events, excluded identifiers by rule, and how the soft graph's
    connected components ran (full or incremental, rounds to converge). Appended for ever.
-#}

{#- The connected_components materialization writes a run log beside each model it builds
    (<model>__runs); the soft graph's exists whenever this model runs, since it is upstream. -#}
{%- set soft_components = ref('int_identity_components_soft') %}
{%- set soft_runs = api.Relation.create(
    database=soft_components.database,
    schema=soft_components.schema,
    identifier=soft_components.identifier ~ '__runs'
) %}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

identity_events as (

    select * from {{ ref('identity_events') }}

),

excluded as (

    select * from {{ ref('int_identifiers_excluded') }}

),

rule_versions as (

    select * from {{ ref('int_identity_rule_versions') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids') }}

),

ids_build as (

    -- the dbt invocation that assigned the ids: the ledger's key for this build
    select max(assigned_invocation_id) as invocation_id from customer_ids

),

customer_stats as (

    select
        count(*) as customers,
        sum(case when record_count = 1 then 1 else 0 end) as singleton_customers,
        max(record_count) as largest_customer_records,
        max(identifier_count) as largest_customer_identifiers,
        sum(case when crm_id is not null then 1 else 0 end) as customers_with_crm_id,
        sum(case when has_probabilistic_link then 1 else 0 end)
            as customers_with_probabilistic_link,
        sum(record_count) as records
    from customers

),

ledger_stats as (

    select
        sum(case when event_type = 'new' then 1 else 0 end) as new_customer_ids,
        sum(case when event_type = 'merge' then 1 else 0 end) as merge_events,
        sum(case when event_type = 'split' then 1 else 0 end) as split_events
    from identity_events
    where invocation_id = (select ids_build.invocation_id from ids_build)

),

{%- set exclusion_rules = [
    'junk_value', 'invalid_value', 'blocked_value', 'shared_across_hard_ids', 'too_many_links',
    'ttl_expired', 'conflicting_component',
] %}

excluded_stats as (

    select
        count(*) as excluded_identifiers,
        {%- for rule in exclusion_rules %}
            sum(case when exclusion_rule = '{{ rule }}' then 1 else 0 end)
                as excluded_{{ rule }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from excluded

),

component_runs as (

    -- the latest run: Dagster may build the soft graph in an earlier dbt invocation
    select
        runs.mode as soft_graph_mode,
        runs.rounds as soft_graph_rounds
    from {{ soft_runs }} as runs
    where runs.finished_at = (select max(latest.finished_at) from {{ soft_runs }} as latest)

),

final as (

    select
        ids_build.invocation_id,
        rule_versions.rule_version,
        {{ dbt.current_timestamp() }} as computed_at,
        customer_stats.*,
        coalesce(ledger_stats.new_customer_ids, 0) as new_customer_ids,
        coalesce(ledger_stats.merge_events, 0) as merge_events,
        coalesce(ledger_stats.split_events, 0) as split_events,
        excluded_stats.*,
        (select max(runs.soft_graph_mode) from component_runs as runs) as soft_graph_mode,
        (select max(runs.soft_graph_rounds) from component_runs as runs) as soft_graph_rounds
    from customer_stats
    cross join ledger_stats
    cross join excluded_stats
    cross join rule_versions
    cross join ids_build
    {% if is_incremental() %}
    where not exists (
        select 1
        from {{ this }} as recorded
        where recorded.invocation_id = ids_build.invocation_id
    )
    {% endif %}

)

select * from final
