"""Prose of a synthetic report: title, preamble, sections 一/五/六, the 信息处理费 sentence, signature, page chrome.

Sentences are templates filled with the agency's names and the report's own numbers, so narrative cross-checks
(「全年共收到政府信息公开申请9件」 = R01 总计) hold the way they do in real reports.
"""

from __future__ import annotations

import datetime as dt
import random

from xxgk.synth.model import Fee, Values
from xxgk.synth.population import Agency

_PLATFORMS = ("政府门户网站", "政务新媒体", "政务公开专栏", "微信公众号", "公开栏", "政务服务大厅")
_MANAGEMENT = (
    "严格落实信息发布“三审三校”制度，明确审核程序和责任人员，把好政治关、政策关、文字关。",
    "健全政府信息公开保密审查机制，坚持“先审查、后公开”和“一事一审”原则，确保公开内容合法合规。",
    "定期开展政府信息公开目录梳理和动态调整，及时清理过期失效信息。",
    "加强政府信息管理，对行政规范性文件实行统一登记、统一编号、统一发布。",
)
_PLATFORM_BUILD = (
    "以政府门户网站作为政府信息公开第一平台，常态化做好栏目维护和内容更新。",
    "推进政府网站集约化建设，优化政府信息公开专栏设置，提升检索和查阅的便利性。",
    "用好政务公开专区，为群众查阅政府信息、咨询政策提供便利。",
    "搭建“线上+线下”双平台，线上依托门户网站和政务新媒体，线下依托公开栏和便民服务中心。",
)
_SUPERVISION = (
    "成立政务公开工作领导小组，明确分管领导和专人负责，将政务公开工作纳入年度绩效考核。",
    "加强业务培训，组织工作人员学习《中华人民共和国政府信息公开条例》，提升业务能力。",
    "开展社会评议，广泛听取群众意见建议，本年度未发生因政府信息公开工作被追究责任的情况。",
    "建立健全考核、评议和责任追究制度，定期通报政务公开工作情况，推动问题整改落实。",
)
_PROBLEMS = (
    "政务公开的深度和广度有待进一步拓展",
    "政策解读的形式较为单一，针对性、实用性有待提升",
    "信息更新不够及时，部分栏目内容不够完善",
    "工作人员业务能力有待进一步提高",
    "依申请公开办理的规范化水平还需加强",
    "政务新媒体与门户网站的联动不够",
)
_IMPROVEMENTS = (
    "加大主动公开力度，围绕群众关切及时发布各类信息",
    "丰富政策解读形式，综合运用图片、视频等方式开展解读",
    "加强栏目日常巡查维护，确保信息发布及时、准确",
    "定期组织业务培训，提升工作人员业务水平",
    "严格依法依规办理政府信息公开申请，规范答复文书",
    "健全工作机制，压实工作责任，推动政务公开工作规范有序开展",
)
_OTHER_ITEMS = (
    "{year}年，{self}认真落实上级年度政务公开工作要点，各项任务均按要求完成。",
    "本年度共办理人大代表建议{a}件、政协提案{b}件，办理结果已按规定公开。",
    "{self}积极探索政务公开与政务服务深度融合，推动基层政务公开标准化规范化建设。",
)
_FEE_NONE = (
    "本年度未收取信息处理费。",
    "本年度没有产生信息公开处理费。",
    "本机关按照《国务院办公厅关于印发<政府信息公开信息处理费管理办法>的通知》（国办函〔2020〕109号）规定的按件、按量收费标准，本年度未产生信息公开处理费。",
    "根据《政府信息公开信息处理费管理办法》的相关规定，没有超出一定数量或频次范围，未收取信息处理费。",
    "本单位{year}年度未收取政府信息公开信息处理费。",
    "按照《国务院办公厅关于印发〈政府信息公开信息处理费管理办法〉的通知》（国办函〔2020〕109号）规定，本年度未收取信息处理费。",
)
_FEE_CHARGED = (
    "按照《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）规定，本年度共发出收费通知{n}件，收取信息处理费{amount}元。",
    "本年度依据国办函〔2020〕109号向{n}件申请发出收费通知，收取信息处理费共计{amount}元。",
)
_FEE_NOT_STATED = ("无其他需要报告的事项。", "本年度无其他需要报告的事项。")


def _pick(rng: random.Random, options: tuple[str, ...], k: int) -> list[str]:
    return rng.sample(list(options), k=min(k, len(options)))


def overview_paragraphs(rng: random.Random, agency: Agency, year: int, values: Values) -> list[str]:
    """Section 一 in the usual five sub-headings, repeating the application count as real reports do."""
    me = agency.self_ref
    n_items = rng.randint(20, 300) * (10 if agency.level.startswith(("province", "prefecture")) else 1)
    plat = "、".join(_pick(rng, _PLATFORMS, rng.randint(2, 3)))
    received = values.table3["new_received"]["total"]
    carried = values.table3["carried_over"]["total"]
    concluded = values.table3["total"]["total"]
    forward = values.table3["carried_forward"]["total"]
    intro = (
        f"{year}年，{me}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        "围绕中心工作和群众关切，扎实推进政务公开各项工作。"
    )
    active = f"（一）主动公开情况。{year}年，{me}通过{plat}等渠道主动公开政府信息{n_items}条。"
    if received:
        req = f"（二）依申请公开情况。{year}年，{me}共收到政府信息公开申请{received}件"
        if carried:
            req += f"，上年结转{carried}件"
        req += f"；已办结{concluded}件"
        req += f"，结转下年度继续办理{forward}件。" if forward else "，均在法定期限内答复。"
    elif received == 0:
        req = f"（二）依申请公开情况。{year}年，{me}未收到政府信息公开申请。"
    else:
        req = f"（二）依申请公开情况。{year}年，{me}依法依规办理政府信息公开申请。"
    reviews = values.table4.get("review_total") or 0
    suits = (values.table4.get("direct_suit_total") or 0) + (values.table4.get("after_review_suit_total") or 0)
    if not reviews and not suits:
        req += "未发生因政府信息公开引起的行政复议、行政诉讼案件。"
    mgmt = "（三）政府信息管理情况。" + "".join(_pick(rng, _MANAGEMENT, 2))
    build = "（四）政府信息公开平台建设情况。" + "".join(_pick(rng, _PLATFORM_BUILD, 2))
    sup = "（五）监督保障情况。" + "".join(_pick(rng, _SUPERVISION, 2))
    return [intro, active, req, mgmt, build, sup]


def problems_paragraphs(rng: random.Random, agency: Agency, year: int) -> list[str]:
    nums = "一二三四"
    probs = _pick(rng, _PROBLEMS, rng.randint(2, 3))
    imps = _pick(rng, _IMPROVEMENTS, rng.randint(2, 3))
    first = (f"（一）存在的主要问题。{year}年，{agency.self_ref}政府信息公开工作取得了一定成效，但仍存在一些不足："
             + "；".join(f"{nums[i]}是{p}" for i, p in enumerate(probs)) + "。")
    second = "（二）改进情况。" + "；".join(f"{nums[i]}是{p}" for i, p in enumerate(imps)) + "。"
    return [first, second]


def choose_fee(rng: random.Random, agency: Agency, year: int, values: Values) -> tuple[Fee, str]:
    """The 信息处理费 situation and the sentence that states it (format-spec §6.3)."""
    received = values.table3["new_received"]["total"] or 0
    r = rng.random()
    if r < 0.06:
        return Fee("not_stated"), rng.choice(_FEE_NOT_STATED)
    if year >= 2021 and received >= 10 and r < 0.06 + min(0.25, received / 2000):
        n = rng.randint(1, 6)
        amount = sum(rng.choice((100, 100, 200, 300, 10, 20, 40)) * rng.randint(1, 5) for _ in range(n))
        return Fee("charged", float(amount), n), rng.choice(_FEE_CHARGED).format(n=n, amount=amount)
    options = _FEE_NONE if year >= 2021 else tuple(x for x in _FEE_NONE if "109" not in x)  # 109号: from 2021
    return Fee("none"), rng.choice(options).format(year=year)


def other_paragraphs(rng: random.Random, agency: Agency, year: int, fee_sentence: str) -> list[str]:
    out = [fee_sentence]
    if rng.random() < 0.4:
        item = rng.choice(_OTHER_ITEMS).format(year=year, self=agency.self_ref, a=rng.randint(0, 30),
                                               b=rng.randint(0, 40))
        out.insert(0 if rng.random() < 0.5 else 1, item)
    return out


def publication_dates(rng: random.Random, agency: Agency, year: int) -> tuple[dt.date, dt.date]:
    """(publication date, signature date): departments by 1月31日, governments by 3月31日, a few late."""
    start = dt.date(year + 1, 1, 5)
    deadline_days = 26 if agency.level.endswith("dept") else 85
    if rng.random() < 0.05:
        deadline_days += rng.randint(30, 200)
    published = start + dt.timedelta(days=rng.randint(0, deadline_days))
    signed = published - dt.timedelta(days=rng.choice((0, 0, 1, 2, 3, 7)))
    return published, signed


def title_text(agency_name: str, year: int, mode: str, is_summary: bool) -> str | None:
    if mode == "none":
        return None
    if mode == "no_niandu":
        return f"{agency_name}{year}年政府信息公开工作报告"
    if mode == "spaced":
        return f"{agency_name} {year} 年政府信息公开工作年度报告"
    return f"{agency_name}{year}年政府信息公开工作年度报告"


def preamble_text(agency: Agency, year: int, mode: str, title: str) -> str:
    basis = ("本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和上级关于做好政府信息公开工作年度报告"
             "编制工作的通知要求编制。")
    if mode == "name_in_preamble":
        basis = (
            "根据《中华人民共和国政府信息公开条例》规定和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国"
            f"政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求，现发布《{title}》。"
        )
    period = f"本报告中所列数据统计期限自{year}年1月1日起至{year}年12月31日止。"
    parts = ("本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
             "政府信息公开行政复议及行政诉讼情况、存在的主要问题及改进情况和其他需要报告的事项六个部分组成。")
    tail = f"本报告电子版可在{agency.website}下载。如对本报告有疑问，请与{agency.signer}联系。"
    if mode == "basis_only":
        return basis + period
    return basis + parts + period + tail


def metadata_rows(agency: Agency, year: int, published: dt.datetime, index_no: str) -> list[list[str]]:
    """The 索引号/发布机构/发布日期 block many portals put above the report (seed 000)."""
    return [
        ["索 引 号", index_no, "主题分类", ""],
        ["发布机构", agency.signer, "发布日期", published.strftime("%Y-%m-%d %H:%M")],
        ["名 称", f"{agency.name}{year}年政府信息公开工作年度报告", "", ""],
        ["文 号", "〔〕号", "有 效 性", ""],
        ["来 源", agency.signer, "", ""],
    ]


def breadcrumb_text(year: int) -> str:
    return f"您的位置:首页 >信息公开>政府信息公开>政府信息公开年报>{year}年>正文"


def publine_text(agency: Agency, published: dt.datetime) -> str:
    return f"发布时间:{published.strftime('%Y-%m-%d %H:%M')}|来源:{agency.signer}|栏目: 政府信息公开年报 |浏览次数:"


def signature_lines(agency: Agency, signed: dt.date) -> list[str]:
    return [agency.signer, f"{signed.year}年{signed.month}月{signed.day}日"]


def splice_spam(paragraph: str, phrase: str, position: float) -> str:
    """Insert ``phrase`` mid-sentence, after a 、 or ， when one is near ``position`` (0–1)."""
    if not paragraph:
        return phrase
    target = int(len(paragraph) * position)
    cut = target
    for i in range(target, len(paragraph)):
        if paragraph[i] in "、，":
            cut = i + 1
            break
    return paragraph[:cut] + phrase + paragraph[cut:]
