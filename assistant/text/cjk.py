"""CJK text, in one place: what counts as a Han character, as a wide (two-cell) character, and the
conversions between Traditional and Simplified script (OpenCC, whose converters are not documented as
thread-safe: one lock for both).

``HAN`` is the body of a regular-expression character class (CJK Unified Ideographs and Extension A):
write ``re.compile("[" + HAN + "]+")`` rather than a range of one's own.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

HAN = "\u3400-\u9fff"
HAN_RE = re.compile(f"[{HAN}]")
#: characters a terminal or a printed page gives two cells (CJK, kana, hangul, full-width forms, curly quotes)
WIDE = (
    "\u1100-\u115f\u2018-\u201d\u2026\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)
_WIDE_RE = re.compile(f"[{WIDE}]")
#: scripts written without spaces between words (CJK ideographs, kana, CJK punctuation, full-width forms):
#: a space a layout put between two such characters is no word break
UNSPACED = "\u2e80-\u9fff\uff00-\uffef"
_lock = threading.Lock()


def has_han(text: str) -> bool:
    """Whether ``text`` contains a Han character."""
    return HAN_RE.search(text) is not None


def is_cjk(char: str) -> bool:
    """True for CJK ideographs, kana, hangul and CJK / full-width punctuation (no space between such
    characters when lines are joined)."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x3FFFF
    )


def display_width(text: str) -> int:
    """Printed width in half-width cells: CJK characters and full-width punctuation count two."""
    return len(text) + len(_WIDE_RE.findall(text))


@lru_cache(maxsize=2)
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC t2s); text without Han characters is returned as is."""
    if not has_han(text):
        return text
    with _lock:
        return str(_converter("t2s").convert(text))


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese (OpenCC s2t); text without Han characters is returned as is."""
    if not has_han(text):
        return text
    with _lock:
        return str(_converter("s2t").convert(text))
