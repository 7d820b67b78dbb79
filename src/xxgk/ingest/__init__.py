"""Ingestion into the raw zone: sources → exact bytes under ``raw/<sha256[:2]>/<sha256>`` + a manifest per run.

Public API:

* :func:`ingest` (``run``) — one whole run; :class:`IngestOptions`, :class:`FetchOptions` tune it.
* :func:`read_manifest`, :func:`current_objects` (``manifest``) — read the raw zone back.
* :func:`expand_sources`, :func:`previous_versions`, :func:`ingest_entries`, :func:`write_manifest`,
  :func:`summarize` — the steps, for orchestration (``flows/ingest.py``).
"""

from xxgk.ingest.fetch import FetchOptions
from xxgk.ingest.manifest import (
    CURRENT_OBJECT_COLUMNS,
    MANIFEST_COLUMNS,
    MANIFEST_SCHEMA,
    ManifestRow,
    current_objects,
    read_manifest,
    write_manifest,
)
from xxgk.ingest.run import (
    IngestOptions,
    IngestResult,
    IngestSummary,
    PreviousVersion,
    ingest,
    ingest_entries,
    new_run_id,
    previous_versions,
    summarize,
)
from xxgk.ingest.sources import SourceEntry, expand_sources

__all__ = [
    "CURRENT_OBJECT_COLUMNS", "MANIFEST_COLUMNS", "MANIFEST_SCHEMA", "FetchOptions", "IngestOptions", "IngestResult",
    "IngestSummary", "ManifestRow", "PreviousVersion", "SourceEntry", "current_objects", "expand_sources", "ingest",
    "ingest_entries", "new_run_id", "previous_versions", "read_manifest", "summarize", "write_manifest",
]
