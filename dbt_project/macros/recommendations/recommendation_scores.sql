{#-
    The top k products for each customer of `customers` (a relation or CTE with
    unified_customer_id) as of `cutoff` (a SQL timestamp expression): a query with one row per
    customer and rank (unified_customer_id, recommendation_rank, sku, score, method, reason_sku).

    - item_to_item: each product the customer bought or viewed in (cutoff - history_days,
      cutoff] (weight_history_purchase / weight_history_view, the larger if both) votes for its
      neighbours in `similarities` (sku, similar_sku, similarity_score):
          score(customer, p) = sum over history products h of weight(h) * similarity(h, p).
      The reason is the history product with the largest vote (ties: lower SKU).
    - Products the customer bought (is_bought) at or before the cutoff are never recommended.
    - popularity_fallback fills the ranks item_to_item leaves empty (all of them for a customer
      without history) with the products most bought (distinct buyers, purchase signals) in
      (cutoff - popularity_days, cutoff] that the customer has not bought; score = share of
      that window's buyers who bought it. Scores compare within a method only.
    - item_to_item=false gives the popularity baseline alone (the hold-out evaluation).

    Cost: history x neighbours votes per customer, aggregated, then ranked; the reason is looked
    up for the k products kept only; at most k + (products bought) popular candidates per
    customer whose item_to_item ranks are not all filled; never customers x catalogue.
-#}
{% macro recommendation_scores(
    interactions, similarities, customers, cutoff, item_to_item=true
) -%}
{%- set config = recommendation_config() -%}
with

scored_customers as (

    select distinct customers_in_scope.unified_customer_id
    from {{ customers }} as customers_in_scope

),

known_interactions as (

    select interactions.*
    from {{ interactions }} as interactions
    where interactions.interacted_at <= {{ cutoff }}

),

customer_interactions as (

    select known_interactions.*
    from known_interactions
    inner join scored_customers
        on known_interactions.unified_customer_id = scored_customers.unified_customer_id

),

customer_history as (

    select
        customer_interactions.unified_customer_id,
        customer_interactions.sku,
        max(
            case
                when customer_interactions.interaction_type = 'purchase'
                    then {{ config.weight_history_purchase }}
                else {{ config.weight_history_view }}
            end
        ) as history_weight
    from customer_interactions
    where
        customer_interactions.is_signal
        and customer_interactions.interacted_at
        > {{ dbt.dateadd('day', -1 * config.history_days, cutoff) }}
    group by customer_interactions.unified_customer_id, customer_interactions.sku

),

customer_bought as (

    select distinct
        customer_interactions.unified_customer_id,
        customer_interactions.sku
    from customer_interactions
    where customer_interactions.is_bought

),

item_votes as (

    select
        customer_history.unified_customer_id,
        item_similarities.similar_sku as sku,
        item_similarities.sku as reason_sku,
        customer_history.history_weight * item_similarities.similarity_score as vote
    from customer_history
    inner join {{ similarities }} as item_similarities
        on customer_history.sku = item_similarities.sku
    left join customer_bought
        on
            customer_history.unified_customer_id = customer_bought.unified_customer_id
            and item_similarities.similar_sku = customer_bought.sku
    where
        customer_bought.sku is null
        and {{ 'true' if item_to_item else 'false' }}

),

item_scores as (

    select
        item_votes.unified_customer_id,
        item_votes.sku,
        sum(item_votes.vote) as score,
        max(item_votes.vote) as best_vote
    from item_votes
    group by item_votes.unified_customer_id, item_votes.sku

),

item_scores_ranked as (

    select
        item_scores.unified_customer_id,
        item_scores.sku,
        item_scores.score,
        item_scores.best_vote,
        row_number() over (
            partition by item_scores.unified_customer_id
            order by item_scores.score desc, item_scores.sku
        ) as method_rank
    from item_scores

),

item_scores_top as (

    select *
    from item_scores_ranked
    where item_scores_ranked.method_rank <= {{ config.k }}

),

item_reasons as (

    -- Only for the products kept: the history product with the largest vote (ties: lower SKU).
    select
        item_votes.unified_customer_id,
        item_votes.sku,
        min(item_votes.reason_sku) as reason_sku
    from item_votes
    inner join item_scores_top
        on
            item_votes.unified_customer_id = item_scores_top.unified_customer_id
            and item_votes.sku = item_scores_top.sku
            and item_votes.vote = item_scores_top.best_vote
    group by item_votes.unified_customer_id, item_votes.sku

),

item_to_item_top as (

    select
        item_scores_top.unified_customer_id,
        item_scores_top.sku,
        item_scores_top.score,
        item_reasons.reason_sku,
        item_scores_top.method_rank
    from item_scores_top
    inner join item_reasons
        on
            item_scores_top.unified_customer_id = item_reasons.unified_customer_id
            and item_scores_top.sku = item_reasons.sku

),

popularity_buyers as (

    select
        known_interactions.sku,
        count(distinct known_interactions.unified_customer_id) as buyers
    from known_interactions
    where
        known_interactions.is_signal
        and known_interactions.interaction_type = 'purchase'
        and known_interactions.interacted_at
        > {{ dbt.dateadd('day', -1 * config.popularity_days, cutoff) }}
    group by known_interactions.sku

),

popularity_window_buyers as (

    select count(distinct known_interactions.unified_customer_id) as buyers
    from known_interactions
    where
        known_interactions.is_signal
        and known_interactions.interaction_type = 'purchase'
        and known_interactions.interacted_at
        > {{ dbt.dateadd('day', -1 * config.popularity_days, cutoff) }}

),

popularity_ranked as (

    select
        popularity_buyers.sku,
        popularity_buyers.buyers * 1.0 / popularity_window_buyers.buyers as score,
        row_number() over (
            order by popularity_buyers.buyers desc, popularity_buyers.sku
        ) as popularity_rank
    from popularity_buyers
    cross join popularity_window_buyers

),

customer_exclusions as (

    select
        customer_bought.unified_customer_id,
        customer_bought.sku
    from customer_bought
    union
    select
        item_to_item_top.unified_customer_id,
        item_to_item_top.sku
    from item_to_item_top

),

customer_bought_counts as (

    select
        customer_bought.unified_customer_id,
        count(*) as products
    from customer_bought
    group by customer_bought.unified_customer_id

),

item_to_item_counts as (

    select
        item_to_item_top.unified_customer_id,
        count(*) as products
    from item_to_item_top
    group by item_to_item_top.unified_customer_id

),

customer_counts as (

    select
        scored_customers.unified_customer_id,
        coalesce(customer_bought_counts.products, 0) as bought_products,
        coalesce(item_to_item_counts.products, 0) as item_to_item_products
    from scored_customers
    left join customer_bought_counts
        on scored_customers.unified_customer_id = customer_bought_counts.unified_customer_id
    left join item_to_item_counts
        on scored_customers.unified_customer_id = item_to_item_counts.unified_customer_id

),

popularity_candidates as (

    -- Of the k + (bought) most popular products at most (bought) + (item_to_item kept) are
    -- excluded, which leaves the k - (item_to_item kept) the customer still needs.
    select
        customer_counts.unified_customer_id,
        popularity_ranked.sku,
        popularity_ranked.score,
        popularity_ranked.popularity_rank
    from customer_counts
    inner join popularity_ranked
        on popularity_ranked.popularity_rank <= {{ config.k }} + customer_counts.bought_products
    where customer_counts.item_to_item_products < {{ config.k }}

),

popularity_fallback as (

    select
        popularity_candidates.unified_customer_id,
        popularity_candidates.sku,
        popularity_candidates.score,
        popularity_candidates.popularity_rank as method_rank
    from popularity_candidates
    left join customer_exclusions
        on
            popularity_candidates.unified_customer_id = customer_exclusions.unified_customer_id
            and popularity_candidates.sku = customer_exclusions.sku
    where customer_exclusions.sku is null

),

combined as (

    select
        item_to_item_top.unified_customer_id,
        item_to_item_top.sku,
        item_to_item_top.score,
        'item_to_item' as method,
        item_to_item_top.reason_sku,
        1 as method_order,
        item_to_item_top.method_rank
    from item_to_item_top
    union all
    select
        popularity_fallback.unified_customer_id,
        popularity_fallback.sku,
        popularity_fallback.score,
        'popularity_fallback' as method,
        cast(null as {{ dbt.type_string() }}) as reason_sku,
        2 as method_order,
        popularity_fallback.method_rank
    from popularity_fallback

),

combined_ranked as (

    select
        combined.*,
        row_number() over (
            partition by combined.unified_customer_id
            order by combined.method_order, combined.method_rank
        ) as recommendation_rank
    from combined

)

select
    combined_ranked.unified_customer_id,
    combined_ranked.recommendation_rank,
    combined_ranked.sku,
    combined_ranked.score,
    combined_ranked.method,
    combined_ranked.reason_sku
from combined_ranked
where combined_ranked.recommendation_rank <= {{ config.k }}
{%- endmacro %}
