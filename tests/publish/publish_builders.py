"""Staging frames and a stand-in warehouse for publication tests (also imported by the crash subprocess)."""

from __future__ import annotations

import pandas as pd

from xxgk.publish.pipeline import Warehouse
from xxgk.quality.examples import ExampleReport, example_report, example_series, frames_for
from xxgk.schema.keys import cell_id

LEVELS = {"甲县人民政府": ("county", "甲省"), "乙镇人民政府": ("township", "乙省"), "丙县人民政府": ("county", "乙省"),
          "丁街道办事处": ("township", "甲省")}
BAD_AGENCY = "丙县人民政府"
WARNED_AGENCY = "丁街道办事处"


def population(*, with_defects: bool = True) -> list[ExampleReport]:
    reports = (example_series("甲县人民政府", range(2022, 2025))
               + example_series("乙镇人民政府", range(2023, 2025), seed=2)
               + [example_report(BAD_AGENCY, 2024, seed=5), example_report(WARNED_AGENCY, 2024, seed=6)])
    if with_defects:
        bad = next(r for r in reports if r.agency_name == BAD_AGENCY)
        for col in ("research", "total"):
            cid = cell_id("table3", "carried_forward", col)
            bad.set(cid, bad.values[cid] + 3)  # I1 breaks in two columns; nothing else does
        warned = next(r for r in reports if r.agency_name == WARNED_AGENCY)
        warned.set(cell_id("table2", "fees_wan_yuan"), 2_500_000.0)
    return reports


def staging(reports: list[ExampleReport]) -> dict[str, pd.DataFrame]:
    frames = frames_for(reports)
    frames["sections"] = pd.DataFrame([
        {"source_sha256": r.source_sha256, "section_id": "overview",
         "text": f"本年度共收到政府信息公开申请{int(r.values[cell_id('table3', 'new_received', 'total')])}件。"}
        for r in reports])
    return frames


def marts_from(staging_frames: dict[str, pd.DataFrame], exclude: set[str] = frozenset()) -> dict[str, pd.DataFrame]:
    """What dbt would build: agency_year (a few columns), dim_agency and a region roll-up."""
    reports = staging_frames["reports"]
    reports = reports[~reports["source_sha256"].isin(exclude)]
    t3 = staging_frames["table3_cells"]
    new = t3[(t3["row_key"] == "new_received") & (t3["col_key"] == "total")].set_index("source_sha256")["value"]
    ay = pd.DataFrame({
        "agency_year_id": [f"{a}-{y}" for a, y in zip(reports["agency_name"], reports["report_year"], strict=True)],
        "agency_id": reports["agency_name"],
        "agency_name": reports["agency_name"],
        "report_year": reports["report_year"],
        "agency_level": [LEVELS.get(a, ("county", "测试省"))[0] for a in reports["agency_name"]],
        "province_name": [LEVELS.get(a, ("county", "测试省"))[1] for a in reports["agency_name"]],
        "source_sha256": reports["source_sha256"],
        "t3_new_received_total": new.reindex(reports["source_sha256"]).to_numpy(),
    })
    region = ay.groupby(["province_name", "report_year"], as_index=False)["t3_new_received_total"].sum()
    dim = ay[["agency_id", "agency_name", "agency_level", "province_name"]].drop_duplicates("agency_id")
    return {"agency_year": ay, "dim_agency": dim, "region_year": region}


def warehouse(staging_frames: dict[str, pd.DataFrame]) -> Warehouse:
    reports = staging_frames["reports"]
    versions = pd.DataFrame({"source_sha256": reports["source_sha256"], "agency_id": reports["agency_name"],
                             "report_year": reports["report_year"], "is_current": True})
    return Warehouse(marts_from(staging_frames), versions, {"agency_year": "One row per agency × report year."})
