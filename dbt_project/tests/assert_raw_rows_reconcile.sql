{#-
    Quarantine, not loss: for every raw table of the `quarantine_tables` var, the rows staging
    kept plus the rows it quarantined equal the rows of the raw table. A failing row names the
    table and the three counts. A raw table the var does not list (a new source or entity) fails
    too, with null counts: it would otherwise escape the check. In Dagster it is a check of
    int_rows_quarantined (dagster-dbt attaches a singular test through meta.dagster.ref).
-#}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'int_rows_quarantined'}}}) }}
{%- set quarantine_tables = var('quarantine_tables') -%}
{#- The loader's own bookkeeping tables in each raw schema, not data to stage. -#}
{%- set loader_tables = ['quarantined_rows', 'loaded_files'] -%}
{%- set listed = [] -%}
{%- for quarantine_table in quarantine_tables -%}
    {%- do listed.append('raw_' ~ quarantine_table.source ~ '.' ~ quarantine_table.table) -%}
{%- endfor -%}
{%- set unlisted = [] -%}
{%- if execute -%}
    {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set qualified = node.source_name ~ '.' ~ node.name -%}
        {%- if node.source_name.startswith('raw_') and node.name not in loader_tables
            and qualified not in listed -%}
            {%- do unlisted.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

quarantined as (

    select
        source_name,
        table_name,
        count(*) as quarantined_rows
    from {{ ref('int_rows_quarantined') }}
    group by source_name, table_name

),

row_counts as (

    {% for quarantine_table in quarantine_tables %}
        select
            '{{ quarantine_table.source }}' as source_name,
            '{{ quarantine_table.table }}' as table_name,
            (
                select count(*)
                from {{ source('raw_' ~ quarantine_table.source, quarantine_table.table) }}
            ) as raw_rows,
            (
                select count(*)
                from {{ ref('stg_' ~ quarantine_table.source ~ '__' ~ quarantine_table.table) }}
            ) as staged_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

reconciled as (

    select
        row_counts.source_name,
        row_counts.table_name,
        row_counts.raw_rows,
        row_counts.staged_rows,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
        'staged + quarantined != raw' as problem
    from row_counts
    left join quarantined
        on
            row_counts.source_name = quarantined.source_name
            and row_counts.table_name = quarantined.table_name
    where row_counts.raw_rows != row_counts.staged_rows + coalesce(quarantined.quarantined_rows, 0)

)

select * from reconciled
{% for node in unlisted %}
    union all
    select
        '{{ node.source_name[4:] }}' as source_name,
        '{{ node.name }}' as table_name,
        null as raw_rows,
        null as staged_rows,
        null as quarantined_rows,
        'raw table missing from the quarantine_tables var' as problem
{% endfor %}
