"""Turning source arguments into ingest entries: local files, folders and globs, CSV lists of URLs, S3 prefixes.

Every argument becomes zero or more :class:`SourceEntry`; a bad argument or a bad CSV row becomes an entry with
``error`` set, so it is reported per entry (and recorded in the manifest) and never stops the run.

* ``http(s)://…``          one URL
* ``s3://bucket/prefix``   every object under the prefix (or the one object with that key)
* ``*.csv`` file           a URL list: a header with ``url`` and optionally ``agency`` and ``year``
* folder                   every non-hidden file below it, recursively
* glob (``*``, ``?``, ``[``) every match (``**`` recurses)
* anything else            one local file
"""

from __future__ import annotations

import csv
import glob
import io
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from xxgk.ingest.hints import agency_hint_from_location, is_plausible_year, year_hint_from_location
from xxgk.ingest.links import strip_fragment

logger = logging.getLogger(__name__)

SOURCE_KINDS: tuple[str, ...] = ("file", "url", "s3")
URL_SCHEMES: tuple[str, ...] = ("http", "https")
_YEAR_CELL = re.compile(r"(\d{4})(?:\.0+|\s*年度?)?")


@dataclass(frozen=True)
class SourceEntry:
    """One thing to ingest. ``location`` identifies the source across runs (absolute path, URL, ``s3://`` URI)."""

    kind: str
    location: str
    origin: str
    agency_hint: str | None = None
    year_hint: int | None = None
    parent_url: str | None = None
    parent_sha256: str | None = None
    error: str | None = None

    @property
    def is_bad(self) -> bool:
        return self.error is not None


def bad_entry(kind: str, location: str, origin: str, error: str) -> SourceEntry:
    return SourceEntry(kind=kind, location=location, origin=origin, error=error)


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be fetched (scheme other than http(s), no host), or None when it can."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme.lower() not in URL_SCHEMES:
        return f"unsupported URL scheme {parts.scheme or '(none)'!r}: only http and https are fetched"
    if not parts.hostname:
        return "URL has no host"
    return None


def url_entry(url: str, origin: str, *, agency: str | None = None, year: int | None = None,
              parent_url: str | None = None, parent_sha256: str | None = None) -> SourceEntry:
    url = url.strip()
    problem = check_url(url)
    if problem:
        return bad_entry("url", url, origin, problem)
    url = strip_fragment(url)
    return SourceEntry(kind="url", location=url, origin=origin, agency_hint=agency or agency_hint_from_location(url),
                       year_hint=year if year is not None else year_hint_from_location(url),
                       parent_url=parent_url, parent_sha256=parent_sha256)


def file_entry(path: str | os.PathLike[str], origin: str) -> SourceEntry:
    location = os.path.abspath(os.fspath(path))
    return SourceEntry(kind="file", location=location, origin=origin,
                       agency_hint=agency_hint_from_location(location), year_hint=year_hint_from_location(location))


def expand_sources(specs: Iterable[str]) -> list[SourceEntry]:
    """All entries for the given source arguments, in argument order, duplicates (same location) dropped."""
    out: list[SourceEntry] = []
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        for entry in _expand_one(spec):
            if not entry.is_bad:
                if (entry.kind, entry.location) in seen:
                    continue
                seen.add((entry.kind, entry.location))
            out.append(entry)
    return out


def _expand_one(spec: str) -> Iterator[SourceEntry]:
    spec = spec.strip()
    if not spec:
        yield bad_entry("file", spec, spec, "empty source argument")
    elif spec.startswith("s3://"):
        yield from expand_s3_prefix(spec)
    elif "://" in spec:
        yield url_entry(spec, origin=spec)
    elif spec.lower().endswith(".csv") and os.path.isfile(spec):
        yield from read_url_list(spec)
    elif os.path.isdir(spec):
        yield from _walk_folder(spec, origin=spec)
    elif glob.has_magic(spec):
        matches = sorted(glob.glob(spec, recursive=True))
        if not matches:
            yield bad_entry("file", spec, spec, "no files match this pattern")
        for match in matches:
            if os.path.isdir(match):
                yield from _walk_folder(match, origin=spec)
            else:
                yield file_entry(match, origin=spec)
    elif os.path.lexists(spec):
        yield file_entry(spec, origin=spec)  # a dangling link or unreadable file fails when read, with the reason
    else:
        yield bad_entry("file", os.path.abspath(spec), spec, "no such file or directory")


def _walk_folder(folder: str, origin: str) -> Iterator[SourceEntry]:
    for dirpath, dirnames, filenames in os.walk(folder, onerror=lambda e: logger.warning("cannot list %s", e)):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield file_entry(Path(dirpath) / name, origin=origin)


def read_url_list(path: str) -> Iterator[SourceEntry]:
    """Entries from a CSV with a ``url`` column (and optional ``agency``, ``year``); bad rows become bad entries."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        yield bad_entry("url", os.path.abspath(path), path, f"cannot read URL list: {exc.strerror or exc}")
        return
    yield from parse_url_list(raw, origin=path)


def parse_url_list(raw: bytes, origin: str) -> Iterator[SourceEntry]:
    """The pure part of :func:`read_url_list`: CSV bytes (utf-8 or gb18030) → entries."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        yield bad_entry("url", origin, origin, "URL list is neither utf-8 nor gb18030 text")
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        yield bad_entry("url", origin, origin, "URL list is empty")
        return
    except csv.Error as exc:
        yield bad_entry("url", origin, origin, f"URL list header is not valid CSV: {exc}")
        return
    if "url" not in header:
        yield bad_entry("url", origin, origin, f"URL list has no 'url' column (header: {', '.join(header)})")
        return
    col = {name: header.index(name) for name in ("url", "agency", "year") if name in header}
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield bad_entry("url", f"{origin}:{line}", f"{origin}:{line}", f"malformed CSV row: {exc}")
            continue
        where = f"{origin}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        entry = _url_list_row(row, header, col, where)
        yield entry


def _url_list_row(row: list[str], header: list[str], col: dict[str, int], where: str) -> SourceEntry:
    if len(row) > len(header):
        return bad_entry("url", where, where, f"malformed CSV row: {len(row)} fields, header has {len(header)}")
    cells = row + [""] * (len(header) - len(row))
    url = cells[col["url"]].strip()
    if not url:
        return bad_entry("url", where, where, "malformed CSV row: empty url")
    agency = cells[col["agency"]].strip() if "agency" in col else ""
    year_text = cells[col["year"]].strip() if "year" in col else ""
    year: int | None = None
    if year_text:
        match = _YEAR_CELL.fullmatch(year_text)
        if not match:
            return bad_entry("url", url, where, f"malformed CSV row: year {year_text!r} is not a year")
        year = int(match.group(1))
        if not is_plausible_year(year):
            return bad_entry("url", url, where, f"malformed CSV row: year {year} is out of range")
    entry = url_entry(url, origin=where, agency=agency or None, year=year)
    return entry if entry.error is None else replace(entry, origin=where)


def expand_s3_prefix(uri: str) -> Iterator[SourceEntry]:
    """Every object under ``s3://bucket/prefix`` (settings from the environment, as for the lake)."""
    from xxgk.storage.config import parse_s3_uri
    from xxgk.storage.s3 import S3Store

    try:
        bucket, prefix = parse_s3_uri(uri)
        store = S3Store(bucket)
        keys = [k for k in store.list_keys(f"{prefix}/" if prefix else "") if not k.endswith("/")]
        if not keys and prefix and store.exists(prefix):
            keys = [prefix]  # the URI names one object
    except Exception as exc:  # listing failed for good (after retries): report this argument, go on
        yield bad_entry("s3", uri, uri, f"cannot list S3 prefix: {exc}")
        return
    if not keys:
        yield bad_entry("s3", uri, uri, "no objects under this S3 prefix")
    for key in keys:
        location = f"s3://{bucket}/{key}"
        yield SourceEntry(kind="s3", location=location, origin=uri, agency_hint=agency_hint_from_location(key),
                          year_hint=year_hint_from_location(key))
