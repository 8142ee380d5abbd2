"""A document quality score in [0, 1] from what the reader produced: garbled characters, empty pages,
and OCR confidence. Shown in the ingest report; below ``LOW`` a document is flagged."""

from __future__ import annotations

import re

from assistant.core.records import Document

LOW = 0.6
_GARBLED = re.compile("[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f]|Ã.|â€|ï¿½")


def garbled_ratio(text: str) -> float:
    if not text:
        return 0.0
    return len(_GARBLED.findall(text)) / len(text)


def quality_score(document: Document) -> float:
    pages = document.pages or []
    text = "".join(p.text for p in pages)
    if not text.strip():
        return 0.0
    garbled = min(1.0, garbled_ratio(text) * 20)  # 5% garbled characters → 0
    paged = [p for p in pages if p.number is not None]
    empty = sum(1 for p in paged if len(p.text.strip()) < 30) / len(paged) if paged else 0.0
    ocr = [p.ocr_confidence for p in pages if p.ocr_confidence is not None]
    ocr_factor = sum(ocr) / len(ocr) if ocr else 1.0
    return round((1.0 - garbled) * (1.0 - 0.5 * empty) * ocr_factor, 3)
