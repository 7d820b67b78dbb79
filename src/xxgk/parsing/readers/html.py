"""HTML reports → :class:`Document`: real ``<table>`` markup with rowspan/colspan expanded into placeholder cells.

Word-exported markup (``<o:p>``, ``mso-`` styles), ``&nbsp;`` cells and tables split over several ``<table>``
elements all come out as ordinary rows in reading order. Only leaf tables (tables without nested tables) hold
data; layout tables around them are walked through. Every limit below keeps a hostile page from hanging or
exhausting memory.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from xxgk.parsing.model import Cell, Document, Row
from xxgk.parsing.readers.errors import ReaderError

MAX_SPAN = 64  # rowspan/colspan beyond this are markup errors (the widest official table is 18 cells)
MAX_TABLE_CELLS = 200_000
MAX_TEXT_LINES = 200_000

_BLOCK_TAGS = frozenset(
    "p div br li tr h1 h2 h3 h4 h5 h6 section article header footer ul ol dl dt dd blockquote pre title "
    "table caption form hr".split()
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "iframe", "object", "svg"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def read_html(text: str, *, encoding: str | None = None) -> Document:
    # lxml gets UTF-8 bytes and is told so: whatever <meta charset> the page declares, it was decoded already.
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml_html.document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ReaderError(f"HTML could not be parsed: {exc}") from exc
    lines: list[str] = []
    rows: list[Row] = []
    buffer: list[str] = []
    table_index = 0

    def end_line() -> None:
        line = _SPACES.sub(" ", "".join(buffer)).strip()
        buffer.clear()
        if line:
            if len(lines) >= MAX_TEXT_LINES:
                raise ReaderError(f"HTML has more than {MAX_TEXT_LINES} lines of text")
            lines.append(line)

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if event == "start":
            if tag in _SKIP_TAGS:
                walker.skip_subtree()
                _append_tail(element, buffer)
                continue
            if tag == "table" and not element.xpath(".//table"):
                end_line()
                table_index += 1
                for row in _table_rows(element, table_index):
                    rows.append(row)
                    lines.append(" | ".join(c.text for c in row.cells if not c.is_span))
                walker.skip_subtree()
                _append_tail(element, buffer)
                continue
            if tag in _BLOCK_TAGS:
                end_line()
            if element.text:
                buffer.append(element.text)
        else:
            if tag in _BLOCK_TAGS:
                end_line()
            _append_tail(element, buffer)
    end_line()
    return Document(lines=tuple(lines), rows=tuple(rows), media_type="html", encoding=encoding)


def _append_tail(element: etree._Element, buffer: list[str]) -> None:
    if element.tail:
        buffer.append(element.tail)


def cell_text(element: etree._Element) -> str:
    """The visible text of a cell, with line breaks inside it folded into single spaces."""
    return _SPACES.sub(" ", element.text_content().replace("\n", " ")).strip()


def _span(element: etree._Element, name: str) -> int:
    raw = element.get(name)
    if raw is None:
        return 1
    try:
        value = int(str(raw).strip() or "1")
    except ValueError:
        return 1
    return max(1, min(value, MAX_SPAN))


def _table_rows(table: etree._Element, table_index: int) -> list[Row]:
    """Expand one table into rows of equal meaning: a merged cell's first position holds its text and every other
    position it covers holds a span placeholder. Spans past the last row are dropped."""
    trs = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    grid: list[dict[int, Cell]] = [{} for _ in trs]
    n_cells = 0
    for r, tr in enumerate(trs):
        row = grid[r]
        col = 0
        for c, td in enumerate(tr.iterchildren("td", "th")):
            while col in row:
                col += 1
            rowspan, colspan = _span(td, "rowspan"), _span(td, "colspan")
            n_cells += rowspan * colspan
            if n_cells > MAX_TABLE_CELLS:
                raise ReaderError(f"table {table_index} expands to more than {MAX_TABLE_CELLS} cells")
            loc = f"table[{table_index}]/tr[{r + 1}]/td[{c + 1}]"
            placeholder = Cell("", loc, is_span=True)
            for dr in range(min(rowspan, len(trs) - r)):
                target = grid[r + dr]
                for dc in range(colspan):
                    target[col + dc] = placeholder
            row[col] = Cell(cell_text(td), loc)
            col += colspan
    rows = []
    for r, row in enumerate(grid):
        if not row:
            continue
        loc = f"table[{table_index}]/tr[{r + 1}]"
        gap = Cell("", loc, is_span=True)
        rows.append(Row(tuple(row.get(c, gap) for c in range(max(row) + 1)), loc, is_grid=True))
    return rows


_HTML_SNIFF = re.compile(rb"<\s*(html|body|table|div|p|head|meta|!doctype|tr|td|span|br)\b", re.IGNORECASE)


def looks_like_html(data: bytes) -> bool:
    head = data[:8192]
    return bool(_HTML_SNIFF.search(head)) and head.lstrip()[:1] == b"<" or b"<table" in head.lower()
