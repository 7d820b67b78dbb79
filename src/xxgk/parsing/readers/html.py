"""HTML reports → :class:`Document`: real ``<table>`` markup with rowspan/colspan expanded into placeholder cells.

Word-exported markup (``<o:p>``, ``mso-`` styles), ``&nbsp;`` cells and tables split over several ``<table>``
elements all come out as ordinary rows in reading order. Only leaf tables (tables without nested tables) hold
data; layout tables around them are walked through. Every limit below keeps a hostile page from hanging or
exhausting memory.
"""

from __future__ import annotations

import re

from lxml import etree

from xxgk.parsing.model import Cell, Document, Row, new_tuple
from xxgk.parsing.readers.errors import ReaderError

MAX_SPAN = 64  # rowspan/colspan beyond this are markup errors (the widest official table is 18 cells)
MAX_TABLE_CELLS = 200_000
MAX_TEXT_LINES = 200_000

_BLOCK_TAGS = tuple(
    "p div br li tr h1 h2 h3 h4 h5 h6 section article header footer ul ol dl dt dd blockquote pre title "
    "table caption form hr td th".split()
)
_SKIP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg")
_CELL_FORMATTING_TAGS = tuple(
    "p span o:p font b i u s strong em a br div sup sub small big strike ins del label nobr center h1 h2 h3 h4 h5 "
    "h6 ul ol li img".split()
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_ROWS_OF_TABLE = etree.XPath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")  # compiled once, not per table
_HAS_NESTED_TABLE = etree.XPath("boolean(.//table)")


def read_html(text: str, *, encoding: str | None = None, utf8: bytes | None = None) -> Document:
    """``text`` as decoded; ``utf8``, when the caller has them, the same text as UTF-8 bytes (spares encoding)."""
    # lxml gets UTF-8 bytes and is told so: whatever <meta charset> the page declares, it was decoded already.
    # Plain lxml.etree elements: lxml.html's per-element class lookup costs more than the parse itself.
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    data = utf8 if utf8 is not None else text.encode("utf-8", errors="replace")
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ReaderError(f"HTML could not be parsed: {exc}") from exc
    if root is None:
        raise ReaderError("HTML has no content")
    etree.strip_elements(root, *_SKIP_TAGS, with_tail=False)
    rows: list[Row] = []
    # Leaf tables become rows; in the text each stands as one line per row, in place, so lines keep reading order.
    # Emptying the table (C-level) before the text pass also spares that pass the table's hundreds of elements.
    leaf_tables = [table for table in root.iter("table") if not _HAS_NESTED_TABLE(table)]
    for table_index, table in enumerate(leaf_tables, start=1):
        # Formatting inside cells (Word wraps every cell in <p><span>…<o:p>) goes in one C-level pass: a cell's
        # text is the same, and most cells become a single text node.
        etree.strip_tags(table, *_CELL_FORMATTING_TAGS)
        table_rows = _table_rows(table, table_index)
        rows.extend(table_rows)
        table.clear(keep_tail=True)
        table.text = "\n".join([" | ".join([c.text for c in row.cells if not c.is_span]) for row in table_rows])
    # Block elements start and end lines: mark them with newlines, then take all the text in one C-level pass.
    for element in root.iter(*_BLOCK_TAGS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    all_text = etree.tostring(root, method="text", encoding=str, with_tail=False)
    # Runs of spaces fold in one pass over the whole text (the pattern never spans a line break).
    lines = [line for line in map(str.strip, _SPACES.sub(" ", all_text).split("\n")) if line]
    if len(lines) > MAX_TEXT_LINES:
        raise ReaderError(f"HTML has more than {MAX_TEXT_LINES} lines of text")
    return Document(lines=tuple(lines), rows=tuple(rows), media_type="html", encoding=encoding)


def cell_text(element: etree._Element) -> str:
    """The visible text of a cell, with line breaks inside it folded into single spaces."""
    text = element.text if len(element) == 0 else etree.tostring(element, method="text", encoding=str,
                                                                 with_tail=False)
    if not text:
        return ""
    if text.isprintable() and "  " not in text:  # no line breaks, tabs, NBSP or runs of spaces: nothing to fold
        return text.strip()
    return _fold_spaces(text)


def _fold_spaces(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


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
    trs = _ROWS_OF_TABLE(table)
    grid: list[dict[int, Cell]] = [{} for _ in trs]
    n_cells = 0
    prefix = f"table[{table_index}]/tr["
    for r, tr in enumerate(trs):
        row = grid[r]
        col = 0
        row_prefix = f"{prefix}{r + 1}]/td["
        for c, td in enumerate(tr.iterchildren("td", "th"), start=1):
            while col in row:
                col += 1
            loc = f"{row_prefix}{c}]"
            if len(td):
                text = cell_text(td)
            else:  # the common case once formatting is stripped: one text node, usually clean
                text = td.text
                if text is None:
                    text = ""
                elif text.isprintable() and "  " not in text:
                    text = text.strip()
                else:
                    text = _fold_spaces(text)
            attrib = td.attrib
            if not attrib or ("rowspan" not in attrib and "colspan" not in attrib):  # one plain cell
                row[col] = new_tuple(Cell, (text, loc, False))
                col += 1
                n_cells += 1
                continue
            rowspan, colspan = _span(td, "rowspan"), _span(td, "colspan")
            n_cells += rowspan * colspan
            if n_cells > MAX_TABLE_CELLS:
                raise ReaderError(f"table {table_index} expands to more than {MAX_TABLE_CELLS} cells")
            placeholder = Cell("", loc, is_span=True)
            for dr in range(min(rowspan, len(trs) - r)):
                target = grid[r + dr]
                for dc in range(colspan):
                    target[col + dc] = placeholder
            row[col] = new_tuple(Cell, (text, loc, False))
            col += colspan
    rows = []
    for r, row in enumerate(grid):
        if not row:
            continue
        loc = f"{prefix}{r + 1}]"
        width = max(row) + 1
        if len(row) == width:
            cells = tuple(map(row.__getitem__, range(width)))
        else:
            gap = Cell("", loc, is_span=True)
            cells = tuple([row.get(c, gap) for c in range(width)])
        rows.append(new_tuple(Row, (cells, loc, True)))
    return rows
