"""Writing batches: Parquet per table and year, idempotent by batch, all-or-nothing with a quarantine record."""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow.parquet as pq
from staging_factory import make_report, outcome

from xxgk.schema.tables import TABLE_SPECS
from xxgk.staging.frames import frames_for
from xxgk.staging.stage import quarantined_shas, stage_outcomes, staged_pairs
from xxgk.staging.write import (
    NULL_PARTITION,
    arrow_schema,
    arrow_table,
    partition_rows,
    to_parquet_bytes,
    write_batch,
)
from xxgk.storage import LocalStore


def _batch() -> list:
    return [outcome(make_report("银川市西夏区人民政府", 2022)), outcome(make_report("银川市兴庆区人民政府", 2021)),
            outcome(make_report(None, None))]


def _keys(store: LocalStore, prefix: str = "staging/") -> list[str]:
    return list(store.list_keys(prefix))


def test_a_batch_writes_every_table_in_each_year_partition_with_the_spec_schema(local_lake: LocalStore) -> None:
    result = write_batch(local_lake, frames_for(_batch()), "1")
    assert not result.quarantined
    years = {"2021", "2022", NULL_PARTITION}
    assert len(result.written_keys) == len(TABLE_SPECS) * len(years)
    for table in TABLE_SPECS:
        parts = {k.split("/")[2] for k in _keys(local_lake, f"staging/{table}/")}
        assert parts == {f"report_year={y}" for y in years}
    key = next(k for k in result.written_keys if k.startswith("staging/parse_issues/"))
    empty = pq.read_table(io.BytesIO(local_lake.get_bytes(key)))
    assert empty.num_rows == 0 and empty.schema.equals(arrow_schema("parse_issues"), check_metadata=False)
    reports = pq.read_table(io.BytesIO(local_lake.get_bytes(
        next(k for k in result.written_keys if k.startswith("staging/reports/report_year=2022")))))
    assert str(reports.schema.field("publication_date").type) == "date32[day]"


def test_writing_the_same_batch_again_replaces_its_files(local_lake: LocalStore) -> None:
    first = write_batch(local_lake, frames_for(_batch()), "1")
    before = _keys(local_lake)
    second = write_batch(local_lake, frames_for(_batch()), "1")
    assert first.batch_id == second.batch_id and _keys(local_lake) == before
    assert len(staged_pairs(local_lake)) == 3


def test_a_failing_batch_writes_nothing_and_is_quarantined_with_the_reason(local_lake: LocalStore) -> None:
    frames = frames_for(_batch())
    frames["table3_cells"].loc[7, "value"] = -4.0
    bad_sha = frames["table3_cells"].loc[7, "source_sha256"]
    result = write_batch(local_lake, frames, "1")
    assert result.quarantined and result.written_keys == []
    assert "table3_cells" in result.reason and ">= 0" in result.reason
    assert result.offending == [bad_sha]
    assert not any(k for k in _keys(local_lake) if not k.startswith("staging/_quarantine/"))
    (qkey,) = _keys(local_lake, "staging/_quarantine/")
    record = json.loads(local_lake.get_bytes(qkey))
    assert record["reason"] == result.reason and len(record["reports"]) == 3
    assert [r["source_sha256"] for r in record["reports"] if r["is_offending"]] == [bad_sha]
    assert quarantined_shas(local_lake, "1") == {bad_sha}
    assert quarantined_shas(local_lake, "2") == set()  # a new parser version tries again


def test_the_innocent_reports_of_a_quarantined_batch_are_staged_on_their_own(local_lake: LocalStore) -> None:
    outcomes = _batch()
    bad = outcomes[0]
    broken = make_report("银川市西夏区人民政府", 2022, t4={**{k: 0 for k in
                         ("review_upheld", "review_corrected", "review_other", "review_pending", "review_total")},
                         **{f"{g}_{leaf}": 0 for g in ("direct_suit", "after_review_suit")
                            for leaf in ("upheld", "corrected", "other", "pending", "total")},
                         "review_pending": -1})
    outcomes[0] = outcome(broken, key="broken")
    result = stage_outcomes(local_lake, outcomes, "1")
    assert (result.n_staged, result.n_quarantined) == (2, 1)
    assert [b.quarantined for b in result.batches] == [True, False]
    staged = {s for s, _ in staged_pairs(local_lake)}
    assert outcomes[0].raw.sha256 not in staged and bad.raw.sha256 not in staged
    assert {o.raw.sha256 for o in outcomes[1:]} == staged


def test_staged_parquet_reads_back_with_the_spec_dtypes(local_lake: LocalStore) -> None:
    write_batch(local_lake, frames_for(_batch()), "1")
    key = next(k for k in _keys(local_lake, "staging/table3_cells/report_year=2022"))
    df = pd.read_parquet(io.BytesIO(local_lake.get_bytes(key)))
    assert list(df.columns) == list(TABLE_SPECS["table3_cells"].field_names)
    assert len(df) == 175 and df["value"].dtype == "float64"


def test_reports_are_written_last_so_an_interrupted_batch_is_parsed_again(local_lake: LocalStore) -> None:
    class FailingStore(LocalStore):
        def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
            if key.startswith("staging/table4_cells/"):
                raise OSError("disk full")
            super().put_bytes(key, data, content_type=content_type)

    store = FailingStore(local_lake.root)
    try:
        write_batch(store, frames_for(_batch()), "1")
    except OSError:
        pass
    assert staged_pairs(local_lake) == set()
    assert write_batch(local_lake, frames_for(_batch()), "1").written_keys
    assert len(staged_pairs(local_lake)) == 3


def _read(store: LocalStore, key: str) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(store.get_bytes(key))).to_pandas()


def test_one_year_with_reports_of_unknown_year_writes_each_report_once(local_lake: LocalStore) -> None:
    outcomes = [outcome(make_report("银川市西夏区人民政府", 2022)), outcome(make_report("银川市兴庆区人民政府", 2022)),
                outcome(make_report(None, None))]
    result = write_batch(local_lake, frames_for(outcomes), "1")
    assert len(result.written_keys) == len(TABLE_SPECS) * 2
    assert len(staged_pairs(local_lake)) == 3
    for table in ("reports", "table3_cells"):
        keys = [k for k in result.written_keys if k.startswith(f"staging/{table}/")]
        known = _read(local_lake, next(k for k in keys if "report_year=2022" in k))
        unknown = _read(local_lake, next(k for k in keys if NULL_PARTITION in k))
        assert set(known["report_year"]) == {2022} and unknown["report_year"].isna().all()
        assert len(known) == 2 * len(unknown)


def test_partitions_keep_the_rows_of_their_year_in_batch_order() -> None:
    tbl = arrow_table("reports", frames_for(_batch() + [outcome(make_report("托里县人民政府", 2022))])["reports"])
    parts = {y: partition_rows(tbl, y) for y in ("2021", "2022", NULL_PARTITION)}
    assert sum(p.num_rows for p in parts.values()) == tbl.num_rows
    assert parts["2022"].column("agency_name").to_pylist() == ["银川市西夏区人民政府", "托里县人民政府"]
    assert parts[NULL_PARTITION].column("report_year").null_count == 1
    assert partition_rows(tbl, "1999").num_rows == 0
    assert all(p.schema.equals(arrow_schema("reports"), check_metadata=True) for p in parts.values())


def test_what_is_written_is_the_frame_as_validated(local_lake: LocalStore) -> None:
    frames = frames_for(_batch())
    frames["table3_cells"].loc[5, "raw_text"] = "changed after the frames were built"
    result = write_batch(local_lake, frames, "1")
    key = next(k for k in result.written_keys if k.startswith("staging/table3_cells/report_year=2022"))
    assert "changed after the frames were built" in set(_read(local_lake, key)["raw_text"])
    assert pq.read_table(io.BytesIO(to_parquet_bytes("sections", frames["sections"]))).equals(
        arrow_table("sections", frames["sections"]))
