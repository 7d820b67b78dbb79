"""Drift: the dbt key macro and yml files are what xxgk.schema renders, and their columns match the keys."""

from __future__ import annotations

from pathlib import Path

import yaml

from xxgk.schema.keys import TABLE2_KEYS, TABLE3_COLS, TABLE3_ROWS, TABLE4_KEYS
from xxgk.schema.tables import TABLE_SPECS
from xxgk.staging.dbt_vars import (
    default_project_dir,
    generated_files,
    group_column_tests,
    grouped_models_yml,
    keys_payload,
)

PROJECT = default_project_dir()


def _models(path: Path) -> dict[str, dict]:
    return {m["name"]: m for m in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]}


def test_generated_files_are_committed_as_rendered() -> None:
    stale = [str(p.relative_to(PROJECT)) for p, text in generated_files(PROJECT).items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert stale == [], f"run `python -m xxgk.staging.dbt_vars`; stale: {stale}"


def test_agency_year_documents_every_canonical_cell_in_order() -> None:
    expected = ([f"t2_{k}" for k in TABLE2_KEYS] + [f"t3_{r}_{c}" for r in TABLE3_ROWS for c in TABLE3_COLS]
                + [f"t4_{k}" for k in TABLE4_KEYS])
    assert len(expected) == 200
    for model in ("agency_year", "region_year"):
        cols = [c["name"] for c in _models(PROJECT / "models/marts/_marts__models.yml")[model]["columns"]]
        wide = [c for c in cols if c[:3] in ("t2_", "t3_", "t4_")]
        assert wide == expected, model
    assert keys_payload()["wide_columns"] == expected


def test_every_model_and_column_has_a_chinese_label_and_a_description() -> None:
    sql_models = {p.stem for p in (PROJECT / "models").rglob("*.sql")} | {p.stem for p in
                                                                           (PROJECT / "models").rglob("*.py")}
    documented: set[str] = set()
    for yml in (PROJECT / "models").glob("*/_*__models.yml"):
        documented |= set(_models(yml))
        if yml.name != f"_{yml.parent.name}__models.yml":
            continue  # a model another stage adds (e.g. the gate's quality_results) keeps its own docs
        for name, model in _models(yml).items():
            assert model["description"].startswith("One row per") or yml.parent.name == "staging", name
            for col in model["columns"]:
                assert col.get("description") and col.get("meta", {}).get("label_zh"), (name, col["name"])
    assert documented == sql_models


def test_staging_sources_and_models_match_the_table_specs() -> None:
    sources = yaml.safe_load((PROJECT / "models/staging/_xxgk__sources.yml").read_text(encoding="utf-8"))
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in sources["sources"][0]["tables"]}
    assert tables == {t: list(s.field_names) for t, s in TABLE_SPECS.items()}
    models = _models(PROJECT / "models/staging/_staging__models.yml")
    assert {n: [c["name"] for c in m["columns"]] for n, m in models.items()} == {
        f"stg_xxgk__{t}": list(s.field_names) for t, s in TABLE_SPECS.items()}
    for t in TABLE_SPECS:
        assert (PROJECT / f"models/staging/stg_xxgk__{t}.sql").exists()


def test_column_not_null_and_accepted_values_become_one_test_of_the_model() -> None:
    document = {"version": 2, "models": [
        {"name": "m", "data_tests": [{"unique_combination_of_columns": {"arguments": {"columns": ["a", "b"]}}}],
         "columns": [
             {"name": "a", "description": "A", "data_tests": ["unique", "not_null"]},
             {"name": "b", "data_tests": [{"accepted_values": {"arguments": {"values": ["x", "y"]}}}, "not_null"]},
             {"name": "c", "data_tests": [{"accepted_values": {"arguments": {"values": ["z"]},
                                                               "config": {"severity": "warn"}}}]},
             {"name": "d", "data_tests": [{"relationships": {"arguments": {"to": "ref('n')", "field": "d"}}}]},
             {"name": "e"}]},
        {"name": "n", "columns": [{"name": "d", "data_tests": ["unique"]}]},
    ]}
    grouped = group_column_tests(document)
    m, n = grouped["models"]
    assert m["data_tests"] == [
        {"unique_combination_of_columns": {"arguments": {"columns": ["a", "b"]}}},
        {"column_values_valid": {"name": "column_values_valid_m",
                                 "arguments": {"not_null": ["a", "b"], "accepted_values": {"b": ["x", "y"]}}}}]
    assert [c.get("data_tests") for c in m["columns"]] == [
        ["unique"], None, document["models"][0]["columns"][2]["data_tests"],  # a test with a config stays
        document["models"][0]["columns"][3]["data_tests"], None]
    assert m["columns"][0]["description"] == "A" and n == document["models"][1]  # nothing else changes
    assert document["models"][0]["columns"][0]["data_tests"] == ["unique", "not_null"]  # the input is left alone


def test_grouped_files_keep_their_header_and_every_column_doc() -> None:
    text = ("# generated: do not edit\nversion: 2\nmodels:\n  - name: m\n    description: >-\n      One row\n"
            "      per thing\n    columns:\n      - name: a\n        meta: {label_zh: 甲}\n"
            "        data_tests: [not_null]\n")
    out = grouped_models_yml(text)
    assert out.startswith("# generated: do not edit\n")
    model = yaml.safe_load(out)["models"][0]
    assert model["description"] == "One row per thing"
    assert model["columns"] == [{"name": "a", "meta": {"label_zh": "甲"}}]
    assert model["data_tests"] == [{"column_values_valid": {"name": "column_values_valid_m",
                                                            "arguments": {"not_null": ["a"]}}}]
