{#-
    The long form of tag values: one select per tag of `values` (a relation or CTE with one column
    per tag), unioned, keeping customers that have a value. Values are text in tag_value and,
    for numbers and scores, also tag_value_number.
-#}

{% macro cdp_tags_long_sql(tags, values_relation) -%}
    {%- for tag in tags %}
    select
        unified_customer_id,
        {{ cdp_tag_literal(tag.name) }} as tag_name,
        {{ cdp_tag_literal(tag.category) }} as category,
        {{ cdp_tag_literal(tag.value_type) }} as value_type,
        {{ tag.version }} as tag_version,
        {{ cdp_tag_value_text(tag) }} as tag_value,
        {%- if tag.value_type in ['number', 'score'] %}
        cast({{ cdp_tag_column(tag.name) }} as double) as tag_value_number
        {%- else %}
        cast(null as double) as tag_value_number
        {%- endif %}
    from {{ values_relation }}
    where {{ cdp_tag_column(tag.name) }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- A tag value as text: numbers without float noise, timestamps in ISO form (UTC). -#}
{% macro cdp_tag_value_text(tag) -%}
    {%- set column = cdp_tag_column(tag.name) -%}
    {%- if tag.value_type == 'score' -%}
        {{ return("cast(round(cast(" ~ column ~ " as numeric), 6) as " ~ dbt.type_string() ~ ")") }}
    {%- elif tag.value_type == 'number' -%}
        {{ return("cast(cast(round(cast(" ~ column ~ " as numeric), 4) as double) as "
            ~ dbt.type_string() ~ ")") }}
    {%- elif tag.value_type == 'boolean' -%}
        {{ return("case when " ~ column ~ " then 'true' else 'false' end") }}
    {%- else -%}
        {{ return("cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")") }}
    {%- endif -%}
{%- endmacro %}

{#- The registry as rows: one select of literals per tag (JSON-free, portable). -#}
{% macro cdp_tag_registry_rows() -%}
    {%- for tag in cdp_tags().tags %}
    select
        {{ cdp_tag_text_literal(tag.name) }} as tag_name,
        {{ cdp_tag_text_literal(tag.category) }} as category,
        {{ cdp_tag_text_literal(tag.description) }} as description,
        {{ cdp_tag_text_literal(tag.owner) }} as owner,
        {{ cdp_tag_text_literal(tag.value_type) }} as value_type,
        {{ cdp_tag_text_literal((tag.allowed_values or []) | join(', ')) }} as allowed_values,
        {{ cdp_tag_text_literal(tag.kind) }} as definition_kind,
        {{ cdp_tag_text_literal(tojson(tag.definition)) }} as definition,
        {{ cdp_tag_text_literal((tag.depends_on or []) | join(', ')) }} as depends_on,
        {{ cdp_tag_text_literal(tag.refresh) }} as refresh,
        {{ tag.version }} as tag_version,
        {{ "true" if tag.history else "false" }} as has_history,
        {{ cdp_tag_text_literal('dbt_project/tags/' ~ tag.file) }} as defined_in
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Any registry text as a SQL string literal (quotes doubled; the registry bans nothing else). -#}
{% macro cdp_tag_text_literal(text) -%}
    {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro cdp_tag_percentile(column, fraction) -%}
    {{ return(adapter.dispatch('cdp_tag_percentile', 'cdp')(column, fraction)) }}
{%- endmacro %}

{% macro default__cdp_tag_percentile(column, fraction) -%}
    {{ return("percentile_cont(" ~ fraction ~ ") within group (order by " ~ column ~ ")") }}
{%- endmacro %}

{% macro duckdb__cdp_tag_percentile(column, fraction) -%}
    {{ return("quantile_cont(" ~ column ~ ", " ~ fraction ~ ")") }}
{%- endmacro %}

{#- The wide columns of dim_customer_tags: every tag, from the relation that holds it. -#}
{% macro cdp_tag_wide_columns(values_relation, scores_relation) -%}
    {%- for tag in cdp_tag_list() %}
    {{ scores_relation if tag.kind == 'model_score' else values_relation }}.{{
        cdp_tag_column(tag.name) }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- One column per model-score tag: the score or decile of its model, from (model_name, ...). -#}
{% macro cdp_model_score_columns() -%}
    {%- for tag in cdp_tag_list(kinds=['model_score']) %}
    max(
        case
            when model_name = {{ cdp_tag_literal(tag.definition.model) }}
                then {{ tag.definition.output }}
        end
    ) as {{ cdp_tag_column(tag.name) }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    Feature columns of the tags (model scores excluded): numbers and scores as doubles,
    booleans 0/1, enums one-hot as <tag>__<value>; timestamps and free text are left out.
-#}
{% macro cdp_tag_feature_columns() -%}
    {%- set columns = [] -%}
    {%- for tag in cdp_tag_list(exclude_kinds=['model_score']) -%}
        {%- set column = cdp_tag_column(tag.name) -%}
        {%- if tag.value_type in ['number', 'score'] -%}
            {%- do columns.append("cast(" ~ column ~ " as double) as " ~ column) -%}
        {%- elif tag.value_type == 'boolean' -%}
            {%- do columns.append(
                "case when " ~ column ~ " then 1.0 when not " ~ column ~ " then 0.0 end as "
                ~ column
            ) -%}
        {%- elif tag.value_type == 'enum' -%}
            {%- for value in tag.allowed_values -%}
                {%- do columns.append(
                    "case when " ~ column ~ " = " ~ cdp_tag_literal(value) ~ " then 1.0 else 0.0 end as "
                    ~ cdp_tag_column(tag.name ~ '__' ~ value)
                ) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in columns %}
    {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Point-in-time tag values at each of `dates` ('YYYY-MM-DD'), one union. -#}
{% macro cdp_customer_tags_at_dates(dates) -%}
    {%- for date in dates %}
    select * from (
        {{ cdp_customer_tags_as_of(cdp_tag_timestamp(date)) | indent(8) }}
    ) as values_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
