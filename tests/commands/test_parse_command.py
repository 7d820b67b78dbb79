"""``xxgk parse``: JSON for one file, JSON Lines with ``path`` for several, a readable summary otherwise, and an exit
status that is 0 only when no report has an error-severity issue."""

from __future__ import annotations

import json
from pathlib import Path

from xxgk.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SEED003 = next(SAMPLES.glob("003_*.txt"))
SEED001 = next(SAMPLES.glob("001_*.txt"))


def test_one_file_prints_one_json_object(capsys):
    assert main(["parse", "--json", str(SEED003)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert "path" not in obj
    assert obj["table3"]["new_received"]["total"] == 9
    assert set(obj) >= {"agency", "year", "format_version", "table2", "table3", "table4", "derived", "issues"}


def test_a_folder_prints_json_lines_with_paths_and_fails_on_seed001(capsys):
    assert main(["parse", "--json", str(SAMPLES)]) == 1
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(Path(o["path"]).name[:3] for o in objs) == ["000", "001", "002", "003", "004"]
    bad = [o for o in objs if any(i["severity"] == "error" for i in o["issues"])]
    assert [Path(o["path"]).name[:3] for o in bad] == ["001"]


def test_summary_shows_tables_derived_cells_and_issues(capsys):
    assert main(["parse", str(next(SAMPLES.glob("004_*.txt")))]) == 0
    out = capsys.readouterr().out
    assert "agency: 托里县人民政府" in out and "year: 2021" in out
    assert "licensing" in out and "38540" in out
    assert "(0)" in out  # derived cells are shown in parentheses
    assert "cell_derived" in out


def test_summary_of_a_report_without_tables_exits_nonzero(capsys):
    assert main(["parse", str(SEED001)]) == 1
    out = capsys.readouterr().out
    assert "table_missing" in out and "spam_detected" in out
