"""Staging the raw zone: seeds ingested, parsed once per (sha256, parser_version), failures kept as data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from staging_factory import sha

from xxgk import PARSER_VERSION
from xxgk.ingest import ingest
from xxgk.parsing.model import ParsedReport
from xxgk.staging.build import manifest_objects, stage_lake
from xxgk.staging.frames import RawObject
from xxgk.staging.read import read_staging_table
from xxgk.staging.stage import parse_time_limit, pending, raw_objects, stage_batch, staged_pairs
from xxgk.storage import LocalStore

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def seeded_lake(local_lake: LocalStore) -> LocalStore:
    ingest([str(p) for p in sorted(SAMPLES.glob("*.txt"))], local_lake)
    return local_lake


def test_seeds_are_staged_once_and_skipped_on_the_next_run(seeded_lake: LocalStore) -> None:
    first = stage_lake(seeded_lake, batch_size=2)
    assert (first.n_pending, first.n_staged, first.n_quarantined, len(first.batches)) == (5, 5, 0, 3)
    again = stage_lake(seeded_lake, batch_size=2)
    assert (again.n_pending, len(again.batches)) == (0, 0)
    bumped = stage_lake(seeded_lake, parser_version="999")
    assert bumped.n_staged == 5
    assert {v for _, v in staged_pairs(seeded_lake)} == {PARSER_VERSION, "999"}
    assert len(staged_pairs(seeded_lake)) == 10


def test_staged_seed_values_match_the_spec(seeded_lake: LocalStore) -> None:
    stage_lake(seeded_lake)
    reports = read_staging_table(seeded_lake, "reports")
    assert sorted(reports["agency_name"].dropna()) == sorted([
        "乌恰县乌恰镇人民政府", "霍邱县扈胡镇人民政府", "伊川县半坡镇人民政府", "西夏区人民政府办公室",
        "托里县人民政府",
    ])
    t2 = read_staging_table(seeded_lake, "table2_cells")
    t3 = read_staging_table(seeded_lake, "table3_cells")
    by_agency = reports.set_index("source_sha256")["agency_name"]
    t2["agency"] = t2["source_sha256"].map(by_agency)
    t3["agency"] = t3["source_sha256"].map(by_agency)
    tuoli = t2[t2["agency"] == "托里县人民政府"].set_index("row_key")["value"]
    assert (tuoli["licensing"], tuoli["punishment"], tuoli["fees_wan_yuan"]) == (38540, 33569, 1356)
    xixia = t3[(t3["agency"] == "西夏区人民政府办公室") & (t3["col_key"] == "total")].set_index("row_key")["value"]
    assert (xixia["new_received"], xixia["granted"], xixia["reject_repeat"]) == (9, 8, 1)
    derived = t3[(t3["agency"] == "托里县人民政府") & (t3["status"] == "derived")]
    assert "table3.other_other.total" in set(derived["cell_id"])
    no_tables = t3[t3["agency"] == "霍邱县扈胡镇人民政府"]
    assert set(no_tables["status"]) == {"absent"} and no_tables["value"].isna().all()


def test_a_missing_raw_object_or_a_parser_crash_is_a_failed_report(local_lake: LocalStore) -> None:
    def crash(data: bytes, name: str | None) -> ParsedReport:
        raise RuntimeError("parser bug")

    result = stage_batch(local_lake, [RawObject(sha("gone"))], "1")
    assert result.n_staged == 1
    reports = read_staging_table(local_lake, "reports")
    assert list(reports["parse_status"]) == ["failed"]
    local_lake.put_bytes(f"raw/{sha('x')[:2]}/{sha('x')}", b"x")
    assert stage_batch(local_lake, [RawObject(sha("x"))], "1", parser=crash).n_staged == 1
    issues = read_staging_table(local_lake, "parse_issues")
    assert any("parser bug" in m for m in issues["message"])


def test_pending_skips_what_is_staged_for_this_parser_version(seeded_lake: LocalStore) -> None:
    objects = manifest_objects(seeded_lake)
    assert len(objects) == 5
    stage_batch(seeded_lake, objects[:2], "1")
    assert [o.sha256 for o in pending(seeded_lake, objects, "1")] == [o.sha256 for o in objects[2:]]
    assert len(pending(seeded_lake, objects, "2")) == 5


def test_manifest_rows_become_one_raw_object_per_hash() -> None:
    manifest = pd.DataFrame({"sha256": ["a" * 64, "a" * 64, "b" * 64], "source": ["/x/1.txt", "/x/2.txt", None],
                             "final_url": [None, None, "https://g.cn/r"], "year_hint": [2022, None, pd.NA],
                             "agency_hint": [None, None, "某局"]})
    objs = raw_objects(manifest)
    assert [(o.sha256[0], o.source, o.source_url, o.year_hint, o.agency_hint) for o in objs] == [
        ("a", "/x/1.txt", None, 2022, None), ("b", None, "https://g.cn/r", None, "某局")]


def _slow_on_marker(data: bytes, name: str | None) -> ParsedReport:
    import time

    from xxgk.parsing.report import parse_bytes

    if b"SLOW" in data:
        time.sleep(30)
    return parse_bytes(data, name)


def test_a_report_that_parses_too_long_fails_alone_and_the_batch_goes_on(local_lake: LocalStore) -> None:
    objects = []
    for text in (b"SLOW report", (SAMPLES / "003_909bdb628b56722c.txt").read_bytes(), b"another SLOW one",
                 (SAMPLES / "000_c83f577ff4b57759.txt").read_bytes()):
        digest = sha(text.decode())
        local_lake.put_bytes(f"raw/{digest[:2]}/{digest}", text)
        objects.append(RawObject(digest, name="r.txt"))
    result = stage_batch(local_lake, objects, "1", parser=_slow_on_marker, time_limit=1.0)
    assert result.n_staged == 4
    reports = read_staging_table(local_lake, "reports").set_index("source_sha256")
    assert [reports.loc[o.sha256, "parse_status"] for o in objects] == ["failed", "ok", "failed", "ok"]
    issues = read_staging_table(local_lake, "parse_issues")
    assert sum("longer than 1 s" in m for m in issues["message"]) == 2
    assert reports.loc[objects[1].sha256, "agency_name"] == "西夏区人民政府办公室"


def test_the_parse_time_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_PARSE_TIMEOUT", "7.5")
    assert parse_time_limit() == 7.5
    monkeypatch.setenv("XXGK_PARSE_TIMEOUT", "0")
    assert parse_time_limit() is None
    monkeypatch.setenv("XXGK_PARSE_TIMEOUT", "soon")
    assert parse_time_limit() == 120.0


def _dies_on_marker(data: bytes, name: str | None) -> ParsedReport:
    import os

    from xxgk.parsing.report import parse_bytes

    if b"DIE" in data:
        os._exit(3)  # as a crash of a native reader would
    return parse_bytes(data, name)


def test_a_report_that_takes_its_process_down_fails_alone_and_the_sandbox_is_reused(local_lake: LocalStore) -> None:
    from xxgk.staging import stage

    objects = []
    for text in ((SAMPLES / "003_909bdb628b56722c.txt").read_bytes(), b"DIE here", (SAMPLES / "000_c83f577ff4b57759.txt"
                                                                                   ).read_bytes()):
        digest = sha(text.decode())
        local_lake.put_bytes(f"raw/{digest[:2]}/{digest}", text)
        objects.append(RawObject(digest, name="r.txt"))
    stage.close_sandboxes()
    result = stage_batch(local_lake, objects, "1", parser=_dies_on_marker, time_limit=60.0)
    assert result.n_staged == 3
    reports = read_staging_table(local_lake, "reports").set_index("source_sha256")
    assert [reports.loc[o.sha256, "parse_status"] for o in objects] == ["ok", "failed", "ok"]
    issues = read_staging_table(local_lake, "parse_issues")
    assert any("parser process ended (exit code 3)" in m for m in issues["message"])
    assert len(stage._idle) == 1  # the replacement process waits, warm, for the next batch
    warm = stage._idle[0].process.pid
    stage_batch(local_lake, objects[:1], "2", parser=_dies_on_marker, time_limit=60.0)
    assert [s.process.pid for s in stage._idle] == [warm]
    stage.close_sandboxes()
    assert stage._idle == []


def test_prestarted_sandboxes_wait_warm_and_stage_the_first_batches(seeded_lake: LocalStore) -> None:
    from xxgk.staging import stage

    stage.close_sandboxes()
    stage.prestart_sandboxes(2)
    prestarted = sorted(s.process.pid for s in stage._idle)
    assert len(prestarted) == 2 and all(s.alive() for s in stage._idle)
    objects = manifest_objects(seeded_lake)
    result = stage_batch(seeded_lake, objects, PARSER_VERSION, time_limit=60.0)
    assert result.n_staged == len(objects)
    # the batch ran in a prestarted process, which went back to wait beside the other one: no new process
    assert sorted(s.process.pid for s in stage._idle) == prestarted
    stage.close_sandboxes()
    assert stage._idle == []
