{#-
    The rules of the product recommendations, as data: defaults here, any of them overridden by
    the var `recommendations` (a dict), e.g.
    dbt build --vars '{recommendations: {k: 5, weight_co_view: 0.5}}'.

    Signals (int_recommendation_interactions):
      purchase_statuses      order statuses whose lines are purchase signals (co-purchase, history,
                             popularity, hold-out purchases). Cancelled orders never happened;
                             refunded ones were returned, so they are no evidence of liking.
      bought_statuses        order statuses whose products count as already bought and are never
                             recommended again (a refunded product too: the customer knows it).
      view_event_names       events that are product views (a cart add is a stronger view).
    Similarities (recommendation_similarities):
      similarity_days        days of signals before the cutoff the similarities learn from.
      co_purchase_window_days  two products bought by one customer at most this many days apart
                             are co-purchased (0 = the same day; the same order is always).
      min_support            a pair needs this many distinct customers in a signal to count in it.
      similarity_alpha       normalisation: co-customers / (customers(a)^(1 - alpha) x
                             customers(b)^alpha); 0.5 is the cosine, lower favours popular b.
      neighbours             the similar products kept per product (top by blended score).
      weight_co_purchase / weight_co_view  blend of the two cosine similarities.
    Scoring (recommendation_scores):
      k                      recommendations per customer.
      history_days           a customer's purchases and views in these days before the cutoff
                             seed the item-to-item scores ...
      weight_history_purchase / weight_history_view  ... with these weights per product.
      popularity_days        the popularity fallback ranks products by distinct buyers in
                             these days.
    Evaluation (recommendation_evaluation):
      holdout_days           the last days before tags_as_of held out; the recommenders are
                             re-run as of their start and scored on the purchases inside them.
      min_customers_evaluated  below this many hold-out buyers the comparison with popularity is
                             noise: tests/assert_item_to_item_beats_popularity.sql passes (the
                             evaluation still reports both hit rates).
-#}
{% macro recommendation_config() -%}
    {%- set config = {
        'purchase_statuses': ['completed', 'shipped', 'pending'],
        'bought_statuses': ['completed', 'shipped', 'pending', 'refunded'],
        'view_event_names': ['Product Viewed', 'Product Added'],
        'similarity_days': 365,
        'co_purchase_window_days': 90,
        'min_support': 2,
        'similarity_alpha': 0.3,
        'neighbours': 20,
        'weight_co_purchase': 0.7,
        'weight_co_view': 0.3,
        'k': 10,
        'history_days': 365,
        'weight_history_purchase': 1.0,
        'weight_history_view': 0.5,
        'popularity_days': 90,
        'holdout_days': 30,
        'min_customers_evaluated': 100,
    } -%}
    {%- set overrides = var('recommendations', {}) -%}
    {%- for key in overrides -%}
        {%- if key not in config -%}
            {{ exceptions.raise_compiler_error(
                "Unknown recommendations setting: " ~ key ~ " (known: "
                ~ (config.keys() | sort | join(', ')) ~ ")"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- do config.update(overrides) -%}
    {{ return(config) }}
{%- endmacro %}

{#- SQL list of string literals, for `in (...)`. -#}
{% macro recommendation_sql_list(values) -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ (value | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return('(' ~ quoted | join(', ') ~ ')') }}
{%- endmacro %}
