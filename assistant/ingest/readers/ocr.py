"""OCR of scanned PDF pages with RapidOCR (PP-OCRv4 ONNX models shipped in its wheel; runs offline).

Keeps: the recognised text lines in reading order (top to bottom, left to right within a line) and their
mean confidence. Drops: layout (columns, tables) and anything the models do not recognise.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from assistant.ingest.readers.common import join_fragments

SCALE = 2.0  # 144 dpi
MAX_PIXELS_SIDE = 2600

_ENGINE: Any = None
_LOCK = threading.Lock()


def _engine() -> Any:
    """The RapidOCR engine, created once (loading the models takes about half a second)."""
    global _ENGINE
    if _ENGINE is None:
        from rapidocr_onnxruntime import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        _ENGINE = RapidOCR()
    return _ENGINE


def _reading_order(items: list[tuple[list[list[float]], str, float]]) -> list[str]:
    """Group boxes into lines by vertical overlap, order lines top-down and boxes left-right."""
    boxes = []
    for box, text, _ in items:
        ys = [p[1] for p in box]
        xs = [p[0] for p in box]
        boxes.append((min(ys), max(ys), min(xs), text))
    boxes.sort(key=lambda b: (b[0], b[2]))
    lines: list[list[tuple[float, float, float, str]]] = []
    for top, bottom, left, text in boxes:
        centre = (top + bottom) / 2
        if lines and lines[-1][0][0] <= centre <= lines[-1][0][1]:
            lines[-1].append((top, bottom, left, text))
        else:
            lines.append([(top, bottom, left, text)])
    return [join_fragments(b[3] for b in sorted(line, key=lambda b: b[2])) for line in lines]


def ocr_pdf_page(document: Any, index: int) -> tuple[str, float | None]:
    """Render page ``index`` (0-based) of a pypdfium2 document and OCR it: (text, mean confidence)."""
    import numpy as np

    page = document[index]
    width, height = page.get_size()
    scale = min(SCALE, MAX_PIXELS_SIDE / max(width, height, 1.0))
    image = page.render(scale=scale).to_pil().convert("RGB")
    with _LOCK:
        result, _ = _engine()(np.asarray(image))
    items = [(box, str(text), float(score)) for box, text, score in (result or []) if str(text).strip()]
    if not items:
        return "", None
    confidence = sum(score for _, _, score in items) / len(items)
    return "\n".join(_reading_order(items)), round(confidence, 4)
