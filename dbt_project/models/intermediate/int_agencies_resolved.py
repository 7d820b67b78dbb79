"""One row per staged report (source_sha256): its agency resolved to a normalized name, 区划代码, level and scope.

The logic lives in the library (xxgk.staging.agencies, built on cpca's official codes); this model only feeds it.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from xxgk.staging.agencies import resolve_agencies

    reports = dbt.ref("stg_xxgk__reports").df()[["source_sha256", "agency_name", "title"]]
    return resolve_agencies(reports)
