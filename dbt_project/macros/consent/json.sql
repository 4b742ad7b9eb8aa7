{#-
    The text of the top-level key named by `key_expression` (a column, not a literal) in the JSON
    object `expression`: 'true' / 'false' for booleans, null when the key is absent. Used to read
    Segment's consent categoryPreferences against the categories of a seed.
-#}

{% macro cdp_json_key_text(expression, key_expression) -%}
    {{ return(adapter.dispatch('cdp_json_key_text', 'cdp')(expression, key_expression)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_key_text(expression, key_expression) -%}
    json_extract_string({{ expression }}, '$."' || {{ key_expression }} || '"')
{%- endmacro %}

{% macro default__cdp_json_key_text(expression, key_expression) -%}
    (cast({{ expression }} as jsonb) ->> {{ key_expression }})
{%- endmacro %}
