"""Staging: ParsedReport → long cell DataFrames → pandera-validated Parquet under ``staging/<table>/report_year=…``.

``frames`` shapes rows from parsed reports, ``pandera`` builds the schemas from ``xxgk.schema.tables``, ``write``
validates and writes a batch (or quarantines it), ``stage`` decides what needs parsing, ``agencies`` resolves agency
names to administrative divisions (used by the dbt project), ``dbt_vars`` generates the dbt key macros and yml from
``xxgk.schema.keys``. Nothing here imports prefect or dbt.
"""
