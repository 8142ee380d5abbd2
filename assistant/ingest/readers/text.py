"""Plain text and Markdown (.txt, .md): a text export's pages, else the whole file as one page-less Page.

Pages: a text exported from a PDF marks its pages with form feeds (pdftotext) or prints their numbers ("第 12
页", "[第12页]", "- 12 -", "— 12 —", "Page 12 of 180", "12/180", a bare "12" alone on a line). Form feeds cut
pages 1, 2, 3 …; printed markers cut pages only where they run in sequence (see ``margins.marker_chain``: a
stray "12" in a table never does). Each page is numbered as printed when its markers agree (a form-feed page
by its place otherwise); text before the first marker that prints its page at the top is an unnumbered cover
(None). The marker lines go; the running headers and footers the pages repeat are left to the chunker, which
removes them with the PDF reader's rules and records them (``Document.boilerplate``).

Keeps: every character of the text, Markdown as written (headings, tables); a table exported one cell per
line ("Total current assets⏎7,453⏎7,659", as text exports of 10-Ks print them) is joined into Markdown rows
("Total current assets | 7,453 | 7,659"). Drops: a byte-order mark, NUL bytes, trailing spaces and runs of
more than one blank line.

Encoding detection, in order: a byte-order mark (UTF-8, UTF-16, UTF-32); UTF-16 without a BOM when
NUL bytes fall on every other byte; strict UTF-8; then the best of GB18030 (a superset of GBK / GB2312),
Big5, UTF-16 LE/BE and Windows-1252, ranked by charset-normalizer and checked for plausible characters;
last, the encoding that needs the fewest replacement characters (at most 1 %, with a warning).
NUL bytes that are not UTF-16, or many control characters, mean "binary data, not text".
"""

from __future__ import annotations

import codecs
import unicodedata
from collections import Counter

from charset_normalizer import from_bytes

from assistant.core.errors import DocumentError
from assistant.core.records import Page
from assistant.ingest.readers.common import Source, clean_text
from assistant.ingest.readers.margins import ZONE, gaps, line_key, marker_chain, marker_context, page_marker
from assistant.text.tables import vertical_rows

FALLBACK_ENCODINGS = ("gb18030", "big5", "utf_16_le", "utf_16_be", "cp1252")
MIN_PLAUSIBILITY = 0.75
_ALLOWED_CONTROLS = set("\t\n\r\f\v\x1a")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _control_ratio(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    bad = sum(1 for c in sample if c not in _ALLOWED_CONTROLS and unicodedata.category(c) in ("Cc", "Cs"))
    return bad / len(sample)


def _plausibility(text: str) -> float:
    """Share of characters that a real document is made of (Latin-1 letters count half)."""
    sample = text[:20000]
    if not sample:
        return 0.0
    score = 0.0
    for c in sample:
        code = ord(c)
        if (
            (0x20 <= code < 0x7F)
            or c in "\t\n\r\f"
            or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
            or 0x3000 <= code <= 0x303F  # CJK punctuation
            or 0xFF00 <= code <= 0xFFEF  # full-width forms
            or 0x2000 <= code <= 0x206F  # general punctuation
            or 0x3400 <= code <= 0x4DBF  # CJK extension A
            or code in (0xA5, 0xA7, 0xB0, 0xB1, 0xB7, 0xD7)
        ):
            score += 1
        elif 0xC0 <= code <= 0xFF or 0x2100 <= code <= 0x22FF:
            score += 0.5
    return score / len(sample)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM betrays itself by NUL bytes on every other byte (ASCII characters)."""
    head = data[:8192]
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    for encoding, nuls, other in (("utf_16_le", odd, even), ("utf_16_be", even, odd)):
        if nuls >= 2 and nuls > 4 * other:
            try:
                text = data[: len(data) // 2 * 2].decode(encoding)
            except UnicodeDecodeError:
                continue
            if _control_ratio(text) < 0.001 and _plausibility(text) > 0.9:
                return text
    return None


def _best_guess(data: bytes) -> str | None:
    """charset-normalizer's ranking among the fallback encodings, checked for plausible characters."""
    ranked = [m.encoding for m in from_bytes(data, cp_isolation=list(FALLBACK_ENCODINGS))]
    order = ranked + [e for e in FALLBACK_ENCODINGS if e not in ranked]
    decoded: list[tuple[str, float]] = []
    for encoding in order:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        score = _plausibility(text)
        if _control_ratio(text) < 0.01 and score >= MIN_PLAUSIBILITY:
            decoded.append((text, score))
    if not decoded:
        return None
    best = max(score for _, score in decoded)
    return next(text for text, score in decoded if score >= best - 0.05)


def _lenient(source: Source) -> str | None:
    """Text with a few damaged bytes: the most plausible decoding that replaces at most 1 % of it (or 2)."""
    best: tuple[float, int, str, str] | None = None
    for encoding in ("utf-8", *FALLBACK_ENCODINGS):
        text = source.data.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        score = _plausibility(text)
        usable = bad <= max(2, len(text) // 100) and _control_ratio(text) < 0.01 and score >= MIN_PLAUSIBILITY
        if usable and (best is None or score > best[0]):
            best = (score, bad, encoding, text)
    if best is None:
        return None
    _, bad, encoding, text = best
    source.warnings.append(f"{bad} undecodable byte sequence(s) replaced by � (read as {encoding})")
    return text


def decode_text(source: Source) -> str:
    """The file's bytes as text (cached on the source); DocumentError for empty or binary content."""
    if source.text is not None:
        return source.text
    path, data = source.path, source.data
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                text = data.decode(encoding, errors="replace")
                source.warnings.append(f"invalid {encoding} bytes despite the byte-order mark: replaced")
            break
    if text is None and b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise DocumentError(f"{path}: binary data, not text")
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _best_guess(data)
    if text is None:
        text = _lenient(source)
    if text is None:
        raise DocumentError(
            f"{path}: binary data, not text (no encoding fits: tried UTF-8, UTF-16, GB18030, Big5, cp1252)"
        )
    if _control_ratio(text) > 0.01:
        raise DocumentError(f"{path}: binary data, not text")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DocumentError(f"{path}: the file is empty (only white space)")
    source.text = text
    return text


def _form_feed_pages(text: str) -> list[tuple[int | None, str]]:
    """Pages cut at form feeds, numbered 1, 2, 3 … or, when most pages print a number at their top or bottom
    that is their place plus one offset (a cover left unnumbered), as printed (those marker lines dropped)."""
    parts = [part.split("\n") for part in text.split("\f")]
    while len(parts) > 1 and not any(x.strip() for x in parts[-1]):
        parts.pop()  # pdftotext ends its last page with a form feed too
    if len(parts) == 1:
        return [(None, "\n".join(parts[0]))]
    found: dict[int, tuple[int, int]] = {}  # page's place → (line, printed number)
    for k, lines in enumerate(parts):
        filled = [i for i, line in enumerate(lines) if line.strip()]
        for i in [*filled[-ZONE:][::-1], *filled[:ZONE]]:
            marker = page_marker(lines[i])
            if marker is not None:
                found[k] = (i, marker.number)
                break
    offsets = Counter(number - k for k, (_, number) in found.items())
    offset, hits = offsets.most_common(1)[0] if offsets else (1, 0)
    printed = len(parts) >= 2 and hits >= max(2, 0.8 * len(parts))
    pages: list[tuple[int | None, str]] = []
    for k, lines in enumerate(parts):
        if printed and k in found and found[k][1] == k + offset:
            lines = lines[: found[k][0]] + lines[found[k][0] + 1 :]
        pages.append(((k + offset if k + offset >= 1 else None) if printed else k + 1, "\n".join(lines)))
    return pages


def _next_filled(lines: list[str], i: int, step: int) -> int:
    while 0 <= i < len(lines) and not lines[i].strip():
        i += step
    return i


def text_pages(text: str) -> list[tuple[int | None, str]]:
    """(page number, text) of a text export's pages (see the module docstring); [(None, text)] when it marks
    none. Printed markers at the top of their pages (header, number, body) open a page, moving back over the
    running line printed just above each; at the bottom (body, number) they close one. Which: the end with
    no page's text beyond its marker, else the side of the markers the running header is printed on."""
    if "\f" in text:
        return _form_feed_pages(text)
    lines = text.split("\n")
    chain = marker_chain(lines)
    if not chain:
        return [(None, text)]
    head, tail, between = gaps(lines, chain)
    above, below = marker_context(lines, chain)
    # a page of nothing but margins before the first marker (top) or after the last (bottom) is none; else the
    # running header printed next to the numbers tells: above them, they are at the top of their pages
    filled = [line_key(x) for x in lines if x.strip()]
    bare_head = head == 0 or (head == 1 and filled[0] in above)
    bare_tail = tail == 0 or (tail == 1 and filled[-1] in below)
    if bare_head != bare_tail:
        top = bare_head
    elif bool(above) != bool(below):
        top = bool(above)
    else:
        top = tail > 0.25 * between
    markers = {i for i, _ in chain}
    cuts: list[int] = []  # where each marker's page starts (top) or ends (bottom), as a line index
    previous = -1
    for i, _ in chain:
        if top:
            j = _next_filled(lines, i - 1, -1)
            cuts.append(j if j > previous and line_key(lines[j]) in above else i)
        else:
            j = _next_filled(lines, i + 1, 1)
            cuts.append(j + 1 if j < len(lines) and line_key(lines[j]) in below else i + 1)
        previous = i
    numbers = [n for _, n in chain]
    if top:
        spans = [(numbers[0] - 1 or None, 0, cuts[0])]
        spans += [(n, a, b) for n, a, b in zip(numbers, cuts, [*cuts[1:], len(lines)], strict=True)]
    else:
        spans = [(n, a, b) for n, a, b in zip(numbers, [0, *cuts[:-1]], cuts, strict=True)]
        spans.append((numbers[-1] + 1, cuts[-1], len(lines)))
    pages: list[tuple[int | None, str]] = []
    for number, a, b in spans:
        body = [lines[i] for i in range(a, b) if i not in markers]
        if any(x.strip() for x in body):
            pages.append((number, "\n".join(body)))
    return pages


def read_text(source: Source) -> list[Page]:
    """A .txt / .md file's pages (see the module docstring); tables exported one cell per line become rows."""
    text = clean_text(decode_text(source))
    return [Page(number=n, text=vertical_rows(clean_text(body))) for n, body in text_pages(text)]
