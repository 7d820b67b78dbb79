"""Agency and year hints from file names and URLs."""

from __future__ import annotations

import pytest

from xxgk.ingest.hints import agency_hint_from_location, year_hint_from_location


@pytest.mark.parametrize(
    ("location", "year", "agency"),
    [
        pytest.param("/data/北京市海淀区人民政府2023年政府信息公开工作年度报告.pdf", 2023, "北京市海淀区人民政府",
                     id="agency-then-year"),
        pytest.param("2023年北京市海淀区人民政府政府信息公开工作年度报告.doc", 2023, "北京市海淀区人民政府",
                     id="year-then-agency"),
        pytest.param("乌恰镇人民政府_2024年度报告.txt", 2024, "乌恰镇人民政府", id="underscore"),
        pytest.param("http://www.gov.cn/xxgk/2024/ndbg.html", 2024, None, id="url-path-year"),
        pytest.param("http://www.gov.cn/art/t20240115_123.html", None, None, id="date-not-year"),
        pytest.param("http://x.gov.cn/%E7%94%B2%E5%8E%BF2022%E5%B9%B4%E6%8A%A5%E5%91%8A.pdf", 2022, "甲县",
                     id="percent-encoded"),
        pytest.param("/archive/2019/report_2021.txt", 2021, None, id="file-name-wins"),
        pytest.param("scan_1234.pdf", None, None, id="no-year"),
        pytest.param("2023年政府信息公开工作年度报告.pdf", 2023, None, id="no-agency"),
    ],
)
def test_hints(location: str, year: int | None, agency: str | None) -> None:
    assert year_hint_from_location(location) == year
    assert agency_hint_from_location(location) == agency
