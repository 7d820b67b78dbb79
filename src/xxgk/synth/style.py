"""How a synthetic report looks: serialization, encoding, label variants, headings, page chrome.

A :class:`Style` is chosen once per report (``choose_style``) and stored on it, so rendering stays a pure
function of the report. The label variants are the ones format-spec §2, §3.4, §4 and §1 list as seen in real
reports; official labels come from ``xxgk.schema.keys``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from xxgk.schema.keys import SECTION_HEADINGS, TABLE3_COLS, TABLE3_ROW_SPECS

SERIALIZATIONS: tuple[str, ...] = (
    "cell_lines",  # (a) one cell per line, each ending in " |", pipe padding lines (seed 000)
    "pipe_rows",  # (b) one table row per line, "label | v | v |" with "||" padding (seed 003)
    "tab_rows",  # (c) one table row per line, tab-separated, spanned positions as empty cells (seed 002)
    "blank_lines",  # (d) one cell per line, a blank line after every cell (seed 004)
    "html",  # (e) HTML with real <table> markup, UTF-8
    "html_gbk",  # (f) the same HTML encoded GBK or GB18030, charset declaration wrong or missing
    "glued",  # (g) every table row flattened: label immediately followed by its digits (format-spec §9)
)
TEXT_SERIALIZATIONS = ("cell_lines", "pipe_rows", "tab_rows", "blank_lines", "glued")
HTML_SERIALIZATIONS = ("html", "html_gbk")
# How often each serialization is picked for a corpus ("glued" only through the glued_digits defect).
SERIALIZATION_WEIGHTS: dict[str, float] = {
    "cell_lines": 0.18, "pipe_rows": 0.16, "tab_rows": 0.12, "blank_lines": 0.12, "html": 0.24, "html_gbk": 0.10,
    "glued": 0.08,
}
assert tuple(SERIALIZATION_WEIGHTS) == SERIALIZATIONS
_RANDOM_SERIALIZATIONS = tuple(s for s in SERIALIZATIONS if s != "glued")
_RANDOM_WEIGHTS = [SERIALIZATION_WEIGHTS[s] for s in _RANDOM_SERIALIZATIONS]

# Heading variants per section id (format-spec §1); the official heading is always a choice.
HEADING_VARIANTS: dict[str, tuple[str, ...]] = {
    "overview": (SECTION_HEADINGS["overview"],),
    "proactive": (SECTION_HEADINGS["proactive"],),
    "applications": (SECTION_HEADINGS["applications"],),
    "review_litigation": (
        SECTION_HEADINGS["review_litigation"], "四、政府信息公开行政复议和行政诉讼情况",
        "四、因政府信息公开工作被申请行政复议和提起行政诉讼情况",
    ),
    "problems": (
        SECTION_HEADINGS["problems"], "五、存在问题及改进情况", "五、存在的主要问题和改进情况",
        "五、政府信息公开工作存在的主要问题及改进情况",
    ),
    "other": (SECTION_HEADINGS["other"],),
}

# Specific row-label variants by canonical key (format-spec §3.4), applied before numbering/parenthesis styling.
TABLE3_LABEL_VARIANTS: dict[str, tuple[str, ...]] = {
    "deny_law_prohibited": ("2.其他法律法规禁止公开",),
    "deny_three_safety": ('3.危及"三安全一稳定"',),
    "other_overdue_correction": ("1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请",),
    "other_overdue_fee": ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不现处理其政府信息公开申请",),
    "carried_forward": ("四、结转下一年度继续办理",),
}
TABLE3_OFFICIAL_LABELS: dict[str, str] = {r.key: r.label for r in TABLE3_ROW_SPECS}
# Header cells broken by a line break (seed 003, Shenzhen 龙岗 2024, Wuhan 汉阳 2022).
TABLE3_HEADER_BREAKS: dict[str, str] = {"commercial": "商业\n企业", "research": "科研\n机构",
                                        "public_interest": "社会公益\n组织", "legal_service": "法律服务\n机构"}

SPAM_PHRASES: tuple[str, ...] = (
    "麻将胡了最新官方版下载", "PG电子模拟器免费试玩", "开云体育app官方下载", "澳门新葡京娱乐城", "九游会真人平台注册",
    "爱游戏体育官网入口", "半岛体育全站app",
)
SPAM_FOOTERS: tuple[tuple[str, ...], ...] = (
    ("Copyright © PG电子·模拟器·试玩平台(中国)官方网站 版权所有",
     "电话:020-88888888 地址:广东省广州市番禺经济开发区 备案号:", "网站地图"),
    ("Copyright © 2024 开云体育(中国)官方网站 版权所有", "客服热线:400-888-8888", "网站地图 | 联系我们"),
    ("© 爱游戏体育(官方)APP下载安装IOS/安卓通用版 版权所有", "地址:福建省厦门市思明区 电话:0592-6666666",),
)


@dataclass(frozen=True)
class Style:
    serialization: str = "cell_lines"
    encoding: str = "utf-8"  # utf-8 | gbk | gb18030
    meta_charset: str | None = "utf-8"  # what the HTML <meta> declares (None: no declaration)
    word_markup: bool = False  # Word-export HTML: <o:p>, mso- styles, &nbsp;
    split_tables: bool = False  # a table spread over several <table> elements
    ascii_punct: bool = True  # full-width （）：，； folded to ASCII, as in seeds 000/001/003/004
    numbering: str = "1."  # "1." | "1、" | "1. "
    paren: str = "full"  # "full" （一） | "ascii" (一) | "ascii_space" "(一) "
    label_variants: tuple[str, ...] = ()  # canonical table 三 keys shown with a TABLE3_LABEL_VARIANTS label
    header_breaks: bool = False  # 「商业 企业」
    t3_hidden_headers: tuple[str, ...] = ()  # table 三 column labels missing from the header (seed 004)
    t2_legacy_normative: bool = False  # 规范性文件 instead of 行政规范性文件
    t2_header_split: bool = False  # 「本年 / 制发件数」
    t2_valid_note: bool = False  # 「现行有效件数(历史累计)」 (Wuhan 汉阳区 2022)
    t4_truncated_leaves: bool = False  # 「结果」「其他」「尚未」 (seed 003)
    title_mode: str = "full"  # full | no_niandu | none | spaced
    headings: tuple[tuple[str, str], ...] = ()  # (section id, heading text) overrides
    heading_indent: str = ""  # e.g. four NBSP before a heading (seed 004)
    para_indent: str = ""  # "" | "  " | "\u3000\u3000"
    chrome: tuple[str, ...] = ()  # metadata | breadcrumb | publine | scan_footer | close_footer
    preamble_mode: str = "standard"  # standard | basis_only | name_in_preamble
    line_ending: str = "\n"
    leading_blank_lines: int = 0
    trailing_newline: bool = True
    glue_rows: bool = False  # glued serialization: several table rows run together on one line
    fee_decimals: int | None = None  # render the fee with a fixed number of decimals
    nbsp_cells: bool = False  # HTML: blank cells written as &nbsp;
    extra: tuple[tuple[str, Any], ...] = field(default=())

    def heading(self, section: str) -> str:
        return dict(self.headings).get(section, SECTION_HEADINGS[section])


def choose_style(rng: random.Random, *, serialization: str | None = None, variants: bool = True) -> Style:
    """A random style; ``variants=False`` keeps every label official (still any serialization)."""
    # glued digits are a defect: they are only chosen explicitly (defects.py plants them at a stated rate)
    ser = serialization or rng.choices(_RANDOM_SERIALIZATIONS, _RANDOM_WEIGHTS)[0]
    if ser not in SERIALIZATIONS:
        raise ValueError(f"unknown serialization {ser!r}; expected one of {', '.join(SERIALIZATIONS)}")
    style = Style(serialization=ser)
    if ser == "html_gbk":
        style = replace(style, encoding=rng.choice(("gbk", "gb18030")),
                        meta_charset=rng.choice((None, "utf-8", "UTF-8", "iso-8859-1")))
    if ser in HTML_SERIALIZATIONS:
        style = replace(style, word_markup=rng.random() < 0.4, split_tables=rng.random() < 0.3,
                        ascii_punct=rng.random() < 0.2, nbsp_cells=rng.random() < 0.5)
    else:
        style = replace(style, ascii_punct=rng.random() < 0.75,
                        line_ending="\r\n" if rng.random() < 0.05 else "\n",
                        leading_blank_lines=2 if rng.random() < 0.1 else 0,
                        trailing_newline=rng.random() < 0.5, glue_rows=ser == "glued" and rng.random() < 0.3)
    chrome = tuple(c for c, p in (("metadata", 0.25), ("breadcrumb", 0.2), ("publine", 0.3), ("scan_footer", 0.1),
                                  ("close_footer", 0.1)) if rng.random() < p)
    style = replace(
        style,
        chrome=chrome,
        title_mode=rng.choices(("full", "no_niandu", "none", "spaced"), (0.78, 0.08, 0.08, 0.06))[0],
        preamble_mode=rng.choices(("standard", "basis_only"), (0.8, 0.2))[0],
        para_indent=rng.choice(("", "", "  ", "\u3000\u3000")),
        fee_decimals=rng.choice((None, None, None, 2)),
    )
    if style.title_mode == "none":
        style = replace(style, preamble_mode="name_in_preamble")
    if not variants:
        return style
    headings = tuple(
        (sid, rng.choice(options)) for sid, options in HEADING_VARIANTS.items()
        if len(options) > 1 and rng.random() < 0.25
    )
    label_variants = tuple(k for k in TABLE3_LABEL_VARIANTS if rng.random() < 0.12)
    hidden: tuple[str, ...] = ()
    if rng.random() < 0.05:
        hidden = ("natural_person", "total")
    elif rng.random() < 0.03:
        hidden = ("other_org",)
    assert all(c in TABLE3_COLS for c in hidden)
    return replace(
        style,
        headings=headings,
        numbering=rng.choices(("1.", "1、", "1. "), (0.75, 0.2, 0.05))[0],
        paren=rng.choices(("full", "ascii", "ascii_space"), (0.6, 0.3, 0.1))[0],
        label_variants=label_variants,
        header_breaks=rng.random() < 0.15,
        t3_hidden_headers=hidden,
        t2_legacy_normative=rng.random() < 0.1,
        t2_header_split=rng.random() < 0.1,
        t2_valid_note=rng.random() < 0.04,
        t4_truncated_leaves=rng.random() < 0.06,
        heading_indent="\u00a0" * 4 if rng.random() < 0.05 else "",
    )


def official_style(serialization: str = "cell_lines") -> Style:
    """Every label official, no chrome: the plainest rendering of a serialization."""
    return Style(serialization=serialization, encoding="gb18030" if serialization == "html_gbk" else "utf-8",
                 meta_charset=None if serialization == "html_gbk" else "utf-8")
