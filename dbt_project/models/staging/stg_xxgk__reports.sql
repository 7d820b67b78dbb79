with source as (
    select * from {{ source('xxgk', 'reports') }}
),

typed as (
    select
{{ staging_select('reports') }}
    from source
)

select * from typed
