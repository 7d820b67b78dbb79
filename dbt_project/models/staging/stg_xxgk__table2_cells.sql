with source as (
    select * from {{ source('xxgk', 'table2_cells') }}
),

typed as (
    select
{{ staging_select('table2_cells') }}
    from source
)

select * from typed
