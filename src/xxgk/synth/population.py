"""A plausible national population of reporting agencies, built from the official 区划代码 that ``cpca`` ships.

Everything here is data about *who* reports: administrative level, region names and codes, the agency name as it
appears in a title, how the agency refers to itself in prose and who signs. Provinces, prefecture-level cities and
counties are real (``cpca/resources/adcodes.csv``); townships and street offices are invented from a pool of
place-name characters, because no township list ships with the installed packages.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import logging
import random
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

# Administrative levels of the reporting agency. ``*_dept`` are departments of the government at that level.
LEVELS: tuple[str, ...] = (
    "province", "province_dept", "prefecture", "prefecture_dept", "county", "county_dept", "township",
)
GOVERNMENT_LEVELS: tuple[str, ...] = ("province", "prefecture", "county", "township")

# How often each kind of agency shows up among reports (roughly: many townships and county departments, few
# provinces). Summary (汇总) reports are drawn separately, per government level.
LEVEL_WEIGHTS: dict[str, float] = {
    "township": 0.34,
    "county_dept": 0.30,
    "county": 0.08,
    "prefecture_dept": 0.12,
    "prefecture": 0.03,
    "province_dept": 0.05,
    "province": 0.01,
}
SUMMARY_WEIGHTS: dict[str, float] = {"county": 0.04, "prefecture": 0.02, "province": 0.005}

_EXCLUDED_PROVINCES = ("71", "81", "82")  # 台湾, 香港, 澳门: no reports in this format
_MUNICIPALITIES = ("11", "12", "31", "50")

PROVINCE_DEPARTMENTS: tuple[str, ...] = (
    "人民政府办公厅", "发展和改革委员会", "教育厅", "科学技术厅", "公安厅", "民政厅", "司法厅", "财政厅",
    "人力资源和社会保障厅", "自然资源厅", "生态环境厅", "住房和城乡建设厅", "交通运输厅", "水利厅", "农业农村厅",
    "商务厅", "文化和旅游厅", "卫生健康委员会", "应急管理厅", "审计厅", "市场监督管理局", "统计局", "医疗保障局",
)
LOCAL_DEPARTMENTS: tuple[str, ...] = (
    "发展和改革委员会", "教育局", "科学技术局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
    "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水务局", "农业农村局", "商务局",
    "文化广电和旅游局", "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
    "城市管理局", "退役军人事务局", "林业局",
)
_TOWN_CHARS = (
    "东西南北上下前后新老大小高长白青黄红金银石山河湖溪桥林松柏桃李杨柳梅兰竹花平安宁和兴隆丰盛福寿永昌泰"
    "清水沙田坪坝堡营屯庄寨关口岭峰岗坡湾塘洲港龙凤鹤马牛羊虎鹿云霞阳月星光明德仁义礼信中华"
)


@dataclass(frozen=True)
class Region:
    province: str
    city: str | None  # prefecture-level city (the province name for 直辖市); None for province-level agencies
    county: str | None
    code: str  # 6-digit 区划代码 of the smallest real unit (a township carries its county's code)


@dataclass(frozen=True)
class Agency:
    name: str  # as in the title: 「XX县XX镇人民政府」, or the region name for a summary report
    level: str  # one of LEVELS
    is_summary: bool  # a 汇总 report covering a whole region
    region: Region
    self_ref: str  # how the prose refers to the agency: 我镇, 我局, 本机关 …
    short_name: str  # name without the region prefix, used in prose: 乌恰镇, 生态环境局
    signer: str  # who signs the report
    website: str


@dataclass(frozen=True)
class _Division:
    code: str
    name: str


def _adcodes_path() -> Path:
    """``cpca/resources/adcodes.csv`` located without importing cpca (its import builds matchers: ~2 s)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package (administrative division codes) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    if not path.is_file():
        raise RuntimeError(f"cpca is installed but {path} is missing")
    return path


@functools.cache
def load_divisions() -> tuple[tuple[_Division, ...], tuple[_Division, ...], tuple[_Division, ...]]:
    """Provinces, prefecture-level units and counties from ``cpca/resources/adcodes.csv`` (6-digit codes)."""
    text = _adcodes_path().read_text(encoding="utf-8")
    provinces: list[_Division] = []
    cities: list[_Division] = []
    counties: list[_Division] = []
    for row in csv.DictReader(io.StringIO(text)):
        code = row["adcode"][:6]
        name = row["name"].strip()
        if code[:2] in _EXCLUDED_PROVINCES or not name:
            continue
        if code[2:] == "0000":
            provinces.append(_Division(code, name))
        elif code[4:] == "00":
            cities.append(_Division(code, name))
        elif name != "市辖区":
            counties.append(_Division(code, name))
    key = lambda d: d.code  # noqa: E731
    return tuple(sorted(provinces, key=key)), tuple(sorted(cities, key=key)), tuple(sorted(counties, key=key))


@functools.cache
def _index() -> tuple[dict[str, str], dict[str, str], tuple[_Division, ...]]:
    provinces, cities, counties = load_divisions()
    return {p.code[:2]: p.name for p in provinces}, {c.code[:4]: c.name for c in cities}, counties


def _region_names(county_code: str) -> tuple[str, str | None]:
    """Province name and prefecture name (None for 省直辖县级 units) of a county code."""
    prov_names, city_names, _ = _index()
    province = prov_names[county_code[:2]]
    if county_code[:2] in _MUNICIPALITIES:
        return province, province
    city = city_names.get(county_code[:4])
    if city is None or "直辖" in city:
        return province, None
    return province, city


def _town_name(rng: random.Random, county: str) -> tuple[str, str]:
    """An invented township or street office: (short name, suffix)."""
    is_district = county.endswith("区")
    r = rng.random()
    if is_district and r < 0.6:
        suffix = "街道"
    elif r < 0.75:
        suffix = "镇"
    else:
        suffix = "乡"
    if rng.random() < 0.08 and len(county) >= 3:  # the seat often shares the county's name (乌恰县乌恰镇)
        stem = county[:-1]
    else:
        stem = "".join(rng.choice(_TOWN_CHARS) for _ in range(2))
    return stem + suffix, suffix


def _strip_suffix(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "省市县区" else name


def make_agency(rng: random.Random, level: str, *, is_summary: bool = False) -> Agency:
    """One random agency of ``level``; a summary report names the region (「XX市」) instead of an office."""
    prov_names, _, counties = _index()
    county_div = rng.choice(counties)
    province, city = _region_names(county_div.code)
    county = county_div.name
    is_municipality = county_div.code[:2] in _MUNICIPALITIES
    if level in ("prefecture", "prefecture_dept") and (city is None or is_municipality):
        level = "county" if level == "prefecture" else "county_dept"
    if level in ("province", "province_dept"):
        region = Region(province, None, None, county_div.code[:2] + "0000")
        if is_summary:
            return Agency(province, level, True, region, "全省" if province.endswith("省") else "全市",
                          province, f"{province}人民政府办公厅", _website(rng))
        if level == "province":
            self_ref = "省政府" if province.endswith("省") else "市政府"
            return Agency(f"{province}人民政府", level, False, region, self_ref,
                          f"{province}人民政府", f"{province}人民政府", _website(rng))
        dept = rng.choice(LOCAL_DEPARTMENTS if is_municipality else PROVINCE_DEPARTMENTS)
        if is_municipality:
            dept = dept.replace("人民政府办公室", "人民政府办公厅")
        name = f"{province}{dept}"
        return Agency(name, level, False, region, _dept_self_ref(rng, dept), dept, name, _website(rng))
    if level in ("prefecture", "prefecture_dept"):
        assert city is not None
        region = Region(province, city, None, county_div.code[:4] + "00")
        if is_summary:
            whole = {"市": "全市", "州": "全州", "盟": "全盟"}.get(city[-1], "全区")
            return Agency(city, level, True, region, whole, city,
                          f"{city}人民政府办公室", _website(rng))
        if level == "prefecture":
            return Agency(f"{city}人民政府", level, False, region, "市政府", f"{city}人民政府", f"{city}人民政府",
                          _website(rng))
        dept = rng.choice(LOCAL_DEPARTMENTS + ("人民政府办公室",))
        name = f"{city}{dept}"
        return Agency(name, level, False, region, _dept_self_ref(rng, dept), dept, name, _website(rng))
    region = Region(province, city, county, county_div.code)
    prefix = f"{city}{county}" if (county.endswith("区") and city and rng.random() < 0.5) else county
    if level == "county":
        if is_summary:
            return Agency(county, level, True, region, "全" + county[-1], county, f"{county}人民政府办公室",
                          _website(rng))
        return Agency(f"{prefix}人民政府", level, False, region, "我" + county[-1], f"{county}人民政府",
                      f"{prefix}人民政府", _website(rng))
    if level == "county_dept":
        dept = rng.choice(LOCAL_DEPARTMENTS + ("人民政府办公室",) * 3)
        name = f"{prefix}{dept}"
        return Agency(name, level, False, region, _dept_self_ref(rng, dept), dept, name, _website(rng))
    town, suffix = _town_name(rng, county)
    office = "办事处" if suffix == "街道" else "人民政府"
    name = f"{prefix}{town}{office}"
    self_ref = {"街道": "我街道", "镇": "我镇", "乡": "我乡"}[suffix]
    return Agency(name, "township", False, region, self_ref, town, name, _website(rng))


def _dept_self_ref(rng: random.Random, dept: str) -> str:
    if dept.endswith("办公室") or dept.endswith("办公厅"):
        return rng.choice(("本机关", "我办", "政府办"))
    if dept.endswith("委员会"):
        return rng.choice(("本机关", "我委"))
    return rng.choice(("本机关", "我" + dept[-1], "本单位"))


def _website(rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "www." + "".join(rng.choice(letters) for _ in range(rng.randint(4, 8))) + ".gov.cn"


def sample_agencies(rng: random.Random, n: int) -> list[Agency]:
    """``n`` distinct agencies with the level mix of LEVEL_WEIGHTS (plus summary reports)."""
    kinds: list[tuple[str, bool]] = [(lv, False) for lv in LEVEL_WEIGHTS] + [(lv, True) for lv in SUMMARY_WEIGHTS]
    weights = list(LEVEL_WEIGHTS.values()) + list(SUMMARY_WEIGHTS.values())
    seen: set[str] = set()
    out: list[Agency] = []
    attempts = 0
    while len(out) < n and attempts < n * 20:
        attempts += 1
        level, is_summary = rng.choices(kinds, weights)[0]
        agency = make_agency(rng, level, is_summary=is_summary)
        if agency.name in seen:
            continue
        seen.add(agency.name)
        out.append(agency)
    if len(out) < n:
        logger.warning("only %d distinct agencies after %d attempts", len(out), attempts)
    return out


def province_names() -> tuple[str, ...]:
    return tuple(p.name for p in load_divisions()[0])
