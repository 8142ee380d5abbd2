"""A page's characters and ruling lines read by PDFium, in the shape pdfplumber's table finder takes.

pdfplumber finds tables well but reads a page through pdfminer, a pure-Python content-stream parser
(about 0.2 s a page on our CPUs, 5× the rest of table finding). PDFium (pypdfium2, C++) reads the same
page in a few milliseconds, so ``page_objects`` gives pdfplumber its ``chars`` and ``lines`` from
PDFium and pdfplumber's own algorithm does the rest (``page._objects`` is pdfplumber's cache of what
it parsed). Lines are every horizontal or vertical segment of every path (a rectangle gives four), as
pdfplumber makes edges of lines, rectangles and curves; characters use PDFium's loose boxes (font
ascent to descent, as pdfminer's). On the devset's 195-page annual report the tables come out
identical on 191 pages (the others differ by a stray space or a ``(cid:13)`` pdfminer could not map).
Rotated pages are left to pdfminer. ``has_image`` tells a scanned page (see ``pdf_pages``).
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

_AXIS = 0.01  # a segment whose ends differ less than this in x (or y) is vertical (or horizontal)
# pdfplumber's table finder drops edges shorter than this first (edge_min_length_prefilter): the ends of
# the thin rectangles that draw most ruling lines; they are not built at all
_MIN_EDGE = 1
_TINY = 0.9 * _MIN_EDGE  # a path within a box this small (its bounds, as drawn) has no segment of _MIN_EDGE
_SOFT_HYPHEN = 2  # PDFium reports a hyphen that ends a line as code 2


_FAST: dict[str, Any] = {}


def _fast(name: str) -> Any:
    """PDFium's function ``name`` called without releasing the GIL. ctypes lets go of it around every
    foreign call, and taking it back waits for any other thread running Python (up to its 5 ms switch
    interval): across the hundred thousand calls of a report's characters and paths, with the ingest's
    other stages running, that is most of the time. These calls take well under a microsecond."""
    function = _FAST.get(name)
    if function is None:
        raw = getattr(pdfium_c, name)
        try:
            prototype = ctypes.PYFUNCTYPE(raw.restype, *(raw.argtypes or ()))
            address = ctypes.cast(raw, ctypes.c_void_p).value
            function = prototype(address) if address else raw
        except (TypeError, AttributeError):  # not a plain ctypes function: as it is
            function = raw
        _FAST[name] = function
    return function


def page_objects(page: pdfium.PdfPage, text: pdfium.PdfTextPage) -> dict[str, list[dict[str, Any]]] | None:
    """``{"char": […], "line": […]}`` of a loaded page and its text page, or None for a rotated page."""
    if page.get_rotation() % 360:
        return None
    height = float(page.get_height())
    return {"char": _chars(text, height), "line": _lines(page, height)}


def has_image(page: Any) -> bool:
    """Whether a page (PDFium's raw handle) draws an image, itself or in a form XObject up to 3 levels
    deep: the mark of a scanned page."""
    return any(True for _ in _objects(page, None, 0, pdfium_c.FPDF_PAGEOBJ_IMAGE, 3))


def _chars(text: pdfium.PdfTextPage, height: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    box = pdfium_c.FS_RECTF()
    get_unicode, is_generated = _fast("FPDFText_GetUnicode"), _fast("FPDFText_IsGenerated")
    get_box, raw = _fast("FPDFText_GetLooseCharBox"), text.raw
    for i in range(_fast("FPDFText_CountChars")(raw)):
        code = get_unicode(raw, i)
        if code == _SOFT_HYPHEN:
            code = 45  # "-"
        if code < 32 or (code == 32 and is_generated(raw, i) == 1):  # PDFium generates only spaces and breaks
            continue
        get_box(raw, i, box)
        left, right, top, bottom = box.left, box.right, height - box.top, height - box.bottom
        out.append(
            {
                "object_type": "char",
                "text": chr(code),
                "x0": left,
                "x1": right,
                "top": top,
                "bottom": bottom,
                "doctop": top,
                "width": right - left,
                "height": bottom - top,
                "size": bottom - top,
                "upright": True,
            }
        )
    return out


def _lines(page: pdfium.PdfPage, height: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    px, py = ctypes.byref(x), ctypes.byref(y)
    m = pdfium_c.FS_MATRIX()
    pm = ctypes.byref(m)
    get_matrix, count = _fast("FPDFPageObj_GetMatrix"), _fast("FPDFPath_CountSegments")
    get_segment, get_point = _fast("FPDFPath_GetPathSegment"), _fast("FPDFPathSegment_GetPoint")
    get_type, get_close, moveto = (
        _fast("FPDFPathSegment_GetType"),
        _fast("FPDFPathSegment_GetClose"),
        pdfium_c.FPDF_SEGMENT_MOVETO,
    )
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    bounds, box = _fast("FPDFPageObj_GetBounds"), [ctypes.byref(v) for v in (left, bottom, right, top)]
    for handle in _objects(page.raw, None, 0, pdfium_c.FPDF_PAGEOBJ_PATH, 7):
        if bounds(handle, *box) and right.value - left.value < _TINY and top.value - bottom.value < _TINY:
            continue  # every segment shorter than _MIN_EDGE: no edge (a third of the paths of a report)
        if not get_matrix(handle, pm):
            continue
        a, b, c, d, e, f = m.a, m.b, m.c, m.d, m.e, m.f
        paths: list[list[tuple[float, float]]] = []
        points: list[tuple[float, float]] = []
        for s in range(count(handle)):
            segment = get_segment(handle, s)
            get_point(segment, px, py)
            u, v = x.value, y.value
            point = (a * u + c * v + e, b * u + d * v + f)
            if points and get_type(segment) == moveto:
                paths.append(points)
                points = []
            points.append(point)
            if get_close(segment):
                points.append(points[0])
                paths.append(points)
                points = []
        paths.append(points)
        for path in paths:
            for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
                if abs(y0 - y1) < _AXIS:
                    line = _line(min(x0, x1), max(x0, x1), height - y0, height - y0)
                    if line["width"] >= _MIN_EDGE:
                        out.append(line)
                elif abs(x0 - x1) < _AXIS:
                    line = _line(x0, x0, height - max(y0, y1), height - min(y0, y1))
                    if line["height"] >= _MIN_EDGE:
                        out.append(line)
    return out


def _objects(page: Any, form: Any, level: int, kind: int, depth: int) -> Iterator[Any]:
    """The objects of type ``kind`` of a page, and of its form XObjects ``depth`` levels deep (as
    pypdfium2's ``get_objects(max_depth=depth + 1)``, without building a Python object for every page
    object)."""
    if form is None:
        n, get = _fast("FPDFPage_CountObjects")(page), _fast("FPDFPage_GetObject")
        parent = page
    else:
        n, get = _fast("FPDFFormObj_CountObjects")(form), _fast("FPDFFormObj_GetObject")
        parent = form
    get_type, xobject = _fast("FPDFPageObj_GetType"), pdfium_c.FPDF_PAGEOBJ_FORM
    for i in range(n):
        handle = get(parent, i)
        if not handle:
            continue
        found = get_type(handle)
        if found == kind:
            yield handle
        elif found == xobject and level < depth:
            yield from _objects(page, handle, level + 1, kind, depth)


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
