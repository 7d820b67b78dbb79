{#- The publication gate's results, exposed in the warehouse next to the marts so an analyst can filter on them.
    Enabled when XXGK_QUALITY_RESULTS_URI names a quality_results Parquet file (e.g. the current release's
    releases/<id>/marts/quality_results.parquet, which `xxgk publish` writes); every release also carries the same
    table in its own xxgk.duckdb (schema marts). -#}
{{ config(enabled=env_var('XXGK_QUALITY_RESULTS_URI', '') != '') }}

with results as (
    select * from read_parquet('{{ env_var("XXGK_QUALITY_RESULTS_URI", "") }}')
),

final as (
    select
        run_id,
        source_sha256,
        agency_name,
        cast(report_year as integer) as report_year,
        rule_id,
        severity,
        check_name,
        gate_column,
        cells,
        left_value,
        right_value,
        delta,
        passed,
        message
    from results
)

select * from final
