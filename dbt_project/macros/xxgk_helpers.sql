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
