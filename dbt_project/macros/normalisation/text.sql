{#-
    Text clean-up shared by every normalisation rule. Each macro takes a SQL expression and returns
    one; warehouse differences go through adapter.dispatch (DuckDB is the tested adapter, the
    default implementations follow PostgreSQL).
-#}

{#- Unicode NFC: 'e' + combining acute (NFD, as macOS writes it) equals the precomposed 'é'. -#}
{% macro cdp_nfc(expression) -%}
    {{ return(adapter.dispatch('cdp_nfc', 'cdp')(expression)) }}
{%- endmacro %}

{% macro duckdb__cdp_nfc(expression) -%}
    nfc_normalize({{ expression }})
{%- endmacro %}

{% macro default__cdp_nfc(expression) -%}
    normalize({{ expression }}, nfc)
{%- endmacro %}

{#- Full-width ASCII forms (U+FF01-U+FF5E) and the ideographic space (U+3000), as typed with a
    Chinese IME, become their half-width ASCII characters: '１３８' -> '138', 'Ａ' -> 'A'. -#}
{% macro cdp_half_width(expression) -%}
    {{ return(adapter.dispatch('cdp_half_width', 'cdp')(expression)) }}
{%- endmacro %}

{#- DuckDB's translate() rebuilds its character map on every call (about 15 µs a value, the
    largest cost of a staging view); a regexp test for any full-width character first is ten
    times cheaper and almost always false. -#}
{% macro duckdb__cdp_half_width(expression) -%}
    case
        when regexp_matches({{ expression }}, '[！-～　]')
            then {{ default__cdp_half_width(expression) | trim }}
        else {{ expression }}
    end
{%- endmacro %}

{% macro default__cdp_half_width(expression) -%}
    translate(
        {{ expression }},
        '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　',
        '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ '
    )
{%- endmacro %}

{#- NFC, half-width, every run of whitespace (tabs, no-break and zero-width spaces included)
    collapsed to one space, trimmed; empty becomes null. The class holds those spaces as
    literal characters: RE2 has no \u escapes. -#}
{% macro cdp_squish(expression) -%}
    nullif(
        trim(
            regexp_replace(
                {{ cdp_half_width(cdp_nfc(expression)) }},
                '[\s ​ -   ﻿]+',
                ' ',
                'g'
            )
        ),
        ''
    )
{%- endmacro %}

{#- Case-insensitive regular-expression match (RE2 on DuckDB, POSIX on PostgreSQL): both accept
    the patterns of the junk seed, which avoid back-references and look-arounds for that reason. -#}
{% macro cdp_regexp_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('cdp_regexp_matches', 'cdp')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__cdp_regexp_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, {{ pattern }})
{%- endmacro %}

{% macro default__cdp_regexp_matches(expression, pattern) -%}
    ({{ expression }} ~ {{ pattern }})
{%- endmacro %}

{#- Accents folded: 'Zoë Núñez' -> 'Zoe Nunez'. PostgreSQL needs the unaccent extension. -#}
{% macro cdp_strip_accents(expression) -%}
    {{ return(adapter.dispatch('cdp_strip_accents', 'cdp')(expression)) }}
{%- endmacro %}

{% macro duckdb__cdp_strip_accents(expression) -%}
    strip_accents({{ expression }})
{%- endmacro %}

{% macro default__cdp_strip_accents(expression) -%}
    unaccent({{ expression }})
{%- endmacro %}
