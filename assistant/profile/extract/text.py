"""Chunk text → logical lines → sentences → clauses, with every position mapped back to the chunk.

A chunk keeps the document's physical lines (a PDF wraps a sentence over two lines; a Markdown table
has one row per line). Extractors read *logical* lines (wrapped lines joined) but quote the chunk's own
characters: :meth:`Segment.quote` returns ``chunk.text[a:b]``, so a quote is always a verbatim
substring of the stored text (a wrapped sentence keeps its line break).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.core.records import Chunk
from assistant.text.cjk import HAN_RE

_TABLE_ROW = re.compile(r"^\|.*\|$")
_TERMINAL = tuple("。！？；：:.!?;…")
_ITEM_START = re.compile(
    r"^(?:[-*•>#]|\d{1,2}[.、)）](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|"
    r"第[一二三四五六七八九十\d]+[节章部]|Part [IVX\d]+\b)"
)
_ZH_LABEL_START = re.compile(r"^[^：:，。\s|]{2,16}[：:]")
_EN_LABEL_START = re.compile(r"^[A-Z][A-Za-z0-9 &/()'’.\-]{1,40}:\s")
_LIST_MARKER = re.compile(r"(?:\d{1,2}[.)、](?!\d)|[-*•])\s*")
_ABBREV = frozenset(
    [
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "nos",
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "jr",
        "sr",
        "vs",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "etc",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "plc",
        "llc",
        "l.l.c",
        "s.a",
        "n.v",
        "b.v",
        "dept",
        "est",
    ]
)


def units(text: str) -> int:
    return len(text) + len(HAN_RE.findall(text))


@dataclass
class Segment:
    """A logical line of a chunk: ``text`` is the joined line, ``offsets[i]`` the chunk position of
    ``text[i]`` (a joining space maps onto the chunk's line break)."""

    chunk: Chunk
    text: str
    offsets: list[int]
    index: int  # order within the chunk
    table_row: bool = False
    sentences_: list[tuple[int, int]] | None = field(default=None, repr=False)

    def quote(self, start: int, end: int) -> str:
        """The chunk's own characters behind ``text[start:end]`` (stripped, without a leading list marker:
        the chunker drops the space in "4. 客户…", so the marker is never quoted)."""
        start, end = _strip_span(self.text, start, end)
        marker = _LIST_MARKER.match(self.text, start, end)
        if marker and marker.end() < end:
            start = marker.end()
        if end <= start:
            return ""
        return self.chunk.text[self.offsets[start] : self.offsets[end - 1] + 1]

    def sentences(self) -> list[tuple[int, int]]:
        if self.sentences_ is None:
            self.sentences_ = list(sentence_spans(self.text))
        return self.sentences_

    def sentence_at(self, pos: int) -> tuple[int, int]:
        for start, end in self.sentences():
            if start <= pos < end:
                return start, end
        return 0, len(self.text)


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\n":
        start += 1
    while end > start and text[end - 1] in " \t\n":
        end -= 1
    return start, end


def _physical_lines(chunk: Chunk) -> list[tuple[int, str, bool]]:
    """(offset, line, joinable) of the chunk's lines; a table caption that the chunker joined with ' / '
    is split back into its lines (never re-joined: ' / ' is not in the document)."""
    out: list[tuple[int, str, bool]] = []
    pos = 0
    lines = chunk.text.split("\n")
    has_table = any(_TABLE_ROW.match(ln) for ln in lines)
    seen_table = False
    for line in lines:
        if _TABLE_ROW.match(line):
            seen_table = True
        if has_table and not seen_table and " / " in line:
            sub = 0
            for part in line.split(" / "):
                out.append((pos + sub, part, False))
                sub += len(part) + 3
        else:
            out.append((pos, line, True))
        pos += len(line) + 1
    return [(o, ln, j) for o, ln, j in out if ln.strip()]


_FIGURE = r"[-−(]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?\)?"
_TABULAR = re.compile(rf"(?:^|\s){_FIGURE}\s+(?:{_FIGURE}|不适用|—|–|-|N/A|n/a)\s*$")


_TABULAR_END = "%)用—–-Aa"  # how a figure or a placeholder (不适用, —, N/A) can end, besides a digit


def looks_tabular(line: str) -> bool:
    """A plain-text table row or header: ends with two or more figures ("营业收入 16,842.57 12,306.18")."""
    line = line.strip()
    # the last cell ends the line: a line ending in another character is no row (most lines; a cheap test)
    if not line or not (line[-1].isdecimal() or line[-1] in _TABULAR_END):
        return False
    return _TABULAR.search(line) is not None


def _continues(prev: str, nxt: str) -> bool:
    """Is ``nxt`` the wrapped continuation of ``prev``?"""
    if not prev or not nxt or _TABLE_ROW.match(prev) or _TABLE_ROW.match(nxt):
        return False
    if looks_tabular(prev) or looks_tabular(nxt):
        return False
    if (
        prev.lstrip().startswith("#")
        or _ITEM_START.match(nxt)
        or _ZH_LABEL_START.match(nxt)
        or _EN_LABEL_START.match(nxt)
    ):
        return False
    last = prev.rstrip()[-1]
    if last in _TERMINAL:
        return False
    if last in "，,、（(—-":
        return True
    if _ZH_LABEL_START.match(prev) or _EN_LABEL_START.match(prev):
        return False  # "主营业务：…" ends its own line unless it visibly continues
    if nxt[0].islower() and last.isalnum():
        return True
    if HAN_RE.search(prev):
        return units(prev) >= 40 and (bool(HAN_RE.match(last)) or last.isalnum() or last in "”’)）%")
    return len(prev) >= 60 and (last.isalnum() or last in "”’)%")  # a wrapped English line, not a heading


def segments(chunk: Chunk) -> list[Segment]:
    """The logical lines of a chunk."""
    lines = _physical_lines(chunk)
    groups: list[list[tuple[int, str]]] = []
    joinable_prev = False
    for offset, line, joinable in lines:
        if groups and joinable and joinable_prev and _continues(groups[-1][-1][1], line):
            groups[-1].append((offset, line))
        else:
            groups.append([(offset, line)])
        joinable_prev = joinable
    out: list[Segment] = []
    for index, group in enumerate(groups):
        text = ""
        offsets: list[int] = []
        for i, (offset, line) in enumerate(group):
            if i:
                prev = text[-1:]
                if prev and (prev.isascii() and line[:1].isascii()) and prev != " ":
                    text += " "
                    offsets.append(offset - 1)  # the line break
            text += line
            offsets.extend(range(offset, offset + len(line)))
        out.append(
            Segment(
                chunk=chunk, text=text, offsets=offsets, index=index, table_row=bool(_TABLE_ROW.match(text))
            )
        )
    return out


_SENTENCE_MARK = re.compile(r"[。！？；;.!?]")  # where a sentence can end


def ends_sentence(text: str, start: int, i: int) -> bool:
    """Whether the mark ``text[i]`` ends the sentence begun at ``start``: Chinese 。！？；; always; English
    . ! ? when followed by a space or the end, except a period after an abbreviation (Inc.), a middle initial,
    or before a lower-case word or a digit."""
    ch = text[i]
    if ch in "。！？；;":
        return True
    if ch not in ".!?" or (i + 1 < len(text) and text[i + 1] != " "):
        return False
    rest = text[i + 1 :].lstrip()
    if ch != "." or not rest:
        return True
    word = re.search(r"([A-Za-z.]+)$", text[start:i])
    token = (word.group(1) if word else "").lower()
    return not (
        token in _ABBREV or (len(token) == 1 and token.isalpha()) or rest[:1].islower() or rest[:1].isdigit()
    )


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Sentence spans, cut where ``ends_sentence`` says. Only the punctuation marks are looked at (found
    by a search, not a walk over every character: most lines are one sentence)."""
    start = 0
    n = len(text)
    mark = _SENTENCE_MARK.search(text)
    while mark:
        i = mark.start()
        if ends_sentence(text, start, i):
            yield start, i + 1
            start = i + 1
            while start < n and text[start] == " ":
                start += 1
            mark = _SENTENCE_MARK.search(text, start)
        else:
            mark = _SENTENCE_MARK.search(text, i + 1)
    if start < n:
        yield start, n


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of ``text[start:end]``: split at ，, ; and English ', ' outside parentheses (never inside
    a number such as 1,444)."""
    out: list[tuple[int, int]] = []
    depth = 0
    cs = start
    for i in range(start, end):
        ch = text[i]
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        elif depth == 0 and (
            ch in "，；;"
            or (
                ch == ","
                and i + 1 < end
                and text[i + 1] == " "
                and not re.match(r" (?:19|20)\d{2}\b", text[i + 1 : i + 6])
            )
        ):
            out.append((cs, i))
            cs = i + 1
    out.append((cs, end))
    return out


def strip_parens(text: str) -> str:
    return re.sub(r"[（(][^（()）]*[)）]", "", text)


def squash(text: str) -> str:
    return "".join(text.split())


def iter_tables(segs: list[Segment]) -> list[list[Segment]]:
    """The runs of consecutive Markdown table rows among a chunk's segments."""
    tables: list[list[Segment]] = []
    i = 0
    while i < len(segs):
        if segs[i].table_row:
            j = i
            while j < len(segs) and segs[j].table_row:
                j += 1
            tables.append(segs[i:j])
            i = j
        else:
            i += 1
    return tables
