{#-
    Quarantine, not loss: the rows of every raw table that its staging base model rejected for a
    hard rule, with the rule and a readable reason. The tables come from the `quarantine_tables`
    var (dbt_project.yml), the same list the reconciliation test checks.
-#}
{%- set quarantine_tables = var('quarantine_tables') -%}

with

{% for quarantine_table in quarantine_tables %}
    {{ quarantine_table.source }}__{{ quarantine_table.table }}_rejected as (

        select
            '{{ quarantine_table.source }}' as source_name,
            '{{ quarantine_table.table }}' as table_name,
            cast({{ quarantine_table.key }} as {{ dbt.type_string() }}) as record_key,
            -- rule and reason: the names the quarantine contract gives these columns.
            quarantine_rule as rule,  -- noqa: RF04
            quarantine_reason as reason,
            source_file_name,
            source_row_number,
            ingested_at
        from {{ ref('base_' ~ quarantine_table.source ~ '__' ~ quarantine_table.table) }}
        where quarantine_rule is not null

    ),

{% endfor %}
unioned as (

    {% for quarantine_table in quarantine_tables %}
        select * from {{ quarantine_table.source }}__{{ quarantine_table.table }}_rejected
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
