"""Word 2007+ reports (DOCX, and WPS files saved as DOCX) → :class:`~xxgk.parsing.model.Document`.

The body is walked in document order. Tables become grid rows: a horizontally merged cell (``gridSpan``) and every
position covered by a vertical merge (``vMerge`` continuation) leave span placeholders, so each row keeps the full
grid width. A row whose cells hold nested tables is a layout row: its own text goes to the lines and the nested
tables' rows follow in order. A table Word split across pages is one ``w:tbl`` (or several in a row), so its rows
stay in order either way. Runs of paragraphs between tables are read by the text reader, so tables typed as text
(pipes, tabs, one cell per paragraph) are found exactly as in a ``.txt`` report.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator

from lxml import etree

from xxgk.parsing.model import Cell, Document, Row
from xxgk.parsing.readers.binary import check_size, check_zip_container, join_cell_lines, row_text
from xxgk.parsing.readers.errors import ReaderError

logger = logging.getLogger(__name__)

MAX_TABLE_NESTING = 8  # tables inside tables deeper than this are refused
MAX_GRID_SPAN = 64  # a gridSpan beyond this is a markup error

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (f"{W}p", f"{W}tbl", f"{W}tr", f"{W}tc", f"{W}sdt", f"{W}sdtContent")
_T, _TAB, _BR, _CR = f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"
_VAL = f"{W}val"


def read_docx(data: bytes) -> Document:
    """Read a DOCX file; raises :class:`ReaderError` for a corrupt, encrypted or oversized one."""
    check_zip_container(data, "DOCX").close()
    body = _load_body(data)
    builder = _Builder()
    builder.walk(body, depth=0)
    builder.flush_text()
    check_size(len(builder.rows), sum(len(r.cells) for r in builder.rows), "DOCX")
    return Document(lines=tuple(builder.lines), rows=tuple(builder.rows), media_type="docx", encoding=None)


def _load_body(data: bytes) -> etree._Element:
    import docx  # python-docx; imported here so the package imports without it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError, OSError) as exc:
        raise ReaderError(f"DOCX could not be read (corrupt or malformed XML): {exc}") from exc
    except Exception as exc:  # python-docx raises assorted errors for broken packages
        raise ReaderError(f"DOCX could not be read: {type(exc).__name__}: {exc}") from exc
    body = document.element.body
    if body is None:
        raise ReaderError("DOCX has no document body")
    return body


class _Builder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.rows: list[Row] = []
        self.tables = 0
        self.paragraphs = 0
        self._text_block: list[tuple[str, str]] = []  # (paragraph text, loc) waiting for the text reader

    def walk(self, parent: etree._Element, depth: int) -> None:
        for child in _content_children(parent):
            if child.tag == _P:
                self.paragraphs += 1
                text = paragraph_text(child)
                for part in text.split("\n"):
                    self._text_block.append((part, f"docx paragraph {self.paragraphs}"))
            elif child.tag == _TBL:
                self.flush_text()
                self.table(child, depth)

    def flush_text(self) -> None:
        if not self._text_block:
            return
        block, self._text_block = self._text_block, []
        self.lines.extend(text for text, _ in block)
        self.rows.extend(rows_from_text_block(block, media_type="docx"))

    def table(self, tbl: etree._Element, depth: int) -> None:
        if depth >= MAX_TABLE_NESTING:
            raise ReaderError(f"DOCX nests tables more than {MAX_TABLE_NESTING} deep")
        self.tables += 1
        number = self.tables
        for row_index, tr in enumerate(_rows_of(tbl), start=1):
            tcs = list(_cells_of(tr))
            if any(tc.find(_TBL) is not None for tc in tcs):
                self._layout_row(tcs, depth)
                continue
            cells = self._grid_cells(tr, tcs, number, row_index)
            if not cells:
                continue
            loc = f"docx table {number} row {row_index}"
            self.rows.append(Row(tuple(cells), loc, is_grid=True))
            self.lines.append(row_text(cells))

    def _layout_row(self, tcs: list[etree._Element], depth: int) -> None:
        """A row that only holds other tables (a page-layout wrapper): walk its cells as if they were the body."""
        for tc in tcs:
            self.walk(tc, depth + 1)
            self.flush_text()

    @staticmethod
    def _grid_cells(tr: etree._Element, tcs: list[etree._Element], table: int, row: int) -> list[Cell]:
        cells: list[Cell] = []
        position = 0

        def placeholders(count: int) -> None:
            nonlocal position
            for _ in range(count):
                position += 1
                cells.append(Cell("", f"docx table {table} row {row} cell {position}", is_span=True))

        placeholders(_int_prop(tr, "trPr", "gridBefore"))
        for tc in tcs:
            span = min(max(_int_prop(tc, "tcPr", "gridSpan"), 1), MAX_GRID_SPAN)
            if _is_merge_continuation(tc):
                placeholders(span)
                continue
            position += 1
            text = join_cell_lines("\n".join(paragraph_text(p) for p in _paragraphs_of(tc)))
            cells.append(Cell(text, f"docx table {table} row {row} cell {position}"))
            placeholders(span - 1)
        placeholders(_int_prop(tr, "trPr", "gridAfter"))
        return cells


def _content_children(parent: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables under ``parent``, looking through content controls (``w:sdt``)."""
    for child in parent:
        if child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _content_children(content)
        elif child.tag in (_P, _TBL):
            yield child


def _rows_of(tbl: etree._Element) -> Iterator[etree._Element]:
    for child in tbl:
        if child.tag == _TR:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from (tr for tr in content if tr.tag == _TR)


def _cells_of(tr: etree._Element) -> Iterator[etree._Element]:
    for child in tr:
        if child.tag == _TC:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from (tc for tc in content if tc.tag == _TC)


def _paragraphs_of(tc: etree._Element) -> Iterator[etree._Element]:
    for child in _content_children(tc):
        if child.tag == _P:
            yield child


def _int_prop(element: etree._Element, props: str, name: str) -> int:
    node = element.find(f"{W}{props}/{W}{name}")
    if node is None:
        return 0
    try:
        return max(int(node.get(_VAL, "1")), 0)
    except ValueError:
        return 0


def _is_merge_continuation(tc: etree._Element) -> bool:
    for name in ("vMerge", "hMerge"):
        node = tc.find(f"{W}tcPr/{W}{name}")
        if node is not None and node.get(_VAL, "continue") != "restart":
            return True
    return False


def paragraph_text(p: etree._Element) -> str:
    """The visible text of a paragraph: text runs, tabs as tab characters, line breaks as newlines."""
    parts: list[str] = []
    for node in p.iter(_T, _TAB, _BR, _CR):
        if node.tag == _T:
            parts.append(node.text or "")
        elif node.tag == _TAB:
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


_LINE_LOC = re.compile(r"^line (\d+)")


def rows_from_text_block(block: list[tuple[str, str]], *, media_type: str) -> list[Row]:
    """Rows the text reader finds in consecutive text lines (prose, or a table typed as text), with their locs
    pointing back at the source (``docx paragraph 12``)."""
    if not any(text.strip() for text, _ in block):
        return []
    try:
        from xxgk.parsing.readers.text import read_text
    except ImportError:  # the text reader is a sibling module; without it, prose yields no rows
        return []
    document = read_text("\n".join(text for text, _ in block), media_type=media_type)
    locs = [loc for _, loc in block]

    def remap(loc: str) -> str:
        match = _LINE_LOC.match(loc)
        if not match:
            return loc
        index = int(match.group(1)) - 1
        source = locs[index] if 0 <= index < len(locs) else loc
        return source + loc[match.end():]

    return [
        Row(tuple(Cell(c.text, remap(c.loc), c.is_span) for c in row.cells), remap(row.loc), row.is_grid)
        for row in document.rows
    ]
