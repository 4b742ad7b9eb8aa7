{#-
    One row per tag of the registry: its definition, owner and version, and its coverage and
    distribution in the current build (fct_customer_tags), and when its values last changed
    (snp_customer_tags, for tags with history).
-#}

with

registry as (

    {{ cdp_tag_registry_rows() | indent(4) }}

),

customer_tags as (

    select * from {{ ref('fct_customer_tags') }}

),

customers as (

    select count(*) as customers from {{ ref('dim_customers') }}

),

coverage as (

    select
        tag_name,
        count(*) as customers_with_value,
        count(distinct tag_value) as distinct_values,
        min(tag_value_number) as min_value,
        {{ cdp_tag_percentile('tag_value_number', 0.5) }} as median_value,
        max(tag_value_number) as max_value,
        avg(tag_value_number) as mean_value
    from customer_tags
    group by tag_name

),

value_counts as (

    select
        tag_name,
        tag_value,
        count(*) as customers,
        row_number() over (partition by tag_name order by count(*) desc, tag_value) as value_rank
    from customer_tags
    where value_type in ('boolean', 'enum', 'text')
    group by tag_name, tag_value

),

top_values as (

    select
        tag_name,
        {{ dbt.listagg(
            "tag_value || ': ' || cast(customers as " ~ dbt.type_string() ~ ")",
            "', '",
            "order by customers desc, tag_value"
        ) }} as top_values
    from value_counts
    where value_rank <= 10
    group by tag_name

),

{% set snapshot = ref('snp_customer_tags') %}
changes as (

    select
        tag_name,
        max(dbt_valid_from) as last_changed_at
    from {{ snapshot }}
    group by tag_name

),

final as (

    select
        registry.tag_name,
        registry.category,
        registry.description,
        registry.owner,
        registry.value_type,
        registry.allowed_values,
        registry.definition_kind,
        registry.definition,
        registry.depends_on,
        registry.refresh,
        registry.tag_version,
        registry.has_history,
        registry.defined_in,
        customers.customers,
        coalesce(coverage.customers_with_value, 0) as customers_with_value,
        round(
            cast(coalesce(coverage.customers_with_value, 0) as numeric)
            / nullif(customers.customers, 0),
            4
        ) as coverage_share,
        coverage.distinct_values,
        coverage.min_value,
        coverage.median_value,
        coverage.max_value,
        coverage.mean_value,
        top_values.top_values,
        changes.last_changed_at
    from registry
    cross join customers
    left join coverage on registry.tag_name = coverage.tag_name
    left join top_values on registry.tag_name = top_values.tag_name
    left join changes on registry.tag_name = changes.tag_name

)

select * from final
