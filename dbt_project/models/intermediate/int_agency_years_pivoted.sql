{{ config(materialized="table") }}
{#- One row per current agency-year report: every canonical cell as a wide column (t2_<key>, t3_<row>_<col>,
    t4_<key>), the cell-status counts, and the refusal-mix sums computed from the long cells (so cells that are not
    applicable in a layout are skipped instead of nulling the sum). -#}
{%- set keys = xxgk_keys() %}
with cells as (
    select conformed.*, catalogue.wide_column, catalogue.refusal_category
    from {{ ref('int_cells_conformed') }} as conformed
    inner join {{ ref('int_canonical_cells') }} as catalogue on conformed.cell_id = catalogue.cell_id
    where conformed.is_current
),

pivoted as (
    select
        source_sha256,
        {%- for col in keys['wide_columns'] %}
        max(value) filter (where wide_column = '{{ col }}') as {{ col }},
        {%- endfor %}
        count(*) filter (where status = 'reported') as n_reported_cells,
        count(*) filter (where status = 'derived') as n_derived_cells,
        count(*) filter (where status = 'blank') as n_blank_cells,
        count(*) filter (where status = 'na') as n_na_cells,
        count(*) filter (where status = 'absent') as n_absent_cells,
        {%- for category in keys['refusal_rows'] %}
        {{ strict_sum('value', "refusal_category = '" ~ category ~ "' and col_key = 'total'") }}
            as refusal_{{ category }}_count{{ "," if not loop.last }}
        {%- endfor %}
    from cells
    group by source_sha256
)

select * from pivoted
