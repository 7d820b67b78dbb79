"""Legacy Word (.doc), WPS (.wps) and RTF reports → :class:`~xxgk.parsing.model.Document`, through a converter.

The best installed converter wins:

1. **LibreOffice headless** (Debian ``libreoffice-writer-nogui``) converts the file to DOCX, which
   :func:`~xxgk.parsing.readers.docx.read_docx` reads with merged cells intact. It reads .doc, .wps and RTF.
2. **antiword** (Debian ``antiword``) prints Word 97+ text with tables drawn as ``|cell|cell|`` rows;
3. **catdoc** (Debian ``catdoc``) prints the text with table cells separated by tabs.

The text of 2 and 3 goes through the text reader, like a ``.txt`` report. With none installed the file fails with a
clear error naming the packages. Every converter runs in its own process group with a time limit.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from xxgk.parsing.model import Document
from xxgk.parsing.readers.binary import CONVERTER_TIMEOUT_S, ReaderError, run_converter, scratch_dir

logger = logging.getLogger(__name__)

CONVERTER_PACKAGES = "libreoffice-writer-nogui (or antiword, or catdoc)"
MAX_CONVERTED_TEXT_BYTES = 32 * 1024 * 1024  # converter output beyond this is refused


def available_converters() -> list[str]:
    """The converters found on PATH, best first: ``soffice``, ``antiword``, ``catdoc``."""
    return [name for name in ("soffice", "antiword", "catdoc") if shutil.which(name)]


def read_doc(data: bytes, *, converters: Sequence[str] | None = None) -> Document:
    """Read a legacy Word/WPS/RTF file through the best installed converter (or the first of ``converters`` that
    works); raises :class:`ReaderError`."""
    installed = available_converters()
    converters = installed if converters is None else [c for c in converters if c in installed]
    if not converters:
        raise ReaderError(
            "legacy Word/WPS file: no converter is installed; install the Debian package "
            f"{CONVERTER_PACKAGES} to read it"
        )
    is_rtf = data.startswith(b"{\\rtf")
    errors: list[str] = []
    for name in converters:
        if name != "soffice" and is_rtf:
            continue
        try:
            if name == "soffice":
                return _with_libreoffice(data, is_rtf)
            return _with_text_converter(name, data)
        except ReaderError as exc:
            logger.info("converter %s failed: %s", name, exc)
            errors.append(f"{name}: {exc}")
    raise ReaderError("legacy Word/WPS file could not be converted (" + "; ".join(errors) + ")")


def _with_libreoffice(data: bytes, is_rtf: bool) -> Document:
    from xxgk.parsing.readers.docx import read_docx

    with scratch_dir() as tmp:
        source = Path(tmp) / ("report.rtf" if is_rtf else "report.doc")
        source.write_bytes(data)
        profile = Path(tmp) / "profile"
        result = run_converter(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--nolockcheck",
             "--convert-to", "docx:MS Word 2007 XML", "--outdir", tmp, str(source)],
            timeout=CONVERTER_TIMEOUT_S, env={"HOME": tmp},
        )
        target = Path(tmp) / "report.docx"
        if result.returncode != 0 or not target.exists():
            detail = result.stderr.decode("utf-8", "replace").strip()[:300]
            raise ReaderError(f"LibreOffice could not convert the file (exit {result.returncode}) {detail}".strip())
        document = read_docx(target.read_bytes())
    return Document(lines=document.lines, rows=document.rows, media_type="doc", encoding=None,
                    reader_issues=document.reader_issues)


def _with_text_converter(name: str, data: bytes) -> Document:
    with scratch_dir() as tmp:
        source = Path(tmp) / "report.doc"
        source.write_bytes(data)
        if name == "antiword":
            args = ["antiword", "-m", "UTF-8.txt", "-w", "0", str(source)]
        else:
            args = ["catdoc", "-d", "utf-8", "-w", str(source)]
        result = run_converter(args, timeout=CONVERTER_TIMEOUT_S, env={"HOME": tmp, "LANG": "C.UTF-8"})
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()[:300]
        raise ReaderError(f"{name} could not read the file (exit {result.returncode}) {detail}".strip())
    if len(result.stdout) > MAX_CONVERTED_TEXT_BYTES:
        raise ReaderError(f"{name} produced more than {MAX_CONVERTED_TEXT_BYTES // 2**20} MiB of text")
    text = result.stdout.decode("utf-8", "replace")
    if not text.strip():
        raise ReaderError(f"{name} found no text in the file")
    from xxgk.parsing.readers.text import read_text

    document = read_text(text, media_type="doc", encoding="utf-8")
    return Document(lines=document.lines, rows=document.rows, media_type="doc", encoding=None,
                    reader_issues=document.reader_issues)

