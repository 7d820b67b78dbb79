"""xxgk.synth.population: real regions, plausible agency names, the right level mix."""

from __future__ import annotations

import random
import re
from collections import Counter

from xxgk.synth.population import LEVELS, load_divisions, make_agency, province_names, sample_agencies


def test_divisions_come_from_cpca_with_six_digit_codes() -> None:
    provinces, cities, counties = load_divisions()
    assert len(provinces) == 31  # mainland provinces, autonomous regions and municipalities
    assert "广东省" in province_names() and "台湾省" not in province_names()
    assert len(counties) > 2500
    assert all(re.fullmatch(r"\d{6}", d.code) for d in provinces + cities + counties)


def test_agency_names_follow_the_usual_patterns() -> None:
    rng = random.Random(7)
    patterns = {
        "province": r".+(省|市|自治区)人民政府",
        "prefecture": r".+(市|州|盟|地区)人民政府",
        "county": r".+(县|区|市|旗)人民政府",
        "township": r".+(镇人民政府|乡人民政府|街道办事处)",
    }
    for level, pattern in patterns.items():
        for _ in range(30):
            agency = make_agency(rng, level)
            if agency.level != level:  # a 直辖市 district cannot be a prefecture: it falls back to county
                continue
            assert re.fullmatch(pattern, agency.name), agency.name
            assert agency.region.province in province_names()
            assert re.fullmatch(r"\d{6}", agency.region.code)


def test_summary_reports_name_the_region() -> None:
    rng = random.Random(8)
    agency = make_agency(rng, "prefecture", is_summary=True)
    assert agency.is_summary
    assert not agency.name.endswith("人民政府")


def test_sample_agencies_is_distinct_and_mixed() -> None:
    agencies = sample_agencies(random.Random(9), 600)
    assert len({a.name for a in agencies}) == 600
    levels = Counter(a.level for a in agencies)
    assert set(levels) == set(LEVELS)
    assert levels["township"] > levels["province"]
    assert any(a.is_summary for a in agencies)
