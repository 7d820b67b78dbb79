{#- One row per staged report version of an agency-year (history kept), with is_current marking the version the
    marts use: the newest publication wins (then the latest parse, then the hash, so the choice is deterministic).
    Only the latest parse of each raw object counts; reports without agency or year, and unreadable ones, are left
    out (they stay visible in stg_xxgk__reports). Reports listed in the Parquet file $XXGK_EXCLUDED_URI (the
    publication gate's quarantine, see xxgk.publish.rebuild) are left out too, and so is everything built on them. -#}
with reports as (
    select * from {{ ref('stg_xxgk__reports') }}
),

agencies as (
    select * from {{ ref('int_agencies_resolved') }}
),

latest_parse as (
    select *
    from reports
    qualify row_number() over (
        partition by source_sha256 order by parsed_at desc, parser_version desc
    ) = 1
),

eligible as (
    select
        agencies.agency_id,
        agencies.agency_name,
        latest_parse.agency_name as agency_name_raw,
        latest_parse.report_year,
        agencies.report_scope,
        latest_parse.source_sha256,
        latest_parse.parser_version,
        latest_parse.parsed_at,
        latest_parse.format_version,
        latest_parse.title,
        latest_parse.publication_date,
        latest_parse.source_url,
        latest_parse.parse_status,
        latest_parse.has_spam,
        latest_parse.fee_status,
        latest_parse.fee_amount_yuan,
        latest_parse.n_errors,
        latest_parse.n_warnings,
        latest_parse.has_table2,
        latest_parse.has_table3,
        latest_parse.has_table4
    from latest_parse
    inner join agencies on latest_parse.source_sha256 = agencies.source_sha256
    where latest_parse.report_year is not null
        and agencies.agency_id is not null
        and latest_parse.parse_status <> 'failed'
        {{ xxgk_not_excluded('latest_parse.source_sha256', env_var('XXGK_EXCLUDED_URI', '')) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by agency_id, report_year
            order by publication_date desc nulls last, parsed_at desc, source_sha256
        ) as version_rank,
        count(*) over (partition by agency_id, report_year) as n_versions
    from eligible
)

select
    *,
    version_rank = 1 as is_current
from ranked
