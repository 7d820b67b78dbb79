"""The official table layouts as grids with rowspan/colspan, and a report as a list of blocks.

Every serialization is rendered from the same blocks, so the seven renderers differ only in how they write a
grid and a paragraph. The grids follow the official HTML layout of format-spec §2–§4: 「三、本年度办理结果」
rowspan 22 (20 in 2019), 「申请人情况」 colspan 7, 「法人或其他组织」 colspan 5, table 四's three header levels.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from xxgk.schema.keys import (
    TABLE2_2019_ROW_KEYS,
    TABLE2_CELLS,
    TABLE3_COL_LABELS,
    TABLE3_COLS,
    TABLE3_GROUP_LABELS,
    TABLE3_ROW_SPECS,
    TABLE3_ROWS_NOT_IN_LAYOUT,
    TABLE4_GROUPS,
    TABLE4_KEYS,
    TABLE4_LEAVES,
    cell_id,
)
from xxgk.synth.model import Number, Report
from xxgk.synth.style import TABLE3_HEADER_BREAKS, TABLE3_LABEL_VARIANTS, Style

TABLE3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
TABLE3_APPLICANTS = "申请人情况"
TABLE3_ORGS = "法人或其他组织"
TABLE2_CONTENT = "信息内容"
# The 2019 trial table 二 (format-spec §2): captions, value headers and row labels, in order.
TABLE2_2019_LAYOUT: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], ...] = (
    ("第二十条第（一）项", ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
     (("regulations", "规章"), ("normative", "规范性文件"))),
    ("第二十条第（五）项", ("上一年项目数量", "本年增/减", "处理决定数量"),
     (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项"))),
    ("第二十条第（六）项", ("上一年项目数量", "本年增/减", "处理决定数量"),
     (("punishment", "行政处罚"), ("coercion", "行政强制"))),
    ("第二十条第（八）项", ("上一年项目数量", "本年增/减"), (("fees", "行政事业性收费"),)),
    ("第二十条第（九）项", ("采购项目数量", "采购总金额"), (("procurement", "政府集中采购"),)),
)
assert {r for _, _, rows in TABLE2_2019_LAYOUT for r, _ in rows} == set(TABLE2_2019_ROW_KEYS)

_ASCII_FOLD = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "；": ";", "！": "!", "？": "?"})
_ENUM = re.compile(r"^（([一二三四五六七八九十]+)）")
_NUMBERED = re.compile(r"^(\d{1,2})\.")


class GridCell(NamedTuple):
    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"  # label | header | value | blank | lost (omitted everywhere) | hidden (empty header)


@dataclass(frozen=True)
class Grid:
    name: str  # table2 | table3 | table4 | meta
    ncols: int
    rows: tuple[tuple[GridCell, ...], ...]
    split_after: tuple[int, ...] = ()  # row indexes after which an HTML rendering may start a new <table>
    row_keys: tuple[str | None, ...] = ()  # canonical row key of each row (None for headers)
    shape_key: tuple | None = None  # equal keys ⇒ equal spans everywhere (lets renderers cache the placement)


@dataclass(frozen=True)
class Block:
    kind: str  # chrome | meta | title | para | heading | table | signature | footer
    text: str = ""
    grid: Grid | None = None
    lines: tuple[str, ...] = field(default=())


def fold_punct(text: str, style: Style) -> str:
    return text.translate(_ASCII_FOLD) if style.ascii_punct else text


def style_label(label: str, style: Style) -> str:
    """Apply the numbering and parenthesis variants of a style to an official label."""
    return _style_label_cached(label, style.numbering, style.paren, style.ascii_punct)


@functools.lru_cache(maxsize=4096)
def _style_label_cached(label: str, numbering: str, paren: str, ascii_punct: bool) -> str:
    if numbering != "1.":
        label = _NUMBERED.sub(lambda m: m.group(1) + numbering[1:], label)
    if paren == "ascii":
        label = label.replace("（", "(").replace("）", ")")
    elif paren == "ascii_space":
        label = _ENUM.sub(lambda m: f"({m.group(1)}) ", label)
        label = label.replace("（", " (").replace("）", ")")
    return label.translate(_ASCII_FOLD) if ascii_punct else label


_OFFICIAL_T3 = {r.key: r.label for r in TABLE3_ROW_SPECS}


def table3_label(key: str, style: Style) -> str:
    """The row label a report shows for a canonical table 三 key."""
    label = TABLE3_LABEL_VARIANTS[key][0] if key in style.label_variants else _OFFICIAL_T3[key]
    return _style_label_cached(label, style.numbering, style.paren, style.ascii_punct)


def format_number(value: Number, style: Style, *, is_fee: bool = False) -> str:
    if isinstance(value, float):
        if is_fee and style.fee_decimals is not None and round(value, style.fee_decimals) == value:
            return f"{value:.{style.fee_decimals}f}"  # pads (12.5 → 12.50), never rounds a published number
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def value_cell(report: Report, cid: str, value: Number | None, *, lost: frozenset[str], colspan: int = 1,
               is_fee: bool = False) -> GridCell:
    if lost and cid in lost:
        return GridCell("", 1, colspan, "lost")
    if type(value) is int:
        return GridCell(str(value), 1, colspan, "value")
    if value is None:
        if report.statuses.get(cid) == "na":
            return GridCell("/", 1, colspan, "value")
        return GridCell("", 1, colspan, "blank")
    return GridCell(format_number(value, report.style, is_fee=is_fee), 1, colspan, "value")


def _lost_cells(report: Report) -> frozenset[str]:
    return frozenset(c for d in report.defects if d.kind == "lost_column" for c in d.cells)


def _missing_rows(report: Report) -> frozenset[str]:
    return frozenset(d.detail["row"] for d in report.defects if d.kind == "missing_row")


def table2_grid(report: Report) -> Grid:
    style = report.style
    if report.format_version == "2019":
        return _table2_grid_2019(report)
    lost = _lost_cells(report)
    rows: list[tuple[GridCell, ...]] = []
    keys: list[str | None] = []
    items: dict[str, list] = {}
    for c in TABLE2_CELLS:
        items.setdefault(c.item, []).append(c)
    for item, cells in items.items():
        rows.append((GridCell(style_label(item, style), 1, 4, "label"),))
        keys.append(None)
        col_labels = list(dict.fromkeys(c.col_label for c in cells))
        if len(col_labels) == 1:
            header = (GridCell(TABLE2_CONTENT, kind="header"),
                      GridCell(fold_punct(_paren(col_labels[0], style), style), 1, 3, "header"))
        else:
            header = (GridCell(TABLE2_CONTENT, kind="header"),) + tuple(
                GridCell(_split_header(label, style), kind="header") for label in col_labels)
        rows.append(header)
        keys.append(None)
        for row_label in dict.fromkeys(c.row_label for c in cells):
            row_cells = [c for c in cells if c.row_label == row_label]
            label = "规范性文件" if row_label == "行政规范性文件" and style.t2_legacy_normative else row_label
            span = 3 if len(row_cells) == 1 else 1
            rows.append((GridCell(label),) + tuple(
                value_cell(report, cell_id("table2", c.key), report.table2[c.key], lost=lost, colspan=span,
                           is_fee=c.unit == "wan_yuan") for c in row_cells))
            keys.append(row_cells[0].key)
    return Grid("table2", 4, tuple(rows), split_after=(3, 6, 10), row_keys=tuple(keys),
                shape_key=("table2", "2021", tuple(sorted(lost))))


def _table2_grid_2019(report: Report) -> Grid:
    style = report.style
    rows: list[tuple[GridCell, ...]] = []
    keys: list[str | None] = []
    split_after: list[int] = []
    for caption, headers, row_defs in TABLE2_2019_LAYOUT:
        rows.append((GridCell(style_label(caption, style), 1, 4),))
        keys.append(None)
        span_last = 4 - len(headers)
        rows.append((GridCell(TABLE2_CONTENT, kind="header"),) + tuple(
            GridCell(h, 1, span_last if i == len(headers) - 1 else 1, "header") for i, h in enumerate(headers)))
        keys.append(None)
        for row_id, label in row_defs:
            value_keys = TABLE2_2019_ROW_KEYS[row_id]
            cells = []
            for i, k in enumerate(value_keys):
                assert k is not None
                value = report.table2.get(k) if k in report.table2 else report.values.extensions.get(k)
                span = span_last if i == len(value_keys) - 1 else 1
                cells.append(value_cell(report, f"table2.{k}", value, lost=frozenset(), colspan=span))
            rows.append((GridCell(label),) + tuple(cells))
            keys.append(row_id)
        split_after.append(len(rows) - 1)
    return Grid("table2", 4, tuple(rows), split_after=tuple(split_after[:-1]), row_keys=tuple(keys),
                shape_key=("table2", "2019"))


def _paren(text: str, style: Style) -> str:
    if style.paren != "full" or style.ascii_punct:
        return text.replace("（", "(").replace("）", ")").replace("：", ":")
    return text


def _split_header(label: str, style: Style) -> str:
    if style.t2_header_split and label.startswith("本年"):
        return "本年\n" + label[2:]
    if style.t2_valid_note and label == "现行有效件数":
        return fold_punct("现行有效件数（历史累计）", style)
    return label


def table3_grid(report: Report) -> Grid:
    style = report.style
    fv = report.format_version
    lost = _lost_cells(report)
    missing = _missing_rows(report)
    not_in_layout = TABLE3_ROWS_NOT_IN_LAYOUT[fv]
    specs = [r for r in TABLE3_ROW_SPECS if r.key not in not_in_layout and r.key not in missing]
    lost_cols = {c for c in TABLE3_COLS if all(cell_id("table3", r.key, c) in lost for r in specs)} if lost else set()

    def header(col: str, rowspan: int = 1) -> GridCell:
        if col in lost_cols:
            return GridCell("", rowspan, 1, "lost")
        if col in style.t3_hidden_headers:
            return GridCell("", rowspan, 1, "hidden")
        text = TABLE3_COL_LABELS[col]
        if style.header_breaks and col in TABLE3_HEADER_BREAKS:
            text = TABLE3_HEADER_BREAKS[col]
        return GridCell(text, rowspan, 1, "header")

    n_value_cols = 7 - len(lost_cols)
    org_cols = [c for c in TABLE3_COLS[1:6] if c not in lost_cols]
    rows: list[tuple[GridCell, ...]] = [
        (GridCell(fold_punct(TABLE3_NOTE, style), 3, 3, "header"),
         GridCell(TABLE3_APPLICANTS, 1, n_value_cols, "header")),
        (header("natural_person", 2), GridCell(TABLE3_ORGS, 1, len(org_cols), "header"), header("total", 2)),
        tuple(header(c) for c in TABLE3_COLS[1:6]),
    ]
    keys: list[str | None] = [None, None, None]
    group_of = {r.key: _group_for(r.key, r.group, fv) for r in specs}
    in_three = [r.key for r in specs if group_of[r.key][0] is not None]
    sub_counts: dict[str, int] = {}
    for r in specs:
        if group_of[r.key][1]:
            sub_counts[group_of[r.key][1]] = sub_counts.get(group_of[r.key][1], 0) + 1  # type: ignore[index]
    seen_groups: set[str] = set()
    split_after: list[int] = [2]
    for r in specs:
        top, sub = group_of[r.key]
        cells: list[GridCell] = []
        if top and top not in seen_groups:
            seen_groups.add(top)
            cells.append(GridCell(style_label(top, style), len(in_three), 1, "label"))
        if sub:
            if sub not in seen_groups:
                seen_groups.add(sub)
                cells.append(GridCell(style_label(sub, style), sub_counts[sub], 1, "label"))
            cells.append(GridCell(table3_label(r.key, style), 1, 1, "label"))
        elif fv == "2019" and r.key == "other_other":
            cells.append(GridCell(style_label("（六）其他处理", style), 1, 2, "label"))
        else:
            cells.append(GridCell(table3_label(r.key, style), 1, 3 if top is None else 2, "label"))
        row_values = report.table3[r.key]
        if not lost and all(type(v) is int for v in row_values.values()):
            cells.extend(GridCell(str(v), 1, 1, "value") for v in row_values.values())
        else:
            for c in TABLE3_COLS:
                cells.append(value_cell(report, cell_id("table3", r.key, c), row_values[c], lost=lost))
        rows.append(tuple(cells))
        keys.append(r.key)
        if r.key == "unable_unclear" or r.key == "partial":
            split_after.append(len(rows) - 1)
    return Grid("table3", 10, tuple(rows), split_after=tuple(split_after), row_keys=tuple(keys),
                shape_key=("table3", fv, tuple(sorted(missing)), tuple(sorted(lost))))


def _group_for(key: str, group: str | None, fv: str) -> tuple[str | None, str | None]:
    """(三 group label or None, sub-group label or None) of a row in this layout."""
    if group is None:
        return None, None
    three = TABLE3_GROUP_LABELS[0]
    if group == three:
        return three, None
    if fv == "2019" and key == "other_other":
        return three, None
    return three, group


def table4_grid(report: Report) -> Grid:
    style = report.style
    leaves = list(TABLE4_LEAVES.values())
    groups = list(TABLE4_GROUPS.values())

    def leaf(text: str, first_group: bool, rowspan: int = 1) -> GridCell:
        if style.t4_truncated_leaves and not (first_group and text == leaves[0]):
            text = text[:2]
        return GridCell(text, rowspan, 1, "header")

    lost = _lost_cells(report)
    review, direct, after = (g.split(" / ")[-1] for g in groups)
    litigation = groups[1].split(" / ")[0]
    rows: tuple[tuple[GridCell, ...], ...] = (
        (GridCell(review, 1, 5, "header"), GridCell(litigation, 1, 10, "header")),
        tuple(leaf(t, True, 2) for t in leaves) + (GridCell(direct, 1, 5, "header"), GridCell(after, 1, 5, "header")),
        tuple(leaf(t, False) for t in leaves) * 2,
        tuple(value_cell(report, cell_id("table4", k), report.table4[k], lost=lost) for k in TABLE4_KEYS),
    )
    return Grid("table4", 15, rows, split_after=(), row_keys=(None, None, None, "values"),
                shape_key=("table4", tuple(sorted(lost))))


def is_table_missing(report: Report, table: str) -> bool:
    return any(d.kind == "missing_table" and d.detail.get("table") == table for d in report.defects)


def spam_info(report: Report) -> dict | None:
    for d in report.defects:
        if d.kind == "spam":
            return dict(d.detail)
    return None


def build_blocks(report: Report, *, title: str | None, preamble: str, chrome: dict) -> list[Block]:
    """The report as blocks, in reading order. ``chrome`` carries the pre-rendered page furniture."""
    style = report.style
    blocks: list[Block] = []
    if "breadcrumb" in chrome:
        blocks.append(Block("chrome", chrome["breadcrumb"]))
    if title:
        blocks.append(Block("title", title))
    if "publine" in chrome:
        blocks.append(Block("chrome", chrome["publine"]))
    if "metadata" in chrome:
        meta_rows = tuple(tuple(GridCell(t, kind="label") for t in row) for row in chrome["metadata"])
        blocks.append(Block("meta", grid=Grid("meta", 4, meta_rows)))
    spam = spam_info(report)
    paragraphs: dict[str, list[str]] = {k: v.split("\n") for k, v in report.sections.items()}
    if spam is not None:
        sec, idx = spam["section"], spam["paragraph"]
        paras = paragraphs[sec]
        idx = min(idx, len(paras) - 1)
        from xxgk.synth.text import splice_spam

        paras[idx] = splice_spam(paras[idx], spam["phrase"], spam["position"])
    blocks.append(Block("para", fold_punct(preamble, style)))
    for section in ("overview", "proactive", "applications", "review_litigation", "problems", "other"):
        blocks.append(Block("heading", style.heading_indent + fold_punct(style.heading(section), style)))
        if section in paragraphs:
            blocks.extend(Block("para", fold_punct(p, style)) for p in paragraphs[section])
        table = {"proactive": "table2", "applications": "table3", "review_litigation": "table4"}.get(section)
        if table and not is_table_missing(report, table):
            grid = {"table2": table2_grid, "table3": table3_grid, "table4": table4_grid}[table](report)
            blocks.append(Block("table", grid=grid))
    blocks.append(Block("signature", lines=tuple(chrome["signature"])))
    footer: list[str] = []
    if "scan_footer" in chrome:
        footer.append("扫一扫 手机浏览")
    if "close_footer" in chrome:
        footer.extend(["【关闭】", "×", "用户登录"])
    if spam is not None and spam.get("footer"):
        footer.extend(spam["footer"])
    if footer:
        blocks.append(Block("footer", lines=tuple(footer)))
    return blocks
