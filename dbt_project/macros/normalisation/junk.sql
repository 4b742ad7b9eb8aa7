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
    (
        select min(junk.reason)
        from {{ ref('junk_identifiers') }} as junk
        where
            junk.identifier_type in ('{{ identifier_type }}', 'any')
            and (
                (junk.match_type = 'exact' and junk.value = {{ normalised }})
                {%- if original is not none %}
                    or (junk.match_type = 'exact' and junk.value = lower({{ cdp_squish(original) }}))
                {%- endif %}
                {%- if identifier_type == 'email' %}
                    or (junk.match_type = 'domain' and junk.value = {{ cdp_email_domain(normalised) }})
                    or (
                        junk.match_type = 'local_part'
                        and junk.value = regexp_extract({{ normalised }}, '^([^@]*)@', 1)
                    )
                {%- endif %}
                or (junk.match_type = 'regex' and {{ cdp_regexp_matches(normalised, 'junk.value') }})
            )
    )
{%- endmacro %}
