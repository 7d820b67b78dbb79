"""Agency resolution: a reported agency name → normalized name, 区划代码, administrative level and report scope.

Used by the dbt model ``int_agencies_resolved`` (a dbt Python model that calls :func:`resolve_agencies`). The
official 6-digit codes down to county level come from ``cpca`` (``cpca/resources/adcodes.csv``); townships and
street offices are recognised by their suffix and carry their county's code. Levels:

* ``province``, ``prefecture_city``, ``county``, ``township``: the people's government of that level (or the
  region itself, for a region's 汇总 report);
* ``department``: a department of a government, the government's 办公室/办公厅 included (it publishes its own
  report beside the government's); ``parent_level`` says of which level;
* ``other``: no administrative division could be read from the name.

A county name several counties share (郊区, 铁西区, 朝阳区), written without its city or province, keeps its level
but gets no codes: the region is never guessed.

Scope (``report_scope``): ``consolidated`` when the name or title says 汇总, or when the agency is a bare region
name (「新乡市」: the region's report, covering its whole administration); ``own`` when it says 本级; else
``unstated``. The same agency's 本级 and 汇总 reports are different agencies here (different ``agency_id``), so
roll-ups can leave the 汇总 ones out and never count a subordinate agency twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from functools import cache

import pandas as pd

logger = logging.getLogger(__name__)

AGENCY_LEVELS = ("province", "prefecture_city", "county", "township", "department", "other")
GOVERNMENT_LEVELS = ("province", "prefecture_city", "county", "township")
REPORT_SCOPES = ("own", "consolidated", "unstated")

RESOLVED_COLUMNS = (
    "source_sha256", "agency_id", "agency_name", "report_scope", "adcode", "province_code", "province_name",
    "city_code", "city_name", "county_code", "county_name", "agency_level", "parent_level", "is_resolved",
)

_SCOPE_MARK = re.compile(r"[（(]\s*(本级|汇总)\s*[）)]|(本级|汇总)$")
_GOVERNMENT_SUFFIX = re.compile(r"^(人民政府|政府|行政公署)$")
_TOWNSHIP = re.compile(
    r"^(.{1,12}?(?:街道办事处|街道|民族乡|民族苏木|镇|乡|苏木))(人民政府|政府|办事处|办)?(办公室|党政办公室|党政办)?$"
)
_PSEUDO_CITIES = ("县", "市辖区", "省直辖县级行政区划", "自治区直辖县级行政区划")
_DIVISION_SUFFIX = re.compile(
    r"(维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|特别行政区|省|市|县|区|盟|旗|地区)$"
)


def normalize_name(name: str) -> str:
    """NFKC, no whitespace, no 本级/汇总 marker: ``' 西夏区人民政府（本级）'`` → ``'西夏区人民政府'``."""
    s = unicodedata.normalize("NFKC", name)
    s = re.sub(r"\s+", "", s)
    s = _SCOPE_MARK.sub("", s)
    return s


def report_scope(name: str | None, title: str | None) -> str:
    text = unicodedata.normalize("NFKC", f"{name or ''} {title or ''}")
    if "汇总" in text:
        return "consolidated"
    if "本级" in text:
        return "own"
    return "unstated"


def agency_id(normalized_name: str, scope: str) -> str:
    """A stable id: the first 16 hex digits of sha256(name|scope)."""
    return hashlib.sha256(f"{normalized_name}|{scope}".encode()).hexdigest()[:16]


def _short(division: str) -> str:
    return _DIVISION_SUFFIX.sub("", division) or division


def _present(v: object) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v == "" else str(v)


@cache
def _adcode_names() -> dict[str, str]:
    """6-digit code → official name, from cpca's adcodes.csv."""
    from importlib import resources

    import cpca  # noqa: F401 - only for its resource path

    path = resources.files("cpca") / "resources" / "adcodes.csv"
    df = pd.read_csv(str(path), dtype=str)
    return {str(code)[:6]: name for code, name in zip(df["adcode"], df["name"], strict=True)}


@cache
def _name_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in _adcode_names().values():
        counts[name] = counts.get(name, 0) + 1
    return counts


def _is_ambiguous(name: str, county: str | None, city: str | None, prov: str) -> bool:
    """A county name several counties share (郊区, 铁西区, 朝阳区), with neither its city nor province in the name."""
    if not county or _name_counts().get(county, 0) < 2:
        return False
    return not any(_short(x) in name for x in (city, prov) if x)


def _transform(names: list[str]) -> pd.DataFrame:
    import cpca

    return cpca.transform(names)


def resolve_name(name: str, scope: str, hit: dict[str, object]) -> dict[str, object]:
    """Resolve one normalized name given cpca's match (省, 市, 区, 地址, adcode)."""
    prov, city, county, rest = (_present(hit.get(k)) for k in ("省", "市", "区", "地址"))
    code = _present(hit.get("adcode"))
    out: dict[str, object] = {
        "agency_id": agency_id(name, scope), "agency_name": name, "report_scope": scope, "adcode": None,
        "province_code": None, "province_name": None, "city_code": None, "city_name": None, "county_code": None,
        "county_name": None, "agency_level": "other", "parent_level": None, "is_resolved": False,
    }
    if not prov or not code:
        return out
    if city in _PSEUDO_CITIES:
        city = None
    deepest = county or city or prov
    # cpca also matches bare suffixes (甲县 → 重庆市/县); accept only names that really contain the division.
    if _short(deepest) not in name:
        return out
    code = code[:6]
    names = _adcode_names()
    ambiguous = _is_ambiguous(name, county, city, prov)
    out.update(adcode=code, province_code=code[:2] + "0000", province_name=names.get(code[:2] + "0000", prov),
               is_resolved=True)
    if city or county:
        city_code = code[:4] + "00"
        city_name = names.get(city_code) or city
        if not city_name or city_name in _PSEUDO_CITIES:  # 直辖市: the municipality is the prefecture-level unit
            city_name = out["province_name"]
        out.update(city_code=city_code, city_name=city_name)
    if county:
        out.update(county_code=code, county_name=names.get(code, county))
    level = "county" if county else ("prefecture_city" if city else "province")
    remainder = rest or ""
    if not remainder and scope == "unstated":
        # A bare region name (「新乡市2022年政府信息公开工作年度报告」) is the region's 汇总 report.
        scope = "consolidated"
        out.update(report_scope=scope, agency_id=agency_id(name, scope))
    if not remainder or _GOVERNMENT_SUFFIX.match(remainder):
        out["agency_level"] = level
    elif _TOWNSHIP.match(remainder) and level == "county":
        out["agency_level"] = "township"
    else:
        out.update(agency_level="department", parent_level=level)
    if ambiguous:  # keep the level, never guess the region
        out.update({k: None for k in ("adcode", "province_code", "province_name", "city_code", "city_name",
                                      "county_code", "county_name")}, is_resolved=False)
    return out


def resolve_agencies(reports: pd.DataFrame) -> pd.DataFrame:
    """One row per ``source_sha256`` of ``reports`` (columns source_sha256, agency_name, title), resolved.

    Rows without an agency name get null ids (they never reach the marts).
    """
    reports = reports.drop_duplicates("source_sha256")
    rows: list[dict[str, object]] = []
    keyed: dict[tuple[str, str], str] = {}
    for sha, raw, title in zip(reports["source_sha256"], reports["agency_name"], reports["title"], strict=True):
        raw_s, title_s = _present(raw), _present(title)
        if raw_s is None or not normalize_name(raw_s):
            rows.append({"source_sha256": sha})
            continue
        name = normalize_name(raw_s)
        scope = report_scope(raw_s, title_s)
        keyed[(name, scope)] = name
        rows.append({"source_sha256": sha, "_key": (name, scope)})
    distinct = list(keyed)
    resolved: dict[tuple[str, str], dict[str, object]] = {}
    if distinct:
        hits = _transform([n for n, _ in distinct]).to_dict("records")
        for (name, scope), hit in zip(distinct, hits, strict=True):
            resolved[(name, scope)] = resolve_name(name, scope, hit)
    out = []
    for r in rows:
        key = r.pop("_key", None)
        out.append({**{c: None for c in RESOLVED_COLUMNS}, **r, **(resolved[key] if key else {})})
    df = pd.DataFrame(out, columns=list(RESOLVED_COLUMNS))
    for c in RESOLVED_COLUMNS:
        df[c] = df[c].astype("boolean") if c == "is_resolved" else df[c].astype("string")
    logger.info("resolved %d of %d agency names", sum(v["is_resolved"] for v in resolved.values()), len(resolved))
    return df
