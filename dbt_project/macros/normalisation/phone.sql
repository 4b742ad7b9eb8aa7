{#-
    The columns a base model takes from its left join to reference.phone_numbers (aliased
    `phone_numbers`), for the phone text in `phone_column`: `is_<prefix>phone_missing`,
    `is_<prefix>phone_parsed` (the phone step has seen the text), `parsed_<prefix>phone_e164`,
    `<prefix>phone_type` and `parsed_<prefix>phone_invalid_reason` (the library's reason, or
    invalid_number when it marks the number invalid without one). cdp_phone_verdict turns them,
    with the junk check, into the verdict columns.
-#}
{% macro cdp_phone_lookup_columns(phone_column, prefix='') -%}
    {{ cdp_squish(phone_column) }} is null as is_{{ prefix }}phone_missing,
    phone_numbers.phone_raw is not null as is_{{ prefix }}phone_parsed,
    phone_numbers.phone_e164 as parsed_{{ prefix }}phone_e164,
    phone_numbers.number_type as {{ prefix }}phone_type,
    coalesce(
        phone_numbers.invalid_reason,
        case when not phone_numbers.is_valid then 'invalid_number' end
    ) as parsed_{{ prefix }}phone_invalid_reason
{%- endmacro %}

{#-
    Phone verdict: the columns a base model computed from its join to reference.phone_numbers
    (`is_<prefix>phone_missing`, `is_<prefix>phone_parsed`, `parsed_<prefix>phone_invalid_reason`)
    and the junk seed (`<prefix>phone_junk_reason`) give `<prefix>phone_invalid_reason` (missing,
    junk, not_parsed: the phone step has not seen the text yet, or the library's reason) and
    `<prefix>phone_is_valid`.
-#}
{% macro cdp_phone_verdict(prefix='') -%}
    case
        when is_{{ prefix }}phone_missing then 'missing'
        when {{ prefix }}phone_junk_reason is not null then 'junk'
        when not is_{{ prefix }}phone_parsed then 'not_parsed'
        else parsed_{{ prefix }}phone_invalid_reason
    end as {{ prefix }}phone_invalid_reason,
    not is_{{ prefix }}phone_missing
    and {{ prefix }}phone_junk_reason is null
    and is_{{ prefix }}phone_parsed
    and parsed_{{ prefix }}phone_invalid_reason is null as {{ prefix }}phone_is_valid
{%- endmacro %}
