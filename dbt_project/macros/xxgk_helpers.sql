{#- Small SQL helpers shared by the models. -#}

{% macro staging_select(table) %}
{#- The typed column list of a staging table, from TABLE_SPECS (via the generated xxgk_keys()). -#}
{%- for col in xxgk_keys()['staging_columns'][table] %}
        cast({{ col[0] }} as {{ col[1] }}) as {{ col[0] }}{{ "," if not loop.last }}
{%- endfor %}
{% endmacro %}

{% macro safe_divide(numerator, denominator) -%}
    case when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
         else cast(({{ numerator }}) as double) / ({{ denominator }}) end
{%- endmacro %}

{% macro sql_list(values) -%}
    ({% for v in values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro strict_sum(value_col, condition) -%}
{#- Sum of value_col over rows matching condition; null when any applicable (status <> 'na') cell is null. -#}
    case when count(*) filter (where ({{ condition }}) and {{ value_col }} is null and status <> 'na') > 0 then null
         else sum({{ value_col }}) filter (where {{ condition }}) end
{%- endmacro %}

{% macro exact_sum(value_col) -%}
{#- Sum of a float column that does not depend on the row order: the values are added as decimals (10 places,
    more than any published amount has) and the total is rounded once to a double. A group with a value too large
    for that (≥ 1e18, only ever a misread number) falls back to the float sum instead of failing the build. -#}
    case when max(abs({{ value_col }})) < 1e18
         then cast(sum(cast(case when abs({{ value_col }}) < 1e18 then {{ value_col }} end as decimal(38, 10))) as double)
         else sum({{ value_col }}) end
{%- endmacro %}

{% macro xxgk_not_excluded(sha_col, excluded_uri) -%}
{#- `and <sha_col> not in (the reports listed in the Parquet file excluded_uri)`, or nothing when no file is given.
    The models pass env_var('XXGK_EXCLUDED_URI', '') themselves, so dbt's partial parsing sees the variable. -#}
    {%- if excluded_uri %}
        and {{ sha_col }} not in (
            select source_sha256 from read_parquet('{{ excluded_uri | replace("'", "''") }}')
            where source_sha256 is not null
        )
    {%- endif %}
{%- endmacro %}
