"""Renderers: a synthetic :class:`~xxgk.synth.model.Report` → the bytes of one serialization (format-spec §7, §9).

Each renderer is a pure function of the report (its style, its seed): the same report always renders to the same
bytes. Text serializations share one line writer; the two HTML serializations share one page writer and differ
only in encoding and charset declaration.
"""

from __future__ import annotations

import datetime as dt
import html
import random
from dataclasses import replace

from xxgk.synth.defects import visible_defects
from xxgk.synth.layout import Block, Grid, GridCell, build_blocks
from xxgk.synth.model import Defect, Report
from xxgk.synth.style import HTML_SERIALIZATIONS, SERIALIZATIONS, Style
from xxgk.synth.text import (
    breadcrumb_text,
    metadata_rows,
    preamble_text,
    publine_text,
    signature_lines,
    title_text,
)

__all__ = ["SERIALIZATIONS", "effective_report", "page_facts", "render", "render_text", "report_title"]


def report_title(report: Report) -> str:
    """The full title, whether or not the rendering shows a title line."""
    mode = "full" if report.style.title_mode == "none" else report.style.title_mode
    return title_text(report.agency.name, report.year, mode, report.agency.is_summary) or ""


def page_facts(report: Report) -> tuple[dt.datetime, str]:
    """The publication time and 索引号 the page furniture shows (drawn from the report's seed)."""
    rng = random.Random(report.seed ^ 0x5EED)
    published = dt.datetime.combine(report.publication_date, dt.time(rng.randint(8, 18), rng.randint(0, 59)))
    index_no = f"{report.agency.region.code}{rng.randint(100, 999)}/{report.year + 1}-{rng.randint(1, 999):05d}"
    return published, index_no


def _context(report: Report) -> tuple[str | None, str, dict]:
    style = report.style
    title = title_text(report.agency.name, report.year, style.title_mode, report.agency.is_summary)
    preamble = preamble_text(report.agency, report.year, style.preamble_mode, report_title(report))
    published, index_no = page_facts(report)
    chrome: dict = {"signature": signature_lines(report.agency, report.signature_date)}
    if "breadcrumb" in style.chrome:
        chrome["breadcrumb"] = breadcrumb_text(report.year)
    if "publine" in style.chrome:
        chrome["publine"] = publine_text(report.agency, published)
    if "metadata" in style.chrome:
        chrome["metadata"] = metadata_rows(report.agency, report.year, published, index_no)
    for key in ("scan_footer", "close_footer"):
        if key in style.chrome:
            chrome[key] = True
    return title, preamble, chrome


def blocks_of(report: Report) -> list[Block]:
    title, preamble, chrome = _context(report)
    return build_blocks(report, title=title, preamble=preamble, chrome=chrome)


def render(report: Report, serialization: str | None = None, **options: object) -> bytes:
    """The bytes of ``report`` in ``serialization`` (default: the report's own style).

    ``options`` override fields of the report's :class:`~xxgk.synth.style.Style` (``encoding="gb18030"``,
    ``word_markup=True``, ``split_tables=True``, ``meta_charset=None`` …).
    """
    report = effective_report(report, serialization, **options)
    if report.style.serialization in HTML_SERIALIZATIONS:
        text = render_html(report)
        return text.encode(report.style.encoding, errors="xmlcharrefreplace")
    return render_text(report).encode(report.style.encoding, errors="xmlcharrefreplace")


def effective_report(report: Report, serialization: str | None = None, **options: object) -> Report:
    """The report with its style switched to ``serialization`` and ``options`` (what :func:`render` draws)."""
    style = report.style
    if serialization is not None and serialization != style.serialization:
        if serialization not in SERIALIZATIONS:
            raise ValueError(f"unknown serialization {serialization!r}; expected one of {', '.join(SERIALIZATIONS)}")
        changes: dict[str, object] = {"serialization": serialization}
        if serialization == "html_gbk" and style.encoding == "utf-8":
            changes.update(encoding="gb18030", meta_charset=None)
        elif serialization != "html_gbk":
            changes.update(encoding="utf-8", meta_charset="utf-8")
        style = replace(style, **changes)  # type: ignore[arg-type]
    if options:
        style = replace(style, **options)  # type: ignore[arg-type]
    if style is report.style:
        return report
    defects = report.defects
    has_glued = any(d.kind == "glued_digits" for d in defects)
    if style.serialization == "glued" and not has_glued:
        defects = tuple(visible_defects([*defects, Defect("glued_digits", "glued_split", (),
                                                          {"glue_rows": style.glue_rows})]))
    elif style.serialization != "glued" and has_glued:
        defects = tuple(d for d in defects if d.kind != "glued_digits")
    return replace(report, style=style, defects=defects)


# ---------------------------------------------------------------------------------------------------------------
# Text serializations


def _placed(grid: Grid) -> list[list[tuple[GridCell | None, bool]]]:
    """Each row as grid positions: (origin cell, True) or (None, False) for positions covered by a span.

    A ``lost`` cell is listed but takes no position: the row is simply one cell shorter, as in seed 002.
    """
    patterns = _PLACEMENTS.get(grid.shape_key) if grid.shape_key is not None else None
    if patterns is None:
        patterns = _placement_patterns(grid)
        if grid.shape_key is not None:
            _PLACEMENTS[grid.shape_key] = patterns
    return [[(row[i], True) if i >= 0 else (None, False) for i in pattern]
            for row, pattern in zip(grid.rows, patterns, strict=True)]


_PLACEMENTS: dict[tuple, tuple[tuple[int, ...], ...]] = {}


def _placement_patterns(grid: Grid) -> tuple[tuple[int, ...], ...]:
    """Per row, the cell index at each position (-1 for a position covered by a span)."""
    covered: dict[int, int] = {}  # column → rows still covered by a rowspan from above
    out: list[tuple[int, ...]] = []
    for row in grid.rows:
        positions: list[int] = []
        col, i = 0, 0
        while i < len(row):
            if covered.get(col, 0) > 0:
                positions.append(-1)
                covered[col] -= 1
                col += 1
                continue
            cell = row[i]
            positions.append(i)
            i += 1
            if cell.kind == "lost":
                continue
            for k in range(cell.colspan):
                if cell.rowspan > 1:
                    covered[col + k] = cell.rowspan - 1
                if k:
                    positions.append(-1)
            col += cell.colspan
        while col < grid.ncols:
            if covered.get(col, 0) > 0:
                positions.append(-1)
                covered[col] -= 1
            col += 1
        out.append(tuple(positions))
    return tuple(out)


def _visible(cell: GridCell | None) -> bool:
    return cell is not None and cell.kind not in ("lost", "hidden")


def _grid_lines(grid: Grid, ser: str, style: Style, rng: random.Random) -> list[str]:
    placed = _placed(grid)
    lines: list[str] = []
    glue_buffer: list[str] = []
    for r, positions in enumerate(placed):
        origins = [c for c, is_origin in positions if is_origin and _visible(c)]
        pad = sum(1 for c, is_origin in positions if not is_origin)
        texts = [c.text for c in origins if c is not None]
        if ser == "cell_lines":
            lines.append("|")
            lines.extend(f"{t} |" if t else " |" for t in texts)
            if pad:
                lines.append("|" * pad)
        elif ser == "pipe_rows":
            line = " | ".join(t.replace("\n", " ") for t in texts) + " |"
            if pad and r < len(placed) - 1:
                line += " " + "|" * pad
            lines.append(line)
        elif ser == "tab_rows":
            cells_out = []
            for c, is_origin in positions:
                if c is not None and c.kind == "lost":
                    continue
                shown = is_origin and c is not None and c.kind != "hidden"
                cells_out.append(c.text.replace("\n", " ") if shown and c is not None else "")
            lines.append("\t".join(cells_out))
        elif ser == "blank_lines":
            for t in texts:
                lines.extend(t.split("\n"))
        elif ser == "glued":
            line = "".join(t.replace("\n", "") for t in texts)
            is_data = grid.name == "table3" and r < len(grid.row_keys) and grid.row_keys[r] is not None
            if style.glue_rows and is_data:
                glue_buffer.append(line)
                if rng.random() < 0.45 or r == len(placed) - 1:
                    lines.append("".join(glue_buffer))
                    glue_buffer = []
            else:
                if glue_buffer:
                    lines.append("".join(glue_buffer))
                    glue_buffer = []
                lines.append(line)
    if glue_buffer:
        lines.append("".join(glue_buffer))
    return lines


def _meta_lines(grid: Grid) -> list[str]:
    out = []
    for row in grid.rows:
        texts = [c.text for c in row]
        while len(texts) > 2 and not texts[-1] and not texts[-2]:
            texts.pop()
        out.append("| " + " | ".join(texts) + " |" if texts[-1] else "| " + " | ".join(texts[:-1]) + " | |")
    return out


def render_text(report: Report) -> str:
    """One of the text serializations of the report's style (cell_lines, pipe_rows, tab_rows, blank_lines, glued)."""
    style = report.style
    ser = style.serialization
    rng = random.Random(report.seed ^ 0x61AE)
    lines: list[str] = [""] * style.leading_blank_lines
    for block in blocks_of(report):
        if block.kind in ("chrome", "title", "heading"):
            lines.append(block.text)
        elif block.kind == "para":
            lines.append(style.para_indent + block.text)
        elif block.kind == "meta" and block.grid is not None:
            lines.extend(_meta_lines(block.grid))
        elif block.kind == "table" and block.grid is not None:
            lines.extend(_grid_lines(block.grid, ser, style, rng))
        elif block.kind in ("signature", "footer"):
            lines.extend(block.lines)
    if ser == "blank_lines":  # a blank line after every line; an empty cell is one extra blank line (seed 004)
        spaced: list[str] = []
        for line in lines:
            spaced.extend((line, "") if line else ("",))
        lines = spaced[:-1] if spaced and spaced[-1] == "" else spaced
    text = style.line_ending.join(lines)
    return text + style.line_ending if style.trailing_newline else text


# ---------------------------------------------------------------------------------------------------------------
# HTML serializations

_WORD_TD = ("border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt;"
            "mso-border-top-alt:solid windowtext .5pt")
_WORD_SPAN = "font-size:10.5pt;font-family:宋体;mso-ascii-font-family:Calibri;mso-hansi-font-family:Calibri"
_WORD_TD_OPEN = f"<td valign=center style='{_WORD_TD}'"
_WORD_CELL_OPEN = f"<p class=MsoNormal align=center style='text-align:center'><span style='{_WORD_SPAN}'>"
_WORD_CELL_CLOSE = "<span lang=EN-US><o:p></o:p></span></span></p></td>"
_WORD_P = "text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt;mso-line-height-rule:exactly"


def _esc(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _td(cell: GridCell, style: Style) -> str:
    if cell.kind == "value" and cell.rowspan == 1 and cell.colspan == 1 and not style.word_markup:
        return f"<td>{cell.text}</td>"  # digits: nothing to escape
    attrs = ""
    if cell.rowspan > 1:
        attrs += f" rowspan={cell.rowspan}" if style.word_markup else f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f" colspan={cell.colspan}" if style.word_markup else f' colspan="{cell.colspan}"'
    text = _esc(cell.text)
    if not text and (style.nbsp_cells or style.word_markup):
        text = "&nbsp;"
    if style.word_markup:
        return f"{_WORD_TD_OPEN}{attrs}>{_WORD_CELL_OPEN}{text}{_WORD_CELL_CLOSE}"
    return f"<td{attrs}>{text}</td>"


def _table_html(rows: list[tuple[GridCell, ...]], style: Style) -> str:
    if style.word_markup:
        head = ("<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;"
                "border:none;mso-border-alt:solid windowtext .5pt;mso-yfti-tbllook:1184'>")
    else:
        head = '<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">'
    body = []
    for row in rows:
        tds = "".join(_td(c, style) for c in row if c.kind != "lost")
        body.append(f"<tr>{tds}</tr>")
    return head + "<tbody>" + "\n".join(body) + "</tbody></table>"


def _split_rows(grid: Grid) -> list[list[tuple[GridCell, ...]]]:
    """Cut a grid into several tables at ``split_after``; rowspans crossing a cut are shortened and continued."""
    parts: list[list[tuple[GridCell, ...]]] = []
    cuts = [i for i in grid.split_after if 0 <= i < len(grid.rows) - 1]
    bounds = [-1, *cuts, len(grid.rows) - 1]
    # start row and rowspan of every spanning cell, with its column position
    for a, b in zip(bounds, bounds[1:], strict=False):
        part: list[tuple[GridCell, ...]] = []
        for i in range(a + 1, b + 1):
            part.append(grid.rows[i])
        parts.append(part)
    # shorten rowspans that run past the end of their part, and open continuation cells in the next part
    placed_spans: list[tuple[int, int, int, GridCell]] = []  # (row index, position in row, rowspan, cell)
    for i, row in enumerate(grid.rows):
        for j, cell in enumerate(row):
            if cell.rowspan > 1:
                placed_spans.append((i, j, cell.rowspan, cell))
    fixed = [list(p) for p in parts]
    offsets = bounds[:-1]
    for (i, j, span, cell) in placed_spans:
        part_idx = next(k for k in range(len(parts)) if offsets[k] < i <= bounds[k + 1])
        end = i + span - 1
        part_end = bounds[part_idx + 1]
        if end <= part_end:
            continue
        local = i - offsets[part_idx] - 1
        row = list(fixed[part_idx][local])
        row[j] = cell._replace(rowspan=part_end - i + 1)
        fixed[part_idx][local] = tuple(row)
        k, remaining = part_idx + 1, end - part_end
        while remaining > 0 and k < len(parts):
            length = bounds[k + 1] - bounds[k]
            first = list(fixed[k][0])
            continuation = GridCell("", min(remaining, length), cell.colspan, "hidden")
            first.insert(0 if j == 0 else min(j, len(first)), continuation)
            fixed[k][0] = tuple(first)
            remaining -= length
            k += 1
    return [p for p in fixed if p]


def _grid_html(grid: Grid, style: Style) -> str:
    if not style.split_tables or not grid.split_after:
        return _table_html(list(grid.rows), style)
    gap = "\n<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>\n" if style.word_markup else "\n"
    return gap.join(_table_html(p, style) for p in _split_rows(grid))


def _para_html(text: str, style: Style, *, heading: bool = False) -> str:
    t = _esc(text).replace("\u00a0", "&nbsp;")
    if style.word_markup:
        if heading:
            return (f"<p class=MsoNormal style='{_WORD_P}'><b><span style='font-family:黑体;mso-hansi-font-family:"
                    f"Calibri'>{t}<span lang=EN-US><o:p></o:p></span></span></b></p>")
        return (f"<p class=MsoNormal style='{_WORD_P}'><span style='font-family:仿宋_GB2312'>{t}"
                "<span lang=EN-US><o:p></o:p></span></span></p>")
    if heading:
        return f"<p><strong>{t}</strong></p>"
    return f'<p style="text-indent:2em">{t}</p>'


def render_html(report: Report) -> str:
    style = report.style
    blocks = blocks_of(report)
    title_block = next((b.text for b in blocks if b.kind == "title"), None)
    head_title = _esc(title_block or report.agency.name)
    if style.meta_charset and report.seed % 3 == 0:
        meta = f'<meta charset="{style.meta_charset}">'
    elif style.meta_charset:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={style.meta_charset}">'
    else:
        meta = ""
    html_open = ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                 'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">'
                 if style.word_markup else '<html lang="zh-CN">')
    out = ["<!DOCTYPE html>", html_open, "<head>", meta, f"<title>{head_title}</title>",
           '<meta name="viewport" content="width=device-width, initial-scale=1">', "</head>", "<body>",
           '<div class="header"><a href="/">首页</a> | <a href="/xxgk/">政府信息公开</a></div>',
           '<div class="article">']
    in_content = False
    for block in blocks:
        if block.kind == "chrome":
            out.append(f'<div class="position">{_esc(block.text)}</div>')
        elif block.kind == "title":
            out.append(f'<h1 class="title">{_esc(block.text)}</h1>')
        elif block.kind == "meta" and block.grid is not None:
            rows = "".join("<tr>" + "".join(f"<th>{_esc(c.text)}</th>" if k % 2 == 0 else f"<td>{_esc(c.text)}</td>"
                                            for k, c in enumerate(row)) + "</tr>" for row in block.grid.rows)
            out.append(f'<table class="xxgk-info">{rows}</table>')
        else:
            if not in_content:
                section = "<div class=WordSection1>" if style.word_markup else ""
                out.append('<div class="content" id="zoom">' + section)
                in_content = True
            if block.kind == "para":
                out.append(_para_html(block.text, style))
            elif block.kind == "heading":
                out.append(_para_html(block.text, style, heading=True))
            elif block.kind == "table" and block.grid is not None:
                out.append(_grid_html(block.grid, style))
            elif block.kind == "signature":
                out.extend(f'<p style="text-align:right">{_esc(line)}</p>' for line in block.lines)
            elif block.kind == "footer":
                if in_content:
                    out.append(("</div>" if style.word_markup else "") + "</div>")
                    in_content = False
                out.append('<div class="footer">' + "".join(f"<p>{_esc(line)}</p>" for line in block.lines) + "</div>")
    if in_content:
        out.append(("</div>" if style.word_markup else "") + "</div>")
    out += ["</div>", "</body>", "</html>"]
    return "\n".join(x for x in out if x)
