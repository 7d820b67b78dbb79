{#- Generic tests (no external packages). -#}

{% test unique_combination_of_columns(model, columns) %}
{#- The grain: no two rows share the same values in `columns`. -#}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test column_values_valid(model, not_null=[], accepted_values={}) %}
{#- A model's not_null and accepted_values column tests in one scan (xxgk.staging.dbt_vars.group_column_tests
    gathers them from the columns). One row per failed column test, named like dbt's own (not_null_<column>,
    accepted_values_<column>), with the number of rows failing it; nulls pass accepted_values, as in dbt's test. -#}
{{ config(fail_calc="coalesce(sum(n_rows), 0)") }}
{%- set counts = [] -%}
{%- for column in not_null -%}
    {%- do counts.append("count(*) filter (where " ~ adapter.quote(column) ~ " is null) as "
                         ~ adapter.quote("not_null_" ~ column)) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}{%- do listed.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}{%- endfor -%}
    {%- do counts.append("count(*) filter (where " ~ adapter.quote(column) ~ " not in (" ~ listed | join(", ")
                         ~ ")) as " ~ adapter.quote("accepted_values_" ~ column)) -%}
{%- endfor %}
with counts as (
    select
        {{ counts | join(",\n        ") }}
    from {{ model }}
)
select failed_test, n_rows
from (unpivot counts on columns(*) into name failed_test value n_rows)
where n_rows > 0
{% endtest %}
