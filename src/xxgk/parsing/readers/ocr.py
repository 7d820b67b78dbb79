"""Scanned reports (image-only PDF pages, PNG/JPEG/TIFF images) read by OCR with Tesseract (``chi_sim``).

Optional: it needs the Debian packages ``tesseract-ocr`` and ``tesseract-ocr-chi-sim``; without them a scanned
file fails with a clear error naming them. Per page:

1. the page is rendered (pypdfium2, bundled with pdfplumber) or decoded (Pillow) to greyscale, within a pixel
   budget;
2. ruling lines are found as long runs of dark pixels, and pdfplumber's table finder turns them into cells, merged
   cells included (explicit-line strategy, the same finder the text-layer reader uses);
3. the lines are erased and the page is OCR-read once (``tesseract … tsv``); each word goes to the cell holding its
   centre, and the remaining words become text lines, laid out like a PDF text layer (text-position tables too).

Every row and line location starts with ``ocr page``, and the document carries an ``ocr_derived`` warning, so
staging marks the report OCR-derived and every OCR-read cell says where it came from. Cells are never "corrected"
beyond the usual OCR confusions inside a cell that is otherwise a number (``O``→``0``, ``l``→``1``).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from xxgk.parsing.model import Document, Issue
from xxgk.parsing.readers.binary import ReaderError, join_cell_lines, run_converter, scratch_dir
from xxgk.parsing.readers.pdf import GridTable, PageContent, Word, assemble, cluster_lines
from xxgk.schema.identities import RULES

logger = logging.getLogger(__name__)

OCR_LANGUAGE = "chi_sim"
OCR_DPI = 200  # rendering resolution of scanned PDF pages (a 10.5 pt character is ~29 px high)
OCR_MAX_PIXELS = 40_000_000  # one page image; larger pages are rendered at a lower resolution, images refused
OCR_MAX_PAGES = 60  # scanned pages (or image frames) per document
OCR_TIMEOUT_S = 120  # one Tesseract call
OCR_WORKERS = 2  # pages OCR-read in parallel (each Tesseract limited to one thread)
DARK_LEVEL = 160  # grey values below this are ink
RULE_MIN_H_PT = 18.0  # a horizontal ruling line is at least this long (longer than any character stroke)
RULE_MIN_V_PT = 12.0  # a vertical ruling line is at least this long
RULE_MAX_THICKNESS_PT = 3.0  # thicker dark runs are filled areas, not rules
DESKEW_MAX_DEG = 4.0  # scans are turned back by up to this much
DESKEW_MIN_DEG = 0.15  # smaller skews are left alone (ruling lines still join)
DESKEW_WIDTH_PX = 800  # the skew is measured on a page downscaled to this width
DIGIT_WHITELIST = "0123456789."
NUMERIC_COLUMN_SHARE = 0.6  # a column is numeric when this share of its non-empty cells read as numbers
MAX_MISREAD_NUMBER_CHARS = 2  # only short misreads are re-read as digits (a label is never replaced)
INSTALL_HINT = "install the Debian packages tesseract-ocr and tesseract-ocr-chi-sim"

_DIGIT_CONFUSIONS = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
_NOISE = "”“\"'。，,、·:：;；"
_NUMBER_LIKE = re.compile(r"^[\dOoDlI|SB.,，]+$")


@functools.cache
def tesseract_available() -> bool:
    """True when the ``tesseract`` command and its ``chi_sim`` model are installed."""
    if not shutil.which("tesseract"):
        return False
    try:
        result = run_converter(["tesseract", "--list-langs"], timeout=30)
    except ReaderError:
        return False
    return OCR_LANGUAGE in result.stdout.decode("utf-8", "replace").split()


def ocr_issue(scanned_pages: int, total_pages: int) -> Issue:
    rule = RULES["ocr_derived"]
    return Issue(rule.rule_id, rule.severity,
                 f"{scanned_pages} of {total_pages} pages were read by OCR; OCR-read cells carry an 'ocr' location")


def _require_tesseract() -> None:
    if not tesseract_available():
        raise ReaderError(f"scanned pages need OCR, which is not installed: {INSTALL_HINT}")


def ocr_pdf_pages(data: bytes, page_numbers: Sequence[int]) -> list[PageContent]:
    """OCR-read the given 1-based pages of a PDF (pages without a text layer)."""
    _require_tesseract()
    if len(page_numbers) > OCR_MAX_PAGES:
        raise ReaderError(f"{len(page_numbers)} scanned pages, more than the {OCR_MAX_PAGES}-page OCR limit")
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except Exception as exc:
        raise ReaderError(f"scanned PDF could not be rendered: {exc}") from exc
    jobs: list[tuple[int, object, float]] = []
    try:
        for number in page_numbers:
            page = pdf[number - 1]
            width_pt, height_pt = page.get_size()
            scale = OCR_DPI / 72  # pixels per point
            if width_pt * height_pt * scale * scale > OCR_MAX_PIXELS:
                scale = (OCR_MAX_PIXELS / (width_pt * height_pt)) ** 0.5
            image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            jobs.append((number, image, 1 / scale))
            page.close()
    finally:
        pdf.close()
    return _ocr_images(jobs)


def read_image(data: bytes) -> Document:
    """OCR-read an image file (PNG, JPEG, TIFF with several frames, …) as a report."""
    _require_tesseract()
    from PIL import Image, ImageSequence

    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > OCR_MAX_PIXELS:
            raise ReaderError(f"image is {width}×{height} pixels, more than the {OCR_MAX_PIXELS:,} pixel limit")
        frames = []
        for index, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if index > OCR_MAX_PAGES:
                raise ReaderError(f"image has more than {OCR_MAX_PAGES} frames")
            if frame.size[0] * frame.size[1] > OCR_MAX_PIXELS:
                raise ReaderError("an image frame is larger than the pixel limit")
            frames.append((index, frame.convert("L")))
    except ReaderError:
        raise
    except Exception as exc:  # Pillow: UnidentifiedImageError, DecompressionBombError, truncated files …
        raise ReaderError(f"image could not be decoded: {type(exc).__name__}: {exc}") from exc
    dpi = image.info.get("dpi", (OCR_DPI, OCR_DPI))[0] or OCR_DPI
    pages = _ocr_images([(n, f, 72 / float(dpi)) for n, f in frames])
    lines, rows = assemble(pages)
    if not any(line.strip() for line in lines):
        raise ReaderError("OCR found no text in the image")
    return Document(lines=tuple(lines), rows=tuple(rows), media_type="image", encoding=None,
                    reader_issues=(ocr_issue(len(pages), len(pages)),))


def _ocr_images(jobs: list[tuple[int, object, float]]) -> list[PageContent]:
    """OCR-read (page number, greyscale image, points per pixel) jobs, a few pages at a time."""
    with ThreadPoolExecutor(max_workers=OCR_WORKERS) as pool:
        return list(pool.map(lambda job: _ocr_page(*job), jobs))


def _ocr_page(number: int, image, points_per_pixel: float) -> PageContent:  # type: ignore[no-untyped-def]
    import numpy as np

    image = deskew(image)
    pixels = np.asarray(image, dtype=np.uint8)
    ink = pixels < DARK_LEVEL
    h_mask = _runs(ink, round(RULE_MIN_H_PT / points_per_pixel), axis=1)
    v_mask = _runs(ink, round(RULE_MIN_V_PT / points_per_pixel), axis=0)
    cleaned = pixels.copy()
    cleaned[h_mask | v_mask] = 255
    words = _tesseract_words(cleaned, points_per_pixel, OCR_LANGUAGE)
    scale = points_per_pixel
    h_edges = _edges(h_mask, axis=1, scale=scale)
    v_edges = _edges(v_mask, axis=0, scale=scale)
    width_pt, height_pt = pixels.shape[1] * scale, pixels.shape[0] * scale
    content = PageContent(number, width_pt, height_pt, ocr=True)
    used: set[int] = set()
    for table in _find_tables(h_edges, v_edges):
        rows: list[list[str | None]] = []
        for row in table.rows:
            texts: list[str | None] = []
            for bbox in row.cells:
                if bbox is None:
                    texts.append(None)
                    continue
                x0, top, x1, bottom = bbox
                inside = [k for k, w in enumerate(words)
                          if k not in used and x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]
                used.update(inside)
                texts.append(_cell_text([words[k] for k in inside], number))
            rows.append(texts)
        rows = _reread_numeric_cells(rows, table.rows, cleaned, points_per_pixel)
        if len(rows) >= 2 or any(len(r) >= 2 for r in rows):
            content.tables.append(GridTable(float(table.bbox[1]), rows))
    content.words = [w for k, w in enumerate(words) if k not in used]
    return content


def skew_angle(image) -> float:  # type: ignore[no-untyped-def]
    """The rotation (degrees) that makes text lines and ruling lines horizontal: the angle whose row projection
    of a downscaled page is the most peaked (ink concentrated in few rows)."""
    import numpy as np

    small = image.copy()
    small.thumbnail((DESKEW_WIDTH_PX, DESKEW_WIDTH_PX * 2))
    ink = (np.asarray(small, dtype=np.uint8) < DARK_LEVEL).astype(np.uint8) * 255
    if not ink.any():
        return 0.0
    from PIL import Image

    ink_image = Image.fromarray(ink)

    def peakedness(angle: float) -> float:
        rows = np.asarray(ink_image.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float64)
        profile = rows.sum(axis=1)
        return float(np.square(np.diff(profile)).sum())

    coarse = max(np.arange(-DESKEW_MAX_DEG, DESKEW_MAX_DEG + 1e-9, 0.5), key=peakedness)
    fine = max(np.arange(coarse - 0.5, coarse + 0.5 + 1e-9, 0.1), key=peakedness)
    return float(round(fine, 2))


def deskew(image):  # type: ignore[no-untyped-def]
    """The page turned upright when it was scanned askew (beyond DESKEW_MIN_DEG), on a white background."""
    from PIL import Image

    angle = skew_angle(image)
    if abs(angle) < DESKEW_MIN_DEG:
        return image
    logger.debug("deskewing a scanned page by %.2f°", angle)
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)


def _runs(ink, length: int, axis: int):  # type: ignore[no-untyped-def]
    """Pixels that belong to a run of ink at least ``length`` long along ``axis`` (numpy, no loops)."""
    import numpy as np

    if length < 2:
        return ink.copy()
    arr = ink if axis == 1 else ink.T
    height, width = arr.shape
    if width < length:
        return np.zeros_like(ink)
    cs = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(arr, axis=1, out=cs[:, 1:])
    full = (cs[:, length:] - cs[:, :-length]) == length  # window starting at x is all ink
    starts = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(np.pad(full, ((0, 0), (0, length - 1))), axis=1, out=starts[:, 1:])
    covered = np.zeros((height, width), dtype=bool)
    covered[:, :] = (starts[:, 1:] - np.pad(starts[:, 1:], ((0, 0), (length, 0)))[:, :width]) > 0
    return covered if axis == 1 else covered.T


def _edges(mask, axis: int, scale: float) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Ruling-line segments (in points) from a run mask: connected strips of ink along ``axis``."""
    import numpy as np

    arr = mask if axis == 1 else mask.T
    max_thickness = max(int(RULE_MAX_THICKNESS_PT / scale), 2)
    segments: list[tuple[float, int, int]] = []  # (cross position, start, end) per pixel line
    for index in np.flatnonzero(arr.any(axis=1)):
        line = arr[index]
        padded = np.concatenate(([False], line, [False]))
        changes = np.flatnonzero(padded[1:] != padded[:-1])
        for start, end in zip(changes[::2], changes[1::2], strict=True):
            segments.append((float(index), int(start), int(end)))
    # merge pixel lines of one thick rule: same extent, adjacent cross positions
    merged: list[list[float]] = []
    for cross, start, end in sorted(segments, key=lambda s: (s[1], s[0])):
        for m in merged:
            if abs(m[1] - start) <= 2 and abs(m[2] - end) <= 2 and cross - m[3] <= 1.5 and m[3] - m[0] < max_thickness:
                m[3] = cross
                break
        else:
            merged.append([cross, float(start), float(end), cross])
    edges = []
    for first, start, end, last in merged:
        middle = (first + last) / 2 * scale
        if axis == 1:
            edges.append({"object_type": "line", "x0": start * scale, "x1": end * scale, "top": middle,
                          "bottom": middle, "width": (end - start) * scale, "height": 0.0})
        else:
            edges.append({"object_type": "line", "x0": middle, "x1": middle, "top": start * scale,
                          "bottom": end * scale, "width": 0.0, "height": (end - start) * scale})
    return edges


def _find_tables(h_edges: list[dict], v_edges: list[dict]):  # type: ignore[no-untyped-def,type-arg]
    if len(h_edges) < 2 or len(v_edges) < 2:
        return []
    from pdfplumber.table import TableFinder

    settings = {
        "vertical_strategy": "explicit", "horizontal_strategy": "explicit",
        "explicit_vertical_lines": v_edges, "explicit_horizontal_lines": h_edges,
        "snap_tolerance": 3, "join_tolerance": 3, "intersection_tolerance": 3,
    }
    try:
        return TableFinder(None, settings).tables  # type: ignore[arg-type]
    except (ValueError, ZeroDivisionError) as exc:
        logger.debug("no table grid on OCR page: %s", exc)
        return []


def _reread_numeric_cells(rows: list[list[str | None]], grid_rows, pixels,  # type: ignore[no-untyped-def]
                          points_per_pixel: float) -> list[list[str | None]]:
    """Cells among numbers that did not read as a number (``chi_sim`` reads a lone ``7`` as 区, a ``1`` as 工) are
    read again, digits only, from their own crops (one Tesseract call for all of a table's suspects)."""
    suspects: list[tuple[int, int]] = []
    width = max((len(r) for r in rows), default=0)
    numeric_cols = set()
    for col in range(width):
        texts = [r[col] for r in rows if col < len(r) and r[col]]
        numeric = sum(1 for t in texts if _is_number(t))
        if numeric >= 2 and numeric >= NUMERIC_COLUMN_SHARE * len(texts):
            numeric_cols.add(col)
    for r, row in enumerate(rows):
        numeric_at = [col for col, t in enumerate(row) if t and _is_number(t)]
        texts_at = [col for col, t in enumerate(row) if t]
        label_end = max((col for col, t in enumerate(row) if t and not _is_number(t)
                         and len(t.replace(" ", "").strip(_NOISE)) > MAX_MISREAD_NUMBER_CHARS), default=-1)
        for col, text in enumerate(row):
            if text is None or _is_number(text) or len(text.replace(" ", "").strip(_NOISE)) > MAX_MISREAD_NUMBER_CHARS:
                continue  # a merged position, a number, or a label
            data_row = len(numeric_at) >= 3 and col > label_end
            only_value = bool(text) and col in numeric_cols and texts_at[1:] == [col] + numeric_at  # 行政许可 | 工
            if data_row or only_value:
                suspects.append((r, col))
    if not suspects:
        return rows
    boxes = []
    for r, col in suspects:
        x0, top, x1, bottom = grid_rows[r].cells[col]
        boxes.append(tuple(int(v / points_per_pixel) for v in (x0, top, x1, bottom)))
    for (r, col), text in zip(suspects, _ocr_crops(pixels, boxes), strict=True):
        if text and _is_number(text):  # an empty cell that stays empty on the digit pass is a published blank
            logger.debug("OCR cell %r re-read as %r", rows[r][col], text)
            rows[r][col] = text
    return rows


def _ocr_crops(pixels, boxes: list[tuple[int, ...]]) -> list[str]:  # type: ignore[no-untyped-def]
    """Digits-only OCR of several cell crops at once: set side by side on one white line with wide gaps, read as a
    single text line, and split back by position."""
    import numpy as np

    margin = 3
    crops = []
    for x0, top, x1, bottom in boxes:
        crop = pixels[top + margin:bottom - margin, x0 + margin:x1 - margin]
        ink = np.argwhere(crop < DARK_LEVEL)
        if ink.size:  # trim to the ink, so every crop sits on the same baseline
            (r0, c0), (r1, c1) = ink.min(axis=0), ink.max(axis=0)
            crop = crop[r0:r1 + 1, c0:c1 + 1]
        crops.append(crop)
    gap = 60
    height = max(c.shape[0] for c in crops) + 2 * gap
    width = sum(c.shape[1] + gap for c in crops) + gap
    sheet = np.full((height, width), 255, dtype=np.uint8)
    bands: list[tuple[int, int]] = []
    x = gap
    for crop in crops:
        y = (height - crop.shape[0]) // 2
        sheet[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        bands.append((x, x + crop.shape[1]))
        x += crop.shape[1] + gap
    words = _tesseract_words(sheet, 1.0, "eng", DIGIT_WHITELIST, psm=7)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("digit re-read of %d crops: %s", len(crops), [(w.x0, w.text) for w in words])
    out = []
    for left, right in bands:
        inside = [w for w in words if left - gap / 2 <= (w.x0 + w.x1) / 2 <= right + gap / 2]
        out.append("".join(w.text for w in sorted(inside, key=lambda w: w.x0)))
    return out


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", text.replace(" ", "")))


def _tesseract_words(pixels, points_per_pixel: float, language: str,  # type: ignore[no-untyped-def]
                     whitelist: str | None = None, psm: int = 6) -> list[Word]:
    from PIL import Image

    extra = ["-c", f"tessedit_char_whitelist={whitelist}"] if whitelist else []
    with scratch_dir() as tmp:
        path = Path(tmp) / "page.png"
        Image.fromarray(pixels).save(path)
        result = run_converter(
            ["tesseract", str(path), "stdout", "-l", language, "--psm", str(psm), *extra, "tsv"],
            timeout=OCR_TIMEOUT_S, env={"OMP_THREAD_LIMIT": "1"},
        )
    if result.returncode != 0:
        raise ReaderError(f"tesseract failed (exit {result.returncode}): "
                          f"{result.stderr.decode('utf-8', 'replace').strip()[:200]}")
    words: list[Word] = []
    for line in result.stdout.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        left, top, width, height = (int(v) for v in parts[6:10])
        s = points_per_pixel
        words.append(Word(left * s, (left + width) * s, top * s, (top + height) * s, parts[11].strip()))
    return words


def _cell_text(words: list[Word], page: int) -> str:
    if not words:
        return ""
    lines = cluster_lines(words, page)
    text = join_cell_lines("\n".join("".join(seg.text for seg in line.segments) for line in lines))
    compact = text.replace(" ", "").strip(_NOISE)
    if compact and all(ch.isdigit() for ch in compact):
        return compact
    if _NUMBER_LIKE.match(compact) and any(ch.isdigit() for ch in compact):
        return compact.translate(_DIGIT_CONFUSIONS)
    return text
