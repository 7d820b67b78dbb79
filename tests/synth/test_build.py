"""xxgk.synth.build and defects: identities hold unless a break was planted; truth says exactly what was planted."""

from __future__ import annotations

import json
import random

import pytest

from xxgk.schema.identities import RULES, all_identities
from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS
from xxgk.synth import DEFECT_KINDS, Report, random_report, render, truth_dict
from xxgk.synth.model import flat_cells


def _broken(report: Report) -> set[str]:
    cells = flat_cells(report.values)
    out = set()
    for ident in all_identities(report.format_version):
        vals = [cells[c] for c in ident.cells]
        if any(v is None for v in vals):
            continue
        if sum(cells[c] for c in ident.left) != sum(cells[c] for c in ident.right):
            out.add(ident.rule_id)
    return out


def test_identities_hold_unless_a_break_was_planted() -> None:
    rng = random.Random(200)
    seen_breaks = 0
    for _ in range(400):
        report = random_report(rng, defects=True, defect_rate=0.6)
        broken = _broken(report)
        planted = [d for d in report.defects if d.kind == "identity_break"]
        if planted:
            seen_breaks += 1
            assert planted[0].rule in broken
            names = planted[0].detail["identities"]
            assert names and {n.split(".")[0] for n in names} == broken
        else:
            assert broken == set(), report.defects
    assert seen_breaks > 10


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_each_defect_kind_is_recorded_with_a_known_rule(kind: str) -> None:
    rng = random.Random(201)
    for _ in range(20):
        report = random_report(rng, defects=(kind,), year=2023, level="county")
        truth = truth_dict(report)
        kinds = [d["kind"] for d in truth["defects"]]
        if kind == "carry_over_break":  # needs a previous year: only the corpus plants it
            assert kind not in kinds
            continue
        assert kind in kinds
        for d in truth["defects"]:
            assert d["rule"] is None or d["rule"] in RULES
            assert d["kind"] in DEFECT_KINDS
        render(report)  # every defect renders


def test_derived_cells_are_the_intended_values() -> None:
    rng = random.Random(202)
    checked = 0
    for _ in range(300):
        report = random_report(rng, defects=True, defect_rate=1.0)
        truth = truth_dict(report)
        if any(d["kind"] == "identity_break" for d in truth["defects"]):
            continue
        for cid, value in truth["derived"].items():
            table, row, *col = cid.split(".")
            intended = report.intended.table3[row][col[0]] if table == "table3" else report.intended.table4[row]
            assert value == intended, cid
            assert truth[table][row][col[0]] is None if table == "table3" else truth[table][row] is None
            checked += 1
        for d in truth["defects"]:
            if d["kind"] in ("blank_cell", "missing_row") or (d["kind"] == "lost_column"):
                assert all(c in truth["derived"] for c in d["cells"]), d
    assert checked > 50


def test_missing_table_is_null_and_not_derived() -> None:
    rng = random.Random(203)
    for _ in range(30):
        report = random_report(rng, defects=("missing_table",))
        truth = truth_dict(report)
        for d in truth["defects"]:
            table = d["table"]
            values = truth[table].values() if table != "table3" else [
                v for row in truth[table].values() for v in row.values()]
            assert all(v is None for v in values)
            assert not any(k.startswith(table + ".") for k in truth["derived"])


def test_truth_has_the_contract_shape() -> None:
    report = random_report(random.Random(204), level="township", year=2024)
    truth = json.loads(json.dumps(truth_dict(report, file="x.txt"), ensure_ascii=False))
    assert truth["file"] == "x.txt"
    assert list(truth["table2"]) == list(TABLE2_KEYS)
    assert list(truth["table3"]) == list(TABLE3_ROWS)
    assert all(list(row) == list(TABLE3_COLS) for row in truth["table3"].values())
    assert list(truth["table4"]) == list(TABLE4_KEYS)
    assert truth["format_version"] == "2021" and truth["year"] == 2024
    assert len(truth["region"]["code"]) == 6
    assert truth["defects"] == [] and truth["derived"] == {}
    assert truth["fee"]["status"] in ("none", "charged", "not_stated")


def test_2019_layout_truth() -> None:
    report = random_report(random.Random(205), year=2020, level="county")
    truth = truth_dict(report)
    assert truth["format_version"] == "2019"
    assert truth["table3"]["other_overdue_correction"]["total"] is None
    assert truth["statuses"]["table3.other_overdue_fee.total"] == "na"
    assert truth["table2"]["regulations_made"] is None and isinstance(truth["table2"]["licensing"], int)
    assert "x2019_procurement_items" in truth["extensions"]


def test_late_2019_layout_defect() -> None:
    report = random_report(random.Random(206), year=2023, defects=("format_2019_late",))
    assert report.format_version == "2019"
    assert truth_dict(report)["defects"][0]["rule"] == "format_2019_late"


def test_spam_and_fee_magnitude_show_in_the_output() -> None:
    rng = random.Random(207)
    report = random_report(rng, defects=("spam", "fee_magnitude"), level="township", year=2022,
                           serialization="pipe_rows")
    text = render(report).decode()
    spam = next(d for d in report.defects if d.kind == "spam")
    assert spam.detail["phrase"] in text
    assert report.table2["fees_wan_yuan"] >= 10_000


def test_defects_in_missing_tables_are_not_recorded() -> None:
    """A defect that lives in a table the report lost reaches no reader: it is not planted (or not recorded)."""
    from xxgk.synth.defects import missing_tables

    rng = random.Random(208)
    seen = 0
    for _ in range(200):
        kinds = rng.choice((("fee_magnitude", "missing_table"), ("format_2019_late", "glued_digits", "missing_table")))
        report = random_report(rng, defects=kinds, year=2023)
        gone = missing_tables(report.defects)
        planted = {d.kind for d in report.defects}
        seen += len(gone) == 3
        if "table2" in gone:
            assert "fee_magnitude" not in planted
        if {"table2", "table3"} <= gone:
            assert "format_2019_late" not in planted
        if {"table3", "table4"} <= gone:
            assert "glued_digits" not in planted
    assert seen > 5


@pytest.mark.parametrize("level", ["township", "county"])
def test_fee_magnitude_is_always_beyond_a_plausible_amount(level: str) -> None:
    """A fee in 元 only shows when its figure exceeds what a 万元 amount can plausibly be for that agency (format-spec
    §2): 10^4 万元 for a township, 10^6 for larger agencies, as the parser and the gate judge it."""
    from xxgk.schema.limits import fee_limit_wan_yuan

    rng = random.Random(209)
    for _ in range(60):
        report = random_report(rng, defects=("fee_magnitude",), level=level, year=2023)
        assert report.values.table2["fees_wan_yuan"] > fee_limit_wan_yuan(report.agency.name)
