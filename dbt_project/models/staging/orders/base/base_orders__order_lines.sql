{#-
    Every row of raw_orders.order_lines, normalised, with the hard rule it fails (if any).
    stg_orders__order_lines keeps the rows that pass; int_rows_quarantined the others.
    Hard rules, first match wins:
    - no_usable_key: the line id is empty once trimmed;
    - missing_order_key: the order id is empty, so the line belongs to no order;
    - missing_quantity / non_positive_quantity: no quantity, or quantity <= 0 (returns are
      their own records, a line sells at least one unit);
    - negative_amount: unit_price < 0;
    - unknown_currency: a price without a currency the currencies seed knows;
    - order_quarantined: the line's order was quarantined (base_orders__orders), so staging
      would hold a line without its order.
-#}

with

order_lines as (

    select * from {{ source('raw_orders', 'order_lines') }}

),

orders as (

    select
        order_id,
        quarantine_rule
    from {{ ref('base_orders__orders') }}

),

normalised as (

    select
        record_key,
        {{ cdp_squish('record_key') }} as order_line_id,
        order_key,
        {{ cdp_squish('order_key') }} as order_id,
        {{ cdp_squish('sku') }} as sku,
        {{ cdp_squish('product_name') }} as product_name,
        {{ cdp_squish('category') }} as category,
        currency as currency_original,
        {{ cdp_currency_code('currency') }} as currency,
        cast(quantity as bigint) as quantity,
        cast(unit_price as decimal(18, 4)) as unit_price,
        _source_file,
        _source_row,
        _ingested_at
    from order_lines

),

with_order_rule as (

    select
        normalised.*,
        orders.quarantine_rule as order_quarantine_rule
    from normalised
    left join orders
        on normalised.order_id = orders.order_id

),

final as (

    select
        order_line_id,
        order_id,
        sku,
        product_name,
        category,
        currency_original,
        currency,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(18, 4)) as line_amount,
        case
            when order_line_id is null then 'no_usable_key'
            when order_id is null then 'missing_order_key'
            when quantity is null then 'missing_quantity'
            when quantity <= 0 then 'non_positive_quantity'
            when unit_price < 0 then 'negative_amount'
            when unit_price is not null and currency is null then 'unknown_currency'
            when order_quarantine_rule is not null then 'order_quarantined'
        end as quarantine_rule,
        case
            when order_line_id is null
                then
                    'record_key ' || coalesce('''' || record_key || '''', 'null')
                    || ' is empty once trimmed: the line cannot be told apart from others'
            when order_id is null
                then
                    'order_key ' || coalesce('''' || order_key || '''', 'null')
                    || ' is empty once trimmed: the line belongs to no order'
            when quantity is null then 'quantity is empty'
            when quantity <= 0
                then
                    'quantity ' || cast(quantity as {{ dbt.type_string() }})
                    || ' is not positive'
            when unit_price < 0
                then
                    'unit_price ' || cast(unit_price as {{ dbt.type_string() }})
                    || ' is negative'
            when unit_price is not null and currency is null
                then
                    'currency ' || coalesce('''' || currency_original || '''', 'null')
                    || ' is not in the currencies seed, so the price cannot be read'
            when order_quarantine_rule is not null
                then 'its order was quarantined (' || order_quarantine_rule || ')'
        end as quarantine_reason,
        {{ raw_lineage_columns() }}
    from with_order_rule

)

select * from final
