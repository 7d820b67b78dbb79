"""Publishing: write a release completely under ``releases/<release_id>/``, then switch ``releases/CURRENT``.

:mod:`xxgk.publish.lock` keeps two runs from publishing at once; :mod:`xxgk.publish.release` writes the files,
the manifest and the pointer in that order, so a crash at any point leaves the previous release current and
intact; :mod:`xxgk.publish.content` turns marts and quality results into the release's files (Parquet, CSV,
DuckDB, data dictionary, revisions log); :mod:`xxgk.publish.report_html` renders the quality report.
Everything goes through the :class:`~xxgk.storage.base.ObjectStore` interface (a local folder or S3).
"""

from xxgk.publish.lock import PublishLock, PublishLocked
from xxgk.publish.release import (
    CURRENT_KEY,
    RELEASES_PREFIX,
    ReleaseError,
    ReleaseManifest,
    is_complete,
    new_release_id,
    read_current,
    read_manifest,
    write_release,
)

__all__ = [
    "CURRENT_KEY",
    "RELEASES_PREFIX",
    "PublishLock",
    "PublishLocked",
    "ReleaseError",
    "ReleaseManifest",
    "is_complete",
    "new_release_id",
    "read_current",
    "read_manifest",
    "write_release",
]
