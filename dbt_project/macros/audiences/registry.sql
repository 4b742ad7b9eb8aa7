{#-
    The audience registry as dbt sees it: dbt_project/audiences/*.yml, validated and compiled by
    `cdp audiences compile` (orchestration/audiences/) into macros/audiences/generated/. Each
    condition was parsed, allow-listed and re-rendered with quoted identifiers per dialect over
    the columns of marts.dim_customer_tags, so these macros only place it.
-#}

{% macro cdp_audiences() -%}
    {%- if cdp_audience_registry_compiled is not defined -%}
        {{ exceptions.raise_compiler_error(
            "The audience registry is not compiled: run `uv run cdp audiences compile` (make "
            "prepare, make validate and the Dagster definitions do it) after editing "
            "dbt_project/audiences/."
        ) }}
    {%- endif -%}
    {{ return(cdp_audience_registry_compiled()) }}
{%- endmacro %}

{#- An audience's checked condition for the current warehouse. -#}
{% macro cdp_audience_condition(audience) -%}
    {%- if target.type not in audience.sql -%}
        {{ exceptions.raise_compiler_error(
            "Audience " ~ audience.name ~ " has no SQL for target type " ~ target.type
        ) }}
    {%- endif -%}
    {{ return(audience.sql[target.type]) }}
{%- endmacro %}

{#- A SQL string literal of free text (descriptions): quotes doubled. -#}
{% macro cdp_audience_string(value) -%}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{#- When this build of the audiences happened (UTC): the var audience_built_at
    ('YYYY-MM-DD[ HH:MM[:SS]]', for tests and replays), else dbt's run start. -#}
{% macro cdp_audience_built_at() -%}
    {%- set value = var('audience_built_at', none) -%}
    {%- if value is none -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
    {%- endif -%}
    {{ return(cdp_tag_timestamp(value)) }}
{%- endmacro %}

{#- One row per audience of the registry (an empty typed row set when there is none). -#}
{% macro cdp_audience_catalog_sql() -%}
    {%- set audiences = cdp_audiences().audiences -%}
    {%- if audiences | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as audience_name,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as owner,
        cast(null as {{ dbt.type_string() }}) as description,
        cast(null as {{ dbt.type_int() }}) as audience_version,
        cast(null as {{ dbt.type_string() }}) as definition_file,
        cast(null as {{ dbt.type_string() }}) as condition_sql,
        cast(null as {{ dbt.type_string() }}) as tags_read,
        cast(null as {{ dbt.type_string() }}) as definition_hash
    where 1 = 0
    {%- endif %}
    {%- for audience in audiences %}
    select
        {{ cdp_tag_literal(audience.name) }} as audience_name,
        {{ cdp_tag_literal(audience.channel) }} as channel,
        {{ cdp_audience_string(audience.owner) }} as owner,
        {{ cdp_audience_string(audience.description) }} as description,
        cast({{ audience.version | int }} as {{ dbt.type_int() }}) as audience_version,
        {{ cdp_audience_string(audience.file) }} as definition_file,
        {{ cdp_audience_string(cdp_audience_condition(audience)) }} as condition_sql,
        {{ cdp_audience_string(audience.tags | join(', ')) }} as tags_read,
        {{ cdp_audience_string(audience.definition_hash) }} as definition_hash
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- One row per audience and customer of `tags` (a relation or CTE with the columns of
    dim_customer_tags) whose condition holds. A null tag value never matches: the condition is
    true, or the customer is out. -#}
{% macro cdp_audience_candidates_sql(tags) -%}
    {%- set audiences = cdp_audiences().audiences -%}
    {%- if audiences | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as audience_name,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_int() }}) as audience_version,
        cast(null as {{ dbt.type_string() }}) as unified_customer_id
    where 1 = 0
    {%- endif %}
    {%- for audience in audiences %}
    select
        {{ cdp_tag_literal(audience.name) }} as audience_name,
        {{ cdp_tag_literal(audience.channel) }} as channel,
        cast({{ audience.version | int }} as {{ dbt.type_int() }}) as audience_version,
        {{ tags }}.unified_customer_id
    from {{ tags }}
    where coalesce(({{ cdp_audience_condition(audience) }}), false)
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
