{#-
    Every identifier seen on every staged record: CRM numbers (also as Segment userId and on
    orders and tickets), emails, phones, loyalty and national ids, Segment anonymousIds and WeChat
    openids/unionids. Which column of which staging model is which identifier type lives here,
    one line each; the types themselves, their priorities and limits are the
    identity_identifier_types seed. Values staging judged junk or malformed are kept, with
    unusable_rule and unusable_reason, so int_identifiers_excluded can show them.
-#}

with

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

email_events as (

    select * from {{ ref('stg_email__email_events') }}

),

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

followers as (

    select * from {{ ref('stg_wechat__followers') }}

),

interactions as (

    select * from {{ ref('stg_wechat__interactions') }}

),

{#- Which column of which staging model is which identifier type (identity_identifier_types). -#}
{%- set specs = [
    {
        'relation': 'crm_customers', 'source': 'crm', 'table': 'customers',
        'key': 'customer_id', 'observed_at': 'updated_at',
        'identifiers': [
            {'type': 'crm_id', 'column': 'customer_id'}, {'email': ''}, {'phone': ''},
            {'type': 'loyalty_id', 'column': 'loyalty_id'},
            {'type': 'national_id', 'column': 'national_id'},
        ],
    },
    {
        'relation': 'orders', 'source': 'orders', 'table': 'orders',
        'key': 'order_id', 'observed_at': 'ordered_at',
        'identifiers': [
            {'type': 'crm_id', 'column': 'customer_id'}, {'email': ''}, {'phone': ''},
            {'type': 'wechat_unionid', 'column': 'unionid'},
        ],
    },
    {
        'relation': 'events', 'source': 'events', 'table': 'events',
        'key': 'event_id', 'observed_at': 'occurred_at',
        'identifiers': [
            {'type': 'crm_id', 'column': 'user_id', 'junk': true},
            {'type': 'anonymous_id', 'column': 'anonymous_id', 'junk': true},
            {'email': 'trait_'}, {'phone': 'trait_'},
        ],
    },
    {
        'relation': 'email_events', 'source': 'email', 'table': 'email_events',
        'key': 'email_event_id', 'observed_at': 'occurred_at',
        'identifiers': [{'email': ''}],
    },
    {
        'relation': 'tickets', 'source': 'service', 'table': 'tickets',
        'key': 'ticket_id', 'observed_at': 'created_at',
        'identifiers': [{'type': 'crm_id', 'column': 'customer_id'}, {'email': ''}, {'phone': ''}],
    },
    {
        'relation': 'followers', 'source': 'wechat', 'table': 'followers',
        'key': 'openid', 'observed_at': 'updated_at',
        'identifiers': [
            {'type': 'wechat_openid', 'column': 'openid'},
            {'type': 'wechat_unionid', 'column': 'unionid'}, {'phone': ''},
        ],
    },
    {
        'relation': 'interactions', 'source': 'wechat', 'table': 'interactions',
        'key': 'interaction_id', 'observed_at': 'occurred_at',
        'identifiers': [{'type': 'wechat_openid', 'column': 'openid'}],
    },
] %}

observed as (

    {% for spec in specs -%}
        {{ cdp_identifier_spec_rows(spec) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        source_name || '.' || source_table || ':' || record_key as record_id,
        source_name,
        source_table,
        record_key,
        identifier_type,
        identifier_value,
        observed_at,
        unusable_rule,
        unusable_reason
    from observed

)

select * from final
