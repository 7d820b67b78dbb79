"""The quality report renders in headless Chromium and shows pass rates, the quarantined reports with their
reasons and source snippet, warnings and coverage, with inline SVG charts and no external assets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import publish_builders as pb
import pytest
from lxml import html as lxml_html

from xxgk.publish.report_html import QualityReportData, render_quality_report, rule_pass_rates
from xxgk.quality.checks import CheckThresholds, prepare_inputs, run_checks
from xxgk.quality.frames import stack_cells
from xxgk.quality.results import offending_snippets, quarantine_reasons

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _report() -> tuple[str, pd.DataFrame]:
    frames = pb.staging(pb.population())
    reports = frames["reports"].assign(
        level=[pb.LEVELS[a][0] for a in frames["reports"]["agency_name"]],
        region=[pb.LEVELS[a][1] for a in frames["reports"]["agency_name"]])
    inputs = prepare_inputs(frames["table2_cells"], frames["table3_cells"], frames["table4_cells"], reports,
                            frames["sections"])
    results = run_checks(inputs, run_id="run-7", thresholds=CheckThresholds(max_year=2025))
    cells = stack_cells(frames["table2_cells"], frames["table3_cells"], frames["table4_cells"])
    quarantine = quarantine_reasons(results).merge(offending_snippets(results, cells), on="source_sha256")
    coverage = reports[["source_sha256", "level", "region"]].assign(
        is_published=~reports["source_sha256"].isin(quarantine["source_sha256"]))
    page = render_quality_report(QualityReportData(run_id="run-7", release_id="20250301T000000Z-abc123",
                                                   results=results, quarantine=quarantine, coverage=coverage))
    return page, results


def test_report_is_self_contained_and_complete() -> None:
    page, results = _report()
    assert not re.search(r"""(?:src|href)=["']https?://""", page), "no external assets"
    doc = lxml_html.fromstring(page)
    assert doc.get_element_by_id("n-quarantined").text == "1"
    rows = doc.xpath('//table[@id="rule-pass-rates"]/tbody/tr/@data-rule')
    assert rows[:4] == ["I1", "I2", "I3", "I4"] and "fee_magnitude" in rows
    rates = rule_pass_rates(results).set_index("rule_id")
    assert rates.loc["I1", "reports_failed"] == 1 and rates.loc["I2", "failed"] == 0


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed (scripts/apt-packages.txt)")
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    page, _ = _report()
    path = tmp_path / "quality_report.html"
    path.write_text(page, encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    doc = lxml_html.fromstring(dom)
    assert doc.get_element_by_id("release-id").text == "20250301T000000Z-abc123"
    (row,) = doc.xpath('//table[@id="quarantined"]/tbody/tr')
    cells = [c.text_content() for c in row.xpath("./td")]
    assert cells[0] == pb.BAD_AGENCY and cells[1] == "2024" and cells[3] == "I1"
    assert "I1.research" in cells[4]
    assert "table3.carried_forward.research" in cells[5] and "@ line" in cells[5]
    warnings = doc.xpath('//table[@id="warnings"]/tbody/tr/td[3]/text()')
    assert warnings == ["fee_magnitude"]
    levels = {r.xpath("./td[1]")[0].text: [int(x.text) for x in r.xpath("./td[position()>1]")]
              for r in doc.xpath('//table[@id="coverage-level"]/tbody/tr')}
    assert levels == {"county": [3, 1, 4], "township": [3, 0, 3]}
    svgs = doc.xpath("//svg")
    assert len(svgs) == 3 and len(doc.xpath('//svg[1]//*[@class="bar"]')) == len(
        doc.xpath('//table[@id="rule-pass-rates"]/tbody/tr'))
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", path.as_uri()], capture_output=True, timeout=120,
                   check=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
