{#-
    Name rule. Display value: NFC, full-width to half-width, whitespace collapsed and trimmed, and
    no space between two CJK characters ('郭 军 龙' -> '郭军龙', as Chinese names are written);
    Latin names keep their case and accents ('José  María' -> 'José María').
    The CJK class is written as literal ranges (U+3400-U+4DBF, U+4E00-U+9FFF) so the same pattern
    works without \p{Han} (PostgreSQL has no Unicode script classes).
-#}
{% macro cdp_clean_name(expression) -%}
    {%- set cjk = '[㐀-䶿一-鿿]' -%}
    {#- Applied twice: a match consumes the right-hand character, so '郭 军 龙' needs two passes. -#}
    {%- set once = "regexp_replace(" ~ cdp_squish(expression) ~ ", '(" ~ cjk ~ ") (" ~ cjk ~ ")', '\\1\\2', 'g')" -%}
    regexp_replace({{ once }}, '({{ cjk }}) ({{ cjk }})', '\1\2', 'g')
{%- endmacro %}

{#- Matching key beside the display value: the clean name lowercased, accents folded, and
    everything that is not a letter or a digit removed (spaces, dots, hyphens, apostrophes, middle
    dots, emoji), so 'José-María' and 'jose maria', 'O''Brien' and 'OBRIEN', '郭军龙' and '郭 军龙 😀'
    compare equal. Never shown, only compared. -#}
{% macro cdp_name_match_key(expression) -%}
    nullif(
        {{ cdp_remove_non_alphanumeric(
            'lower(' ~ cdp_strip_accents(cdp_clean_name(expression)) ~ ')'
        ) }},
        ''
    )
{%- endmacro %}

{% macro cdp_remove_non_alphanumeric(expression) -%}
    {{ return(adapter.dispatch('cdp_remove_non_alphanumeric', 'cdp')(expression)) }}
{%- endmacro %}

{% macro duckdb__cdp_remove_non_alphanumeric(expression) -%}
    regexp_replace({{ expression }}, '[^\p{L}\p{N}]+', '', 'g')
{%- endmacro %}

{% macro default__cdp_remove_non_alphanumeric(expression) -%}
    regexp_replace({{ expression }}, '[^[:alnum:]]+', '', 'g')
{%- endmacro %}
