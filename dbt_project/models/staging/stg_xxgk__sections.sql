with source as (
    select * from {{ source('xxgk', 'sections') }}
),

typed as (
    select
{{ staging_select('sections') }}
    from source
)

select * from typed
