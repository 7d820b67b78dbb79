"""The ``publication_gate`` checkpoint: validate the gate frame with every suite and turn the result into a verdict.

The gate frame (``xxgk.quality.checks.gate_frame``) has one row per report; GX runs on it through the pandas data
source. Failed rows are identified by ``source_sha256`` (``unexpected_index_column_names``), so each failed
expectation maps back to (report, gate column) pairs. An ``error`` expectation blocks the report; a ``warning``
is reported with it. Data Docs are built into a temporary folder and returned as files for the release.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.suites import ID_COLUMN, MODEL, build_suites
from xxgk.publish.pipeline import GateVerdict
from xxgk.quality.checks import CheckThresholds, gate_checks
from xxgk.schema.identities import ERROR

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "publication_gate"
DOCS_SITE = "xxgk_release"


def _context(docs_dir: Path) -> Any:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.add_data_docs_site(site_name=DOCS_SITE, site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    return context


def build_checkpoint(context: Any, thresholds: CheckThresholds | None = None) -> Any:
    """Register the data source, the suites, one validation definition per suite and the checkpoint."""
    asset = context.data_sources.add_pandas("xxgk_gate").add_dataframe_asset(f"{MODEL}_gate")
    batch = asset.add_batch_definition_whole_dataframe("all_reports")
    definitions = []
    for suite in build_suites(thresholds):
        suite = context.suites.add(suite)
        definitions.append(context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate_{suite.name}", data=batch, suite=suite)))
    return context.checkpoints.add(gx.Checkpoint(
        name=CHECKPOINT_NAME,
        validation_definitions=definitions,
        actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs", site_names=[DOCS_SITE])],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ID_COLUMN]},
    ))


def _failed_rows(result: Any) -> list[str]:
    rows = result.result.get("unexpected_index_list") or []
    return [r[ID_COLUMN] for r in rows if isinstance(r, dict) and ID_COLUMN in r]


def run_publication_gate(frame: pd.DataFrame, results: pd.DataFrame | None = None, run_id: str = "gate", *,
                         thresholds: CheckThresholds | None = None) -> GateVerdict:
    """Validate ``frame`` with the ``publication_gate`` checkpoint; the verdict lists failed (report, column)."""
    columns = [c.gate_column for c in gate_checks()]
    frame = frame.reindex(columns=list(dict.fromkeys([*frame.columns, *columns])))
    frame = frame.reset_index(drop=True)
    with tempfile.TemporaryDirectory(prefix="xxgk-data-docs-") as tmp:
        docs_dir = Path(tmp)
        context = _context(docs_dir)
        checkpoint = build_checkpoint(context, thresholds)
        outcome = checkpoint.run(batch_parameters={"dataframe": frame},
                                 run_id=gx.RunIdentifier(run_name=run_id))
        failed: set[tuple[str, str]] = set()
        blocking_ok = True
        n_expectations = n_failed = 0
        for validation in outcome.run_results.values():
            for r in validation.results:
                n_expectations += 1
                meta = r.expectation_config.meta or {}
                if r.exception_info and r.exception_info.get("raised_exception"):
                    raise RuntimeError(f"expectation {r.expectation_config.type} on {meta.get('gate_column')} "
                                       f"raised: {r.exception_info.get('exception_message')}")
                if r.success:
                    continue
                n_failed += 1
                if meta.get("severity") == ERROR:
                    blocking_ok = False
                failed |= {(sha, meta["gate_column"]) for sha in _failed_rows(r)}
        docs = {p.relative_to(docs_dir).as_posix(): p.read_bytes() for p in docs_dir.rglob("*") if p.is_file()}
    logger.info("publication_gate: %d expectations, %d failed, %d failed (report, check) pairs",
                n_expectations, n_failed, len(failed))
    return GateVerdict(
        engine="great_expectations",
        evaluated_columns=frozenset(columns),
        failed=frozenset(failed),
        success=blocking_ok,
        docs=docs,
        statistics={"expectations": n_expectations, "failed_expectations": n_failed},
    )


def make_gate(thresholds: CheckThresholds | None = None):
    """A ``Gate`` callable for :func:`xxgk.publish.pipeline.publish`."""
    def gate(frame: pd.DataFrame, results: pd.DataFrame, run_id: str) -> GateVerdict:
        return run_publication_gate(frame, results, run_id, thresholds=thresholds)
    return gate
