"""Legacy Word (.doc), WPS (.wps), RTF and MHT reports → :class:`~xxgk.parsing.model.Document`.

MHT ("single file web page", often published with a .doc name) is unwrapped here and its HTML read by the HTML
reader. Everything else goes through a converter, the best installed one first:

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
MAX_MHT_BYTES = 64 * 1024 * 1024  # a Word web page with its images


def available_converters() -> list[str]:
    """The converters found on PATH, best first: ``soffice``, ``antiword``, ``catdoc``."""
    return [name for name in ("soffice", "antiword", "catdoc") if shutil.which(name)]


def read_doc(data: bytes, *, converters: Sequence[str] | None = None) -> Document:
    """Read a legacy Word/WPS/RTF file through the best installed converter (or the first of ``converters`` that
    works); raises :class:`ReaderError`."""
    from xxgk.parsing.readers.sniff import is_mht

    if is_mht(data):
        return read_mht(data)
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


def read_mht(data: bytes) -> Document:
    """Word's "single file web page" (MHTML): the HTML part, decoded from quoted-printable/base64 and its charset,
    read by the HTML reader."""
    import email
    from email import policy

    if len(data) > MAX_MHT_BYTES:
        raise ReaderError(f"MHT file is larger than {MAX_MHT_BYTES // 2**20} MiB")
    try:
        message = email.message_from_bytes(data, policy=policy.default)
        part = next((p for p in message.walk() if p.get_content_type() == "text/html"), None)
        if part is None:
            raise ReaderError("MHT file holds no HTML page")
        text = part.get_content()
    except ReaderError:
        raise
    except Exception as exc:  # malformed MIME, unknown charset …
        raise ReaderError(f"MHT file could not be decoded: {type(exc).__name__}: {exc}") from exc
    from xxgk.parsing.readers.html import read_html

    document = read_html(text if isinstance(text, str) else text.decode("utf-8", "replace"))
    return Document(lines=document.lines, rows=document.rows, media_type="doc", encoding=part.get_content_charset(),
                    reader_issues=document.reader_issues)


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

