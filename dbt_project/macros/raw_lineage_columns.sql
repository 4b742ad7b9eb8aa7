{#- The loader's lineage columns of a raw table, under their staging names: every staging model
    ends its select list with them, so the rename is written once. -#}
{% macro raw_lineage_columns() -%}
    _source_file as source_file_name,
    cast(_source_row as bigint) as source_row_number,
    _ingested_at as ingested_at
{%- endmacro %}
