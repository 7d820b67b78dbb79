"""The publication run end to end on a local lake (rule-engine gate; the GE gate is tested in tests/expectations
and tests/flows): quarantined reports are absent from every published mart, warnings travel with the published
row, quality results are queryable in the release's DuckDB file, revisions are logged, alerts go out."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pandas as pd
import publish_builders as pb
import pytest

from xxgk.alerts import load_alert_config
from xxgk.publish import is_complete, read_current, read_manifest
from xxgk.publish.lock import LOCK_KEY
from xxgk.publish.pipeline import GateVerdict, library_gate, publish
from xxgk.quality.checks import CheckThresholds
from xxgk.schema.identities import ERROR
from xxgk.storage import LocalStore

THRESHOLDS = CheckThresholds(max_year=2025)
NO_ALERTS = load_alert_config({})


def _rebuild(frames):
    calls: list[set[str]] = []

    def rebuild(excluded: set[str]) -> dict[str, pd.DataFrame]:
        calls.append(set(excluded))
        return pb.marts_from(frames, excluded)

    return rebuild, calls


def _read_parquet(store: LocalStore, key: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(store.get_bytes(key)))


class _Hook(BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        type(self).bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a: object) -> None:
        pass


def test_publish_quarantines_flags_and_alerts(local_lake: LocalStore) -> None:
    frames = pb.staging(pb.population())
    rebuild, calls = _rebuild(frames)
    handler = type("H", (_Hook,), {"bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        alerts = load_alert_config({"XXGK_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/h"})
        outcome = publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), rebuild=rebuild,
                          release_id="r1", run_id="run-1", thresholds=THRESHOLDS, alert_config=alerts)
    finally:
        server.shutdown()
        server.server_close()
    bad = frames["reports"].set_index("agency_name").loc[pb.BAD_AGENCY, "source_sha256"]
    assert read_current(local_lake) == "r1" and is_complete(local_lake, "r1")
    assert outcome.reports_checked == 7 and outcome.reports_quarantined == 1
    assert calls == [{bad}]
    keys = set(local_lake.list_keys("releases/r1/"))
    for name in ("agency_year", "dim_agency", "region_year", "quality_results", "quarantine"):
        assert f"releases/r1/marts/{name}.parquet" in keys and f"releases/r1/marts/{name}.csv" in keys
    for rel in ("xxgk.duckdb", "data_dictionary.md", "data_dictionary.json", "revisions.csv", "revisions.md",
                "quality_report.html", "_MANIFEST.json"):
        assert f"releases/r1/{rel}" in keys
    ay = _read_parquet(local_lake, "releases/r1/marts/agency_year.parquet")
    assert bad not in set(ay["source_sha256"]) and len(ay) == 6
    warned = ay.set_index("agency_name").loc[pb.WARNED_AGENCY]
    assert warned["quality_warnings"] == "fee_magnitude" and warned["n_quality_warnings"] == 1
    assert set(ay.loc[ay["agency_name"] != pb.WARNED_AGENCY, "quality_warnings"]) == {""}
    region = _read_parquet(local_lake, "releases/r1/marts/region_year.parquet")
    assert region["t3_new_received_total"].sum() == ay["t3_new_received_total"].sum()

    db = Path(local_lake.uri("releases/r1/xxgk.duckdb"))
    con = duckdb.connect(str(db), read_only=True)
    try:
        failing = con.execute("select distinct rule_id, agency_name from marts.quality_results "
                              "where not passed and severity = 'error'").fetchall()
        assert failing == [("I1", pb.BAD_AGENCY)]
        (reason,) = con.execute("select reasons || snippet from marts.quarantine").fetchone()
        assert "I1.research" in reason and "table3.carried_forward.research" in reason
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts'").fetchall()}
        assert tables == {"agency_year", "dim_agency", "region_year", "quality_results", "quarantine"}
    finally:
        con.close()
    dictionary = json.loads(local_lake.get_bytes("releases/r1/data_dictionary.json"))
    cols = {c["name"]: c["description"] for c in dictionary["agency_year"]["columns"]}
    assert cols["t3_new_received_total"].startswith("表三 R01")
    assert read_manifest(local_lake, "r1").meta["reports_quarantined"] == 1

    (body,) = handler.bodies
    assert body["counts_per_rule"] == {"I1": 1} and body["worst_reports"][0]["agency_name"] == pb.BAD_AGENCY
    assert body["report_location"].endswith("releases/r1/quality_report.html")


def test_the_gate_decides_when_it_disagrees_with_the_rule_engine(local_lake: LocalStore) -> None:
    """The rebuild starts on the rule engine's quarantine while the gate runs; when the gate withholds another
    report, the marts are rebuilt without both and the release follows the gate."""
    frames = pb.staging(pb.population())
    rebuild, calls = _rebuild(frames)
    shas = frames["reports"].set_index("agency_name")["source_sha256"]
    bad, warned = shas[pb.BAD_AGENCY], shas[pb.WARNED_AGENCY]

    def stricter_gate(frame, results, run_id) -> GateVerdict:
        verdict = library_gate(frame, results, run_id)
        blocking_column = results.loc[results["severity"] == ERROR, "gate_column"].iloc[0]
        return GateVerdict(engine="stricter", evaluated_columns=verdict.evaluated_columns, success=False,
                           failed=verdict.failed | {(warned, blocking_column)})

    outcome = publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), gate=stricter_gate,
                      rebuild=rebuild, release_id="r1", thresholds=THRESHOLDS, alert_config=NO_ALERTS)
    assert calls == [{bad}, {bad, warned}]
    assert outcome.reports_quarantined == 2
    ay = _read_parquet(local_lake, "releases/r1/marts/agency_year.parquet")
    assert {bad, warned}.isdisjoint(ay["source_sha256"]) and len(ay) == 5


def test_a_gate_passing_everything_publishes_every_report(local_lake: LocalStore) -> None:
    frames = pb.staging(pb.population())
    rebuild, calls = _rebuild(frames)

    def lenient_gate(frame, results, run_id) -> GateVerdict:
        verdict = library_gate(frame, results, run_id)
        return GateVerdict(engine="lenient", evaluated_columns=verdict.evaluated_columns, success=True,
                           failed=frozenset())

    outcome = publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), gate=lenient_gate,
                      rebuild=rebuild, release_id="r1", thresholds=THRESHOLDS, alert_config=NO_ALERTS)
    bad = frames["reports"].set_index("agency_name").loc[pb.BAD_AGENCY, "source_sha256"]
    assert calls == [{bad}]  # started on the engine's quarantine, then not used
    assert outcome.reports_quarantined == 0
    ay = _read_parquet(local_lake, "releases/r1/marts/agency_year.parquet")
    assert bad in set(ay["source_sha256"]) and len(ay) == 7


def test_second_release_logs_revisions_and_nothing_is_sent_without_failures(local_lake: LocalStore) -> None:
    frames = pb.staging(pb.population(with_defects=False))
    rebuild, calls = _rebuild(frames)
    first = publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), rebuild=rebuild, release_id="r1",
                    thresholds=THRESHOLDS, alert_config=NO_ALERTS)
    assert first.reports_quarantined == 0 and calls == [] and first.deliveries == []
    changed = pb.population(with_defects=False)
    frames2 = pb.staging(changed)
    wh = pb.warehouse(frames2)
    wh.marts["agency_year"].loc[0, "t3_new_received_total"] = 999.0
    publish(local_lake, staging=frames2, warehouse=wh, rebuild=rebuild, release_id="r2", thresholds=THRESHOLDS,
            alert_config=NO_ALERTS)
    assert read_current(local_lake) == "r2"
    rev = pd.read_csv(io.BytesIO(local_lake.get_bytes("releases/r2/revisions.csv")), encoding="utf-8-sig")
    changed_rows = rev[rev["change"] == "changed"]
    assert list(changed_rows["column"]) == ["t3_new_received_total"]
    assert float(changed_rows.iloc[0]["new_value"]) == 999.0
    assert "changed: 1" in local_lake.get_bytes("releases/r2/revisions.md").decode()


CRASH_SCRIPT = """
import os, sys
sys.path.insert(0, {tests!r})
import publish_builders as pb
from xxgk.alerts import load_alert_config
from xxgk.publish.pipeline import GateVerdict, library_gate, publish
from xxgk.quality.checks import CheckThresholds
from xxgk.schema.identities import ERROR
from xxgk.storage import LocalStore

def hook(step):
    if step == {step!r}:
        os._exit(17)  # a hard crash: no cleanup, no finally, the lock stays behind

frames = pb.staging(pb.population())
publish(LocalStore({lake!r}), staging=frames, warehouse=pb.warehouse(frames), release_id="r2", hook=hook,
        thresholds=CheckThresholds(max_year=2025), alert_config=load_alert_config({{}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("step", ["file:xxgk.duckdb", "pointer"])
def test_killed_publication_leaves_previous_release_and_a_rerun_completes(local_lake: LocalStore,
                                                                         step: str) -> None:
    frames = pb.staging(pb.population())
    publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), release_id="r1", thresholds=THRESHOLDS,
            alert_config=NO_ALERTS)
    before = {k: local_lake.get_bytes(k) for k in local_lake.list_keys("releases/r1/")}
    script = CRASH_SCRIPT.format(tests=str(Path(__file__).parent), step=step, lake=str(local_lake.root))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ})
    assert proc.returncode == 17, proc.stderr[-2000:]
    assert local_lake.exists(LOCK_KEY), "a hard crash leaves its lock"
    assert read_current(local_lake) == "r1"
    assert {k: local_lake.get_bytes(k) for k in local_lake.list_keys("releases/r1/")} == before
    # the re-run takes over the dead process's lock, clears the leftovers and completes
    outcome = publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), release_id="r3",
                      thresholds=THRESHOLDS, alert_config=NO_ALERTS)
    assert read_current(local_lake) == "r3" and is_complete(local_lake, "r3")
    assert outcome.previous_release == "r1"
    assert not local_lake.exists(LOCK_KEY)
    if step != "pointer":
        assert not any(local_lake.list_keys("releases/r2/"))


def test_a_failed_run_alerts_and_keeps_the_previous_release(local_lake: LocalStore) -> None:
    frames = pb.staging(pb.population(with_defects=False))
    publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), release_id="r1", thresholds=THRESHOLDS,
            alert_config=NO_ALERTS)
    handler = type("H", (_Hook,), {"bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def broken_gate(frame, results, run_id):
        raise RuntimeError("expectation store unavailable")

    try:
        alerts = load_alert_config({"XXGK_ALERT_WECOM_URL": f"http://127.0.0.1:{server.server_address[1]}/w?key=k"})
        with pytest.raises(RuntimeError, match="expectation store unavailable"):
            publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), gate=broken_gate, release_id="r2",
                    run_id="run-broken", thresholds=THRESHOLDS, alert_config=alerts)
    finally:
        server.shutdown()
        server.server_close()
    (body,) = handler.bodies
    assert "run-broken FAILED" in body["markdown"]["content"]
    assert "expectation store unavailable" in body["markdown"]["content"]
    assert read_current(local_lake) == "r1" and not local_lake.exists(LOCK_KEY)


def test_publish_to_s3(s3_bucket: str) -> None:
    from xxgk.storage import open_lake

    store = open_lake(f"s3://{s3_bucket}/lake")
    frames = pb.staging(pb.population())
    outcome = publish(store, staging=frames, warehouse=pb.warehouse(frames), release_id="s1", thresholds=THRESHOLDS,
                      alert_config=NO_ALERTS)
    assert outcome.reports_quarantined == 1
    assert read_current(store) == "s1" and is_complete(store, "s1")
    assert outcome.report_uri == f"s3://{s3_bucket}/lake/releases/s1/quality_report.html"
    ay = pd.read_parquet(io.BytesIO(store.get_bytes("releases/s1/marts/agency_year.parquet")))
    assert pb.BAD_AGENCY not in set(ay["agency_name"])


def test_quarantined_text_report_shows_its_source_lines(local_lake: LocalStore) -> None:
    reports = pb.population()
    frames = pb.staging(reports)
    bad = next(r for r in reports if r.agency_name == pb.BAD_AGENCY)
    lines = [f"第{i}行 内容" for i in range(1, 200)]
    lines[183] = "四、结转下年度继续办理 | 0 | 0 | 3 | 0 | 0 | 0 | 3 |"  # line 184 is where the tests put the cell
    from xxgk.storage.paths import raw_key

    local_lake.put_bytes(raw_key(bad.source_sha256), "\n".join(lines).encode())
    frames["reports"]["media_type"] = "text/plain"
    outcome = publish(local_lake, staging=frames, warehouse=pb.warehouse(frames), release_id="r1",
                      thresholds=THRESHOLDS, alert_config=NO_ALERTS)
    (snippet,) = outcome.quarantine["snippet"]
    assert "— source lines —" in snippet and "  184 | 四、结转下年度继续办理 | 0 | 0 | 3" in snippet
