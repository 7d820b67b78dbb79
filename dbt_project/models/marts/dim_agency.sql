with versions as (
    select * from {{ ref('int_reports_deduplicated') }}
),

agencies as (
    select * from {{ ref('int_agencies_resolved') }}
),

resolved as (
    select distinct
        agency_id,
        agency_name,
        report_scope,
        adcode,
        province_code,
        province_name,
        city_code,
        city_name,
        county_code,
        county_name,
        agency_level,
        parent_level,
        is_resolved
    from agencies
    where agency_id is not null
        {{ xxgk_not_excluded('source_sha256', env_var('XXGK_EXCLUDED_URI', '')) }}
),

history as (
    select
        agency_id,
        min(report_year) as first_report_year,
        max(report_year) as last_report_year,
        count(distinct report_year) as n_report_years,
        count(distinct source_sha256) as n_reports
    from versions
    group by agency_id
),

final as (
    select
        resolved.*,
        history.first_report_year,
        history.last_report_year,
        history.n_report_years,
        history.n_reports
    from resolved
    inner join history on resolved.agency_id = history.agency_id
)

select * from final
order by agency_id  -- a stable row order: the same release twice gives the same files
