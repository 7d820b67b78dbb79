-- Exactly one current report per agency-year (rule one_current_report); returns the violating agency-years.
select agency_id, report_year, count(*) as n_current
from {{ ref('int_reports_deduplicated') }}
where is_current
group by agency_id, report_year
having count(*) <> 1
