with source as (
    select * from {{ source('xxgk', 'table4_cells') }}
),

typed as (
    select
{{ staging_select('table4_cells') }}
    from source
)

select * from typed
