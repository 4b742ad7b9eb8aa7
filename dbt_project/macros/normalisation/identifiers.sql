{#-
    Junk rule for identifiers that are neither email nor phone (Segment anonymousId and userId,
    ...): the reason of an `any` row of the `junk_identifiers` seed whose value equals the
    trimmed, lowercased identifier ('null', 'undefined', 'N/A', '0'), else null. Only `exact`
    rows apply: the domain, local-part and regex rows describe emails and phone numbers.
-#}
{% macro cdp_junk_id_reason(expression) -%}
    {{ cdp_seed_lookup(
        ref('junk_identifiers'), 'value', 'reason',
        "identifier_type = 'any' and match_type = 'exact'",
        'lower(' ~ cdp_squish(expression) ~ ')'
    ) }}
{%- endmacro %}
