"""What an alert says: a short summary of a failed gate or a failed run, rendered as text, Markdown or JSON.

The summary carries counts per rule, the worst reports and where the full quality report is; it never carries
configuration (and so never a secret).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from xxgk.schema.identities import ERROR, RULES

GATE_FAILED = "gate_failed"
RUN_FAILED = "run_failed"
WORST_REPORTS = 10


@dataclass(frozen=True)
class ReportFailure:
    """One quarantined report: who, which year, which object, how many blocking checks failed and which rules."""

    source_sha256: str
    agency_name: str | None
    report_year: int | None
    failed_checks: int
    rules: tuple[str, ...]


@dataclass(frozen=True)
class AlertSummary:
    kind: str  # GATE_FAILED | RUN_FAILED
    run_id: str
    lake: str | None = None
    release_id: str | None = None
    report_location: str | None = None
    reports_checked: int = 0
    reports_quarantined: int = 0
    counts_per_rule: Mapping[str, int] = field(default_factory=dict)
    worst_reports: tuple[ReportFailure, ...] = ()
    error: str | None = None

    @property
    def title(self) -> str:
        if self.kind == RUN_FAILED:
            return f"xxgk publish run {self.run_id} FAILED"
        return (
            f"xxgk quality gate: {self.reports_quarantined} of {self.reports_checked} reports quarantined "
            f"(run {self.run_id})"
        )

    def to_json_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["title"] = self.title
        out["counts_per_rule"] = dict(self.counts_per_rule)
        out["worst_reports"] = [asdict(r) | {"rules": list(r.rules)} for r in self.worst_reports]
        return out

    def _lines(self, bullet: str) -> list[str]:
        lines: list[str] = []
        if self.error:
            lines.append(f"Error: {self.error}")
        if self.lake:
            lines.append(f"Lake: {self.lake}")
        if self.release_id:
            lines.append(f"Release: {self.release_id}")
        if self.kind == GATE_FAILED:
            lines.append(f"Reports checked: {self.reports_checked}; quarantined: {self.reports_quarantined}")
        if self.counts_per_rule:
            lines.append("Blocking failures per rule (reports):")
            for rule, n in sorted(self.counts_per_rule.items(), key=lambda kv: (-kv[1], kv[0])):
                desc = RULES[rule].description if rule in RULES else ""
                lines.append(f"{bullet}{rule}: {n}" + (f" — {desc}" if desc else ""))
        if self.worst_reports:
            lines.append("Worst reports:")
            for r in self.worst_reports:
                lines.append(
                    f"{bullet}{r.agency_name or '(agency unknown)'} {r.report_year or '(year unknown)'}: "
                    f"{r.failed_checks} failed checks [{', '.join(r.rules)}] sha256 {r.source_sha256[:12]}"
                )
        if self.report_location:
            lines.append(f"Quality report: {self.report_location}")
        return lines

    def render_text(self) -> str:
        return "\n".join([self.title, "", *self._lines("  - ")]) + "\n"

    def render_markdown(self) -> str:
        return "\n".join([f"### {self.title}", "", *self._lines("- ")]) + "\n"


def summarize_results(
    results: Iterable[Mapping[str, Any]],
    *,
    run_id: str,
    lake: str | None = None,
    release_id: str | None = None,
    report_location: str | None = None,
    worst: int = WORST_REPORTS,
    reports_checked: int | None = None,
) -> AlertSummary:
    """Summarise quality-result rows (``source_sha256, agency_name, report_year, rule_id, severity, passed``).

    Passing only the failed rows is enough when ``reports_checked`` is given.
    """
    failed_rules: dict[str, set[str]] = defaultdict(set)
    failed_checks: Counter[str] = Counter()
    who: dict[str, tuple[str | None, int | None]] = {}
    reports: set[str] = set()
    for row in results:
        sha = str(row["source_sha256"])
        reports.add(sha)
        if row.get("severity") != ERROR or bool(row.get("passed")):
            continue
        failed_rules[sha].add(str(row["rule_id"]))
        failed_checks[sha] += 1
        year = row.get("report_year")
        who[sha] = (row.get("agency_name"), int(year) if year is not None and year == year else None)
    per_rule: Counter[str] = Counter(rule for rules in failed_rules.values() for rule in rules)
    ranked = sorted(failed_checks, key=lambda s: (-failed_checks[s], -len(failed_rules[s]), s))[:worst]
    return AlertSummary(
        kind=GATE_FAILED,
        run_id=run_id,
        lake=lake,
        release_id=release_id,
        report_location=report_location,
        reports_checked=len(reports) if reports_checked is None else reports_checked,
        reports_quarantined=len(failed_rules),
        counts_per_rule=dict(sorted(per_rule.items())),
        worst_reports=tuple(
            ReportFailure(s, who[s][0], who[s][1], failed_checks[s], tuple(sorted(failed_rules[s]))) for s in ranked
        ),
    )
