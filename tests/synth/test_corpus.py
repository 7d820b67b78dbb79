"""xxgk.synth.corpus and ``xxgk synth``: deterministic corpora with consistent carry-over and truth.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

from xxgk.cli import main
from xxgk.schema.keys import TABLE3_PART_COLS
from xxgk.synth.corpus import generate_corpus, parse_years, plan_corpus, write_corpus


def test_parse_years() -> None:
    assert parse_years("2022-2024") == (2022, 2023, 2024)
    assert parse_years("2020,2023") == (2020, 2023)


def test_corpus_is_deterministic_per_seed() -> None:
    a = [(i.file_name, i.data) for i in generate_corpus(30, seed=4)]
    b = [(i.file_name, i.data) for i in generate_corpus(30, seed=4)]
    c = [(i.file_name, i.data) for i in generate_corpus(30, seed=5)]
    assert a == b
    assert a != c
    assert len(a) == 30 and len({n for n, _ in a}) == 30


def test_carry_over_is_consistent_across_years() -> None:
    items = list(generate_corpus(300, seed=6, defect_rate=0.3))
    by_agency: dict[str, list[dict]] = {}
    for item in items:
        by_agency.setdefault(item.truth["agency"], []).append(item.truth)
    pairs = 0
    for truths in by_agency.values():
        for prev, cur in zip(truths, truths[1:], strict=False):
            assert cur["year"] == prev["year"] + 1
            broken = any(d["kind"] == "carry_over_break" for d in cur["defects"])
            prev_missing = prev["table3"]["carried_forward"]["total"] is None or any(
                d["kind"] == "identity_break" for d in prev["defects"])
            cur_missing = cur["table3"]["carried_over"]["total"] is None or any(
                d["kind"] == "identity_break" for d in cur["defects"])
            if broken or prev_missing or cur_missing:
                continue
            for col in TABLE3_PART_COLS:
                now, before = cur["table3"]["carried_over"][col], prev["table3"]["carried_forward"][col]
                if now is not None and before is not None:  # a blank or lost cell is null in the truth
                    assert now == before
            pairs += 1
    assert pairs > 50


def test_plan_covers_n_reports() -> None:
    chains = plan_corpus(101, seed=1, years=(2021, 2022))
    assert sum(len(c.years) for c in chains) == 101
    assert [c.first_index for c in chains] == sorted(c.first_index for c in chains)


def test_parallel_and_serial_writes_are_identical(tmp_path: Path) -> None:
    serial = write_corpus(tmp_path / "a", 250, seed=9, jobs=1)
    parallel = write_corpus(tmp_path / "b", 250, seed=9, jobs=2)
    assert serial.reports == parallel.reports == 250
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_cli_writes_n_files_and_truth(tmp_path: Path, capsys) -> None:
    out = tmp_path / "corpus"
    code = main(["synth", "--n", "40", "--out", str(out), "--seed", "3", "--years", "2020-2023",
                 "--defect-rate", "0.5", "--jobs", "1"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["reports"] == 40
    truths = [json.loads(line) for line in (out / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(truths) == 40
    files = sorted(p.name for p in out.iterdir() if p.name != "truth.jsonl")
    assert files == sorted(t["file"] for t in truths)
    assert {t["format_version"] for t in truths if t["year"] <= 2020} <= {"2019"}
    assert all(t["file"].endswith(".html") == t["serialization"].startswith("html") for t in truths)


def test_cli_rejects_bad_arguments(tmp_path: Path, capsys) -> None:
    assert main(["synth", "--n", "5", "--out", str(tmp_path), "--years", "2024-2020"]) == 2
    assert main(["synth", "--n", "5", "--out", str(tmp_path), "--defect-rate", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "--years" in err and "--defect-rate" in err


def test_carry_over_break_only_against_a_published_carried_forward() -> None:
    """X1 compares with last year's 结转下年度: a break after a report without table 三 could never show."""
    items = list(generate_corpus(600, seed=7, defect_rate=0.6))
    by_agency: dict[str, list[dict]] = {}
    for item in items:
        by_agency.setdefault(item.truth["agency"], []).append(item.truth)
    breaks = 0
    for truths in by_agency.values():
        for prev, cur in zip(truths, truths[1:], strict=False):
            if any(d["kind"] == "carry_over_break" for d in cur["defects"]):
                breaks += 1
                assert not any(d["kind"] == "missing_table" and d["table"] == "table3"
                               for d in prev["defects"] + cur["defects"])
    assert breaks > 5
