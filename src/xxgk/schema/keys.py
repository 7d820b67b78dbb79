"""Canonical keys of the three fixed tables: the contract of format-spec §8.

Every other module (parser, staging, dbt models, expectation suites, tests) derives its key lists from here.
Official labels live beside the keys; label *variants* live in ``package_data/label_maps/*.csv``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

FORMAT_VERSIONS = ("2019", "2021")


@dataclass(frozen=True)
class Table2Cell:
    key: str
    item: str  # 第二十条第（X）项
    row_label: str  # official 2021 row label
    col_label: str  # official 2021 column label
    unit: str  # "count" or "wan_yuan"


TABLE2_CELLS: tuple[Table2Cell, ...] = (
    Table2Cell("regulations_made", "第二十条第（一）项", "规章", "本年制发件数", "count"),
    Table2Cell("regulations_repealed", "第二十条第（一）项", "规章", "本年废止件数", "count"),
    Table2Cell("regulations_valid", "第二十条第（一）项", "规章", "现行有效件数", "count"),
    Table2Cell("normative_made", "第二十条第（一）项", "行政规范性文件", "本年制发件数", "count"),
    Table2Cell("normative_repealed", "第二十条第（一）项", "行政规范性文件", "本年废止件数", "count"),
    Table2Cell("normative_valid", "第二十条第（一）项", "行政规范性文件", "现行有效件数", "count"),
    Table2Cell("licensing", "第二十条第（五）项", "行政许可", "本年处理决定数量", "count"),
    Table2Cell("punishment", "第二十条第（六）项", "行政处罚", "本年处理决定数量", "count"),
    Table2Cell("coercion", "第二十条第（六）项", "行政强制", "本年处理决定数量", "count"),
    Table2Cell("fees_wan_yuan", "第二十条第（八）项", "行政事业性收费", "本年收费金额（单位：万元）", "wan_yuan"),
)
TABLE2_KEYS: tuple[str, ...] = tuple(c.key for c in TABLE2_CELLS)

# Table 二 rows (canonical row ids) and the 2021 value keys each row carries, in column order.
TABLE2_ROW_KEYS: dict[str, tuple[str, ...]] = {
    "regulations": ("regulations_made", "regulations_repealed", "regulations_valid"),
    "normative": ("normative_made", "normative_repealed", "normative_valid"),
    "licensing": ("licensing",),
    "punishment": ("punishment",),
    "coercion": ("coercion",),
    "fees": ("fees_wan_yuan",),
}

# The 2019 trial layout of table 二 (format-spec §2). Only the 处理决定数量 cells share the 2021 meaning; the
# rest are kept as extension cells under these keys and never mixed into the 2021 canonical cells.
TABLE2_2019_ROW_KEYS: dict[str, tuple[str | None, ...]] = {
    "regulations": ("x2019_regulations_new_made", "x2019_regulations_new_published", "x2019_regulations_total_published"),
    "normative": ("x2019_normative_new_made", "x2019_normative_new_published", "x2019_normative_total_published"),
    "licensing": ("x2019_licensing_prev_items", "x2019_licensing_change", "licensing"),
    "other_services": ("x2019_other_services_prev_items", "x2019_other_services_change", "x2019_other_services_decisions"),
    "punishment": ("x2019_punishment_prev_items", "x2019_punishment_change", "punishment"),
    "coercion": ("x2019_coercion_prev_items", "x2019_coercion_change", "coercion"),
    "fees": ("x2019_fees_prev_items", "x2019_fees_change"),
    "procurement": ("x2019_procurement_items", "x2019_procurement_amount"),
}


@dataclass(frozen=True)
class Table3Row:
    key: str
    row_id: str  # R01…R25
    label: str  # official 2021 label
    group: str | None  # parent group label, None for top-level rows


TABLE3_ROW_SPECS: tuple[Table3Row, ...] = (
    Table3Row("new_received", "R01", "一、本年新收政府信息公开申请数量", None),
    Table3Row("carried_over", "R02", "二、上年结转政府信息公开申请数量", None),
    Table3Row("granted", "R03", "（一）予以公开", "三、本年度办理结果"),
    Table3Row("partial", "R04", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "三、本年度办理结果"),
    Table3Row("deny_state_secret", "R05", "1.属于国家秘密", "（三）不予公开"),
    Table3Row("deny_law_prohibited", "R06", "2.其他法律行政法规禁止公开", "（三）不予公开"),
    Table3Row("deny_three_safety", "R07", "3.危及“三安全一稳定”", "（三）不予公开"),
    Table3Row("deny_third_party", "R08", "4.保护第三方合法权益", "（三）不予公开"),
    Table3Row("deny_internal_affairs", "R09", "5.属于三类内部事务信息", "（三）不予公开"),
    Table3Row("deny_process_info", "R10", "6.属于四类过程性信息", "（三）不予公开"),
    Table3Row("deny_enforcement_file", "R11", "7.属于行政执法案卷", "（三）不予公开"),
    Table3Row("deny_query_item", "R12", "8.属于行政查询事项", "（三）不予公开"),
    Table3Row("unable_no_info", "R13", "1.本机关不掌握相关政府信息", "（四）无法提供"),
    Table3Row("unable_need_create", "R14", "2.没有现成信息需要另行制作", "（四）无法提供"),
    Table3Row("unable_unclear", "R15", "3.补正后申请内容仍不明确", "（四）无法提供"),
    Table3Row("reject_petition", "R16", "1.信访举报投诉类申请", "（五）不予处理"),
    Table3Row("reject_repeat", "R17", "2.重复申请", "（五）不予处理"),
    Table3Row("reject_publication", "R18", "3.要求提供公开出版物", "（五）不予处理"),
    Table3Row("reject_massive", "R19", "4.无正当理由大量反复申请", "（五）不予处理"),
    Table3Row("reject_confirm", "R20", "5.要求行政机关确认或重新出具已获取信息", "（五）不予处理"),
    Table3Row(
        "other_overdue_correction", "R21",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "（六）其他处理",
    ),
    Table3Row(
        "other_overdue_fee", "R22",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "（六）其他处理",
    ),
    Table3Row("other_other", "R23", "3.其他", "（六）其他处理"),
    Table3Row("total", "R24", "（七）总计", "三、本年度办理结果"),
    Table3Row("carried_forward", "R25", "四、结转下年度继续办理", None),
)
TABLE3_ROWS: tuple[str, ...] = tuple(r.key for r in TABLE3_ROW_SPECS)
TABLE3_ROW_IDS: dict[str, str] = {r.key: r.row_id for r in TABLE3_ROW_SPECS}

TABLE3_GROUP_LABELS: tuple[str, ...] = (
    "三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理",
)

TABLE3_COL_LABELS: dict[str, str] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}
TABLE3_COLS: tuple[str, ...] = tuple(TABLE3_COL_LABELS)
TABLE3_PART_COLS: tuple[str, ...] = TABLE3_COLS[:-1]

# Outcome rows whose sum is （七）总计 (I3), per layout. In 2019 （六）其他处理 is one value row, stored as other_other.
TABLE3_OUTCOME_ROWS: dict[str, tuple[str, ...]] = {
    "2021": TABLE3_ROWS[2:23],
    "2019": TABLE3_ROWS[2:20] + ("other_other",),
}
# Rows that do not exist in a layout: their cells are not applicable, never derived.
TABLE3_ROWS_NOT_IN_LAYOUT: dict[str, tuple[str, ...]] = {
    "2021": (),
    "2019": ("other_overdue_correction", "other_overdue_fee"),
}

TABLE4_GROUPS: dict[str, str] = {
    "review": "行政复议",
    "direct_suit": "行政诉讼 / 未经复议直接起诉",
    "after_review_suit": "行政诉讼 / 复议后起诉",
}
TABLE4_LEAVES: dict[str, str] = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}
TABLE4_KEYS: tuple[str, ...] = tuple(f"{g}_{leaf}" for g in TABLE4_GROUPS for leaf in TABLE4_LEAVES)

SECTION_IDS: tuple[str, ...] = ("overview", "proactive", "applications", "review_litigation", "problems", "other")
SECTION_HEADINGS: dict[str, str] = {
    "overview": "一、总体情况",
    "proactive": "二、主动公开政府信息情况",
    "applications": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}

FEE_STATUSES = ("none", "charged", "not_stated")
CELL_STATUSES = ("reported", "blank", "na", "derived", "absent")


@functools.cache
def cell_id(table: str, row: str, col: str | None = None) -> str:
    """The dotted id of one cell as used in ``derived`` and in issues: ``table3.total.research``."""
    return f"{table}.{row}" if col is None else f"{table}.{row}.{col}"


def all_cell_ids() -> tuple[str, ...]:
    """Every canonical cell (10 + 175 + 15), in table order."""
    return (
        tuple(cell_id("table2", k) for k in TABLE2_KEYS)
        + tuple(cell_id("table3", r, c) for r in TABLE3_ROWS for c in TABLE3_COLS)
        + tuple(cell_id("table4", k) for k in TABLE4_KEYS)
    )
