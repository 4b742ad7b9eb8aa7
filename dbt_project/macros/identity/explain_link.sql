{#-
    Why two records are one customer, in SQL: the shortest chain of shared identifiers between
    them, as orchestration/identity/explain.py finds it in Python.

        dbt run-operation explain_link --args '{record_a: "crm.customers:C1", record_b: "orders.orders:O7"}'
        dbt show --inline "{{ cdp_explain_link_sql('crm.customers:C1', 'orders.orders:O7') }}"

    The evidence graph is bipartite: record vertices and identifier vertices
    (int_identity_record_nodes, without the record's own source_record identifier), plus the
    accepted probabilistic pairs between records (int_identity_probabilistic_edges), restricted
    to the records of record_a's customer (dim_customer_records). A deterministic hop is two
    steps (record -> identifier -> record), a probabilistic hop one step.

    The breadth-first search is unrolled into CTEs by a Jinja loop, 2 * max_hops levels, so any
    chain of max_hops hops or fewer is found (a chain of probabilistic hops may be longer):
    - bfs_level_<k> holds the vertices first reached at step k, each with one parent: the
      smallest (parent kind, parent id, edge type, via) among the edges from level k - 1;
      vertices already in bfs_reached_<k - 1> are left out (visited-set semantics: every vertex
      is expanded once, no path enumeration) and nothing is expanded once record_b is reached;
    - bfs_reached_<k> = bfs_reached_<k - 1> union all bfs_level_<k>;
    - path_step_<j> follows the parent pointer of path_step_<j - 1> back from record_b;
    - the result collapses record -> identifier -> record into one row per hop:
      (hop, from_record, via, edge_type, to_record), hop 1 leaving record_a.
    No rows when a record is unknown, the two are different customers, the same record, or no
    chain exists within the bound; explain_link tells these apart.

    Only with / union all / exists / not exists / row_number. CTEs referenced more than once are
    computed once by DuckDB (>= 1.3), Postgres (>= 12) and Snowflake; an engine that inlines
    every CTE would repeat work level over level.

    Record ids come from a command line: cdp_explain_link_literal accepts only
    [A-Za-z0-9._:@+-] (which every '<source>.<table>:<key>' the staging layer builds satisfies)
    and fails compilation on anything else before quoting.
-#}

{% macro cdp_explain_link_literal(value, argument) -%}
    {%- set text = value | string -%}
    {%- if value is none or modules.re.fullmatch('[A-Za-z0-9._:@+-]+', text) is none -%}
        {{ exceptions.raise_compiler_error(
            'explain_link: ' ~ argument ~ ' must be a record id like crm.customers:C1 '
            ~ '(letters, digits and . _ : @ + - only), got: ' ~ (value | string)
        ) }}
    {%- endif -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro cdp_explain_link_max_hops(max_hops) -%}
    {%- set text = max_hops | string -%}
    {%- if modules.re.fullmatch('[0-9]{1,2}', text) is none or text | int < 1 or text | int > 32 -%}
        {{ exceptions.raise_compiler_error(
            'explain_link: max_hops must be a whole number from 1 to 32, got: ' ~ text
        ) }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}

{% macro cdp_explain_link_sql(record_a, record_b, max_hops=8) -%}
    {%- set start = cdp_explain_link_literal(record_a, 'record_a') -%}
    {%- set goal = cdp_explain_link_literal(record_b, 'record_b') -%}
    {%- set levels = 2 * cdp_explain_link_max_hops(max_hops) -%}
    {%- set string_type = dbt.type_string() %}
with

customer_records as (

    select dim_customer_records.record_id
    from {{ ref('dim_customer_records') }} as dim_customer_records
    where dim_customer_records.unified_customer_id in (
        select start_records.unified_customer_id
        from {{ ref('dim_customer_records') }} as start_records
        where start_records.record_id = {{ start }}
    )

),

memberships as (

    select
        record_nodes.record_id,
        record_nodes.identifier_type || ':' || record_nodes.identifier_value as identifier
    from {{ ref('int_identity_record_nodes') }} as record_nodes
    where
        record_nodes.identifier_type <> 'source_record'
        and exists (
            select 1
            from customer_records
            where customer_records.record_id = record_nodes.record_id
        )

),

probabilistic_pairs as (

    select
        probabilistic_edges.sample_record_id_l as record_id_l,
        probabilistic_edges.sample_record_id_r as record_id_r,
        'probabilistic match p='
        || cast(cast(probabilistic_edges.match_probability as decimal(4, 3)) as {{ string_type }})
        || ' (model ' || probabilistic_edges.model_version || ')' as via
    from {{ ref('int_identity_probabilistic_edges') }} as probabilistic_edges
    where
        exists (
            select 1
            from customer_records
            where customer_records.record_id = probabilistic_edges.sample_record_id_l
        )
        and exists (
            select 1
            from customer_records
            where customer_records.record_id = probabilistic_edges.sample_record_id_r
        )

),

{#- Directed both ways: (from_kind, from_id) -> (to_kind, to_id). -#}
graph_edges as (

    select
        'record' as from_kind,
        memberships.record_id as from_id,
        'identifier' as to_kind,
        memberships.identifier as to_id,
        'deterministic' as edge_type,
        memberships.identifier as via
    from memberships

    union all

    select
        'identifier' as from_kind,
        memberships.identifier as from_id,
        'record' as to_kind,
        memberships.record_id as to_id,
        'deterministic' as edge_type,
        memberships.identifier as via
    from memberships

    union all

    select
        'record' as from_kind,
        probabilistic_pairs.record_id_l as from_id,
        'record' as to_kind,
        probabilistic_pairs.record_id_r as to_id,
        'probabilistic' as edge_type,
        probabilistic_pairs.via
    from probabilistic_pairs

    union all

    select
        'record' as from_kind,
        probabilistic_pairs.record_id_r as from_id,
        'record' as to_kind,
        probabilistic_pairs.record_id_l as to_id,
        'probabilistic' as edge_type,
        probabilistic_pairs.via
    from probabilistic_pairs

),

bfs_level_0 as (

    select
        'record' as vertex_kind,
        customer_records.record_id as vertex_id,
        cast(null as {{ string_type }}) as parent_kind,
        cast(null as {{ string_type }}) as parent_id,
        cast(null as {{ string_type }}) as edge_type,
        cast(null as {{ string_type }}) as via,
        0 as depth
    from customer_records
    where
        customer_records.record_id = {{ start }}
        and exists (
            select 1
            from customer_records as goal_records
            where goal_records.record_id = {{ goal }}
        )

),

bfs_reached_0 as (

    select * from bfs_level_0

),
{% for level in range(1, levels + 1) %}
bfs_candidates_{{ level }} as (

    select
        graph_edges.to_kind as vertex_kind,
        graph_edges.to_id as vertex_id,
        graph_edges.from_kind as parent_kind,
        graph_edges.from_id as parent_id,
        graph_edges.edge_type,
        graph_edges.via,
        row_number() over (
            partition by graph_edges.to_kind, graph_edges.to_id
            order by
                graph_edges.from_kind,
                graph_edges.from_id,
                graph_edges.edge_type,
                graph_edges.via
        ) as parent_rank
    from bfs_level_{{ level - 1 }}
    inner join graph_edges
        on
            bfs_level_{{ level - 1 }}.vertex_kind = graph_edges.from_kind
            and bfs_level_{{ level - 1 }}.vertex_id = graph_edges.from_id
    where
        not exists (
            select 1
            from bfs_reached_{{ level - 1 }} as seen
            where
                seen.vertex_kind = graph_edges.to_kind
                and seen.vertex_id = graph_edges.to_id
        )
        and not exists (
            select 1
            from bfs_reached_{{ level - 1 }} as seen
            where seen.vertex_kind = 'record' and seen.vertex_id = {{ goal }}
        )

),

bfs_level_{{ level }} as (

    select
        bfs_candidates_{{ level }}.vertex_kind,
        bfs_candidates_{{ level }}.vertex_id,
        bfs_candidates_{{ level }}.parent_kind,
        bfs_candidates_{{ level }}.parent_id,
        bfs_candidates_{{ level }}.edge_type,
        bfs_candidates_{{ level }}.via,
        {{ level }} as depth
    from bfs_candidates_{{ level }}
    where bfs_candidates_{{ level }}.parent_rank = 1

),

bfs_reached_{{ level }} as (

    select * from bfs_reached_{{ level - 1 }}
    union all
    select * from bfs_level_{{ level }}

),
{% endfor %}
path_step_0 as (

    select bfs_reached_{{ levels }}.*
    from bfs_reached_{{ levels }}
    where
        bfs_reached_{{ levels }}.vertex_kind = 'record'
        and bfs_reached_{{ levels }}.vertex_id = {{ goal }}

),
{% for step in range(1, levels + 1) %}
path_step_{{ step }} as (

    select bfs_reached_{{ levels }}.*
    from bfs_reached_{{ levels }}
    inner join path_step_{{ step - 1 }}
        on
            bfs_reached_{{ levels }}.vertex_kind = path_step_{{ step - 1 }}.parent_kind
            and bfs_reached_{{ levels }}.vertex_id = path_step_{{ step - 1 }}.parent_id

),
{% endfor %}
path_vertices as (
{% for step in range(0, levels + 1) %}
    select * from path_step_{{ step }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{% endfor %}
),

{#- One row per record reached after record_a: a probabilistic hop comes from its parent
    record, a deterministic one from the record before its parent identifier. -#}
hops as (

    select
        path_vertices.depth,
        case
            when path_vertices.edge_type = 'probabilistic' then path_vertices.parent_id
            else identifier_vertices.parent_id
        end as from_record,
        path_vertices.via,
        path_vertices.edge_type,
        path_vertices.vertex_id as to_record
    from path_vertices
    left join path_vertices as identifier_vertices
        on
            path_vertices.parent_kind = identifier_vertices.vertex_kind
            and path_vertices.parent_id = identifier_vertices.vertex_id
            and identifier_vertices.vertex_kind = 'identifier'
    where path_vertices.vertex_kind = 'record' and path_vertices.depth > 0

),

final as (

    select
        row_number() over (order by hops.depth) as hop,
        hops.from_record,
        hops.via,
        hops.edge_type,
        hops.to_record
    from hops

)

select * from final
order by hop
{%- endmacro %}

{#-
    run-operation: print the chain between two records, one hop a line
    (`crm.customers:C1 --email:a@x.com--> orders.orders:O7`), or why there is none.
-#}
{% macro explain_link(record_a, record_b, max_hops=8) %}
    {%- set start = cdp_explain_link_literal(record_a, 'record_a') -%}
    {%- set goal = cdp_explain_link_literal(record_b, 'record_b') -%}
    {%- set hops_bound = cdp_explain_link_max_hops(max_hops) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lookup -%}
        select record_id, unified_customer_id
        from {{ ref('dim_customer_records') }}
        where record_id in ({{ start }}, {{ goal }})
    {%- endset -%}
    {%- set customers = {} -%}
    {%- for row in run_query(lookup).rows -%}
        {%- do customers.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- set lines = [] -%}
    {%- for record in [record_a, record_b] -%}
        {%- if record not in customers and not lines -%}
            {%- do lines.append('explain_link: ' ~ record ~ ' is not a staged record') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not lines and customers[record_a] != customers[record_b] -%}
        {%- do lines.append(
            'explain_link: different customers: ' ~ record_a ~ ' is ' ~ customers[record_a]
            ~ ', ' ~ record_b ~ ' is ' ~ customers[record_b]
        ) -%}
    {%- elif not lines and record_a == record_b -%}
        {%- do lines.append('explain_link: the same record (customer ' ~ customers[record_a] ~ ')') -%}
    {%- elif not lines -%}
        {%- set chain = run_query(cdp_explain_link_sql(record_a, record_b, hops_bound)) -%}
        {%- if chain.rows | length == 0 -%}
            {%- do lines.append(
                'explain_link: ' ~ record_a ~ ' and ' ~ record_b ~ ' are customer '
                ~ customers[record_a] ~ ' but no chain of at most ' ~ hops_bound
                ~ ' hops links them: raise max_hops, or they share the customer through an'
                ~ ' identifier that links only as a whole unit (conflicting component)'
            ) -%}
        {%- else -%}
            {%- do lines.append(
                'explain_link: customer ' ~ customers[record_a] ~ ', '
                ~ (chain.rows | length) ~ ' hop(s)'
            ) -%}
            {%- for row in chain.rows -%}
                {%- do lines.append(row['from_record'] ~ ' --' ~ row['via'] ~ '--> ' ~ row['to_record']) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- for line in lines -%}
        {%- do print(line) -%}
        {%- do log(line, info=false) -%}
    {%- endfor -%}
{% endmacro %}
