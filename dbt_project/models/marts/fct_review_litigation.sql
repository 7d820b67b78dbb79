{%- set keys = xxgk_keys() %}
with cells as (
    select
        *,
        regexp_extract(row_key, '_({{ keys['table4_leaves'] | join('|') }})$', 1) as leaf_key
    from {{ ref('int_cells_conformed') }}
    where is_current and table_name = 'table4'
),

catalogue as (
    select * from {{ ref('int_canonical_cells') }}
),

final as (
    select
        cells.agency_id || '-' || cells.report_year as agency_year_id,
        cells.agency_id,
        cells.agency_name,
        cells.report_year,
        cells.source_sha256,
        cells.format_version,
        cells.cell_id,
        cells.row_key,
        left(cells.row_key, length(cells.row_key) - length(cells.leaf_key) - 1) as group_key,
        cells.leaf_key,
        catalogue.group_label,
        catalogue.col_label as leaf_label,
        cells.value,
        cells.status,
        cells.raw_text,
        cells.loc
    from cells
    inner join catalogue on cells.cell_id = catalogue.cell_id
    order by cells.report_year, cells.agency_id, catalogue.cell_order
)

select * from final
