{#- Roll-ups by province, prefecture city and county. 汇总 (consolidated) reports already include their
    subordinate agencies, so they are left out of the sums and only counted in n_consolidated_reports_excluded. -#}
{%- set keys = xxgk_keys() %}
{%- set amounts = keys['cells'] | rejectattr('unit', 'equalto', 'count') | map(attribute='wide_column') | list %}
{%- set levels = [('province', 'province_code', 'province_name'), ('city', 'city_code', 'city_name'),
                  ('county', 'county_code', 'county_name')] %}
with agency_years as (
    select * from {{ ref('agency_year') }}
    where province_code is not null
),

{%- for level, code_col, name_col in levels %}

{{ level }}_counts as (
    select
        '{{ level }}' as region_level,
        {{ code_col }} as region_code,
        any_value({{ name_col }}) as region_name,
        any_value(province_code) as province_code,
        any_value(province_name) as province_name,
        report_year,
        count(*) filter (where report_scope <> 'consolidated') as n_reports,
        count(*) filter (where report_scope = 'consolidated') as n_consolidated_reports_excluded,
        count(*) filter (where report_scope <> 'consolidated' and has_table3) as n_reports_with_table3
    from agency_years
    where {{ code_col }} is not null
    group by {{ code_col }}, report_year
),

{#- Plain sums over the rows that count (200 `sum(…) filter (where …)` aggregates cost a filter per column and
    row); a region-year with only consolidated reports gets null sums, as the filtered sums did. Counts are
    integers and sum exactly in any order; amounts (万元) are summed as decimals, so the total is the correctly
    rounded sum of the published amounts whatever the row order of agency_year (a float sum changed in its last
    bits with the order). #}
{{ level }}_cell_sums as (
    select
        {{ code_col }} as region_code,
        report_year,
        {%- for col in keys['wide_columns'] %}
        {%- if col in amounts %}
        {{ exact_sum(col) }} as {{ col }}{{ "," if not loop.last }}
        {%- else %}
        sum({{ col }}) as {{ col }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from agency_years
    where {{ code_col }} is not null and report_scope <> 'consolidated'
    group by {{ code_col }}, report_year
),

{{ level }}_sums as (
    select
        {{ level }}_counts.region_level,
        {{ level }}_counts.region_code,
        {{ level }}_counts.region_name,
        {{ level }}_counts.province_code,
        {{ level }}_counts.province_name,
        {{ level }}_counts.report_year,
        {{ level }}_counts.n_reports,
        {{ level }}_counts.n_consolidated_reports_excluded,
        {{ level }}_counts.n_reports_with_table3,
        {%- for col in keys['wide_columns'] %}
        {{ level }}_cell_sums.{{ col }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ level }}_counts
    left join {{ level }}_cell_sums
        on {{ level }}_counts.region_code = {{ level }}_cell_sums.region_code
        and {{ level }}_counts.report_year = {{ level }}_cell_sums.report_year
),
{%- endfor %}

unioned as (
    {%- for level, code_col, name_col in levels %}
    select * from {{ level }}_sums
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        region_level || '-' || region_code || '-' || report_year as region_year_id,
        *,
        t3_total_total as concluded_count,
        t3_granted_total + t3_partial_total as disclosed_count,
        {{ safe_divide('t3_granted_total + t3_partial_total', 't3_total_total') }} as disclosure_rate_concluded,
        {{ safe_divide('t3_granted_total + t3_partial_total', 't3_new_received_total') }} as disclosure_rate_received,
        {{ safe_divide('t4_review_corrected', 't4_review_total - t4_review_pending') }} as review_correction_rate,
        {{ safe_divide('t4_direct_suit_corrected + t4_after_review_suit_corrected',
                       '(t4_direct_suit_total - t4_direct_suit_pending) + (t4_after_review_suit_total - t4_after_review_suit_pending)') }}
            as litigation_correction_rate
    from unioned
)

select * from final
order by report_year, region_year_id  -- a stable row order: the same release twice gives the same files
