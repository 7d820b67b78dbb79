"""Every regular expression and keyword list the metadata, section, fee and spam readers use, in one place."""

from __future__ import annotations

import re

# --- metadata -----------------------------------------------------------------------------------------------------
TITLE_HINT = re.compile(r"政府信息公开.{0,6}(年度)?报告")
TITLE_IN_QUOTES = re.compile(r"《([^《》]{4,80}?政府信息公开[^《》]{0,10}?报告)》")
YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:度)?\s*(?:政府|[^\d]{0,30}?政府信息公开)")
YEAR_BEFORE_NIAN = re.compile(r"((?:19|20)\d{2})\s*年")
# 统计期限自2024年1月1日起至2024年12月31日止; seed 004 drops the 年: 20211月1日至202112月31日
DATA_PERIOD = re.compile(r"((?:19|20)\d{2})\s*年?\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|-|—)\s*((?:19|20)\d{2})\s*年?\s*12\s*月")
AGENCY_BEFORE_YEAR = re.compile(r"^(.{2,60}?)\s*(?:19|20)\d{2}\s*年")
AGENCY_SUFFIX = re.compile(r"(人民政府|政府办公室|办公室|办公厅|委员会|局|厅|署|院|中心|街道办事处|办事处|管委会|委|部|所|站|队)$")
PUBLICATION_DATE = re.compile(
    r"(?:发布日期|发布时间|发文日期|成文日期|日期)\s*[:|：]?\s*\|?\s*((?:19|20)\d{2})[-/.年]\s*(\d{1,2})[-/.月]\s*(\d{1,2})"
)
DATE_LINE_START = re.compile(r"^\s*((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\b")
SIGNATURE_DATE = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
INDEX_NUMBER = re.compile(r"索\s*引\s*号\s*[:：|]?\s*\|?\s*([A-Za-z0-9][\w\-/]{3,60})")
PUBLISHER = re.compile(r"发布机构\s*[:：|]?\s*\|?\s*([^|\s]{2,40})")

# --- 信息处理费 (format-spec §6.3) ------------------------------------------------------------------------------------
FEE_NONE = re.compile(
    r"(?:未|没有|无|不存在|均未|尚未|从未)[^。;；]{0,12}?(?:产生|收取|发生|收|征收)[^。;；]{0,16}?(?:处理费|费用)"
    r"|(?:处理费|处理费用)[^。;；\d]{0,12}?(?:为\s*0(?!\d)|为零|(?<!\d)0\s*元|无)"
    r"|(?:不收取|免收|未收)[^。;；]{0,10}?(?:处理费|费用)"
)
FEE_CHARGED = re.compile(
    r"收取[^。;；]{0,24}?处理费[^。;；]{0,24}?(\d+(?:\.\d+)?)\s*(万元|元)"
    r"|处理费[^。;；]{0,24}?(\d+(?:\.\d+)?)\s*(万元|元)"
)
FEE_MENTION = re.compile(r"处理费")

# --- injected spam / defacement (seed 001) --------------------------------------------------------------------------
SPAM = re.compile(  # lower case, matched against lowered text: IGNORECASE would make every search 6x slower
    r"麻将胡了|pg电子|试玩平台|模拟器[·.]试玩|百家乐|博彩|娱乐城|棋牌游戏|真人视讯|老虎机|电子游艺|葡京|威尼斯人|太阳城"
    r"|最新官方版下载|官方网站\s*版权所有|\(中国\)官方网站|（中国）官方网站|开元棋牌|体育投注|bet365|澳门赌场"
    r"|开云体育|九游会|爱游戏体育|半岛体育|新葡京|体育(?:全站)?app|官网入口|真人平台|app下载安装|免费试玩"
)
