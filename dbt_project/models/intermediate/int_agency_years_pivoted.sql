{{ config(materialized="table") }}
{#- One row per current agency-year report: every canonical cell as a wide column (t2_<key>, t3_<row>_<col>,
    t4_<key>), the cell-status counts, and the refusal-mix sums computed from the long cells (so cells that are not
    applicable in a layout are skipped instead of nulling the sum).
    DuckDB's PIVOT (one grouping, then a pivot of the groups) instead of 200 `max(value) filter (where …)`
    aggregates: the filters were evaluated 200 times per cell row (minutes at 20 000 reports); same values
    (max(value) of the report's cell, null when it has none), same columns in the same order. -#}
{%- set keys = xxgk_keys() %}
with cells as (
    select conformed.source_sha256, conformed.value, conformed.status, conformed.col_key, catalogue.wide_column,
        catalogue.refusal_category
    from {{ ref('int_cells_conformed') }} as conformed
    inner join {{ ref('int_canonical_cells') }} as catalogue on conformed.cell_id = catalogue.cell_id
    where conformed.is_current
),

wide as (
    select *
    from (select source_sha256, wide_column, value from cells)
    pivot (
        max(value) for wide_column in (
            {%- for col in keys['wide_columns'] %}
            '{{ col }}'{{ "," if not loop.last }}
            {%- endfor %}
        )
        group by source_sha256
    )
),

counts as (
    select
        source_sha256,
        count(*) filter (where status = 'reported') as n_reported_cells,
        count(*) filter (where status = 'derived') as n_derived_cells,
        count(*) filter (where status = 'blank') as n_blank_cells,
        count(*) filter (where status = 'na') as n_na_cells,
        count(*) filter (where status = 'absent') as n_absent_cells
    from cells
    group by source_sha256
),

refusals as (
    select
        source_sha256,
        {%- for category in keys['refusal_rows'] %}
        {{ strict_sum('value', "refusal_category = '" ~ category ~ "'") }}
            as refusal_{{ category }}_count{{ "," if not loop.last }}
        {%- endfor %}
    from cells
    where refusal_category is not null and col_key = 'total'
    group by source_sha256
),

pivoted as (
    select
        wide.source_sha256,
        {%- for col in keys['wide_columns'] %}
        wide.{{ col }},
        {%- endfor %}
        counts.n_reported_cells,
        counts.n_derived_cells,
        counts.n_blank_cells,
        counts.n_na_cells,
        counts.n_absent_cells,
        {%- for category in keys['refusal_rows'] %}
        refusals.refusal_{{ category }}_count{{ "," if not loop.last }}
        {%- endfor %}
    from wide
    inner join counts on wide.source_sha256 = counts.source_sha256
    left join refusals on wide.source_sha256 = refusals.source_sha256
)

select * from pivoted
