"""Agency names → normalized name, official division codes, level and 本级/汇总 scope."""

from __future__ import annotations

import pandas as pd
import pytest

from xxgk.staging.agencies import agency_id, normalize_name, report_scope, resolve_agencies


@pytest.mark.parametrize(
    ("name", "level", "parent", "adcode", "province", "city", "county"),
    [
        pytest.param("乌恰县乌恰镇人民政府", "township", None, "653024", "新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州",
                     "乌恰县", id="seed000-township"),
        pytest.param("西夏区人民政府办公室", "department", "county", "640105", "宁夏回族自治区", "银川市", "西夏区",
                     id="seed003-county-office"),
        pytest.param("宁夏回族自治区人民政府办公厅", "department", "province", "640000", "宁夏回族自治区", None, None,
                     id="province-general-office"),
        pytest.param("托里县人民政府", "county", None, "654224", "新疆维吾尔自治区", "塔城地区", "托里县",
                     id="seed004-county"),
        pytest.param("银川市人民政府", "prefecture_city", None, "640100", "宁夏回族自治区", "银川市", None, id="city"),
        pytest.param("银川市教育局", "department", "prefecture_city", "640100", "宁夏回族自治区", "银川市", None,
                     id="city-department"),
        pytest.param("湖北省人民政府", "province", None, "420000", "湖北省", None, None, id="province"),
        pytest.param("宁夏回族自治区教育厅", "department", "province", "640000", "宁夏回族自治区", None, None,
                     id="province-department"),
        pytest.param("银川市西夏区教育局", "department", "county", "640105", "宁夏回族自治区", "银川市", "西夏区",
                     id="county-department"),
        pytest.param("西夏区文昌路街道办事处", "township", None, "640105", "宁夏回族自治区", "银川市", "西夏区",
                     id="street-office"),
        pytest.param("北京市朝阳区人民政府", "county", None, "110105", "北京市", "北京市", "朝阳区",
                     id="municipality-district"),
        pytest.param("甲县人民政府", "other", None, None, None, None, None, id="bare-suffix-is-not-a-place"),
        pytest.param("郊区人民政府办公室", "department", "county", None, None, None, None,
                     id="ambiguous-county-is-not-guessed"),
        pytest.param("铜陵市郊区人民政府", "county", None, "340711", "安徽省", "铜陵市", "郊区",
                     id="ambiguous-county-with-its-city"),
        pytest.param("国家统计局", "other", None, None, None, None, None, id="no-division"),
    ],
)
def test_names_resolve_to_divisions_and_levels(name: str, level: str, parent: str | None, adcode: str | None,
                                               province: str | None, city: str | None, county: str | None) -> None:
    row = resolve_agencies(pd.DataFrame({"source_sha256": ["s"], "agency_name": [name], "title": [None]})).iloc[0]
    got = [None if pd.isna(row[c]) else row[c] for c in
           ("agency_level", "parent_level", "adcode", "province_name", "city_name", "county_name")]
    assert got == [level, parent, adcode, province, city, county]
    if adcode:
        assert row["province_code"] == adcode[:2] + "0000"


def test_scope_comes_from_the_name_or_title_and_splits_the_agency() -> None:
    assert report_scope("西夏区人民政府（汇总）", None) == "consolidated"
    assert report_scope("西夏区人民政府", "西夏区2022年政府信息公开工作年度报告(本级)") == "own"
    assert report_scope("西夏区人民政府", None) == "unstated"
    assert normalize_name(" 西夏区人民政府 (汇总) ") == normalize_name("西夏区人民政府（本级）") == "西夏区人民政府"
    assert agency_id("西夏区人民政府", "consolidated") != agency_id("西夏区人民政府", "own")


def test_a_bare_region_name_is_the_regions_consolidated_report() -> None:
    df = pd.DataFrame({"source_sha256": ["a", "b", "c"], "agency_name": ["新乡市", "新乡市人民政府", "新乡市"],
                       "title": [None, None, "新乡市2022年政府信息公开工作年度报告（本级）"]})
    out = resolve_agencies(df).set_index("source_sha256")
    assert list(out["report_scope"]) == ["consolidated", "unstated", "own"]
    assert list(out["agency_level"]) == ["prefecture_city"] * 3
    assert out.loc["a", "agency_id"] == agency_id("新乡市", "consolidated")


def test_one_row_per_report_and_unnamed_reports_stay_unresolved() -> None:
    df = pd.DataFrame({"source_sha256": ["a", "b", "c", "a"],
                       "agency_name": ["托里县人民政府", " 托里县人民政府", None, "托里县人民政府"],
                       "title": [None, None, None, None]})
    out = resolve_agencies(df).set_index("source_sha256")
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["a", "agency_id"] == out.loc["b", "agency_id"]
    assert pd.isna(out.loc["c", "agency_id"])
