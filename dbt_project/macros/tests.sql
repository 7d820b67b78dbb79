{#- Generic tests (no external packages). -#}

{% test unique_combination_of_columns(model, columns) %}
{#- The grain: no two rows share the same values in `columns`. -#}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
