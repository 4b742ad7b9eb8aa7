{#- CC_MAX_ROUNDS (unset: the materialization's default) lets a test force non-convergence; an
    env var rather than a dbt var, because a changed --vars makes dbt parse the whole project. -#}
{%- set max_rounds = env_var('CC_MAX_ROUNDS', '') -%}
{{ config(
    materialized='connected_components',
    max_rounds=(max_rounds | int) if max_rounds else none,
) }}

select
    node_a,
    node_b
from {{ source('graph', 'edges') }}
