from __future__ import annotations

from binary_fixtures import official_blocks, random_report, to_xlsx

from xxgk.parsing.readers.xlsx import format_value, read_xlsx


def test_merged_ranges_leave_placeholders_and_numbers_stay_as_published() -> None:
    report = random_report(2)
    document = read_xlsx(to_xlsx(official_blocks(report), sheet_per_table=True))
    rows = {r.loc: r for r in document.rows}
    r01 = next(r for r in document.rows if r.cells[0].text == "一、本年新收政府信息公开申请数量")
    assert [c.is_span for c in r01.cells[:3]] == [False, True, True]
    assert [c.text for c in r01.cells[3:]] == report.table3["new_received"]
    assert r01.cells[3].loc.startswith("sheet 表") and r01.cells[3].loc.endswith("C4")
    fees = next(r for r in document.rows if r.cells[0].text == "行政事业性收费")
    assert fees.cells[1].text == report.table2["fees_wan_yuan"]
    assert rows  # every row has a location


def test_format_value_writes_what_a_reader_sees() -> None:
    assert format_value(38540.0) == "38540"
    assert format_value(12.5) == "12.5"
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_value(None) == ""
    assert format_value(" 规章 ") == "规章"


def test_formula_without_a_cached_value_is_not_a_silent_blank() -> None:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["信息内容", "本年处理决定数量"])
    sheet.append(["行政处罚", 3])
    sheet.append(["行政强制", "=B2*2"])  # openpyxl writes no cached value
    out = io.BytesIO()
    workbook.save(out)
    rows = [[c.text for c in r.cells] for r in read_xlsx(out.getvalue()).rows]
    assert rows == [["信息内容", "本年处理决定数量"], ["行政处罚", "3"], ["行政强制", "=B2*2"]]
