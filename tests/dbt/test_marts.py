"""The marts, queried after one `xxgk build` over the seeds plus a planted multi-year corpus (local lake).

One build per module (dbt costs tens of seconds); every test reads the DuckDB file it wrote, read-only, through a
plain DuckDB connection (no fsspec, no extensions), as a BI tool would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from marts_corpus import (
    COUNTY,
    DEPT,
    EXPECTED_GRANTED_2022,
    OTHER_COUNTY,
    PROVINCE_DEPT,
    STREET,
    SUMMARY,
    SYNTH_LEVELS,
    planted_outcomes,
    synth_items,
)

from xxgk.cli import main
from xxgk.ingest import ingest
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS
from xxgk.staging.agencies import normalize_name
from xxgk.staging.stage import stage_outcomes
from xxgk.storage import LocalStore

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def synth() -> list[tuple[str, bytes, dict]]:
    return synth_items()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, synth: list[tuple[str, bytes, dict]]) -> dict[str, object]:
    root = tmp_path_factory.mktemp("marts")
    lake, files = root / "lake", root / "synth"
    files.mkdir()
    for name, data, _ in synth:
        (files / name).write_bytes(data)
    store = LocalStore(lake)
    ingest([str(p) for p in sorted(SAMPLES.glob("*.txt"))] + [str(files)], store)
    assert stage_outcomes(store, planted_outcomes(), "1").n_quarantined == 0
    code = main(["build", "--lake", str(lake), "--json"])
    assert code == 0
    return {"lake": lake, "warehouse": lake / "warehouse" / "xxgk.duckdb"}


@pytest.fixture(scope="module")
def db(built: dict[str, object]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(built["warehouse"]), read_only=True)
    yield con
    con.close()


def one(db: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple:
    rows = db.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, (sql, params, rows)
    return rows[0]


def ay(db: duckdb.DuckDBPyConnection, agency: str, year: int, *cols: str) -> tuple:
    return one(db, f"select {', '.join(cols)} from marts.agency_year where agency_name = ? and report_year = ?",
               normalize_name(agency), year)


def test_the_warehouse_has_every_mart_in_schema_marts_and_docs(built: dict[str, object],
                                                                db: duckdb.DuckDBPyConnection) -> None:
    tables = {r[0] for r in db.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    assert tables == {"dim_agency", "agency_year", "fct_applications", "fct_proactive_disclosure",
                      "fct_review_litigation", "region_year", "agency_panel", "fct_report_versions"}
    catalog = json.loads((Path(built["lake"]) / "warehouse/dbt_target/catalog.json").read_text())
    assert "model.xxgk.agency_year" in catalog["nodes"]


def test_agency_years_are_the_current_reports_of_named_agencies(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute("select agency_name, report_year from marts.agency_year order by 1, 2").fetchall()
    planted = {(normalize_name(COUNTY), 2020), (normalize_name(COUNTY), 2021), (normalize_name(COUNTY), 2022),
               (DEPT, 2021), (DEPT, 2022), (STREET, 2021), (STREET, 2022), ("西夏区人民政府", 2022),
               (OTHER_COUNTY, 2022), (PROVINCE_DEPT, 2022)}
    seeds = {("乌恰县乌恰镇人民政府", 2024), ("霍邱县扈胡镇人民政府", 2023), ("伊川县半坡镇人民政府", 2024),
             ("西夏区人民政府办公室", 2024), ("托里县人民政府", 2021)}
    synth = {(normalize_name(t["agency"]), t["year"]) for _, _, t in synth_items()}
    assert set(rows) == planted | seeds | synth and len(rows) == len(planted | seeds | synth)


def test_seed_values_reach_the_wide_mart(db: duckdb.DuckDBPyConnection) -> None:
    assert ay(db, "托里县人民政府", 2021, "t2_licensing", "t2_punishment", "t2_fees_wan_yuan") == (38540, 33569, 1356)
    assert ay(db, "西夏区人民政府办公室", 2024, "t3_new_received_total", "t3_granted_total", "t3_reject_repeat_total",
              "t4_review_upheld", "t4_review_total") == (9, 8, 1, 1, 1)
    no_tables = ay(db, "霍邱县扈胡镇人民政府", 2023, "t3_total_total", "has_table3", "n_absent_cells",
                   "disclosure_rate_concluded")
    assert no_tables == (None, False, 200, None)  # absent is never 0
    assert ay(db, "托里县人民政府", 2021, "t3_other_other_total", "n_derived_cells")[0] == 0


def test_newest_publication_wins_and_history_is_kept(db: duckdb.DuckDBPyConnection) -> None:
    assert ay(db, DEPT, 2022, "t3_granted_total", "n_versions", "publication_date::varchar") == (3, 2, "2023-03-01")
    versions = db.execute("select publication_date::varchar, is_current, version_rank from marts.fct_report_versions "
                          "where agency_name = ? and report_year = 2022 order by 1", [DEPT]).fetchall()
    assert versions == [("2023-01-20", False, 2), ("2023-03-01", True, 1)]


def test_derived_cells_are_flagged_in_the_long_facts(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "select value, status from marts.fct_applications where agency_name = ? and report_year = 2022 "
                   "and row_key = 'other_other' and col_key = 'total'", DEPT) == (0, "derived")
    assert ay(db, DEPT, 2022, "n_derived_cells")[0] == 1


def test_2019_layout_is_conformed_with_not_applicable_kept_distinct_from_zero(db: duckdb.DuckDBPyConnection) -> None:
    a = normalize_name(COUNTY)
    assert ay(db, a, 2020, "format_version", "t3_other_other_total", "t3_other_overdue_fee_total",
              "t3_other_overdue_correction_natural_person", "t2_regulations_made", "t2_licensing") == (
        "2019", 3, None, None, None, 10)
    statuses = dict(db.execute(
        "select status, count(*) from marts.fct_applications where agency_name = ? and report_year = 2020 "
        "and row_key in ('other_overdue_correction', 'other_overdue_fee') group by 1", [a]).fetchall())
    assert statuses == {"na": 14}
    assert one(db, "select status, value from marts.fct_proactive_disclosure where agency_name = ? "
                   "and report_year = 2020 and row_key = 'regulations_made'", a) == ("na", None)
    zero = one(db, "select status, value from marts.fct_applications where agency_name = ? and report_year = 2021 "
                   "and row_key = 'other_overdue_fee' and col_key = 'total'", a)
    assert zero == ("reported", 0)
    # the procedural refusals of a 2019 year are （六） alone: the n/a rows are skipped, not nulling the sum
    assert ay(db, a, 2020, "refusal_procedural_count", "n_na_cells")[0] == 3


def test_long_facts_have_one_row_per_cell_and_agency_year(db: duckdb.DuckDBPyConnection) -> None:
    n_ay = one(db, "select count(*) from marts.agency_year")[0]
    assert one(db, "select count(*) from marts.fct_applications")[0] == n_ay * len(TABLE3_ROWS) * len(TABLE3_COLS)
    assert one(db, "select count(*) from marts.fct_review_litigation")[0] == n_ay * 15
    assert one(db, "select count(*) from marts.fct_proactive_disclosure where not is_extension")[0] == n_ay * 10
    assert one(db, "select group_key, leaf_key, group_label, leaf_label from marts.fct_review_litigation "
                   "where agency_name = ? and report_year = 2021 and row_key = 'direct_suit_pending'",
               normalize_name(COUNTY)) == ("direct_suit", "pending", "行政诉讼 / 未经复议直接起诉", "尚未审结")
    assert one(db, "select row_id, col_label, refusal_category from marts.fct_applications where agency_name = ? "
                   "and report_year = 2021 and row_key = 'deny_third_party' and col_key = 'natural_person'",
               normalize_name(COUNTY)) == ("R08", "自然人", "legal_exemption")


def test_derived_metrics_use_their_documented_denominators(db: duckdb.DuckDBPyConnection) -> None:
    a = normalize_name(COUNTY)
    got = ay(db, a, 2022, "concluded_count", "disclosed_count", "disclosure_rate_concluded",
             "disclosure_rate_received", "refusal_procedural_count", "refusal_procedural_share",
             "review_concluded_count", "review_correction_rate", "litigation_correction_rate")
    assert got == (10, 9, pytest.approx(0.9), pytest.approx(9 / 6), 1, pytest.approx(0.1), 3,
                   pytest.approx(1 / 3), None)
    got21 = ay(db, a, 2021, "refusal_legal_exemption_count", "refusal_unable_count", "refusal_procedural_count",
               "litigation_concluded_count", "litigation_correction_rate")
    assert got21 == (1, 2, 1, 2, pytest.approx(0.5))
    yoy = ay(db, a, 2022, "has_prior_year", "new_received_yoy_change", "concluded_yoy_change",
             "disclosure_rate_concluded_yoy_change")
    assert yoy == (True, 6 - 11, 10 - 11, pytest.approx(0.9 - 7 / 11))
    assert ay(db, OTHER_COUNTY, 2022, "has_prior_year", "new_received_yoy_change") == (False, None)


def test_agencies_resolve_to_codes_levels_and_scopes(db: duckdb.DuckDBPyConnection) -> None:
    rows = {r[0]: r[1:] for r in db.execute(
        "select agency_name, agency_level, parent_level, county_code, city_code, province_code, report_scope "
        "from marts.dim_agency").fetchall()}
    assert rows[normalize_name(COUNTY)] == ("county", None, "640105", "640100", "640000", "unstated")
    assert rows[DEPT] == ("department", "county", "640105", "640100", "640000", "unstated")
    assert rows[STREET] == ("township", None, "640105", "640100", "640000", "unstated")
    assert rows[OTHER_COUNTY][:3] == ("county", None, "640104")
    assert rows[PROVINCE_DEPT] == ("department", "province", None, None, "640000", "unstated")
    assert rows["西夏区人民政府"] == ("county", None, "640105", "640100", "640000", "consolidated")
    assert rows["乌恰县乌恰镇人民政府"][0] == "township"
    assert one(db, "select n_report_years, n_reports from marts.dim_agency where agency_name = ?", DEPT) == (2, 3)
    assert SUMMARY  # the 汇总 agency is the consolidated 西夏区人民政府 above


def test_region_rollups_never_double_count_consolidated_reports(db: duckdb.DuckDBPyConnection) -> None:
    for (level, code), granted in EXPECTED_GRANTED_2022.items():
        got = one(db, "select t3_granted_total, n_consolidated_reports_excluded from marts.region_year "
                      "where region_level = ? and region_code = ? and report_year = 2022", level, code)
        assert got == (granted, 1), (level, code)
    assert one(db, "select n_reports, region_name from marts.region_year where region_level = 'county' "
                   "and region_code = '640105' and report_year = 2022") == (3, "西夏区")
    assert one(db, "select t3_granted_total, n_reports from marts.region_year where region_level = 'county' "
                   "and region_code = '640105' and report_year = 2024") == (8, 1)  # seed 003
    rate = one(db, "select disclosure_rate_concluded, concluded_count from marts.region_year "
                   "where region_level = 'city' and region_code = '640100' and report_year = 2022")
    assert rate == (pytest.approx(18 / 19), 19)


def test_panel_flags_the_planted_carry_over_and_stock_breaks(db: duckdb.DuckDBPyConnection) -> None:
    def panel(agency: str, year: int, *cols: str) -> tuple:
        return one(db, f"select {', '.join(cols)} from marts.agency_panel where agency_name = ? "
                       "and report_year = ?", normalize_name(agency), year)

    assert panel(COUNTY, 2022, "has_prior_year", "prior_t3_carried_forward_natural_person",
                 "t3_carried_over_natural_person", "carry_over_gap_natural_person", "carry_over_gap_commercial",
                 "n_carry_over_breaks", "has_carry_over_break") == (True, 1, 3, 2, 0, 2, True)
    assert panel(COUNTY, 2021, "has_carry_over_break", "n_carry_over_breaks") == (False, 0)
    assert panel(COUNTY, 2020, "has_prior_year", "has_carry_over_break") == (False, None)
    assert panel(COUNTY, 2022, "normative_valid_expected", "normative_valid_gap", "has_stock_break") == (
        11, 0, False)
    assert panel(COUNTY, 2021, "has_stock_break")[0] is None  # 2020 had no 2021-layout stock (n/a)
    assert panel(STREET, 2022, "prior_t2_normative_valid", "normative_valid_expected", "normative_valid_gap",
                 "has_stock_break") == (5, 5, 2, True)
    assert panel(DEPT, 2022, "has_carry_over_break", "has_stock_break") == (False, False)
    planted = [normalize_name(a) for a in (COUNTY, DEPT, STREET, SUMMARY, OTHER_COUNTY, PROVINCE_DEPT)]
    breaks = db.execute("select agency_name, report_year from marts.agency_panel where (has_carry_over_break "
                        "or has_stock_break) and agency_name in (?, ?, ?, ?, ?, ?)", planted).fetchall()
    assert sorted(breaks) == sorted([(normalize_name(COUNTY), 2022), (STREET, 2022)])


def test_staging_keeps_what_the_marts_leave_out(db: duckdb.DuckDBPyConnection) -> None:
    statuses = dict(db.execute("select parse_status, count(*) from staging.stg_xxgk__reports group by 1").fetchall())
    assert statuses.get("failed") == 1
    assert one(db, "select count(*) from staging.stg_xxgk__reports where agency_name is null")[0] == 1


def test_generated_reports_reach_the_wide_mart_exactly_as_published(db: duckdb.DuckDBPyConnection,
                                                                     synth: list[tuple[str, bytes, dict]]) -> None:
    cols = ([f"t2_{k}" for k in TABLE2_KEYS] + [f"t3_{r}_{c}" for r in TABLE3_ROWS for c in TABLE3_COLS]
            + [f"t4_{k}" for k in TABLE4_KEYS])
    for _, _, truth in synth:
        expected = ([truth["table2"].get(k) for k in TABLE2_KEYS]
                    + [truth["table3"][r][c] for r in TABLE3_ROWS for c in TABLE3_COLS]
                    + [truth["table4"][k] for k in TABLE4_KEYS])
        got = ay(db, truth["agency"], truth["year"], "format_version", *cols)
        assert got[0] == truth["format_version"]
        diff = [(c, e, g) for c, e, g in zip(cols, expected, got[1:], strict=True) if e != g]
        assert diff == [], (truth["file"], diff[:5])


def test_generated_carry_over_break_is_flagged_and_nothing_else(db: duckdb.DuckDBPyConnection,
                                                                synth: list[tuple[str, bytes, dict]]) -> None:
    planted = {(normalize_name(t["agency"]), t["year"]) for _, _, t in synth
               if any(d["kind"] == "carry_over_break" for d in t["defects"])}
    assert len(planted) == 1
    names = sorted({normalize_name(t["agency"]) for _, _, t in synth})
    flagged = db.execute(
        "select agency_name, report_year from marts.agency_panel where has_carry_over_break and agency_name in "
        f"({', '.join('?' for _ in names)})", names).fetchall()
    assert set(flagged) == planted
    with_prior = one(db, "select count(*) from marts.agency_panel where has_prior_year and agency_name in "
                         f"({', '.join('?' for _ in names)})", *names)[0]
    assert with_prior == sum(1 for _, _, t in synth) - len(names)


def test_generated_agencies_resolve_to_their_level_and_region(db: duckdb.DuckDBPyConnection,
                                                              synth: list[tuple[str, bytes, dict]]) -> None:
    for _, _, truth in synth:
        got = one(db, "select agency_level, parent_level, province_name, report_scope from marts.dim_agency "
                      "where agency_name = ?", normalize_name(truth["agency"]))
        assert got[:2] == SYNTH_LEVELS[truth["level"]], truth["agency"]
        assert got[2] == truth["region"]["province"], truth["agency"]
        assert got[3] == ("consolidated" if truth["is_summary"] else "unstated")


@pytest.mark.parametrize("folder", ["marts", "intermediate", "staging"])
def test_built_models_have_exactly_the_documented_columns(db: duckdb.DuckDBPyConnection, folder: str) -> None:
    import yaml

    from xxgk.staging.dbt_vars import default_project_dir

    path = default_project_dir() / "models" / folder / f"_{folder}__models.yml"
    for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
        built = [r[0] for r in db.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [folder, model["name"]]).fetchall()]
        assert built == [c["name"] for c in model["columns"]], model["name"]
