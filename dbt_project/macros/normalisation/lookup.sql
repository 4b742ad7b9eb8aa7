{#-
    Lookups in the small rule seeds (codes, countries, currencies, junk values).

    On DuckDB the seed rows become one MAP (or list) in an uncorrelated scalar subquery, computed
    once per query, and each row looks its value up in it. A correlated subquery per row would
    be the portable form, but DuckDB runs it as a duplicate-eliminating join that materialises
    the whole input once per lookup: on 1M Segment events the staging model peaked at 12 GB and
    at 10M it filled the disk with spill files. Other warehouses get the correlated subquery.
    `where` is SQL written in these macros, never a value from a seed or a user.
-#}

{#- The `value_column` of the seed row whose `key_column` equals `key_expression`, among the
    rows matching `where`; the smallest when several match; null when none does. -#}
{% macro cdp_seed_lookup(seed, key_column, value_column, where, key_expression) -%}
    {{ return(adapter.dispatch('cdp_seed_lookup', 'cdp')(seed, key_column, value_column, where, key_expression)) }}
{%- endmacro %}

{% macro duckdb__cdp_seed_lookup(seed, key_column, value_column, where, key_expression) -%}
    (
        select map_from_entries(list(struct_pack(k := lookup_key, v := lookup_value)))
        from (
            select
                {{ key_column }} as lookup_key,
                min({{ value_column }}) as lookup_value
            from {{ seed }}
            where {{ where }}
            group by {{ key_column }}
        )
    )[{{ key_expression }}]
{%- endmacro %}

{% macro default__cdp_seed_lookup(seed, key_column, value_column, where, key_expression) -%}
    (
        select min({{ value_column }})
        from {{ seed }}
        where {{ where }} and {{ key_column }} = {{ key_expression }}
    )
{%- endmacro %}

{#- The smallest `value_column` of the seed rows matching `where` whose regular expression in
    `pattern_column` matches `expression`; null when none does. -#}
{% macro cdp_seed_pattern_lookup(seed, pattern_column, value_column, where, expression) -%}
    {{ return(adapter.dispatch('cdp_seed_pattern_lookup', 'cdp')(seed, pattern_column, value_column, where, expression)) }}
{%- endmacro %}

{% macro duckdb__cdp_seed_pattern_lookup(seed, pattern_column, value_column, where, expression) -%}
    list_filter(
        (
            select list(
                struct_pack(pattern := {{ pattern_column }}, lookup_value := {{ value_column }})
                order by {{ value_column }}
            )
            from {{ seed }}
            where {{ where }}
        ),
        lambda rule: regexp_matches({{ expression }}, struct_extract(rule, 'pattern'))
    )[1].lookup_value
{%- endmacro %}

{% macro default__cdp_seed_pattern_lookup(seed, pattern_column, value_column, where, expression) -%}
    (
        select min({{ value_column }})
        from {{ seed }}
        where {{ where }} and {{ cdp_regexp_matches(expression, pattern_column) }}
    )
{%- endmacro %}
