from __future__ import annotations

import io

import docx
from binary_fixtures import official_blocks, random_report, to_docx

from xxgk.parsing.readers.docx import read_docx


def _grid_rows(document):  # type: ignore[no-untyped-def]
    return [r for r in document.rows if r.is_grid and r.loc.startswith("docx table")]


def test_merged_cells_leave_placeholders_and_keep_the_grid_width() -> None:
    document = read_docx(to_docx(official_blocks(random_report(1))))
    table3 = [r for r in _grid_rows(document) if r.loc.startswith("docx table 2 ")]
    assert {len(r.cells) for r in table3} == {10}
    header = [c.text for c in table3[0].cells if not c.is_span]
    assert header[0].startswith("（本列数据的勾稽关系为")
    # 「三、本年度办理结果」 spans 22 rows: its column is a placeholder below it
    r03 = next(r for r in table3 if r.cells[1].text == "（一）予以公开")
    r04 = table3[table3.index(r03) + 1]
    assert r03.cells[0].text == "三、本年度办理结果" and r04.cells[0].is_span
    assert r03.cells[2].is_span  # （一）予以公开 spans two label columns
    assert [c.text for c in r03.cells[3:]] == random_report(1).table3["granted"]
    assert r03.cells[3].loc == "docx table 2 row 6 cell 4"


def test_vertical_headers_and_tables_split_by_page_breaks() -> None:
    report = random_report(7)
    document = read_docx(to_docx(official_blocks(report, vertical_headers=True), page_break_in_tables=True))
    texts = [[c.text for c in r.cells if not c.is_span] for r in _grid_rows(document)]
    assert ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"] in texts
    assert report.table4 in texts
    labels = [t[0] for t in texts if t]
    assert labels.index("规章") < labels.index("行政许可") < labels.index("一、本年新收政府信息公开申请数量")
    assert len({r.loc.split(" row ")[0] for r in _grid_rows(document)}) > 3  # split tables


def test_nested_table_rows_follow_their_container() -> None:
    document = docx.Document()
    document.add_paragraph("二、主动公开政府信息情况")
    outer = document.add_table(rows=1, cols=1)
    cell = outer.cell(0, 0)
    cell.paragraphs[0].text = "外层说明"
    inner = cell.add_table(rows=2, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "行政许可", "38540"
    inner.cell(1, 0).text, inner.cell(1, 1).text = "行政处罚", "7"
    out = io.BytesIO()
    document.save(out)
    read = read_docx(out.getvalue())
    grid = [[c.text for c in r.cells] for r in read.rows if r.is_grid and "table" in r.loc]
    assert grid == [["行政许可", "38540"], ["行政处罚", "7"]]
    assert "外层说明" in read.lines and "二、主动公开政府信息情况" in read.lines
