{#-
    JSON and casting helpers for semi-structured sources (Segment traits, context, properties).
    DuckDB is the tested adapter; the default implementations follow PostgreSQL.
-#}

{#- The text at a dotted `path` of a JSON column ('device.id' -> $.device.id), unquoted; null
    when the key is absent or JSON null. An object or array comes back as its JSON text.
    `all_paths`, optional: every path the model reads from the same column. DuckDB then parses
    the document once for all of them (one extraction of a list of paths, shared by the columns
    through common-subexpression elimination) instead of once per column: ten times faster on
    Segment events. -#}
{% macro cdp_json_text(expression, path, all_paths=none) -%}
    {%- for checked in [path] + (all_paths or []) -%}
        {%- if not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*', checked) -%}
            {{ exceptions.raise_compiler_error("cdp_json_text: paths must be dotted key names, got " ~ checked) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if all_paths is not none and path not in all_paths -%}
        {{ exceptions.raise_compiler_error("cdp_json_text: " ~ path ~ " is not in all_paths") }}
    {%- endif -%}
    {{ return(adapter.dispatch('cdp_json_text', 'cdp')(expression, path, all_paths)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_text(expression, path, all_paths=none) -%}
    {%- if all_paths -%}
        json_extract_string(
            {{ expression }},
            [{%- for one_path in all_paths -%}'$.{{ one_path }}'{{ ', ' if not loop.last }}{%- endfor -%}]
        )[{{ all_paths.index(path) + 1 }}]
    {%- else -%}
        json_extract_string({{ expression }}, '$.{{ path }}')
    {%- endif -%}
{%- endmacro %}

{% macro default__cdp_json_text(expression, path, all_paths=none) -%}
    (cast({{ expression }} as jsonb) #>> '{ {{- path.split('.') | join(',') -}} }')
{%- endmacro %}

{#- Cast that yields null instead of failing on a value that does not fit the type ('abc' or
    '1.5' as an integer): one malformed property must not fail the whole model. -#}
{% macro cdp_try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('cdp_try_cast', 'cdp')(expression, data_type)) }}
{%- endmacro %}

{% macro duckdb__cdp_try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- dbt's safe_cast is try_cast / safe_cast on the warehouses that have one. -#}
{% macro default__cdp_try_cast(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}

{#- The rows of `relation` with every column of `optional_columns` ({name: type}) present:
    the loader keeps unmapped columns under their own names (e.g. Segment's `channel`), so such a
    column exists only when the landing files have it. A missing one is a typed null, so the
    model compiles for every source that maps only the standard fields. -#}
{% macro cdp_select_with_optional_columns(relation, optional_columns) -%}
    {{ return(adapter.dispatch('cdp_select_with_optional_columns', 'cdp')(relation, optional_columns)) }}
{%- endmacro %}

{#- DuckDB: UNION ALL BY NAME with an empty row of the optional columns adds those that are
    missing and leaves the others alone; no introspection, so it works on unit-test fixtures. -#}
{% macro duckdb__cdp_select_with_optional_columns(relation, optional_columns) -%}
    select * from {{ relation }} union all by name select
    {%- for column_name, data_type in optional_columns.items() -%}
        {{ ' ' }}cast(null as {{ data_type }}) as {{ column_name }}{{ ',' if not loop.last }}
    {%- endfor %} where false
{%- endmacro %}

{% macro default__cdp_select_with_optional_columns(relation, optional_columns) -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    select
        *
        {%- for column_name, data_type in optional_columns.items() if column_name not in present %},
            cast(null as {{ data_type }}) as {{ column_name }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}
