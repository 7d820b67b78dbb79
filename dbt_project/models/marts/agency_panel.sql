{#- Cross-year panel (format-spec §5, X1 and X2): each agency-year against the same agency's previous year. -#}
{%- set keys = xxgk_keys() %}
{%- set stock = keys['table2_stock_rows'] %}
with agency_years as (
    select * from {{ ref('agency_year') }}
),

paired as (
    select
        cur.agency_year_id,
        cur.agency_id,
        cur.agency_name,
        cur.report_year,
        prior.report_year as prior_report_year,
        prior.agency_id is not null as has_prior_year,
        {%- for c in keys['table3_cols'] %}
        prior.t3_carried_forward_{{ c }} as prior_t3_carried_forward_{{ c }},
        cur.t3_carried_over_{{ c }},
        cur.t3_carried_over_{{ c }} - prior.t3_carried_forward_{{ c }} as carry_over_gap_{{ c }},
        {%- endfor %}
        {%- for r, ks in stock.items() %}
        prior.t2_{{ ks[2] }} as prior_t2_{{ ks[2] }},
        cur.t2_{{ ks[0] }},
        cur.t2_{{ ks[1] }},
        cur.t2_{{ ks[2] }},
        prior.t2_{{ ks[2] }} + cur.t2_{{ ks[0] }} - cur.t2_{{ ks[1] }} as {{ r }}_valid_expected,
        cur.t2_{{ ks[2] }} - (prior.t2_{{ ks[2] }} + cur.t2_{{ ks[0] }} - cur.t2_{{ ks[1] }}) as {{ r }}_valid_gap{{ "," if not loop.last }}
        {%- endfor %}
    from agency_years as cur
    left join agency_years as prior
        on cur.agency_id = prior.agency_id
        and prior.report_year = cur.report_year - 1
),

flagged as (
    select
        *,
        {%- set gaps = [] %}
        {%- for c in keys['table3_cols'] %}{% do gaps.append('carry_over_gap_' ~ c) %}{% endfor %}
        case when has_prior_year then
            {%- for g in gaps %}
            (coalesce({{ g }}, 0) <> 0)::integer{{ " +" if not loop.last }}
            {%- endfor %}
        end as n_carry_over_breaks,
        case
            when not has_prior_year then null
            {%- for g in gaps %}
            when {{ g }} <> 0 then true
            {%- endfor %}
            when {% for g in gaps %}{{ g }} is null{{ " or " if not loop.last }}{% endfor %} then null
            else false
        end as has_carry_over_break,
        case
            when not has_prior_year then null
            {%- for r in stock %}
            when {{ r }}_valid_gap <> 0 then true
            {%- endfor %}
            when {% for r in stock %}{{ r }}_valid_gap is null{{ " or " if not loop.last }}{% endfor %} then null
            else false
        end as has_stock_break
    from paired
),

final as (
    select
        agency_year_id, agency_id, agency_name, report_year, prior_report_year, has_prior_year,
        {%- for c in keys['table3_cols'] %}
        prior_t3_carried_forward_{{ c }}, t3_carried_over_{{ c }}, carry_over_gap_{{ c }},
        {%- endfor %}
        n_carry_over_breaks,
        has_carry_over_break,
        {%- for r, ks in stock.items() %}
        prior_t2_{{ ks[2] }}, t2_{{ ks[0] }}, t2_{{ ks[1] }}, t2_{{ ks[2] }}, {{ r }}_valid_expected, {{ r }}_valid_gap,
        {%- endfor %}
        has_stock_break
    from flagged
)

select * from final
order by report_year, agency_id  -- a stable row order: the same release twice gives the same files
