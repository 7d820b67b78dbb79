"""The HTML reader: leaf tables to rows (spans expanded into placeholders, ``loc`` per cell), the page to lines.

These pin the reader's exact output, so a faster rewrite (one tree pass in C, say) can be checked against them.
"""

from __future__ import annotations

import pytest

from xxgk.parsing.model import Cell, Row
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.readers.html import MAX_TABLE_CELLS, MAX_TEXT_LINES, read_html


def _page(body: str) -> str:
    return f"<html><head><title>年报</title></head><body>{body}</body></html>"


def _texts(html: str) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in read_html(_page(html)).rows]


def test_cells_carry_their_table_row_and_cell_position():
    doc = read_html(_page("<table><tr><td>a</td><th>b</th></tr><tr><td>c</td></tr></table>"))
    assert doc.rows == (
        Row((Cell("a", "table[1]/tr[1]/td[1]"), Cell("b", "table[1]/tr[1]/td[2]")), "table[1]/tr[1]", True),
        Row((Cell("c", "table[1]/tr[2]/td[1]"),), "table[1]/tr[2]", True),
    )
    assert doc.media_type == "html"


def test_rowspan_and_colspan_leave_placeholders_with_the_merged_cells_loc():
    doc = read_html(_page("<table><tr><td rowspan=2>a</td><td colspan='2'>b</td></tr><tr><td>c</td><td>d</td></tr>"
                          "</table>"))
    a_span, b_span = Cell("", "table[1]/tr[1]/td[1]", True), Cell("", "table[1]/tr[1]/td[2]", True)
    assert [row.cells for row in doc.rows] == [
        (Cell("a", "table[1]/tr[1]/td[1]"), Cell("b", "table[1]/tr[1]/td[2]"), b_span),
        (a_span, Cell("c", "table[1]/tr[2]/td[1]"), Cell("d", "table[1]/tr[2]/td[2]")),
    ]
    assert doc.lines[1:] == ("a | b", "c | d")  # a table's line per row holds its cells, never the placeholders


def test_a_row_shorter_than_the_spans_above_it_gets_gap_placeholders():
    doc = read_html(_page("<table><tr><td>a</td><td rowspan=2 colspan=2>b</td></tr><tr></tr></table>"))
    assert doc.rows[1].cells == (Cell("", "table[1]/tr[2]", True), Cell("", "table[1]/tr[1]/td[2]", True),
                                 Cell("", "table[1]/tr[1]/td[2]", True))


@pytest.mark.parametrize(
    ("attrs", "width"),
    [
        pytest.param("colspan=''", 1, id="empty"),
        pytest.param("colspan='x'", 1, id="not-a-number"),
        pytest.param("colspan='0'", 1, id="zero"),
        pytest.param("colspan='-3'", 1, id="negative"),
        pytest.param("colspan=' 3 '", 3, id="spaces"),
        pytest.param("colspan='\ufdd0'", 1, id="noncharacter"),
        pytest.param("colspan='2&#xFDD0;'", 1, id="noncharacter-reference"),
        pytest.param("colspan='2147483647'", 64, id="huge-capped"),
    ],
)
def test_span_values_are_read_leniently_and_capped(attrs, width):
    assert len(read_html(_page(f"<table><tr><td {attrs}>a</td></tr></table>")).rows[0].cells) == width


def test_spans_past_the_last_row_and_empty_rows_are_dropped():
    assert _texts("<table><tr></tr><tr><td rowspan=9>a</td></tr></table>") == [["a"]]
    assert read_html(_page("<table><tr></tr><tr><td>a</td></tr></table>")).rows[0].loc == "table[1]/tr[2]"


def test_only_leaf_tables_count_and_are_numbered_in_document_order():
    html = ("<table><tr><td><table><tr><td>first</td></tr></table></td><td>layout</td></tr></table>"
            "<table><tr><td>second</td></tr></table>")
    doc = read_html(_page(html))
    assert [(row.loc, [c.text for c in row.cells]) for row in doc.rows] == [
        ("table[1]/tr[1]", ["first"]), ("table[2]/tr[1]", ["second"])]
    assert doc.lines[1:] == ("first", "layout", "second")


def test_skipped_elements_hold_no_tables_and_no_text():
    html = ("<script>var t='<table><tr><td>s</td></tr></table>'</script><svg><table><tr><td>v</td></tr></table></svg>"
            "<noscript><table><tr><td>n</td></tr></table></noscript><template><table><tr><td>t</td></tr></table></template>"
            "<table><tr><td>kept</td></tr></table>after")
    doc = read_html(_page(html))
    assert [row.loc for row in doc.rows] == ["table[1]/tr[1]"]
    assert doc.lines[1:] == ("kept", "after")


def test_rows_and_cells_in_sections_and_formatting_wrappers_count():
    html = ("<table><caption>cap</caption><thead><tr><th>h</th></tr></thead><tbody><tr><td>b</td></tr></tbody>"
            "<font><tr><span><td>wrapped</td></span></tr></font><tfoot><tr><td>f</td></tr></tfoot></table>")
    assert _texts(html) == [["h"], ["b"], ["wrapped"], ["f"]]


def test_text_outside_cells_of_a_leaf_table_is_dropped():
    doc = read_html(_page("<table>loose<tr>stray<td>a</td></tr></table>"))
    assert doc.lines[1:] == ("a",)


def test_cell_text_folds_markup_and_whitespace():
    html = ("<table><tr><td><p><span>本年</span><o:p></o:p>新收</p></td><td> a&nbsp;&nbsp;b\u3000c\td\n e </td>"
            "<td>x<br>y</td><td>&nbsp;</td></tr></table>")
    assert _texts(html) == [["本年新收", "a b c d e", "xy", ""]]


def test_block_elements_make_lines_and_spaces_fold():
    doc = read_html(_page("<div>one<p> two  \u00a0three </p>four</div><span>five</span>six<br>seven"))
    assert doc.lines == ("年报", "one", "two three", "four", "fivesix", "seven")


@pytest.mark.parametrize(
    "marker",
    ["\ufdd0", "&#xFDD0;", "&#64976;", "\ue000", "&#xE000;", "".join(map(chr, range(0xFDD0, 0xFDF0))),
     "".join(f"&#x{c:X};" for c in range(0xFDD0, 0xFDF0))],
    ids=["nonchar", "nonchar-hex-ref", "nonchar-decimal-ref", "pua", "pua-ref", "all-nonchars", "all-nonchar-refs"],
)
def test_any_character_is_ordinary_text(marker):
    text = read_html(_page(f"<p>a{marker}b</p><table><tr><td>{marker}</td><td>c{marker}</td></tr></table>")).lines
    expected = read_html(_page("<p>aXb</p><table><tr><td>X</td><td>cX</td></tr></table>")).lines
    char = read_html(_page(f"<p>{marker}</p>")).lines[1]
    assert text == tuple(line.replace("X", char) for line in expected)


def test_a_table_expanding_past_the_cell_limit_is_an_error():
    row = "<tr>" + "<td colspan=64 rowspan=64>x</td>" * 60 + "</tr>"
    with pytest.raises(ReaderError, match=f"table 1 expands to more than {MAX_TABLE_CELLS} cells"):
        read_html(_page("<table>" + row * 60 + "</table>"))


def test_too_many_lines_is_an_error():
    with pytest.raises(ReaderError, match=f"more than {MAX_TEXT_LINES} lines"):
        read_html(_page("<p>x</p>" * (MAX_TEXT_LINES + 1)))


def test_empty_input_is_an_error_and_utf8_bytes_give_the_same_document():
    with pytest.raises(ReaderError, match="no content"):
        read_html("")
    page = _page("<table><tr><td>本年</td></tr></table>")
    assert read_html(page, encoding="utf-8", utf8=page.encode()) == read_html(page, encoding="utf-8")
