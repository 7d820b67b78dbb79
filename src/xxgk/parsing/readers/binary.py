"""Binary report formats: the dispatcher :func:`read_binary` and the helpers the binary readers share.

``read_binary(data, media_type)`` turns the bytes of a PDF, DOCX, legacy DOC/WPS, XLSX/XLS or image into the same
:class:`~xxgk.parsing.model.Document` the text and HTML readers return. The format modules are imported lazily, so
importing this module costs nothing. The shared pieces here are guards against hostile input (ZIP containers that
unpack to gigabytes, converters that hang) and the text hygiene every grid reader needs (a cell's text broken over
several lines, a row rendered as one text line).
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from xxgk.parsing.model import Cell, Document
from xxgk.parsing.readers.errors import ReaderError
from xxgk.parsing.readers.sniff import is_encrypted_office, sniff_media_type

logger = logging.getLogger(__name__)

MAX_INPUT_BYTES = 200 * 1024 * 1024  # a report file larger than this is refused outright
MAX_ZIP_ENTRIES = 5_000  # DOCX/XLSX members
MAX_ZIP_UNPACKED_BYTES = 300 * 1024 * 1024  # total declared size of all members
MAX_ZIP_MEMBER_RATIO = 200  # declared size / compressed size of one large member; more is a zip bomb
ZIP_RATIO_MIN_MEMBER_BYTES = 10 * 1024 * 1024  # the ratio check applies to members declared larger than this
MAX_ROWS = 50_000  # rows in one document, all tables together
MAX_CELLS = 1_000_000  # cells in one document
CONVERTER_TIMEOUT_S = 120  # LibreOffice, antiword, catdoc, pdftoppm, tesseract (per call)
ISOLATED_TIMEOUT_S = 300.0  # read_binary_isolated: wall time for one file, OCR included
ISOLATED_MEMORY_BYTES = 4 * 1024**3  # read_binary_isolated: address space of the reader process

BINARY_MEDIA_TYPES = ("pdf", "docx", "doc", "xlsx", "xls", "image")

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def read_binary(data: bytes, media_type: str | None = None) -> Document:
    """Read a binary report; ``media_type`` comes from :func:`sniff_media_type` (sniffed here when None).

    Raises :class:`ReaderError` with a user-facing message for anything unreadable: an unsupported or unknown
    type, an encrypted or corrupt file, a zip bomb, a missing converter or OCR engine.
    """
    if media_type is None:
        media_type = sniff_media_type(data)
    if not data:
        raise ReaderError("empty file")
    if len(data) > MAX_INPUT_BYTES:
        raise ReaderError(f"file is {len(data) / 2**20:.0f} MiB, more than the {MAX_INPUT_BYTES // 2**20} MiB limit")
    if media_type == "pdf":
        from xxgk.parsing.readers.pdf import read_pdf

        return read_pdf(data)
    if media_type == "docx":
        from xxgk.parsing.readers.docx import read_docx

        return read_docx(data)
    if media_type == "doc":
        from xxgk.parsing.readers.doc import read_doc

        return read_doc(data)
    if media_type == "xlsx":
        from xxgk.parsing.readers.xlsx import read_xlsx

        return read_xlsx(data)
    if media_type == "xls":
        from xxgk.parsing.readers.xlsx import read_xls

        return read_xls(data)
    if media_type == "image":
        from xxgk.parsing.readers.ocr import read_image

        return read_image(data)
    if is_encrypted_office(data):
        raise ReaderError("password-protected Office file (encrypted DOCX/XLSX); it cannot be read")
    if media_type == "zip":
        raise ReaderError("a ZIP archive that is neither DOCX nor XLSX; unpack it and ingest the reports inside")
    raise ReaderError(f"not a supported report format (detected media type: {media_type})")


def read_binary_isolated(data: bytes, media_type: str | None = None, *, timeout: float = ISOLATED_TIMEOUT_S,
                         memory_bytes: int = ISOLATED_MEMORY_BYTES) -> Document:
    """:func:`read_binary` in a child process with a hard wall-time limit and an address-space limit.

    For batch runs over untrusted files: a reader stuck in a pathological file (a PDF content stream that takes
    minutes, an XML bomb a library expands) is killed and reported as a :class:`ReaderError`; the run goes on.
    Children are forked from a ``forkserver`` that has the readers imported, so each costs milliseconds, and no
    lock of the calling process (threads of a flow runner) is inherited.
    """
    context = _isolation_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_isolated_read, args=(sender, data, media_type, memory_bytes), daemon=True)
    try:
        process.start()
    except OSError as exc:
        raise ReaderError(f"could not start a reader process: {exc}") from exc
    finally:
        sender.close()
    try:
        if not receiver.poll(timeout):
            raise ReaderError(f"reading the file took longer than {timeout:g} s; gave up")
        try:
            status, payload = receiver.recv()
        except EOFError as exc:
            raise ReaderError(
                f"the reader stopped without an answer (out of the {memory_bytes // 2**20} MiB memory limit?)"
            ) from exc
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if status == "ok":
        return payload  # type: ignore[no-any-return]
    raise ReaderError(str(payload))


_CONTEXT = None


def _isolation_context():  # type: ignore[no-untyped-def]
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing

        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["xxgk.parsing.readers.binary", "xxgk.parsing.readers.pdf",
                                         "xxgk.parsing.readers.docx", "xxgk.parsing.readers.xlsx"])
    return _CONTEXT


def _isolated_read(sender, data: bytes, media_type: str | None, memory_bytes: int) -> None:  # type: ignore[no-untyped-def]
    import resource

    kind = media_type or sniff_media_type(data)
    if kind not in ("doc", "image"):  # LibreOffice and Tesseract map far more address space than they use
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        sender.send(("ok", read_binary(data, kind)))
    except ReaderError as exc:
        sender.send(("error", str(exc)))
    except MemoryError:
        sender.send(("error", f"the file needs more than the {memory_bytes // 2**20} MiB memory limit to read"))
    except Exception as exc:  # a reader bug or a library failure on hostile input: reported, never raised
        sender.send(("error", f"could not read the file: {type(exc).__name__}: {exc}"))
    finally:
        sender.close()


# --- text hygiene ---------------------------------------------------------------------------------------------


def join_cell_lines(text: str) -> str:
    """One cell's text broken over lines, joined: no space between CJK characters, one space otherwise.

    ``结\\n果\\n维\\n持`` → ``结果维持``; ``本年\\n制发件数`` → ``本年制发件数``; ``12\\n345`` → ``12 345``.
    """
    parts = [p.strip() for p in text.replace("\r", "\n").split("\n")]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        glue = "" if _CJK.match(out[-1]) or _CJK.match(part[0]) else " "
        out = out + glue + part
    return out


def row_text(cells: Sequence[Cell]) -> str:
    """A grid row as one text line for :attr:`Document.lines` (cells joined by `` | ``, span placeholders left out)."""
    return " | ".join(c.text for c in cells if not c.is_span and c.text)


# --- hostile-input guards -------------------------------------------------------------------------------------


def check_zip_container(data: bytes, what: str) -> zipfile.ZipFile:
    """Open an OOXML container after checking it cannot unpack to more than the limits; raise ReaderError if not.

    Python's zipfile never inflates a member beyond its declared size (it stops and fails the CRC check), so the
    declared sizes bound the memory any reader of this archive can use.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ReaderError(f"{what} is not a readable ZIP container: {exc}") from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ReaderError(f"{what} has {len(infos)} members, more than {MAX_ZIP_ENTRIES}: refusing a possible zip bomb")
    total = sum(i.file_size for i in infos)
    if total > MAX_ZIP_UNPACKED_BYTES:
        raise ReaderError(
            f"{what} would unpack to {total / 2**20:.0f} MiB, more than {MAX_ZIP_UNPACKED_BYTES // 2**20} MiB: "
            "refusing a possible zip bomb"
        )
    for info in infos:
        if info.file_size > ZIP_RATIO_MIN_MEMBER_BYTES and info.file_size > MAX_ZIP_MEMBER_RATIO * max(
            info.compress_size, 1
        ):
            raise ReaderError(
                f"{what} member {info.filename} is compressed {info.file_size // max(info.compress_size, 1)}:1: "
                "refusing a possible zip bomb"
            )
        if info.flag_bits & 0x1:
            raise ReaderError(f"{what} is encrypted (password-protected); it cannot be read")
    return archive


def check_size(rows: int, cells: int, what: str) -> None:
    if rows > MAX_ROWS or cells > MAX_CELLS:
        raise ReaderError(f"{what} has {rows} rows / {cells} cells, more than the {MAX_ROWS} / {MAX_CELLS} limit")


@dataclass(frozen=True)
class ConverterResult:
    returncode: int
    stdout: bytes
    stderr: bytes


def run_converter(args: Sequence[str], *, timeout: float = CONVERTER_TIMEOUT_S, cwd: str | None = None,
                  env: dict[str, str] | None = None) -> ConverterResult:
    """Run an external converter in its own process group; kill the whole group when it overruns ``timeout``."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        proc = subprocess.Popen(
            list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
            env=full_env, start_new_session=True,
        )
    except OSError as exc:
        raise ReaderError(f"could not start {args[0]}: {exc}") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        proc.communicate()
        raise ReaderError(f"{os.path.basename(args[0])} took longer than {timeout:.0f} s; gave up") from exc
    return ConverterResult(proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    """A private temporary directory for one conversion (removed when the context ends)."""
    return tempfile.TemporaryDirectory(prefix="xxgk-reader-")
