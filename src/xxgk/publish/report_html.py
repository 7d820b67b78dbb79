"""The human-readable quality report of a release: one static HTML page, inline CSS and SVG, no external assets.

It shows pass rates per rule (table and bar chart), the quarantined reports with their reasons and the offending
source snippet, the warnings that travel with published rows, and coverage by administrative level and region.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jinja2
import pandas as pd

from xxgk.quality.results import decoded
from xxgk.schema.identities import ERROR, RULES

COLORS = {"pass": "#2e7d32", "error": "#c62828", "warning": "#ef6c00", "published": "#1565c0",
          "quarantined": "#c62828", "grid": "#dddddd"}


@dataclass(frozen=True)
class QualityReportData:
    run_id: str
    release_id: str | None
    results: pd.DataFrame
    quarantine: pd.DataFrame  # source_sha256, agency_name, report_year, rules, failed_checks, reasons, snippet
    coverage: pd.DataFrame | None = None  # source_sha256, level, region, is_published
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    data_docs_href: str | None = "data_docs/index.html"


def rule_pass_rates(results: pd.DataFrame) -> pd.DataFrame:
    """Per rule: checks run, failed, pass rate, reports failing; blocking rules first, then by rule id."""
    if results.empty:
        return pd.DataFrame(columns=["rule_id", "severity", "description", "checks", "failed", "pass_rate",
                                     "reports_failed"])
    g = results.groupby("rule_id", observed=True)
    out = pd.DataFrame({
        "checks": g.size(),
        "failed": g["passed"].apply(lambda s: int((~s.astype(bool)).sum())),
        "reports_failed": g.apply(lambda d: d.loc[~d["passed"].astype(bool), "source_sha256"].nunique(),
                                  include_groups=False),
    }).reset_index()
    out["rule_id"] = out["rule_id"].astype(str)
    out["severity"] = out["rule_id"].map(lambda r: RULES[r].severity if r in RULES else "?")
    out["description"] = out["rule_id"].map(lambda r: RULES[r].description if r in RULES else "")
    out["pass_rate"] = 1 - out["failed"] / out["checks"]
    out["_order"] = out["severity"].map({ERROR: 0}).fillna(1)
    return out.sort_values(["_order", "rule_id"]).drop(columns="_order").reset_index(drop=True)[
        ["rule_id", "severity", "description", "checks", "failed", "pass_rate", "reports_failed"]]


def svg_bar_chart(labels: Sequence[str], values: Sequence[float], *, colors: Sequence[str], title: str,
                  max_value: float | None = None, value_format: str = "{:.1%}", width: int = 640) -> str:
    """A horizontal bar chart as inline SVG (one bar per label)."""
    bar_h, gap, left, right = 18, 6, 170, 70
    height = len(labels) * (bar_h + gap) + 30
    top = max_value if max_value is not None else max([*values, 1e-9])
    inner = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" class="chart"><title>{html.escape(title)}</title>']
    for i, (label, value, color) in enumerate(zip(labels, values, colors, strict=True)):
        y = 20 + i * (bar_h + gap)
        w = 0 if top <= 0 else max(0.0, min(1.0, value / top)) * inner
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="12">{html.escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{inner}" height="{bar_h}" fill="{COLORS["grid"]}"/>')
        parts.append(f'<rect class="bar" data-label="{html.escape(label)}" x="{left}" y="{y}" width="{w:.1f}" '
                     f'height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{left + inner + 6}" y="{y + 13}" font-size="12">'
                     f'{html.escape(value_format.format(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_stacked_chart(labels: Sequence[str], published: Sequence[int], quarantined: Sequence[int], *, title: str,
                      width: int = 640) -> str:
    """Horizontal stacked bars: published and quarantined reports per group."""
    bar_h, gap, left, right = 18, 6, 170, 90
    height = len(labels) * (bar_h + gap) + 30
    top = max([p + q for p, q in zip(published, quarantined, strict=True)] + [1])
    inner = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" class="chart"><title>{html.escape(title)}</title>']
    for i, (label, p, q) in enumerate(zip(labels, published, quarantined, strict=True)):
        y = 20 + i * (bar_h + gap)
        wp, wq = p / top * inner, q / top * inner
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="12">{html.escape(label)}</text>')
        parts.append(f'<rect class="bar published" x="{left}" y="{y}" width="{wp:.1f}" height="{bar_h}" '
                     f'fill="{COLORS["published"]}"/>')
        parts.append(f'<rect class="bar quarantined" x="{left + wp:.1f}" y="{y}" width="{wq:.1f}" height="{bar_h}" '
                     f'fill="{COLORS["quarantined"]}"/>')
        parts.append(f'<text x="{left + wp + wq + 6:.1f}" y="{y + 13}" font-size="12">{p} / {q}</text>')
    parts.append("</svg>")
    return "".join(parts)


def coverage_table(coverage: pd.DataFrame | None, by: str) -> pd.DataFrame:
    if coverage is None or coverage.empty or by not in coverage.columns:
        return pd.DataFrame(columns=[by, "published", "quarantined", "total"])
    c = coverage.assign(**{by: coverage[by].fillna("(unknown)").astype(str)})
    g = c.groupby(by)["is_published"]
    out = pd.DataFrame({"published": g.sum().astype(int), "total": g.size()}).reset_index()
    out["quarantined"] = out["total"] - out["published"]
    return out.sort_values(["total", by], ascending=[False, True]).reset_index(drop=True)[
        [by, "published", "quarantined", "total"]]


_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>xxgk quality report {{ d.release_id or d.run_id }}</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em} td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}
th{background:#f3f3f3;text-align:left} .num{text-align:right} .error{color:#c62828;font-weight:bold} .warning{color:#ef6c00}
.kpi{display:inline-block;margin:0 2em .5em 0} .kpi b{font-size:1.6em;display:block}
pre.snippet{margin:0;white-space:pre-wrap;font-size:.85em;background:#fafafa;max-width:420px}
code{font-size:.85em}
</style></head><body>
<h1>质量报告 · Quality report</h1>
<p>Release <code id="release-id">{{ d.release_id or "(not published)" }}</code> · run <code>{{ d.run_id }}</code> · generated {{ d.generated_at }}</p>
<section id="summary">
<div class="kpi"><b id="n-reports">{{ n_reports }}</b>reports checked</div>
<div class="kpi"><b id="n-published">{{ n_published }}</b>published</div>
<div class="kpi"><b id="n-quarantined" class="error">{{ n_quarantined }}</b>quarantined</div>
<div class="kpi"><b id="n-warned" class="warning">{{ n_warned }}</b>published with warnings</div>
</section>

<h2>Pass rate per rule</h2>
{{ rates_chart | safe }}
<table id="rule-pass-rates"><thead><tr><th>rule</th><th>severity</th><th>meaning</th><th class="num">checks</th><th class="num">failed</th><th class="num">pass rate</th><th class="num">reports failing</th></tr></thead><tbody>
{% for r in rates %}<tr data-rule="{{ r.rule_id }}"><td><code>{{ r.rule_id }}</code></td><td class="{{ r.severity }}">{{ r.severity }}</td><td>{{ r.description }}</td><td class="num">{{ r.checks }}</td><td class="num">{{ r.failed }}</td><td class="num">{{ "%.1f%%"|format(100 * r.pass_rate) }}</td><td class="num">{{ r.reports_failed }}</td></tr>
{% endfor %}</tbody></table>

<h2>Quarantined reports ({{ n_quarantined }})</h2>
<p>These reports failed at least one blocking rule and are absent from the published marts.</p>
{% if quarantine %}<table id="quarantined"><thead><tr><th>agency</th><th>year</th><th>source</th><th>rules</th><th>reasons</th><th>offending source snippet</th></tr></thead><tbody>
{% for q in quarantine %}<tr data-sha="{{ q.source_sha256 }}"><td>{{ q.agency_name or "(unknown)" }}</td><td>{{ q.report_year if q.report_year is not none else "(unknown)" }}</td><td><code title="{{ q.source_sha256 }}">{{ q.source_sha256[:12] }}</code></td><td class="error">{{ q.rules }}</td><td>{{ q.reasons }}</td><td><pre class="snippet">{{ q.snippet }}</pre></td></tr>
{% endfor %}</tbody></table>{% else %}<p id="no-quarantine">No report was quarantined.</p>{% endif %}

<h2>Warnings on published reports</h2>
{% if warnings %}<table id="warnings"><thead><tr><th>agency</th><th>year</th><th>rule</th><th>check</th><th>message</th></tr></thead><tbody>
{% for w in warnings %}<tr><td>{{ w.agency_name or "(unknown)" }}</td><td>{{ w.report_year if w.report_year is not none else "" }}</td><td class="warning">{{ w.rule_id }}</td><td><code>{{ w.check_name }}</code></td><td>{{ w.message }}</td></tr>
{% endfor %}</tbody></table>{% if n_warning_rows > warnings|length %}<p>… {{ n_warning_rows - warnings|length }} more in <code>marts/quality_results</code>.</p>{% endif %}
{% else %}<p>No warnings.</p>{% endif %}

<h2>Coverage</h2>
<h3>By administrative level</h3>
{{ level_chart | safe }}
<table id="coverage-level"><thead><tr><th>level</th><th class="num">published</th><th class="num">quarantined</th><th class="num">total</th></tr></thead><tbody>
{% for r in by_level %}<tr><td>{{ r.level }}</td><td class="num">{{ r.published }}</td><td class="num">{{ r.quarantined }}</td><td class="num">{{ r.total }}</td></tr>
{% endfor %}</tbody></table>
<h3>By region</h3>
{{ region_chart | safe }}
<table id="coverage-region"><thead><tr><th>region</th><th class="num">published</th><th class="num">quarantined</th><th class="num">total</th></tr></thead><tbody>
{% for r in by_region %}<tr><td>{{ r.region }}</td><td class="num">{{ r.published }}</td><td class="num">{{ r.quarantined }}</td><td class="num">{{ r.total }}</td></tr>
{% endfor %}</tbody></table>
{% if d.data_docs_href %}<p>Great Expectations Data Docs: <a href="{{ d.data_docs_href }}">{{ d.data_docs_href }}</a></p>{% endif %}
</body></html>
""")  # noqa: E501

MAX_WARNING_ROWS = 500


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if (not isinstance(v, str) and pd.isna(v)) else v) for k, v in r.items()}
            for r in df.to_dict("records")]


def render_quality_report(d: QualityReportData) -> str:
    """The quality report as one HTML document."""
    results = d.results
    rates = rule_pass_rates(results)
    n_reports = results["source_sha256"].nunique() if not results.empty else 0
    n_quarantined = len(d.quarantine)
    quarantined = set(d.quarantine["source_sha256"]) if n_quarantined else set()
    warn = (decoded(results[(results["severity"] != ERROR) & ~results["passed"].astype(bool)]) if not results.empty
            else results)
    warn = warn[~warn["source_sha256"].isin(quarantined)] if not warn.empty else warn
    by_level = coverage_table(d.coverage, "level")
    by_region = coverage_table(d.coverage, "region")
    rates_chart = svg_bar_chart(
        list(rates["rule_id"]), list(rates["pass_rate"]), max_value=1.0, title="pass rate per rule",
        colors=[COLORS["error"] if (s == ERROR and f) else COLORS["warning"] if f else COLORS["pass"]
                for s, f in zip(rates["severity"], rates["failed"], strict=True)])
    q = d.quarantine.copy()
    if "snippet" not in q.columns:
        q["snippet"] = ""
    return _TEMPLATE.render(
        d=d,
        n_reports=n_reports,
        n_published=n_reports - n_quarantined,
        n_quarantined=n_quarantined,
        n_warned=warn["source_sha256"].nunique() if not warn.empty else 0,
        rates=_records(rates),
        rates_chart=rates_chart,
        quarantine=_records(q),
        warnings=_records(warn.head(MAX_WARNING_ROWS)) if not warn.empty else [],
        n_warning_rows=len(warn),
        by_level=_records(by_level),
        by_region=_records(by_region),
        level_chart=svg_stacked_chart(list(by_level["level"]), list(by_level["published"]),
                                      list(by_level["quarantined"]), title="reports by level") if len(by_level) else "",
        region_chart=svg_stacked_chart(list(by_region["region"].head(40)), list(by_region["published"].head(40)),
                                       list(by_region["quarantined"].head(40)), title="reports by region")
        if len(by_region) else "",
    )
