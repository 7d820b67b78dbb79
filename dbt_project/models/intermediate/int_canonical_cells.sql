{#- One row per canonical cell (10 + 175 + 15) with its official labels and wide column name, from xxgk.schema. -#}
{%- set keys = xxgk_keys() %}
{%- set refusal = keys['refusal_rows'] %}
with cells as (
    select * from (
        values
        {%- for c in keys['cells'] %}
        ('{{ c.cell_id }}', '{{ c.table_name }}', '{{ c.row_key }}', nullif('{{ c.col_key }}', ''),
         '{{ c.wide_column }}', nullif('{{ c.row_id }}', ''), nullif('{{ c.group_label }}', ''),
         '{{ c.row_label }}', '{{ c.col_label }}', '{{ c.unit }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as t (cell_id, table_name, row_key, col_key, wide_column, row_id, group_label, row_label, col_label, unit)
)

select
    cells.*,
    row_number() over () as cell_order,
    case
        {%- for category, rows in refusal.items() %}
        when table_name = 'table3' and row_key in {{ sql_list(rows) }} then '{{ category }}'
        {%- endfor %}
    end as refusal_category
from cells
