{#-
    Code rule: a code (gender, consent flag, status, channel, ...) is looked up, trimmed and
    lowercased, in the `code_values` seed for its domain. An empty value is null; a value the seed
    does not know becomes 'unknown', so accepted-values tests hold and the raw value stays in the
    `*_original` column for someone to add to the seed.
-#}
{% macro cdp_code_value(domain, expression) -%}
    {%- if not modules.re.fullmatch('[a-z][a-z0-9_]*', domain) -%}
        {{ exceptions.raise_compiler_error("cdp_code_value: domain must be a snake_case name, got " ~ domain) }}
    {%- endif -%}
    case
        when {{ cdp_squish(expression) }} is null then null
        else coalesce(
            {{ cdp_seed_lookup(
                ref('code_values'), 'raw_value', 'value', "domain = '" ~ domain ~ "'",
                'lower(' ~ cdp_squish(expression) ~ ')'
            ) }},
            'unknown'
        )
    end
{%- endmacro %}

{#- A yes/no flag through the `consent` (or another boolean) domain of the seed: true, false, or
    null when empty or unknown (unknown consent is never read as a yes). -#}
{% macro cdp_flag_value(domain, expression) -%}
    case {{ cdp_code_value(domain, expression) }}
        when 'true' then true
        when 'false' then false
    end
{%- endmacro %}

{#- ISO 3166-1 alpha-2 code from a code or a name in any spelling the `country_codes` seed lists
    ('CN', 'China', '中国' -> 'CN'); null when the seed does not know it. -#}
{% macro cdp_country_code(expression) -%}
    {{ cdp_seed_lookup(
        ref('country_codes'), 'alias', 'country_code', 'true', 'lower(' ~ cdp_squish(expression) ~ ')'
    ) }}
{%- endmacro %}

{#- ISO 4217 currency code, upper-cased, when the `currencies` seed lists it; null otherwise. -#}
{% macro cdp_currency_code(expression) -%}
    {{ cdp_seed_lookup(
        ref('currencies'), 'currency_code', 'currency_code', 'true',
        'upper(' ~ cdp_squish(expression) ~ ')'
    ) }}
{%- endmacro %}
