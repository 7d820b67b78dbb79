with source as (
    select * from {{ source('xxgk', 'table3_cells') }}
),

typed as (
    select
{{ staging_select('table3_cells') }}
    from source
)

select * from typed
