{#-
    Every enum tag value is one of the tag's allowed_values. The registry checks the values of
    bands and case definitions when it loads; values that come from data (a mode, a last value, an
    expression over a profile column) can only be checked here. Returns the offending rows.
-#}

{%- set enums = cdp_tag_list() | selectattr('value_type', 'equalto', 'enum') | list %}

with

customer_tags as (

    select * from {{ ref('fct_customer_tags') }}

),

final as (

    select
        tag_name,
        tag_value,
        count(*) as customers
    from customer_tags
    where
        {%- for tag in enums %}
        (tag_name = {{ cdp_tag_literal(tag.name) }} and tag_value not in (
            {%- for value in tag.allowed_values -%}
            {{ cdp_tag_literal(value) }}{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        ))
        {% if not loop.last %}or{% endif %}
        {%- endfor %}
    group by tag_name, tag_value

)

select * from final
