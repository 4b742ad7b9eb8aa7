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
