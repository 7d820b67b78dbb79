{#- Every staged version of every agency-year report (post-publication edits are a transparency signal). -#}
with versions as (
    select * from {{ ref('int_reports_deduplicated') }}
),

final as (
    select
        source_sha256,
        agency_id || '-' || report_year as agency_year_id,
        agency_id,
        agency_name,
        agency_name_raw,
        report_year,
        version_rank,
        is_current,
        n_versions,
        publication_date,
        source_url,
        title,
        format_version,
        parser_version,
        parsed_at,
        parse_status,
        has_spam,
        n_errors,
        n_warnings
    from versions
    order by report_year, agency_id, version_rank
)

select * from final
