with source as (
    select * from {{ source('xxgk', 'parse_issues') }}
),

typed as (
    select
{{ staging_select('parse_issues') }}
    from source
)

select * from typed
