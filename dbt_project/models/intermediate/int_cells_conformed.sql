{{ config(materialized="view") }}
{#- One row per cell of every report version in int_reports_deduplicated (tables 二, 三, 四 stacked), conformed to
    the 2021 shape: cells that do not exist in a report's layout (2019: table 三 R21/R22, table 二 制发/废止/现行有效
    and 收费金额) are status 'na' with a null value, so not applicable stays distinct from 0.
    A view: its readers (the pivot and the three long facts) each read it once, and the join costs them less than
    writing four million rows again would. -#}
{%- set keys = xxgk_keys() %}
with versions as (
    select source_sha256, parser_version, agency_id, agency_name, report_year, format_version, is_current
    from {{ ref('int_reports_deduplicated') }}
),

stacked as (
    select 'table2' as table_name, * from {{ ref('stg_xxgk__table2_cells') }}
    union all by name
    select 'table3' as table_name, * from {{ ref('stg_xxgk__table3_cells') }}
    union all by name
    select 'table4' as table_name, * from {{ ref('stg_xxgk__table4_cells') }}
),

joined as (
    select
        versions.agency_id,
        versions.agency_name,
        versions.report_year,
        versions.is_current,
        stacked.source_sha256,
        stacked.parser_version,
        versions.format_version,
        stacked.table_name,
        stacked.cell_id,
        stacked.row_key,
        stacked.col_key,
        stacked.value,
        stacked.status,
        stacked.raw_text,
        stacked.raw_label,
        stacked.loc,
        case
            {%- for fv in keys['format_versions'] %}
            {%- if keys['table3_rows_not_in_layout'][fv] %}
            when versions.format_version = '{{ fv }}' and stacked.table_name = 'table3'
                and stacked.row_key in {{ sql_list(keys['table3_rows_not_in_layout'][fv]) }} then true
            {%- endif %}
            {%- if keys['table2_keys_not_in_layout'][fv] %}
            when versions.format_version = '{{ fv }}' and stacked.table_name = 'table2'
                and stacked.row_key in {{ sql_list(keys['table2_keys_not_in_layout'][fv]) }} then true
            {%- endif %}
            {%- endfor %}
            else false
        end as is_not_in_layout,
        stacked.table_name = 'table2' and stacked.row_key in {{ sql_list(keys['table2_extension_keys']) }}
            as is_extension,
        case
            {%- for fv, rows in keys['table3_outcome_rows'].items() %}
            when versions.format_version = '{{ fv }}' then stacked.table_name = 'table3'
                and stacked.row_key in {{ sql_list(rows) }}
            {%- endfor %}
            else stacked.table_name = 'table3' and stacked.row_key in {{ sql_list(keys['table3_outcome_rows']['2021']) }}
        end as is_outcome
    from stacked
    inner join versions
        on stacked.source_sha256 = versions.source_sha256
        and stacked.parser_version = versions.parser_version
),

conformed as (
    select
        * exclude (value, status),
        case when is_not_in_layout and status in ('absent', 'blank', 'na') then null else value end as value,
        case when is_not_in_layout and status in ('absent', 'blank', 'na') then 'na' else status end as status
    from joined
)

select * from conformed
