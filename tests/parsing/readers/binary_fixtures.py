"""Builders for binary test reports: a report as blocks (paragraphs and tables with row/col spans), written out as
HTML, DOCX (python-docx, merged cells through ``cell.merge``), XLSX (openpyxl merged ranges), PDF (LibreOffice
headless) and scanned PDF (pdftoppm pages wrapped as image-only PDF pages).

Two sources of blocks:

* :func:`official_blocks`: the official 2021 layout of tables 二/三/四 (with the official rowspans and colspans) filled
  with given values, around a title and the six section headings; :func:`random_report` makes values that satisfy
  every identity, and :func:`report_text` renders the same report as pipe-row text (the seed-003 serialization);
* :func:`seed_blocks`: a seed's own grid as the text reader sees it, so a DOCX/PDF/XLSX of a seed carries exactly
  the seed's cells (lost columns and all).
"""

from __future__ import annotations

import html
import io
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from xxgk.schema.keys import (
    SECTION_HEADINGS,
    TABLE2_KEYS,
    TABLE3_COL_LABELS,
    TABLE3_COLS,
    TABLE3_ROW_SPECS,
    TABLE3_ROWS,
    TABLE4_GROUPS,
    TABLE4_KEYS,
    TABLE4_LEAVES,
)

SEEDS = ("000", "001", "002", "003", "004")
GENERATED = (1, 7)
# reports of the project's synthetic generator (xxgk.synth): both layouts and the defects a reader must carry over
SYNTH_CASES: dict[str, dict[str, object]] = {
    "synth2019": {"format_version": "2019", "year": 2020},
    "synth2019blank": {"format_version": "2019", "year": 2019, "defects": ("blank_cell",)},
    "synthmissingrow": {"defects": ("missing_row",)},
    "synthlostcolumn": {"defects": ("lost_column",)},
    "synthidentitybreak": {"defects": ("identity_break",)},
    "synthspam": {"defects": ("spam",)},
}

CJK_FONT = "Noto Sans CJK SC"
SAMPLES = Path(__file__).resolve().parents[3] / "samples"


@dataclass
class TCell:
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Table:
    rows: list[list[TCell]]  # HTML style: each row lists only the cells that start in it
    borders: bool = True
    narrow_header_rows: tuple[int, ...] = ()  # rows whose cells are set one character per line (vertical headers)
    col_widths_cm: tuple[float, ...] | None = None


Block = str | Table


@dataclass
class Report:
    title: str
    agency: str
    year: int
    table2: dict[str, str]
    table3: dict[str, list[str]]
    table4: list[str]
    prose: dict[str, str] = field(default_factory=dict)


# --- official layout -------------------------------------------------------------------------------------------


def random_report(seed: int) -> Report:
    """A 2021-format report whose values satisfy I1–I4 (and a few multi-digit numbers to catch digit errors)."""
    rng = random.Random(seed)
    agency = rng.choice(["临川区人民政府", "青山镇人民政府", "市教育局", "河东街道办事处"])
    year = rng.choice([2021, 2022, 2023, 2024])
    t3: dict[str, list[int]] = {}
    outcome_rows = TABLE3_ROWS[2:23]
    for row in outcome_rows:
        parts = [rng.choice([0, 0, 0, 1, 2, 3, 7, 12, 45, 108]) for _ in range(6)]
        t3[row] = parts + [sum(parts)]
    t3["total"] = [sum(t3[r][i] for r in outcome_rows) for i in range(7)]
    forward = [rng.choice([0, 1, 2, 5]) for _ in range(6)]
    t3["carried_forward"] = forward + [sum(forward)]
    carried = [rng.randint(0, t3["total"][i] + forward[i]) for i in range(6)]
    t3["carried_over"] = carried + [sum(carried)]
    new = [t3["total"][i] + forward[i] - carried[i] for i in range(6)]
    t3["new_received"] = new + [sum(new)]
    t4: list[int] = []
    for _ in TABLE4_GROUPS:
        leaves = [rng.choice([0, 0, 1, 2, 3, 11]) for _ in range(4)]
        t4 += leaves + [sum(leaves)]
    t2 = {k: str(rng.choice([0, 1, 3, 17, 250, 38540])) for k in TABLE2_KEYS}
    t2["fees_wan_yuan"] = rng.choice(["0", "12.5", "1356", "0.36"])
    return Report(
        title=f"{agency}{year}年政府信息公开工作年度报告",
        agency=agency,
        year=year,
        table2=t2,
        table3={r: [str(v) for v in t3[r]] for r in TABLE3_ROWS},
        table4=[str(v) for v in t4],
    )


def _prose(report: Report, section: str) -> str:
    default = {
        "overview": f"{report.year}年，{report.agency}认真贯彻落实《中华人民共和国政府信息公开条例》，全面推进政务公开工作。",
        "problems": "主要问题是公开内容不够全面。下一步将加强培训，提升公开质量。",
        "other": f"{report.year}年度未收取信息处理费。",
    }
    return report.prose.get(section, default.get(section, ""))


def table2_official(values: dict[str, str]) -> Table:
    v = values
    return Table([
        [TCell("第二十条第（一）项", colspan=4)],
        [TCell("信息内容"), TCell("本年制发件数"), TCell("本年废止件数"), TCell("现行有效件数")],
        [TCell("规章"), TCell(v["regulations_made"]), TCell(v["regulations_repealed"]), TCell(v["regulations_valid"])],
        [TCell("行政规范性文件"), TCell(v["normative_made"]), TCell(v["normative_repealed"]),
         TCell(v["normative_valid"])],
        [TCell("第二十条第（五）项", colspan=4)],
        [TCell("信息内容"), TCell("本年处理决定数量", colspan=3)],
        [TCell("行政许可"), TCell(v["licensing"], colspan=3)],
        [TCell("第二十条第（六）项", colspan=4)],
        [TCell("信息内容"), TCell("本年处理决定数量", colspan=3)],
        [TCell("行政处罚"), TCell(v["punishment"], colspan=3)],
        [TCell("行政强制"), TCell(v["coercion"], colspan=3)],
        [TCell("第二十条第（八）项", colspan=4)],
        [TCell("信息内容"), TCell("本年收费金额（单位：万元）", colspan=3)],
        [TCell("行政事业性收费"), TCell(v["fees_wan_yuan"], colspan=3)],
    ])


def table3_official(values: dict[str, list[str]]) -> Table:
    rows: list[list[TCell]] = [
        [TCell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
         TCell("申请人情况", colspan=7)],
        [TCell(TABLE3_COL_LABELS["natural_person"], rowspan=2), TCell("法人或其他组织", colspan=5),
         TCell(TABLE3_COL_LABELS["total"], rowspan=2)],
        [TCell(TABLE3_COL_LABELS[c]) for c in TABLE3_COLS[1:6]],
    ]
    group_sizes = {g: sum(1 for s in TABLE3_ROW_SPECS if s.group == g) for g in {s.group for s in TABLE3_ROW_SPECS}}
    seen_groups: set[str] = set()
    for spec in TABLE3_ROW_SPECS:
        cells: list[TCell] = []
        if spec.group is None:
            cells.append(TCell(spec.label, colspan=3))
        elif spec.group == "三、本年度办理结果":
            if spec.group not in seen_groups:
                seen_groups.add(spec.group)
                # 三、 spans its direct rows and every sub-group row: R03…R24
                cells.append(TCell(spec.group, rowspan=22))
            cells.append(TCell(spec.label, colspan=2))
        else:
            if spec.group not in seen_groups:
                seen_groups.add(spec.group)
                cells.append(TCell(spec.group, rowspan=group_sizes[spec.group]))
            cells.append(TCell(spec.label))
        cells += [TCell(v) for v in values[spec.key]]
        rows.append(cells)
    return Table(rows)


def table4_official(values: list[str], *, vertical_headers: bool = False) -> Table:
    leaves = list(TABLE4_LEAVES.values())
    return Table(
        [
            [TCell("行政复议", colspan=5), TCell("行政诉讼", colspan=10)],
            [TCell(leaf, rowspan=2) for leaf in leaves] + [TCell("未经复议直接起诉", colspan=5),
                                                            TCell("复议后起诉", colspan=5)],
            [TCell(leaf) for leaf in leaves] * 2,
            [TCell(v) for v in values],
        ],
        narrow_header_rows=(1, 2) if vertical_headers else (),
    )


def official_blocks(report: Report, *, vertical_headers: bool = False) -> list[Block]:
    h = SECTION_HEADINGS
    return [
        report.title,
        f"本报告根据《中华人民共和国政府信息公开条例》编制，数据统计期限自{report.year}年1月1日起至{report.year}年12月31日止。",
        h["overview"],
        _prose(report, "overview"),
        h["proactive"],
        table2_official(report.table2),
        h["applications"],
        table3_official(report.table3),
        h["review_litigation"],
        table4_official(report.table4, vertical_headers=vertical_headers),
        h["problems"],
        _prose(report, "problems"),
        h["other"],
        _prose(report, "other"),
        report.agency,
    ]


def report_text(report: Report) -> str:
    """The same report as pipe-row text (one table row per line), the serialization of seed 003."""
    out: list[str] = []
    for block in official_blocks(report):
        if isinstance(block, str):
            out.append(block)
            continue
        for row in block.rows:
            out.append(" | ".join(c.text for c in row) + " |")
    return "\n".join(out) + "\n"


# --- blocks of a seed ------------------------------------------------------------------------------------------


def seed_blocks(text: str) -> list[Block]:
    """A seed as blocks: each run of multi-cell rows the text reader finds is a table, every other line a paragraph.

    Rows narrower than their table are widened by spanning their last cell, so no blank cell is invented.
    """
    from xxgk.parsing.readers.text import read_text

    lines = text.splitlines()
    document = read_text(text)
    first_line_of_row: dict[int, list[str]] = {}
    covered: set[int] = set()
    for row in document.rows:
        if len([c for c in row.cells if not c.is_span]) < 2:
            continue
        numbers = sorted({int(m.group(1)) for c in row.cells if (m := re.match(r"line (\d+)", c.loc))})
        if not numbers:
            continue
        first_line_of_row[numbers[0]] = [c.text for c in row.cells]
        covered.update(range(numbers[0], numbers[-1] + 1))
    blocks: list[Block] = []
    current: list[list[str]] = []

    def flush() -> None:
        if current:
            width = max(len(r) for r in current)
            rows = []
            for r in current:
                cells = [TCell(t) for t in r]
                cells[-1].colspan += width - len(r)
                rows.append(cells)
            blocks.append(Table(rows))
            current.clear()

    for number, line in enumerate(lines, start=1):
        if number in first_line_of_row:
            current.append(first_line_of_row[number])
        elif number in covered or not line.strip() or re.fullmatch(r"[|\s]+", line):
            continue
        else:
            flush()
            blocks.append(line)
    flush()
    return blocks


def synth_blocks(report: object) -> list[Block]:
    """A report of the project's synthetic generator (:mod:`xxgk.synth`) as blocks: its own grids (2019 and 2021
    layouts, label variants, split headers, blank and lost cells), its prose, chrome and signature."""
    from xxgk.synth.render import blocks_of

    out: list[Block] = []
    for block in blocks_of(report):  # type: ignore[arg-type]
        if block.grid is not None:
            rows = [[TCell(c.text, c.rowspan, c.colspan) for c in row if c.kind != "lost"] for row in block.grid.rows]
            out.append(_pad_ragged(Table(rows)))
        elif block.lines:
            out.extend(block.lines)
        elif block.text:
            out.append(block.text)
    return out


def _pad_ragged(table: Table) -> Table:
    """Rows that end short (a lost cell) get their last cell widened, so no blank cell is invented."""
    grid, width = _grid(table)
    for r, row in enumerate(table.rows):
        missing = sum(1 for origin in grid[r] if origin is None)
        if missing and row and all(origin is None for origin in grid[r][width - missing:]):
            row[-1].colspan += missing
            grid, width = _grid(table)
    return table


def seed_text(name: str) -> str:
    return next(SAMPLES.glob(f"{name}*.txt")).read_text(encoding="utf-8")


# --- writers ---------------------------------------------------------------------------------------------------


def _grid(table: Table) -> tuple[list[list[tuple[int, int, TCell] | None]], int]:
    """Occupancy: for every (row, col) the origin (r, c, cell) of the cell covering it."""
    occupied: dict[tuple[int, int], tuple[int, int, TCell]] = {}
    width = 0
    for r, row in enumerate(table.rows):
        c = 0
        for cell in row:
            while (r, c) in occupied:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    occupied[(r + dr, c + dc)] = (r, c, cell)
            c += cell.colspan
            width = max(width, c)
    height = len(table.rows)
    grid = [[occupied.get((r, c)) for c in range(width)] for r in range(height)]
    return grid, width


def to_html(blocks: list[Block]) -> str:
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>",
        f"body {{ font-family: '{CJK_FONT}'; font-size: 10.5pt; }}",
        "table { border-collapse: collapse; } td { padding: 2pt 4pt; }",
        "table.ruled td { border: 1px solid black; }",
        "</style></head><body>",
    ]
    for block in blocks:
        if isinstance(block, str):
            parts.append(f"<p>{html.escape(block)}</p>")
            continue
        klass = "ruled" if block.borders else "plain"
        border = "1" if block.borders else "0"
        parts.append(f"<table class='{klass}' border='{border}' cellspacing='0'>")
        for r, row in enumerate(block.rows):
            parts.append("<tr>")
            for cell in row:
                text = html.escape(cell.text)
                if r in block.narrow_header_rows:
                    text = "<br/>".join(html.escape(ch) for ch in cell.text)
                attrs = ""
                if cell.rowspan > 1:
                    attrs += f" rowspan='{cell.rowspan}'"
                if cell.colspan > 1:
                    attrs += f" colspan='{cell.colspan}'"
                parts.append(f"<td{attrs}>{text}</td>")
            parts.append("</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def to_docx(blocks: list[Block], *, page_break_in_tables: bool = False) -> bytes:
    """DOCX with python-docx; spans become merged cells (``cell.merge``). With ``page_break_in_tables`` every table
    is split in two halves with a page break between them (a table continued on the next page)."""
    import docx
    from docx.enum.text import WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = CJK_FONT
    style.font.size = Pt(9)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), CJK_FONT)
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        pieces = [block]
        if page_break_in_tables and len(block.rows) > 4:
            pieces = _split_table(block)
        for index, piece in enumerate(pieces):
            if index:
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            _add_docx_table(document, piece)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _split_table(table: Table) -> list[Table]:
    """Split a table in two where no rowspan crosses the cut (as Word users do when a table runs over a page)."""
    grid, _ = _grid(table)
    for cut in range(len(table.rows) // 2, len(table.rows)):
        crossing = any(
            origin is not None and origin[0] < cut for origin in grid[cut] if origin is not None
        )
        if not crossing:
            return [Table(table.rows[:cut], table.borders), Table(table.rows[cut:], table.borders)]
    return [table]


def _add_docx_table(document, table: Table) -> None:  # type: ignore[no-untyped-def]
    grid, width = _grid(table)
    docx_table = document.add_table(rows=len(grid), cols=width)
    if table.borders:
        docx_table.style = "Table Grid"
    done: set[tuple[int, int]] = set()
    cells = docx_table._cells  # noqa: SLF001 - table.cell() rebuilds this list on every call (quadratic)
    for r, row in enumerate(grid):
        for c, origin in enumerate(row):
            if origin is None or (origin[0], origin[1]) in done:
                continue
            r0, c0, cell = origin
            done.add((r0, c0))
            first = cells[r0 * width + c0]
            if cell.rowspan > 1 or cell.colspan > 1:
                # merged regions never overlap, so the other cells fetched above stay valid
                first = first.merge(cells[(r0 + cell.rowspan - 1) * width + c0 + cell.colspan - 1])
            first.text = "\n".join(cell.text) if r0 in table.narrow_header_rows else cell.text


def to_xlsx(blocks: list[Block], *, sheet_per_table: bool = False) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "报告"
    row_no = 1
    for block in blocks:
        if isinstance(block, str):
            if not sheet_per_table:
                sheet.cell(row=row_no, column=1, value=block)
                row_no += 1
            continue
        if sheet_per_table:
            sheet = workbook.create_sheet(f"表{len(workbook.sheetnames)}")
            row_no = 1
        grid, _ = _grid(block)
        placed: set[tuple[int, int]] = set()
        for r, row in enumerate(grid):
            for c, origin in enumerate(row):
                if origin is None or (origin[0], origin[1]) in placed:
                    continue
                r0, c0, cell = origin
                placed.add((r0, c0))
                value: object = cell.text
                if re.fullmatch(r"\d+", cell.text):
                    value = int(cell.text)
                elif re.fullmatch(r"\d+\.\d+", cell.text):
                    value = float(cell.text)
                sheet.cell(row=row_no + r0, column=1 + c0, value=value)
                if cell.rowspan > 1 or cell.colspan > 1:
                    sheet.merge_cells(start_row=row_no + r0, start_column=1 + c0,
                                      end_row=row_no + r0 + cell.rowspan - 1, end_column=c0 + cell.colspan)
        row_no += len(grid) + 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def has_soffice() -> bool:
    return shutil.which("soffice") is not None


def convert_with_soffice(data: bytes, suffix: str, target: str) -> bytes:
    """Convert with LibreOffice headless (``target``: pdf, doc, xls, …), in a private profile so runs can overlap."""
    with tempfile.TemporaryDirectory(prefix="xxgk-test-soffice-") as tmp:
        source = Path(tmp) / f"in.{suffix}"
        source.write_bytes(data)
        profile = Path(tmp) / "profile"
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=180,
        )
        return (Path(tmp) / f"in.{target.split(':')[0]}").read_bytes()


def convert_many(sources: dict[str, bytes], suffix: str, target: str) -> dict[str, bytes]:
    """Convert several files in one LibreOffice start (it costs seconds): name → converted bytes."""
    with tempfile.TemporaryDirectory(prefix="xxgk-test-soffice-") as tmp:
        paths = []
        for name, data in sources.items():
            path = Path(tmp) / f"{name}.{suffix}"
            path.write_bytes(data)
            paths.append(str(path))
        out = Path(tmp) / "out"
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{Path(tmp) / 'profile'}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(out), *paths],
            check=True, capture_output=True, timeout=600,
        )
        extension = target.split(":")[0]
        return {name: (out / f"{name}.{extension}").read_bytes() for name in sources}


def docx_to_pdf(docx_bytes: bytes) -> bytes:
    """A PDF with a text layer, as agencies make them: Word file exported by LibreOffice (CJK font embedded)."""
    return convert_with_soffice(docx_bytes, "docx", "pdf")


def scan_pdf(pdf: bytes, *, dpi: int = 200) -> bytes:
    """An image-only PDF of ``pdf``: each page rendered to a grey PNG (pdftoppm) and wrapped as a PDF page."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="xxgk-test-scan-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(Path(tmp) / "page")],
                       check=True, capture_output=True, timeout=180)
        pages = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("page*.png"))]
        out = io.BytesIO()
        pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=float(dpi))
        return out.getvalue()


def need_tool(tool: str) -> None:
    if not shutil.which(tool):
        import pytest

        pytest.skip(f"{tool} is not installed (scripts/apt-packages.txt lists the Debian package)")


def synth_report(name: str):  # type: ignore[no-untyped-def]
    import random

    from xxgk.synth import random_report as synth_random_report

    seed = sorted(SYNTH_CASES).index(name) + 100
    return synth_random_report(random.Random(seed), serialization="html", **SYNTH_CASES[name])  # type: ignore[arg-type]
