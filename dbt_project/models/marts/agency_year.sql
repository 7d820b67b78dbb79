{%- set keys = xxgk_keys() %}
with current_reports as (
    select * from {{ ref('int_reports_deduplicated') }}
    where is_current
),

agencies as (
    select * from {{ ref('dim_agency') }}
),

cells as (
    select * from {{ ref('int_agency_years_pivoted') }}
),

joined as (
    select
        current_reports.agency_id || '-' || current_reports.report_year as agency_year_id,
        current_reports.agency_id,
        current_reports.agency_name,
        current_reports.agency_name_raw,
        current_reports.report_year,
        agencies.report_scope,
        agencies.agency_level,
        agencies.parent_level,
        agencies.adcode,
        agencies.province_code,
        agencies.province_name,
        agencies.city_code,
        agencies.city_name,
        agencies.county_code,
        agencies.county_name,
        current_reports.source_sha256,
        current_reports.parser_version,
        current_reports.format_version,
        current_reports.title,
        current_reports.publication_date,
        current_reports.source_url,
        current_reports.n_versions,
        current_reports.parse_status,
        current_reports.has_spam,
        current_reports.fee_status,
        current_reports.fee_amount_yuan,
        current_reports.n_errors,
        current_reports.n_warnings,
        current_reports.has_table2,
        current_reports.has_table3,
        current_reports.has_table4,
        cells.* exclude (source_sha256)
    from current_reports
    inner join agencies on current_reports.agency_id = agencies.agency_id
    inner join cells on current_reports.source_sha256 = cells.source_sha256
),

metrics as (
    select
        *,
        t3_total_total as concluded_count,
        t3_granted_total + t3_partial_total as disclosed_count,
        {{ safe_divide('t3_granted_total + t3_partial_total', 't3_total_total') }} as disclosure_rate_concluded,
        {{ safe_divide('t3_granted_total + t3_partial_total', 't3_new_received_total') }} as disclosure_rate_received,
        {%- for category in keys['refusal_rows'] %}
        {{ safe_divide('refusal_' ~ category ~ '_count', 't3_total_total') }} as refusal_{{ category }}_share,
        {%- endfor %}
        t4_review_total - t4_review_pending as review_concluded_count,
        {{ safe_divide('t4_review_corrected', 't4_review_total - t4_review_pending') }} as review_correction_rate,
        (t4_direct_suit_total - t4_direct_suit_pending) + (t4_after_review_suit_total - t4_after_review_suit_pending)
            as litigation_concluded_count,
        {{ safe_divide('t4_direct_suit_corrected + t4_after_review_suit_corrected',
                       '(t4_direct_suit_total - t4_direct_suit_pending) + (t4_after_review_suit_total - t4_after_review_suit_pending)') }}
            as litigation_correction_rate
    from joined
),

with_prior as (
    select
        metrics.*,
        prior.agency_id is not null as has_prior_year,
        metrics.t3_new_received_total - prior.t3_new_received_total as new_received_yoy_change,
        {{ safe_divide('metrics.t3_new_received_total - prior.t3_new_received_total', 'prior.t3_new_received_total') }}
            as new_received_yoy_pct,
        metrics.concluded_count - prior.concluded_count as concluded_yoy_change,
        metrics.disclosure_rate_concluded - prior.disclosure_rate_concluded as disclosure_rate_concluded_yoy_change
    from metrics
    left join metrics as prior
        on metrics.agency_id = prior.agency_id
        and prior.report_year = metrics.report_year - 1
),

final as (
    select
        agency_year_id, agency_id, agency_name, agency_name_raw, report_year, report_scope, agency_level,
        parent_level, adcode, province_code, province_name, city_code, city_name, county_code, county_name,
        source_sha256, parser_version, format_version, title, publication_date, source_url, n_versions,
        parse_status, has_spam, fee_status, fee_amount_yuan, n_errors, n_warnings, has_table2, has_table3,
        has_table4, n_reported_cells, n_derived_cells, n_blank_cells, n_na_cells, n_absent_cells,
        {%- for col in keys['wide_columns'] %}
        {{ col }},
        {%- endfor %}
        concluded_count,
        disclosed_count,
        disclosure_rate_concluded,
        disclosure_rate_received,
        {%- for category in keys['refusal_rows'] %}
        refusal_{{ category }}_count,
        {%- endfor %}
        {%- for category in keys['refusal_rows'] %}
        refusal_{{ category }}_share,
        {%- endfor %}
        review_concluded_count,
        review_correction_rate,
        litigation_concluded_count,
        litigation_correction_rate,
        has_prior_year,
        new_received_yoy_change,
        new_received_yoy_pct,
        concluded_yoy_change,
        disclosure_rate_concluded_yoy_change
    from with_prior
)

select * from final
order by report_year, agency_id  -- a stable row order: the same release twice gives the same files
