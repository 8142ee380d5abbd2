"""Faster pypdf text extraction with identical output.

pypdf's ``extract_text`` spends most of its time in two places that do work it then ignores:

- **parsing the whole content stream into objects.** A page of an annual report is mostly drawing:
  on the devset report 80% of the 740,000 operations are rectangles, clips, colours and marked-content
  tags, each turned into pypdf objects one byte at a time, and then skipped by the text extractor,
  which acts only on the operators in ``TEXT_OPERATORS``.
- **rebuilding every font on every page.** ``Font.from_font_resource`` parses the font's ToUnicode
  CMap (thousands of entries for a CJK font) each time a page names the font.

``fast_text()`` changes neither result: within it, a page's content stream is cut into operations by
one regular expression, and only the operands of text operators are built, each exactly as pypdf's
parser builds it (``FloatObject``/``NumberObject``, names through ``NameObject.CHARSETS``, strings
through ``create_string_object`` with the stream's encoding; escaped strings and anything unusual by
pypdf's own readers). A stream with anything the expression does not cover (inline images, comments,
nested dictionaries, …) is parsed by pypdf as before. Fonts are built once per font object while the
block runs. ``tests/ingest/test_pdf_text.py`` checks the text is identical page by page.

pypdf is pinned in ``pyproject.toml``; the hooks it relies on (``pypdf._text_extraction.
_get_content_stream_for_text`` and ``Font.from_font_resource``) are checked by that test.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from typing import Any

import pypdf._text_extraction as _text_extraction
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    FloatObject,
    NameObject,
    NumberObject,
    create_string_object,
    read_object,
)
from pypdf.generic._font import Font

# the operators pypdf's text extractor acts on (``PageObject._extract_text`` and ``TextExtraction``)
TEXT_OPERATORS = frozenset(b"BT ET q Q cm Tz Tc Tw TL Tf Td Tm T* Tj TJ TD Do ' \"".split())
# operators after which pypdf's parser reads differently, or fails: leave those streams to it
_PYPDF_ONLY = frozenset([b"BI", b"ID", b"EI", b"R"])

_WS = rb"[\x00\t\n\x0c\r ]"  # pypdf's WHITESPACES
_REGULAR = rb"[^\t\n\x0c\x0b\r ()<>\[\]{}/%]"  # not whitespace (either pypdf's set) nor a delimiter
_NUM = rb"[+\-.0-9][+,\-.0-9]*+"  # pypdf reads a number up to a character outside [+,-.0-9]
_NAME = rb"/" + _REGULAR + rb"*+"
_HEX = rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*+>"
_STR = rb"\((?:[^()\\]++|\\.)*+\)"  # a literal string without nested parentheses
_SIMPLE = rb"(?:" + b"|".join([_NUM, _NAME, _HEX, _STR]) + rb")"
_ARRAY = rb"\[" + _WS + rb"*+(?:" + _SIMPLE + _WS + rb"*+)*+\]"
_DICT = rb"<<" + _WS + rb"*+(?:(?:" + _SIMPLE + rb"|" + _ARRAY + rb")" + _WS + rb"*+)*+>>"
_OPERAND = rb"(?:" + b"|".join([_DICT, _NUM, _NAME, _HEX, _STR, _ARRAY]) + rb")"
_OPERATOR = rb"[A-Za-z'\"]" + _REGULAR + rb"*+"

_NOTED = b"|".join(re.escape(op) for op in sorted(TEXT_OPERATORS | _PYPDF_ONLY, key=len, reverse=True))
_IGNORED = rb"(?!(?:" + _NOTED + rb")(?!" + _REGULAR + rb"))" + _OPERATOR  # an operator pypdf would skip
# a run of operations the text extractor ignores, then one it acts on (or one pypdf must parse):
# group 1 its operands, group 2 its operator
_OPERATION = re.compile(
    rb"(?:"
    + _WS
    + rb"*+(?:"
    + _OPERAND
    + _WS
    + rb"*+)*+"
    + _IGNORED
    + rb")*+"
    + _WS
    + rb"*+((?:"
    + _OPERAND
    + _WS
    + rb"*+)*+)("
    + _OPERATOR
    + rb")",
    re.DOTALL,
)
# what may follow the last such operation: ignored operations, operands without an operator
_TAIL = re.compile(
    rb"(?:"
    + _WS
    + rb"*+(?:"
    + _OPERAND
    + _WS
    + rb"*+)*+"
    + _IGNORED
    + rb")*+"
    + _WS
    + rb"*+(?:"
    + _OPERAND
    + _WS
    + rb"*+)*+",
    re.DOTALL,
)

_TOKEN = re.compile(
    rb"(" + _NUM + rb")|(" + _NAME + rb")|(" + _HEX + rb")|(" + _STR + rb")|(\[)|(\])|(<<)", re.DOTALL
)
_NOT_HEX = re.compile(rb"[^0-9A-Fa-f]")
_NUMBERS_ONLY = re.compile(rb"[+,\-.0-9\t\n\x0c\r ]+")  # bytes.split() separates these as pypdf does


class _Fallback(Exception):
    """Something pypdf's own reader must handle."""


def _number(token: bytes) -> Any:
    return FloatObject(token) if b"." in token else NumberObject(token)


def _name(token: bytes, data: bytes, start: int, encoding: Any) -> Any:
    if b"#" in token:
        return _pypdf_object(data, start, encoding)
    for charset in NameObject.CHARSETS:
        try:
            return NameObject(token.decode(charset))
        except UnicodeDecodeError:
            continue
    return _pypdf_object(data, start, encoding)  # pragma: no cover - latin1 decodes any byte


def _hex(token: bytes, encoding: Any) -> Any:
    digits = _NOT_HEX.sub(b"", token[1:-1])
    if len(digits) % 2:
        digits += b"0"
    return create_string_object(bytes.fromhex(digits.decode()), encoding)


def _string(token: bytes, data: bytes, start: int, encoding: Any) -> Any:
    if b"\\" in token:
        return _pypdf_object(data, start, encoding)
    return create_string_object(token[1:-1], encoding)


def _pypdf_object(data: bytes, start: int, encoding: Any) -> Any:
    stream = io.BytesIO(data)
    stream.seek(start)
    return read_object(stream, None, encoding)


def _operands(data: bytes, start: int, end: int, encoding: Any) -> list[Any]:
    """The operands in ``data[start:end]``, built as pypdf's content-stream parser builds them."""
    if _NUMBERS_ONLY.fullmatch(data, start, end):  # Tm, Td, cm, Tc …: the common case, split directly
        return [FloatObject(t) if b"." in t else NumberObject(t) for t in data[start:end].split()]
    out: list[Any] = []
    array: list[Any] | None = None
    for m in _TOKEN.finditer(data, start, end):
        kind = m.lastindex
        token = m.group(kind or 0)
        if kind == 1:
            value = _number(token)
        elif kind == 2:
            value = _name(token, data, m.start(), encoding)
        elif kind == 3:
            value = _hex(token, encoding)
        elif kind == 4:
            value = _string(token, data, m.start(), encoding)
        elif kind == 5:
            array = []
            continue
        elif kind == 6:
            if array is None:  # pragma: no cover - the operation pattern pairs brackets
                raise _Fallback
            value, array = ArrayObject(array), None
        else:  # a dictionary operand of a text operator: pypdf builds it, and the tokens inside are skipped
            raise _Fallback
        if array is not None:
            array.append(value)
        else:
            out.append(value)
    return out


def text_operations(data: bytes, encoding: Any) -> list[tuple[list[Any], bytes]]:
    """The operations of a content stream that pypdf's text extractor acts on, with their operands.

    Raises ``_Fallback`` when the stream holds anything the pattern does not cover."""
    operations: list[tuple[list[Any], bytes]] = []
    position = 0
    while (m := _OPERATION.match(data, position)) is not None:
        position = m.end()
        operator = m.group(2)
        if operator in _PYPDF_ONLY:
            raise _Fallback
        start, end = m.span(1)
        operations.append((_operands(data, start, end, encoding) if end > start else [], operator))
    tail = _TAIL.match(data, position)
    if tail is None or tail.end() != len(data):
        raise _Fallback
    return operations


class _TextOperations:
    """Stands in for a ContentStream in ``PageObject._extract_text``, which reads only ``operations``."""

    def __init__(self, operations: list[tuple[list[Any], bytes]]) -> None:
        self.operations = operations


_ORIGINAL_CONTENT = _text_extraction._get_content_stream_for_text
_ORIGINAL_FONT = Font.from_font_resource.__func__  # type: ignore[attr-defined]
_STATE = threading.local()


def _content_for_text(obj: Any, pdf: Any, content_key: str | None, *, has_visitor: bool) -> Any:
    content = _ORIGINAL_CONTENT(obj, pdf, content_key, has_visitor=has_visitor)
    if not getattr(_STATE, "active", False) or has_visitor or not isinstance(content, ContentStream):
        return content
    if content._operations:  # already parsed (e.g. a modified page): use what pypdf has
        return content
    try:
        return _TextOperations(text_operations(content.get_data(), content.forced_encoding))
    except _Fallback:
        return content


def _font(cls: type[Font], font_resource: Any) -> Font:
    fonts: dict[int, tuple[Any, Font]] | None = getattr(_STATE, "fonts", None)
    if fonts is None:
        return _ORIGINAL_FONT(cls, font_resource)  # type: ignore[no-any-return]
    held = fonts.get(id(font_resource))
    if held is None or held[0] is not font_resource:
        held = (
            font_resource,
            _ORIGINAL_FONT(cls, font_resource),
        )  # the resource is held: its id stays its own
        fonts[id(font_resource)] = held
    return held[1]


_text_extraction._get_content_stream_for_text = _content_for_text
Font.from_font_resource = classmethod(_font)  # type: ignore[assignment, method-assign]


@contextlib.contextmanager
def fast_text(enabled: bool = True, fonts: dict[int, tuple[Any, Font]] | None = None) -> Iterator[None]:
    """Within the block (and this thread), pypdf's ``extract_text`` parses only text operations and
    builds each font once. The fonts are kept in ``fonts`` (give the same dict to the blocks of one PDF,
    and drop it with the PDF) or forgotten when the block ends."""
    previous = getattr(_STATE, "active", False), getattr(_STATE, "fonts", None)
    _STATE.active, _STATE.fonts = enabled, ((fonts if fonts is not None else {}) if enabled else None)
    try:
        yield
    finally:
        _STATE.active, _STATE.fonts = previous
