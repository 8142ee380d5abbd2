"""The unified social credit code (统一社会信用代码, GB 32100-2015): its check character, and finding a
valid one in a document's text."""

from __future__ import annotations

import re

_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE_RE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")
_CODE_LABEL_RE = re.compile(
    r"(统一社会信用代码|社会信用代码|信用代码|credit code|USCC)\s*[:：|]?\s*$", re.IGNORECASE
)


def valid_credit_code(code: str) -> bool:
    """True if ``code`` is 18 characters of the GB 32100 charset with a correct check character."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _CODE_CHARSET for c in code):
        return False
    total = sum(_CODE_CHARSET.index(c) * w for c, w in zip(code[:17], _CODE_WEIGHTS, strict=True))
    return _CODE_CHARSET[(31 - total % 31) % 31] == code[17]


def find_credit_code(text: str) -> tuple[str, int] | None:
    """The first valid code after a 统一社会信用代码 label, else the first valid code; with its offset."""
    first: tuple[str, int] | None = None
    for m in _CODE_RE.finditer(text):
        code = m.group(0).upper()
        if not valid_credit_code(code):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _CODE_LABEL_RE.search(text[line_start : m.start()].replace("|", " ")):
            return code, m.start()
        if first is None:
            first = (code, m.start())
    return first
