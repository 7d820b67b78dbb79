"""The Great Expectations suites are generated from the schema, and the publication_gate checkpoint fails exactly
the planted rule for exactly the planted report; blocking failures quarantine, warnings publish with their flag
(one gate run over one population with a defect per agency: GX costs seconds per run)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: `expectations` package

from expectations.custom import RESIDUAL_EXPECTATIONS  # noqa: E402
from expectations.gate import make_gate  # noqa: E402
from expectations.suites import build_suites  # noqa: E402
from planted_defects import CLEAN, planted_population  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publish"))
import publish_builders  # noqa: E402

from xxgk.alerts import load_alert_config  # noqa: E402
from xxgk.publish.pipeline import publish  # noqa: E402
from xxgk.quality.checks import CheckThresholds, gate_checks, prepare_inputs, run_checks  # noqa: E402
from xxgk.schema.identities import RULES, all_identities  # noqa: E402

THRESHOLDS = CheckThresholds(max_year=2025)


def test_suites_are_generated_from_the_schema() -> None:
    suites = build_suites(THRESHOLDS)
    assert [s.name for s in suites] == ["agency_year__identities", "agency_year__completeness",
                                        "agency_year__ranges", "agency_year__continuity"]
    expectations = [e for s in suites for e in s.expectations]
    covered = {e.meta["gate_column"] for e in expectations}
    assert covered == {c.gate_column for c in gate_checks()}
    identity_columns = {i.name.replace(".", "__") for v in ("2021", "2019") for i in all_identities(v)}
    assert identity_columns <= covered
    for e in expectations:
        assert type(e).__name__.startswith("Expect")
        assert e.meta["rule"] in RULES and e.meta["severity"] == RULES[e.meta["rule"]].severity
    assert set(RESIDUAL_EXPECTATIONS) | {"one_current_report"} == {c.rule_id for c in gate_checks()}


@pytest.mark.slow
def test_gate_quarantines_blocking_and_publishes_warnings_with_their_flag(local_lake) -> None:
    reports, frames, expected = planted_population()
    outcome = publish(local_lake, staging=frames, warehouse=publish_builders.warehouse(frames),
                      gate=make_gate(THRESHOLDS), release_id="r1", run_id="run-ge", thresholds=THRESHOLDS,
                      alert_config=load_alert_config({}))
    assert outcome.gate_engine == "great_expectations"
    blocking = {sha for sha, (_, b) in expected.items() if b}
    warned = {sha: rule for sha, (rule, b) in expected.items() if not b}
    q = pd.read_parquet(io.BytesIO(local_lake.get_bytes("releases/r1/marts/quarantine.parquet")))
    assert set(q["source_sha256"]) == blocking
    assert dict(zip(q["source_sha256"], q["rules"], strict=True)) == {sha: expected[sha][0] for sha in blocking}
    results = pd.read_parquet(io.BytesIO(local_lake.get_bytes("releases/r1/marts/quality_results.parquet")))
    flags = (results[(results["severity"] == "warning") & ~results["passed"]]
             .groupby("source_sha256")["rule_id"].agg(lambda s: ",".join(sorted(set(s)))).to_dict())
    assert flags == warned
    ay = pd.read_parquet(io.BytesIO(local_lake.get_bytes("releases/r1/marts/agency_year.parquet")))
    published = dict(zip(ay["source_sha256"], ay["quality_warnings"], strict=True))
    assert blocking.isdisjoint(published), "quarantined reports are absent from the published marts"
    assert {sha: published[sha] for sha in warned} == warned, "warnings travel with the published row"
    assert set(published.values()) == set(warned.values()) | {""}
    # GE's verdict, check by check, is the rule engine's (every failed check is exactly the planted rule)
    columns_to_rule = {c.gate_column: c.rule_id for c in gate_checks()}
    failed = results[~results["passed"]]
    assert {(s, columns_to_rule[c]) for s, c in zip(failed["source_sha256"], failed["gate_column"], strict=True)} == {
        (sha, rule) for sha, (rule, _) in expected.items()}
    f = frames
    inputs = prepare_inputs(f["table2_cells"], f["table3_cells"], f["table4_cells"], f["reports"], f["sections"])
    library = run_checks(inputs, run_id="lib", thresholds=THRESHOLDS)
    lib_failed = library[~library["passed"]]
    assert set(zip(lib_failed["source_sha256"], lib_failed["check_name"], strict=True)
               ) == set(zip(failed["source_sha256"], failed["check_name"], strict=True))
    docs = set(local_lake.list_keys("releases/r1/data_docs/"))
    assert "releases/r1/data_docs/index.html" in docs
    assert any(k.startswith("releases/r1/data_docs/validations/agency_year__identities/") for k in docs)
    clean = {r.source_sha256 for r in reports if r.agency_name in CLEAN}
    assert clean.isdisjoint(set(q["source_sha256"]) | set(flags))
