"""PDF reports with a text layer (pdfplumber) → :class:`~xxgk.parsing.model.Document`; scanned pages go to OCR.

Per page:

* **ruled tables** (ruling lines drawn) come from pdfplumber's table finder: merged cells leave span placeholders,
  a cell's text broken over lines (vertical headers set one character per line, wrapped labels) is joined;
* **text outside ruled tables** is clustered into lines and split into segments at wide gaps. A run of lines with
  two or more segments is a table laid out by text positions: its wrapped label fragments are attached to the row
  they belong to (by the widest vertical gap between two rows), and a stack of one-character lines (a vertical
  header) is folded back into one row;
* **page furniture** (page numbers, running headers and footers repeated on several pages) is dropped, so a table
  continued over a page break keeps its rows in order with nothing between them;
* prose lines are read by the text reader, exactly as a ``.txt`` report's lines would be.

Pages without text but with images are scanned pages: they are read by OCR (:mod:`xxgk.parsing.readers.ocr`) when
Tesseract is installed, otherwise the file fails with a clear error. Hostile input (encryption, streams that inflate
to gigabytes, enormous pages, thousands of pages) ends in :class:`ReaderError`.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from xxgk.parsing.model import Cell, Document, Issue, Row
from xxgk.parsing.readers.binary import check_size, join_cell_lines, row_text
from xxgk.parsing.readers.errors import ReaderError

logger = logging.getLogger(__name__)

MAX_PDF_PAGES = 300  # a report has a few dozen pages at most
MAX_PAGE_SIDE_PT = 14_400  # the PDF spec's own limit for a page side (200 in)
MAX_CHARS_PER_PAGE = 60_000  # a dense A4 page has ~3 000
MAX_STREAM_INFLATED_BYTES = 128 * 1024 * 1024  # one stream, unpacked (a 600 dpi colour A4 scan is ~100 MB)
MAX_FONT_STREAM_INFLATED_BYTES = 64 * 1024 * 1024  # an embedded font program (a full CJK font is ~20 MB)
MAX_CONTENT_STREAM_INFLATED_BYTES = 16 * 1024 * 1024  # page content, object streams, …; a dense page has ~50 KB
MAX_TOTAL_INFLATED_BYTES = 768 * 1024 * 1024  # all streams together
PDF_TIME_LIMIT_S = 180.0  # wall time for one document, checked between pages
MIN_TEXT_CHARS = 8  # a page with fewer characters and an image is a scanned page

SEGMENT_GAP_EM = 0.9  # a horizontal gap wider than this (in character heights) separates two cells
LINE_MERGE_EM = 0.5  # words whose vertical centres are this close (in character heights) share a line
FURNITURE_BAND = 0.08  # top and bottom share of the page where running headers, footers and page numbers sit
TALL_WORD_FACTOR = 3.0  # a word box this many times the typical height is OCR noise, not text
ROW_STEP_EM = 2.0  # lines further apart than this (top to top, in character heights) are in different table rows
VERTICAL_HEADER_MAX_CHARS = 2  # a segment this short in a stack of such lines is one character of a vertical header

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–\s]*\d{1,4}[-—–\s]*|第\s*\d{1,4}\s*页(?:\s*[/,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*of\s*\d{1,4})?|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页)$",
    re.IGNORECASE,
)
_NUMBERING_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．](?!\d))")
_NUMERIC = re.compile(r"^[-+]?\d[\d,，.]*%?$")
# a line opening a section or a table caption (一、… / 第二十条第（六）项) never continues a table row over a page break
_CAPTION_START = re.compile(r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+条)")
_STREAM = re.compile(rb"stream\r?\n")
_CJK_CHAR = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True)
class Word:
    """A run of text on a page with its box (PDF points, top-left origin)."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


@dataclass
class Line:
    top: float
    bottom: float
    segments: list[Word]
    page: int

    @property
    def x0(self) -> float:
        return self.segments[0].x0

    @property
    def x1(self) -> float:
        return self.segments[-1].x1

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


@dataclass
class GridTable:
    """Rows of a table found from ruling lines (cells None where a merged cell covers the position)."""

    top: float
    rows: list[list[str | None]]


@dataclass
class PageContent:
    number: int  # 1-based
    width: float
    height: float
    tables: list[GridTable] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)  # outside the ruled tables
    ocr: bool = False


def read_pdf(data: bytes) -> Document:
    """Read a PDF; scanned pages are OCR-read when Tesseract is installed. Raises :class:`ReaderError`."""
    check_pdf_streams(data)
    pdfplumber = _import_pdfplumber()
    started = time.monotonic()
    pages: list[PageContent] = []
    scanned: list[int] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PDF_PAGES:
                raise ReaderError(f"PDF has {len(pdf.pages)} pages, more than the {MAX_PDF_PAGES}-page limit")
            if not pdf.pages:
                raise ReaderError("PDF has no pages")
            for index, page in enumerate(pdf.pages, start=1):
                if time.monotonic() - started > PDF_TIME_LIMIT_S:
                    raise ReaderError(f"PDF took longer than {PDF_TIME_LIMIT_S:.0f} s to read (stopped at page {index})")
                content = _read_page(page, index)
                if content is None:
                    scanned.append(index)
                    pages.append(PageContent(index, float(page.width), float(page.height), ocr=True))
                else:
                    pages.append(content)
    except ReaderError:
        raise
    except Exception as exc:  # pdfminer raises many types for broken or encrypted files
        raise ReaderError(_pdf_error_message(exc)) from exc
    issues: list[Issue] = []
    if scanned:
        from xxgk.parsing.readers.ocr import ocr_pdf_pages, ocr_issue

        ocr_pages = ocr_pdf_pages(data, scanned)
        by_number = {p.number: p for p in ocr_pages}
        pages = [by_number.get(p.number, p) for p in pages]
        issues.append(ocr_issue(len(scanned), len(pages)))
    lines, rows = assemble(pages)
    if not any(line.strip() for line in lines):
        raise ReaderError("PDF has no readable text")
    return Document(lines=tuple(lines), rows=tuple(rows), media_type="pdf", encoding=None,
                    reader_issues=tuple(issues))


def _import_pdfplumber():  # type: ignore[no-untyped-def]
    import pdfplumber

    return pdfplumber


def _pdf_error_message(exc: Exception) -> str:
    name = type(exc).__name__
    if "Password" in name or "Encrypt" in name or "encrypt" in str(exc).lower():
        return "PDF is encrypted and needs a password; it cannot be read"
    return f"PDF could not be read (corrupt or unsupported): {name}: {exc}"


def check_pdf_streams(data: bytes) -> None:
    """Refuse a PDF whose compressed streams unpack beyond the limits, before any PDF library inflates them."""
    total = 0
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            break
        raw = data[start:end]
        header = data[max(data.rfind(b" obj", max(0, match.start() - 4096), match.start()), 0):match.start()]
        limit, kind = _stream_limit(header)
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(raw, limit + 1)
        except zlib.error:
            continue  # not Flate (DCT, JBIG2, …) or broken: the PDF library decides
        size = len(out)
        del out
        if size > limit or inflater.unconsumed_tail:
            raise ReaderError(
                f"PDF {kind} stream unpacks to more than {limit // 2**20} MiB: refusing a possible decompression bomb"
            )
        total += size
        if total > MAX_TOTAL_INFLATED_BYTES:
            raise ReaderError(
                f"PDF streams unpack to more than {MAX_TOTAL_INFLATED_BYTES // 2**20} MiB in total: refusing a "
                "possible decompression bomb"
            )


def _stream_limit(header: bytes) -> tuple[int, str]:
    """The unpacked-size limit of a stream from its dictionary: images may be large, fonts less, page content least
    (a content stream of many megabytes would keep the layout engine busy for minutes)."""
    if b"/Image" in header:
        return MAX_STREAM_INFLATED_BYTES, "image"
    if any(key in header for key in (b"/Length1", b"/Length2", b"/Type1C", b"/CIDFontType0C", b"/OpenType")):
        return MAX_FONT_STREAM_INFLATED_BYTES, "font"
    return MAX_CONTENT_STREAM_INFLATED_BYTES, "content"


def _read_page(page, number: int) -> PageContent | None:  # type: ignore[no-untyped-def]
    """Ruled tables and the remaining words of one page; None for a scanned page (no text, an image)."""
    width, height = float(page.width), float(page.height)
    if width > MAX_PAGE_SIDE_PT or height > MAX_PAGE_SIDE_PT or width <= 0 or height <= 0:
        raise ReaderError(f"page {number} is {width:.0f}×{height:.0f} pt, beyond the PDF limit: refusing it")
    chars = page.chars
    if len(chars) > MAX_CHARS_PER_PAGE:
        raise ReaderError(f"page {number} has {len(chars)} characters, more than the {MAX_CHARS_PER_PAGE} limit")
    if len(chars) < MIN_TEXT_CHARS and page.images:
        return None
    content = PageContent(number, width, height)
    boxes: list[tuple[float, float, float, float]] = []
    for table in page.find_tables():
        rows = [[None if text is None else join_cell_lines(text) for text in row] for row in table.extract()]
        if len(rows) < 2 and all(len(r) < 2 for r in rows):
            continue
        content.tables.append(GridTable(float(table.bbox[1]), rows))
        boxes.append(tuple(float(v) for v in table.bbox))  # type: ignore[arg-type]
    for w in page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False, use_text_flow=False):
        cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
        if any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes):
            continue
        content.words.append(Word(float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]), w["text"]))
    return content


# --- assembling pages into lines and rows ---------------------------------------------------------------------


def assemble(pages: Sequence[PageContent]) -> tuple[list[str], list[Row]]:
    """All pages in reading order: furniture dropped, ruled tables and text-position tables as grid rows, prose
    through the text reader. Text lines are one stream across pages, so a text-position table (or a label wrapped
    over a page break) continues on the next page."""
    page_lines = {p.number: cluster_lines(p.words, p.number) for p in pages}
    furniture = _furniture(pages, page_lines)
    ocr_pages = {p.number for p in pages if p.ocr}
    right_margins: dict[int, float] = {}
    stream: list[tuple[int, bool, GridTable | Line]] = []  # (page, first on its page, element)
    for page in pages:
        kept = [ln for ln in page_lines[page.number] if id(ln) not in furniture]
        right_margins[page.number] = max((ln.x1 for ln in kept), default=0.0)
        elements: list[tuple[float, int, GridTable | Line]] = [(t.top, 0, t) for t in page.tables]
        elements += [(ln.top, 1, ln) for ln in kept]
        elements.sort(key=lambda e: (e[0], e[1]))
        stream += [(page.number, k == 0, e[2]) for k, e in enumerate(elements)]

    items: list[tuple[int, bool, GridTable | Line | list[list[Line]]]] = []
    run: list[Line] = []
    for page_number, first, element in [*stream, (0, False, None)]:  # type: ignore[list-item]
        if isinstance(element, Line):
            run.append(element)
            continue
        if run:
            items += [(_first_line(b).page, False, b) for b in _text_blocks(run)]
            run = []
        if element is not None:
            items.append((page_number, first, element))

    lines: list[str] = []
    rows: list[Row] = []
    prose: list[tuple[str, str]] = []
    table_count = 0
    last_grid_row: tuple[Cell, ...] | None = None
    last_prose: Line | None = None

    def prefix(page_number: int) -> str:
        return f"{'ocr page' if page_number in ocr_pages else 'page'} {page_number}"

    def flush_prose() -> None:
        if prose:
            from xxgk.parsing.readers.docx import rows_from_text_block

            lines.extend(text for text, _ in prose)
            rows.extend(rows_from_text_block(list(prose), media_type="pdf"))
            prose.clear()

    for page_number, first, item in items:
        if isinstance(item, GridTable):
            flush_prose()
            table_count += 1
            loc = f"{prefix(page_number)} table {table_count}"
            grid = _grid_rows(item.rows, loc)
            if first and last_grid_row is not None and grid and _continues_row(last_grid_row, grid[0]):
                # a row Word let break across the page: its second half joins the first
                merged = _merge_rows(last_grid_row, grid.pop(0))
                rows[-1] = Row(tuple(merged), rows[-1].loc, True)
                lines[-1] = row_text(merged)
            for r, cells in enumerate(grid, 1):
                rows.append(Row(tuple(cells), f"{loc} row {r}", True))
                lines.append(row_text(cells))
            last_grid_row = rows[-1].cells if rows else None
            last_prose = None
            continue
        last_grid_row = None
        if isinstance(item, list):  # a text-position table: its rows, each a list of lines
            flush_prose()
            table_count += 1
            for r, (row_lines, cells) in enumerate(zip(item, _position_rows(item, ""), strict=True), 1):
                loc = f"{prefix(row_lines[0].page)} table {table_count} row {r}"
                cells = [Cell(c.text, f"{loc} col {k}") for k, c in enumerate(cells, 1)]
                rows.append(Row(tuple(cells), loc, True))
                lines.append(row_text(cells))
            last_prose = None
            continue
        assert isinstance(item, Line)
        if prose and last_prose is not None and _continues_paragraph(last_prose, item,
                                                                     right_margins[last_prose.page]):
            prose[-1] = (_join_wrapped(prose[-1][0], item.text), prose[-1][1])
        else:
            prose.append((item.text, f"{prefix(item.page)} line {int(item.top)}"))
        last_prose = item
    flush_prose()
    check_size(len(rows), sum(len(r.cells) for r in rows), "PDF")
    return lines, rows


def _first_line(block: Line | list[list[Line]]) -> Line:
    return block[0][0] if isinstance(block, list) else block


def _continues_paragraph(previous: Line, line: Line, right_margin: float) -> bool:
    """A prose line that fills the text width continues on the next line (wrapped, not a new paragraph), unless the
    next line opens with a heading number (一、 / （二） / 1.)."""
    height = previous.bottom - previous.top
    if previous.x1 < right_margin - 1.5 * height or _NUMBERING_START.match(line.text):
        return False
    if line.page == previous.page:
        return 0 <= line.top - previous.bottom <= 1.2 * height
    return line.page == previous.page + 1


def _join_wrapped(text: str, more: str) -> str:
    glue = "" if _CJK_CHAR.match(text[-1:] or " ") or _CJK_CHAR.match(more[:1] or " ") else " "
    return text + glue + more


def _continues_row(previous: Sequence[Cell], first: Sequence[Cell]) -> bool:
    """The first row of a table at the top of a page is the rest of the previous page's last row: same width, no
    number of its own, and text only in columns where the previous row has label text."""
    if len(previous) != len(first):
        return False
    has_text = False
    for before, after in zip(previous, first, strict=True):
        if after.is_span or not after.text:
            continue
        if before.is_span or not before.text or _NUMERIC.match(before.text) or _NUMERIC.match(after.text):
            return False
        has_text = True
    return has_text and any(not c.is_span and _NUMERIC.match(c.text) for c in previous)


def _merge_rows(previous: Sequence[Cell], rest: Sequence[Cell]) -> list[Cell]:
    return [
        Cell(join_cell_lines(before.text + "\n" + after.text), before.loc, before.is_span)
        if after.text and not after.is_span else before
        for before, after in zip(previous, rest, strict=True)
    ]


def _grid_rows(rows: list[list[str | None]], loc: str) -> list[list[Cell]]:
    out = []
    for r, row in enumerate(rows, 1):
        cells = [
            Cell("", f"{loc} row {r} col {c}", is_span=True) if text is None else Cell(text, f"{loc} row {r} col {c}")
            for c, text in enumerate(row, 1)
        ]
        if any(not c.is_span and c.text for c in cells):
            out.append(cells)
    return out


def cluster_lines(words: Sequence[Word], page: int) -> list[Line]:
    """Words → lines (by vertical centre) → segments (split at gaps wider than SEGMENT_GAP_EM character heights)."""
    lines: list[Line] = []
    if words:
        typical = statistics.median(w.height for w in words)
        words = [w for w in words if w.height <= TALL_WORD_FACTOR * typical]  # OCR boxes spanning several lines
    centres: list[float] = []
    for word in sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)):
        centre = (word.top + word.bottom) / 2
        if lines and abs(centre - centres[-1]) <= LINE_MERGE_EM * max(word.height, lines[-1].bottom - lines[-1].top):
            last = lines[-1]
            last.segments.append(word)
            last.top, last.bottom = min(last.top, word.top), max(last.bottom, word.bottom)
            continue
        lines.append(Line(word.top, word.bottom, [word], page))
        centres.append(centre)
    for line in lines:
        line.segments = _segments(sorted(line.segments, key=lambda w: w.x0))
    return lines


def _segments(words: list[Word]) -> list[Word]:
    out: list[Word] = []
    height = max((w.height for w in words), default=1.0)
    for word in words:
        if out:
            last = out[-1]
            gap = word.x0 - last.x1
            if gap <= SEGMENT_GAP_EM * height:
                cjk = bool(_CJK_CHAR.match(last.text[-1]) or _CJK_CHAR.match(word.text[0]))
                glue = "" if gap < 0.15 * word.height or cjk else " "
                out[-1] = Word(last.x0, max(last.x1, word.x1), min(last.top, word.top),
                               max(last.bottom, word.bottom), last.text + glue + word.text)
                continue
        out.append(word)
    return out


def _furniture(pages: Sequence[PageContent], page_lines: dict[int, list[Line]]) -> set[int]:
    """ids of lines that are page numbers or running headers/footers (same text on several pages' margins)."""
    drop: set[int] = set()
    band_texts: Counter[str] = Counter()
    in_band: list[tuple[Line, str]] = []
    for page in pages:
        for line in page_lines[page.number]:
            if line.top < FURNITURE_BAND * page.height or line.bottom > (1 - FURNITURE_BAND) * page.height:
                key = re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text))
                in_band.append((line, key))
    for key in {k for _, k in in_band}:
        band_texts[key] = len({line.page for line, k in in_band if k == key})
    for line, key in in_band:
        if _PAGE_NUMBER.match(line.text.strip()) or (len(pages) > 1 and band_texts[key] >= 2):
            drop.add(id(line))
    return drop


def _is_vertical_line(line: Line) -> bool:
    return len(line.segments) >= 2 and all(
        len(s.text.replace(" ", "")) <= VERTICAL_HEADER_MAX_CHARS and not _NUMERIC.match(s.text) for s in line.segments
    )


def _text_blocks(lines: list[Line]) -> list[Line | list[list[Line]]]:
    """Prose lines, and text-position tables as lists of rows (each row: its anchor line plus fragments)."""
    lines = _fold_vertical_headers(lines)
    out: list[Line | list[list[Line]]] = []
    i = 0
    while i < len(lines):
        if len(lines[i].segments) < 2:
            out.append(lines[i])
            i += 1
            continue
        # a run of anchors (multi-segment lines) with narrow one-segment fragments between them
        anchors = [i]
        j = i + 1
        while j < len(lines):
            if len(lines[j].segments) >= 2:
                anchors.append(j)
                j += 1
                continue
            k = j
            run = [lines[a] for a in anchors]
            while k < len(lines) and len(lines[k].segments) < 2 and _is_fragment(lines[k], run):
                k += 1
            if k < len(lines) and k > j and len(lines[k].segments) >= 2:
                j = k
                continue
            break
        end = anchors[-1] + 1
        height = lines[anchors[-1]].bottom - lines[anchors[-1]].top
        run = [lines[a] for a in anchors]
        while (end < len(lines) and len(lines[end].segments) < 2 and _is_fragment(lines[end], run)
               and (lines[end].top - lines[end - 1].top <= ROW_STEP_EM * height if lines[end].page == lines[
                   end - 1].page else not _CAPTION_START.match(lines[end].text))):
            end += 1  # the wrapped tail of the last row's label
        out.append(_bands(lines[anchors[0]: end]))
        i = end
    return out


def _is_label_fragment(line: Line, region: Sequence[Line]) -> bool:
    """A line holding only label text inside the label columns of a table (no number, not a caption)."""
    anchors = [ln for ln in region if len(ln.segments) >= 2 and _has_number(ln)]
    if not anchors or _has_number(line) or _CAPTION_START.match(line.text):
        return False
    return line.x1 <= max(a.segments[-1].x0 for a in anchors)


def _has_number(line: Line) -> bool:
    return any(_NUMERIC.match(s.text) for s in line.segments)


def _bands(region: list[Line]) -> list[list[Line]]:
    """The lines of a text-position table grouped into rows: a gap wider than the line pitch inside a cell starts a
    new row; a group still holding two lines with numbers is split between them (:func:`_rows_with_fragments`)."""
    height = statistics.median(line.bottom - line.top for line in region)
    groups: list[list[Line]] = [[region[0]]]
    for previous, line in zip(region, region[1:], strict=False):
        if line.page != previous.page:
            # label fragments at the top of a page end the row above (a row broken over the page)
            new_row = not _is_label_fragment(line, region)
        else:
            new_row = line.top - previous.top > ROW_STEP_EM * height
        if new_row:
            groups.append([line])
        else:
            groups[-1].append(line)
    rows: list[list[Line]] = []
    for group in groups:
        numbered = [k for k, line in enumerate(group) if _has_number(line) and len(line.segments) >= 2]
        if len(numbered) <= 1:
            rows.append(group)
            continue
        split = _rows_with_fragments(group, numbered)
        split[0][0:0] = group[: numbered[0]]
        split[-1].extend(group[numbered[-1] + 1:])
        rows.extend(split)
    return rows


def _is_fragment(line: Line, anchors: Sequence[Line]) -> bool:
    """A one-segment line inside a table: it starts inside the table and ends before the last column starts (so it
    is not full-width prose)."""
    left = min(a.x0 for a in anchors)
    last_column = max(a.segments[-1].x0 for a in anchors)
    return line.x1 <= last_column and line.x0 >= left - line.segments[0].height


def _rows_with_fragments(lines: list[Line], anchors: list[int]) -> list[list[Line]]:
    """Each anchor with the fragment lines that belong to it: fragments between two anchors are split at the widest
    vertical gap (ties: a fragment starting with numbering opens the next row's label)."""
    rows: list[list[Line]] = [[lines[a]] for a in anchors]
    for n in range(len(anchors) - 1):
        between = lines[anchors[n] + 1: anchors[n + 1]]
        if not between:
            continue
        seq = [lines[anchors[n]], *between, lines[anchors[n + 1]]]
        gaps = [seq[k + 1].top - seq[k].bottom for k in range(len(seq) - 1)]
        widest = max(gaps)
        cut = None
        for k, fragment in enumerate(between):
            if _NUMBERING_START.match(fragment.text):
                cut = k
                break
        if cut is None or gaps[cut] < widest - 0.25 * seq[0].segments[0].height:
            cut = max(range(len(gaps)), key=lambda k: (gaps[k], k))
        rows[n].extend(between[:cut])
        rows[n + 1][0:0] = between[cut:]
    return rows


def _fold_vertical_headers(lines: list[Line]) -> list[Line]:
    """Stacks of lines made of one-character segments (a vertically set header) become one line whose segments
    are the column-wise concatenations (``结 结 其`` / ``果 果 他`` / … → ``结果维持 结果纠正 其他结果``)."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        if not _is_vertical_line(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        pitch = lines[i].bottom - lines[i].top
        while j < len(lines) and (_is_vertical_line(lines[j]) or _continues_column(lines[j], lines[i:j])) and (
            lines[j].page == lines[j - 1].page and lines[j].top - lines[j - 1].bottom <= pitch
        ):
            j += 1
        if j - i < 2:
            out.append(lines[i])
            i += 1
            continue
        out.append(_fold(lines[i:j]))
        i = j
    return out


def _continues_column(line: Line, stack: list[Line]) -> bool:
    """A one-segment short line under a vertical stack (the last character of the longest header)."""
    return len(line.segments) == 1 and len(line.segments[0].text) <= VERTICAL_HEADER_MAX_CHARS and any(
        abs(s.x0 - line.x0) < s.height for ln in stack for s in ln.segments
    )


def _fold(stack: list[Line]) -> Line:
    columns: list[list[Word]] = []
    for line in stack:
        for seg in line.segments:
            for column in columns:
                ref = column[-1]
                if seg.x0 < ref.x1 and seg.x1 > ref.x0:
                    column.append(seg)
                    break
            else:
                columns.append([seg])
    columns.sort(key=lambda col: min(s.x0 for s in col))
    segments = [
        Word(min(s.x0 for s in col), max(s.x1 for s in col), min(s.top for s in col), max(s.bottom for s in col),
             "".join(s.text.replace(" ", "") for s in sorted(col, key=lambda s: s.top)))
        for col in columns
    ]
    return Line(stack[0].top, stack[-1].bottom, segments, stack[0].page)


def _position_rows(table: list[list[Line]], loc: str) -> list[list[Cell]]:
    """Cells of a text-position table: the anchor's segments, each fragment joined to the segment it overlaps
    (above the anchor: before it; below: after it) or placed as a cell of its own in x order."""
    out: list[list[Cell]] = []
    for r, row_lines in enumerate(table, 1):
        anchor = max(row_lines, key=lambda ln: (_has_number(ln), len(ln.segments)))
        parts: list[list[tuple[int, float, str]]] = [[(anchor.page, anchor.top, s.text)] for s in anchor.segments]
        boxes = [(s.x0, s.x1) for s in anchor.segments]
        for line in row_lines:
            if line is anchor:
                continue
            for seg in line.segments:
                hit = next((k for k, (x0, x1) in enumerate(boxes) if seg.x0 < x1 and seg.x1 > x0), None)
                if hit is None:
                    position = sum(1 for x0, _ in boxes if x0 < seg.x0)
                    boxes.insert(position, (seg.x0, seg.x1))
                    parts.insert(position, [(line.page, line.top, seg.text)])
                else:
                    parts[hit].append((line.page, line.top, seg.text))
        texts = [join_cell_lines("\n".join(text for _, _, text in sorted(p))) for p in parts]
        out.append([Cell(text, f"{loc} row {r} col {c}") for c, text in enumerate(texts, 1)])
    return out


def words_from_ocr(entries: Sequence[tuple[float, float, float, float, str]]) -> list[Word]:
    """OCR word boxes (x0, top, x1, bottom, text) in page points → :class:`Word`s, empty texts dropped."""
    return [Word(x0, x1, top, bottom, text) for x0, top, x1, bottom, text in entries if text.strip()]

