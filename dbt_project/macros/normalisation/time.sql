{#-
    Timestamps arrive in UTC from the loader (offsets honoured, local times converted with the
    source's time zone). A timestamp later than now plus the `future_tolerance_hours` var (clock
    skew of devices and exports) is flagged, not dropped.
-#}
{% macro cdp_is_future(expression) -%}
    coalesce(
        {{ expression }} > {{ dbt.dateadd('hour', var('future_tolerance_hours'), dbt.current_timestamp()) }},
        false
    )
{%- endmacro %}

{#- A date of birth is plausible between 1900-01-01 and today; otherwise the reason. -#}
{% macro cdp_birth_date_invalid_reason(expression) -%}
    case
        when {{ expression }} is null then null
        when {{ expression }} < cast('1900-01-01' as date) then 'before_1900'
        when {{ expression }} > cast({{ dbt.current_timestamp() }} as date) then 'in_the_future'
    end
{%- endmacro %}
