{#-
    The tag registry as dbt sees it: dbt_project/tags/*.yml, validated and compiled by
    `cdp tags compile` (orchestration/tags/) into macros/tags/generated/. Free SQL in it was parsed,
    allow-listed and re-rendered with quoted identifiers per dialect, so these macros only place it.
-#}

{% macro cdp_tags() -%}
    {%- if cdp_tag_registry_compiled is not defined -%}
        {{ exceptions.raise_compiler_error(
            "The tag registry is not compiled: run `uv run cdp tags compile` (make prepare, "
            "make validate and the Dagster definitions do it) after editing dbt_project/tags/."
        ) }}
    {%- endif -%}
    {{ return(cdp_tag_registry_compiled()) }}
{%- endmacro %}

{#- Tags of the registry, in dependency order, filtered by definition kind and refresh. -#}
{% macro cdp_tag_list(kinds=none, refresh=none, exclude_kinds=none) -%}
    {%- set selected = [] -%}
    {%- for tag in cdp_tags().tags -%}
        {%- if (kinds is none or tag.kind in kinds)
            and (exclude_kinds is none or tag.kind not in exclude_kinds)
            and (refresh is none or tag.refresh == refresh) -%}
            {%- do selected.append(tag) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(selected) }}
{%- endmacro %}

{#- A tag's checked SQL for the current warehouse. -#}
{% macro cdp_tag_sql(tag) -%}
    {%- if target.type not in tag.sql -%}
        {{ exceptions.raise_compiler_error(
            "Tag " ~ tag.name ~ " has no SQL for target type " ~ target.type
            ~ " (compiled for: " ~ (tag.sql.keys() | join(", ")) ~ ")"
        ) }}
    {%- endif -%}
    {{ return(tag.sql[target.type]) }}
{%- endmacro %}

{#- A quoted column name (tag names are snake_case, but may still be reserved words). -#}
{% macro cdp_tag_column(name) -%}
    {{ return(adapter.quote(name)) }}
{%- endmacro %}

{#- A literal of a rule value already validated by the registry (number, boolean, snake_case). -#}
{% macro cdp_tag_literal(value) -%}
    {%- if value is none -%}
        {{ return("null") }}
    {%- elif value is sameas true or value is sameas false -%}
        {{ return("true" if value else "false") }}
    {%- elif value is number -%}
        {{ return(value | string) }}
    {%- elif modules.re.match("^[a-z0-9][a-z0-9_]*$", value) -%}
        {{ return("'" ~ value ~ "'") }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("Not a registry literal: " ~ value) }}
    {%- endif -%}
{%- endmacro %}

{#- SQL for a UTC timestamp given as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM[:SS]'. -#}
{% macro cdp_tag_timestamp(value) -%}
    {%- set text = value | string -%}
    {%- if not modules.re.match("^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$", text) -%}
        {{ exceptions.raise_compiler_error(
            "tags_as_of must look like 2026-12-01 or 2026-12-01 08:00:00 (UTC), got: " ~ text
        ) }}
    {%- endif -%}
    {%- set full = (text ~ " 00:00:00")[:19] if text | length == 10 else (text ~ ":00")[:19] -%}
    {{ return("cast('" ~ full ~ "+00' as " ~ cdp_tag_timestamp_type() ~ ")") }}
{%- endmacro %}

{% macro cdp_tag_timestamp_type() -%}
    {{ return(adapter.dispatch('cdp_tag_timestamp_type', 'cdp')()) }}
{%- endmacro %}

{% macro default__cdp_tag_timestamp_type() -%}
    {{ return("timestamp with time zone") }}
{%- endmacro %}

{#-
    The time the current tags are computed as of (UTC): var tags_as_of, else the environment
    variable CDP_TAGS_AS_OF, else the run's start. The demo sets it to the end of the sample data
    so that "days since" means the same whenever the demo runs.
-#}
{% macro cdp_tags_as_of_value() -%}
    {%- set value = var('tags_as_of', env_var('CDP_TAGS_AS_OF', '')) -%}
    {%- if value is none or value == '' -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
    {%- endif -%}
    {{ return(value | string) }}
{%- endmacro %}

{% macro cdp_tags_as_of() -%}
    {{ return(cdp_tag_timestamp(cdp_tags_as_of_value())) }}
{%- endmacro %}
