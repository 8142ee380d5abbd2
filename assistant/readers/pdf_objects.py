"""A page's characters and ruling lines read by PDFium, in the shape pdfplumber's table finder takes.

pdfplumber finds tables well but reads a page through pdfminer, a pure-Python content-stream parser
(about 0.2 s a page on our CPUs, 5× the rest of table finding). PDFium (pypdfium2, C++) reads the same
page in a few milliseconds, so ``plumber_objects`` gives pdfplumber its ``chars`` and ``lines`` from
PDFium and pdfplumber's own algorithm does the rest (``page._objects`` is pdfplumber's cache of what
it parsed). Lines are every horizontal or vertical segment of every path (a rectangle gives four), as
pdfplumber makes edges of lines, rectangles and curves; characters use PDFium's loose boxes (font
ascent to descent, as pdfminer's). On the devset's 195-page annual report the tables come out
identical on 191 pages (the others differ by a stray space or a ``(cid:13)`` pdfminer could not map).
Rotated pages are left to pdfminer.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

_AXIS = 0.01  # a segment whose ends differ less than this in x (or y) is vertical (or horizontal)
_SOFT_HYPHEN = 2  # PDFium reports a hyphen that ends a line as code 2


def open_document(data: bytes) -> pdfium.PdfDocument:
    """A PDFium document (an empty user password is tried, as pypdf does)."""
    return pdfium.PdfDocument(data, password="")


def plumber_objects(document: pdfium.PdfDocument, index: int) -> dict[str, list[dict[str, Any]]] | None:
    """``{"char": […], "line": […]}`` of the 0-based page, or None for a rotated page."""
    page = document[index]
    try:
        if page.get_rotation() % 360:
            return None
        height = float(page.get_height())
        return {"char": _chars(page, height), "line": _lines(page, height)}
    finally:
        page.close()


def _chars(page: pdfium.PdfPage, height: float) -> list[dict[str, Any]]:
    text = page.get_textpage()
    try:
        out: list[dict[str, Any]] = []
        box = pdfium_c.FS_RECTF()
        for i in range(text.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(text, i)
            if code == _SOFT_HYPHEN:
                code = ord("-")
            if code < 32 or pdfium_c.FPDFText_IsGenerated(text, i) == 1:
                continue
            pdfium_c.FPDFText_GetLooseCharBox(text, i, box)
            top, bottom = height - box.top, height - box.bottom
            out.append(
                {
                    "object_type": "char",
                    "text": chr(code),
                    "x0": box.left,
                    "x1": box.right,
                    "top": top,
                    "bottom": bottom,
                    "doctop": top,
                    "width": box.right - box.left,
                    "height": bottom - top,
                    "size": bottom - top,
                    "upright": True,
                }
            )
        return out
    finally:
        text.close()


def _lines(page: pdfium.PdfPage, height: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=8):
        handle = obj.raw
        m = pdfium_c.FS_MATRIX()
        if not pdfium_c.FPDFPageObj_GetMatrix(handle, m):
            continue
        paths: list[list[tuple[float, float]]] = []
        points: list[tuple[float, float]] = []
        for s in range(pdfium_c.FPDFPath_CountSegments(handle)):
            segment = pdfium_c.FPDFPath_GetPathSegment(handle, s)
            pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
            point = (m.a * x.value + m.c * y.value + m.e, m.b * x.value + m.d * y.value + m.f)
            if pdfium_c.FPDFPathSegment_GetType(segment) == pdfium_c.FPDF_SEGMENT_MOVETO and points:
                paths.append(points)
                points = []
            points.append(point)
            if pdfium_c.FPDFPathSegment_GetClose(segment):
                points.append(points[0])
                paths.append(points)
                points = []
        paths.append(points)
        for path in paths:
            for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
                if abs(y0 - y1) < _AXIS:
                    out.append(_line(min(x0, x1), max(x0, x1), height - y0, height - y0))
                elif abs(x0 - x1) < _AXIS:
                    out.append(_line(x0, x0, height - max(y0, y1), height - min(y0, y1)))
    return out


def _line(x0: float, x1: float, top: float, bottom: float) -> dict[str, Any]:
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
    }
