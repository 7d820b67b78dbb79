with cells as (
    select * from {{ ref('int_cells_conformed') }}
    where is_current and table_name = 'table3'
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
        catalogue.row_id,
        catalogue.group_label,
        catalogue.row_label,
        cells.col_key,
        catalogue.col_label,
        catalogue.refusal_category,
        cells.is_outcome,
        cells.value,
        cells.status,
        cells.raw_text,
        cells.raw_label,
        cells.loc
    from cells
    inner join catalogue on cells.cell_id = catalogue.cell_id
    order by cells.report_year, cells.agency_id, catalogue.cell_order
)

select * from final
