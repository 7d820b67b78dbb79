with cells as (
    select * from {{ ref('int_cells_conformed') }}
    where is_current and table_name = 'table2'
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
        catalogue.group_label as item_label,
        catalogue.row_label,
        catalogue.col_label,
        catalogue.unit,
        cells.is_extension,
        cells.value,
        cells.status,
        cells.raw_text,
        cells.raw_label,
        cells.loc
    from cells
    left join catalogue on cells.cell_id = catalogue.cell_id
    order by cells.report_year, cells.agency_id, cells.is_extension, catalogue.cell_order, cells.row_key
)

select * from final
