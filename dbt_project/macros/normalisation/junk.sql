{#-
    Junk identifiers: placeholders, test addresses and repeated digits listed in the
    `junk_identifiers` seed, which analytics engineers edit. Returns the seed's reason when the
    value is junk, else null. `identifier_type` is email or phone (rows of type `any` apply to
    both); the value is compared as given (pass the normalised value) and, for `exact` rows, also
    lowercased and trimmed as it arrived (`original`), so 'N/A' is caught before parsing.
    Patterns are matched as data from the seed, never spliced into the SQL text.
-#}
{% macro cdp_junk_reason(identifier_type, normalised, original=none) -%}
    {%- if identifier_type not in ('email', 'phone') -%}
        {{ exceptions.raise_compiler_error("cdp_junk_reason: identifier_type must be email or phone, got " ~ identifier_type) }}
    {%- endif -%}
    {%- set junk = ref('junk_identifiers') -%}
    {%- set types = "identifier_type in ('" ~ identifier_type ~ "', 'any')" -%}
    coalesce(
        {{ cdp_seed_lookup(junk, 'value', 'reason', types ~ " and match_type = 'exact'", normalised) }},
        {%- if original is not none %}
            {{ cdp_seed_lookup(
                junk, 'value', 'reason', types ~ " and match_type = 'exact'",
                'lower(' ~ cdp_squish(original) ~ ')'
            ) }},
        {%- endif %}
        {%- if identifier_type == 'email' %}
            {{ cdp_seed_lookup(
                junk, 'value', 'reason', types ~ " and match_type = 'domain'",
                cdp_email_domain(normalised)
            ) }},
            {{ cdp_seed_lookup(
                junk, 'value', 'reason', types ~ " and match_type = 'local_part'",
                "regexp_extract(" ~ normalised ~ ", '^([^@]*)@', 1)"
            ) }},
        {%- endif %}
        {{ cdp_seed_pattern_lookup(junk, 'value', 'reason', types ~ " and match_type = 'regex'", normalised) }}
    )
{%- endmacro %}
