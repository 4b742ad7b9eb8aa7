{#-
    One select of identifier observations from one staging model: a row per record whose
    `value` is present, shaped as int_identifiers expects.

    `value` is the normalised identifier (null when the record has none). `unusable_rule` and
    `unusable_reason` are expressions that are null for a usable value and say why otherwise
    (staging's junk and validity verdicts); `original` is what the source wrote, kept for values
    that staging could not normalise. All arguments are SQL written in the model, never data.
-#}
{% macro cdp_identifier_rows(
    relation, source_name, source_table, record_key, observed_at, identifier_type, value,
    original=none, unusable_rule=none, unusable_reason=none
) -%}
    {%- set shown_value = value if original is none else 'coalesce(' ~ value ~ ', ' ~ cdp_squish(original) ~ ')' -%}
    select
        '{{ source_name }}' as source_name,
        '{{ source_table }}' as source_table,
        cast({{ record_key }} as {{ dbt.type_string() }}) as record_key,
        '{{ identifier_type }}' as identifier_type,
        cast({{ shown_value }} as {{ dbt.type_string() }}) as identifier_value,
        cast({{ observed_at }} as {{ dbt.type_timestamp() }}) as observed_at,
        cast({{ unusable_rule if unusable_rule is not none else 'null' }} as {{ dbt.type_string() }})
            as unusable_rule,
        cast({{ unusable_reason if unusable_reason is not none else 'null' }} as {{ dbt.type_string() }})
            as unusable_reason
    from {{ relation }}
    where {{ shown_value }} is not null and {{ shown_value }} <> ''
{%- endmacro %}

{#- Email observations of a staging model with the standard email_* columns (prefix for
    trait_email_*): junk and malformed values are kept as unusable with staging's reason. -#}
{% macro cdp_email_identifier_rows(relation, source_name, source_table, record_key, observed_at, prefix='') -%}
    {{ cdp_identifier_rows(
        relation, source_name, source_table, record_key, observed_at, 'email', prefix ~ 'email',
        original=prefix ~ 'email_original',
        unusable_rule="case when " ~ prefix ~ "email_invalid_reason = 'junk' then 'junk_value'"
            ~ " when not " ~ prefix ~ "email_is_valid then 'invalid_value' end",
        unusable_reason="case when not " ~ prefix ~ "email_is_valid then coalesce("
            ~ prefix ~ "email_junk_reason, " ~ prefix ~ "email_invalid_reason) end"
    ) }}
{%- endmacro %}

{#- Phone observations (phone_e164 and the phone_* verdict columns, or trait_phone_*). -#}
{% macro cdp_phone_identifier_rows(relation, source_name, source_table, record_key, observed_at, prefix='') -%}
    {{ cdp_identifier_rows(
        relation, source_name, source_table, record_key, observed_at, 'phone', prefix ~ 'phone_e164',
        original=prefix ~ 'phone_original',
        unusable_rule="case when " ~ prefix ~ "phone_invalid_reason = 'junk' then 'junk_value'"
            ~ " when not " ~ prefix ~ "phone_is_valid then 'invalid_value' end",
        unusable_reason="case when not " ~ prefix ~ "phone_is_valid then coalesce("
            ~ prefix ~ "phone_junk_reason, " ~ prefix ~ "phone_invalid_reason) end"
    ) }}
{%- endmacro %}

{#- The record itself as an identifier of type source_record ('<source>.<table>:<key>'): every
    staged record appears in int_identifiers at least once, even with no contact point, and a
    record left with nothing that links still gets a customer of its own. -#}
{% macro cdp_record_rows(relation, source_name, source_table, record_key, observed_at) -%}
    {{ cdp_identifier_rows(
        relation, source_name, source_table, record_key, observed_at, 'source_record',
        "'" ~ source_name ~ "." ~ source_table ~ ":' || " ~ record_key
    ) }}
{%- endmacro %}

{#- All identifier rows of one staging model, from a spec written in int_identifiers.sql:
    {'relation', 'source', 'table', 'key', 'observed_at', 'identifiers': [...]}, each identifier
    one of {'type', 'column'} (used as is), {'email': prefix}, {'phone': prefix}, or
    {'type', 'column', 'junk': true} (a column staging nulls when junk, with <column>_original
    and <column>_junk_reason beside it). Always starts with the record's own row. -#}
{% macro cdp_identifier_spec_rows(spec) -%}
    {%- set r, src, tbl, key, at = spec.relation, spec.source, spec.table, spec.key, spec.observed_at -%}
    {{ cdp_record_rows(r, src, tbl, key, at) }}
    {%- for identifier in spec.identifiers %}
    union all
    {% if 'email' in identifier -%}
        {{ cdp_email_identifier_rows(r, src, tbl, key, at, prefix=identifier.email) }}
    {%- elif 'phone' in identifier -%}
        {{ cdp_phone_identifier_rows(r, src, tbl, key, at, prefix=identifier.phone) }}
    {%- elif identifier.get('junk') -%}
        {{ cdp_identifier_rows(
            r, src, tbl, key, at, identifier.type, identifier.column,
            original=identifier.column ~ '_original',
            unusable_rule="case when " ~ identifier.column ~ "_junk_reason is not null then 'junk_value' end",
            unusable_reason=identifier.column ~ '_junk_reason'
        ) }}
    {%- else -%}
        {{ cdp_identifier_rows(r, src, tbl, key, at, identifier.type, identifier.column) }}
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
