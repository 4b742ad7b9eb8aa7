{#-
    Email rule: NFC, full-width to half-width, trimmed, lowercased; a leading `mailto:` and
    surrounding angle brackets or quotes are removed; empty becomes null. The `+tag` part is kept
    (it is a different address to the sender, and stripping it is provider-specific), and IDN
    domains stay in Unicode (`用户@例子.中国`), so the same address always gives the same value.
-#}
{% macro cdp_normalize_email(expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(lower({{ cdp_squish(expression) }}), '^mailto:', ''),
            '^[<"'']+|[>"''.]+$',
            '',
            'g'
        ),
        ''
    )
{%- endmacro %}

{#- Why a normalised email (from cdp_normalize_email) cannot be used: null when it can.
    malformed: not one `@`, whitespace or a comma inside, a local part with an empty dot-separated
    label (`a..b@`, `.a@`), a domain without a dot, an empty label, or a numeric or one-letter
    top-level domain; longer than 254 characters (RFC 5321). -#}
{% macro cdp_email_invalid_reason(normalised) -%}
    case
        when {{ normalised }} is null then 'missing'
        when length({{ normalised }}) > 254 then 'malformed'
        when not {{ cdp_regexp_matches(
            normalised,
            "'^[^@\\s,;.]+(\\.[^@\\s,;.]+)*@([^@\\s,;.\\-_]([^@\\s,;._]*[^@\\s,;.\\-_])?\\.)+[^@\\s,;.\\-_0-9]{2,}$'"
        ) }} then 'malformed'
    end
{%- endmacro %}

{#- The domain of a normalised email (text after the last @), null when there is none. -#}
{% macro cdp_email_domain(normalised) -%}
    nullif(regexp_extract({{ normalised }}, '@([^@]+)$', 1), '')
{%- endmacro %}

{#- The verdict columns of an email, from the columns a base model computed before:
    `<prefix>email` (normalised), `<prefix>email_junk_reason`, `<prefix>email_format_reason`.
    Reasons in order: missing, then junk (placeholders such as 'N/A' are junk, not malformed),
    then malformed. Gives `<prefix>email_invalid_reason` and `<prefix>email_is_valid`. -#}
{% macro cdp_email_verdict(prefix='') -%}
    case
        when {{ prefix }}email is null then 'missing'
        when {{ prefix }}email_junk_reason is not null then 'junk'
        else {{ prefix }}email_format_reason
    end as {{ prefix }}email_invalid_reason,
    {{ prefix }}email is not null
    and {{ prefix }}email_junk_reason is null
    and {{ prefix }}email_format_reason is null as {{ prefix }}email_is_valid
{%- endmacro %}
