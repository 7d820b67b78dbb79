from __future__ import annotations

import pytest
from binary_fixtures import Table, docx_to_pdf, official_blocks, random_report, to_docx

from xxgk.parsing.readers.pdf import read_pdf

pytestmark = pytest.mark.slow


def _cells(document):  # type: ignore[no-untyped-def]
    return [[c.text for c in r.cells if not c.is_span] for r in document.rows]


def test_ruled_tables_keep_merged_cells_vertical_headers_and_page_breaks(pdf_files: dict[str, bytes]) -> None:
    report = random_report(7)
    document = read_pdf(pdf_files["gen7"])
    cells = _cells(document)
    assert ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"] in cells
    assert report.table4 in cells
    assert ["规章", *(report.table2[k] for k in ("regulations_made", "regulations_repealed", "regulations_valid"))] \
        in cells
    widths = {len(r.cells) for r in document.rows if r.loc.startswith("page") and "table" in r.loc}
    assert 10 in widths and 15 in widths  # table 三 and 四 keep their full grid width
    assert all(r.is_grid for r in document.rows if " table " in r.loc)


def test_borderless_table_is_read_from_text_positions() -> None:
    """No ruling lines, narrow columns: labels wrap over many lines and rows break over pages."""
    from binary_fixtures import report_text

    from xxgk.parsing.report import parse_bytes

    report = random_report(5)
    blocks = official_blocks(report)
    for block in blocks:
        if isinstance(block, Table):
            block.borders = False
    pdf = docx_to_pdf(to_docx(blocks, page_break_in_tables=True))
    parsed, original = parse_bytes(pdf).to_json_dict(), parse_bytes(report_text(report).encode()).to_json_dict()
    for key in ("table2", "table3", "table4", "derived", "agency", "year"):
        assert parsed[key] == original[key], key
    document = read_pdf(pdf)
    cells = _cells(document)
    assert report.table4 in cells
    assert ["一、本年新收政府信息公开申请数量", *report.table3["new_received"]] in cells
    assert ["（七）总计", *report.table3["total"]] in cells
    assert ["行政许可", report.table2["licensing"]] in cells


def test_page_numbers_and_running_headers_are_not_table_content() -> None:
    import docx as python_docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    report = random_report(4)
    data = to_docx(official_blocks(report))
    import io

    document = python_docx.Document(io.BytesIO(data))
    section = document.sections[0]
    section.header.paragraphs[0].text = "某某县人民政府办公室"
    footer = section.footer.paragraphs[0]
    footer._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    out = io.BytesIO()
    document.save(out)
    read = read_pdf(docx_to_pdf(out.getvalue()))
    assert not any(line.strip() in {"1", "2", "3", "4", "某某县人民政府办公室"} for line in read.lines)
    assert report.table4 in _cells(read)


def test_seed_tables_are_rows_in_reading_order(pdf_files: dict[str, bytes]) -> None:
    document = read_pdf(pdf_files["003"])
    cells = [[t for t in row if t] for row in _cells(document)]  # the seed pads its pipe rows with empty cells
    assert ["行政规范性文件", "0", "1", "10"] in cells
    r01 = cells.index(["一、本年新收政府信息公开申请数量", "9", "0", "0", "0", "0", "0", "9"])
    r24 = cells.index(["(七)总计", "9", "0", "0", "0", "0", "0", "9"])
    assert r01 < r24
    assert ["1", "0", "0", "0", "1", *["0"] * 10] in cells
