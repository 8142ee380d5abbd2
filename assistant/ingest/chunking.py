"""Structure-aware chunking, Chinese and English alike.

- Prose: whole sentences (Chinese 。！？；, English . ! ? before a space, line ends) packed into chunks of
  about ``size`` units (a CJK character counts 2, see ``units``) with a little overlap; a sentence up to
  twice a chunk stays whole, a longer one is cut after its clauses.
- Tables (Markdown, one line per row): never cut mid-row; a table that fits in 2×``size`` is one chunk,
  a longer one is split by rows with its header row repeated in every part; the line just above the
  table (its caption) leads each part.
- Lines a layout wrapped (PDF pages, hard-wrapped text) are joined again first, so a sentence or a word
  ("研\n发中心") cut by the end of a printed line is one again (see ``unwrap``).
- Pages are never crossed, so every chunk has one page; the nearest heading is kept as ``section``. A
  header of column years speaks for a table that goes on at the top of the next page.
- A text export's pages lose their running headers and footers first (``normalise``: the PDF reader's
  rules, ``readers.margins``), recorded once in ``Document.boilerplate``. A passage of nothing but headings,
  page markers and boilerplate is never stored on its own: it leads the next passage of its page (else ends
  the one before; alone on its page it goes); a short fragment of prose joins the prose before it on its page
  (else after it).
- Chunk ids come from the company and the passage's content (see ``chunk_id``).
"""

from __future__ import annotations

import hashlib
import re

from assistant.core.records import Chunk, Document
from assistant.ingest.readers.margins import find_margins, is_marker_line, line_key
from assistant.text.cjk import HAN, WIDE, display_width
from assistant.text.headings import HEADING as _HEADING
from assistant.text.headings import is_heading
from assistant.text.normalize import clean_text, index_text
from assistant.text.tables import is_figure_cell, row_cells, title_year

# Bump when chunk texts or boundaries change: a document chunked by an older version is chunked again by the
# next ingest (the ledger records each document's version). 2: lines a layout wrapped are joined. 3: text
# exports' one-cell-per-line tables are rows, and every document's table figures are stored as facts.
# 4: a sentence up to twice a chunk stays whole; an English line going on in lower case was wrapped.
# 5: text exports have pages (markers, form feeds) and lose their running headers and footers; a passage of only
# headings, page markers or boilerplate joins its neighbour (never stored alone), as does a short fragment; a
# header of column years carries over a page break. 6: a table's caption takes the column titles a text export
# prints one per line above it. 7: a line of nothing but a markup tag ("[/TABLE]", "<br>") is never a passage of
# its own either.
VERSION = "7"

_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=[.!?])(?=\s)|\n+")
_TABLE_ROW = re.compile(
    r"^\|.*\|$|^(?=(?:[^|]*\|){2})(?:\||[^|]*\S\s+\|\s)"
)  # "| a | b |", "| a | b", "a | b | c"
_TABLE_RULE = re.compile(r"^\|[\s:|-]+\|$")
_TAG = re.compile(r"^\s*[\[<]/?[A-Za-z][A-Za-z _-]{0,20}/?[\]>]\s*$")  # "[/TABLE]", "<br/>", "[IMAGE]"
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ENDS_CLAUSE = re.compile(r"[。！？；：.!?;:]$")
_ITEM = re.compile(
    r"^(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、．]|\d{1,2}\.\s|[•·●○■□◆▪◇※*-]\s?|第[一二三四五六七八九十百\d]+[章节条部分])"
)
WRAPPED_READERS = ("pdf", "txt", "md")  # where a line end can be the layout's, not the author's
MIN_TEXT_WIDTH = 50  # cells: narrower "full" lines are a list or a form, not running text
SLACK = 2  # cells a ragged-right line may stop short of the full width and still be full
CJK_FULL = (
    0.85  # a Chinese line this share of the full width (or more) that does not end a clause was wrapped
)
_COLUMN_GAP = re.compile(r"[" + HAN + r"]\s+[" + HAN + r"]")
_WIDE = re.compile(f"[{WIDE}]")
_FIRST_WORD = re.compile(f"[{WIDE}]|[^\\s{WIDE}]+")


_CJK = re.compile(r"[" + HAN + r"]")


def units(text: str) -> int:
    """Chunk size measure: a CJK character counts twice (it costs ~0.75 prompt tokens, a Latin
    character ~0.3), so Chinese and English chunks cost about the same in a prompt."""
    return len(text) + len(_CJK.findall(text))


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]


def _wrapped(last: str, line: str, full: int) -> bool:
    """Whether the printed line ``last`` runs on into ``line``: it does not end a clause and is full —
    for Chinese within ``CJK_FULL`` of the page's full width (justified lines end at the margin, paragraphs
    end with punctuation); otherwise ``line``'s first word would not have fitted on it."""
    if _ENDS_CLAUSE.search(last) or _TABLE_ROW.match(last) or _HEADING.match(last):
        return False
    if _TABLE_ROW.match(line) or _HEADING.match(line) or _ITEM.match(line):
        return False
    if _WIDE.match(line[0]) and _WIDE.search(last):  # Chinese text (its lines may end in a figure: "证书3")
        if _COLUMN_GAP.search(last) or _COLUMN_GAP.search(
            line
        ):  # "生物控股 指 内蒙古…": rows of a layout table
            return False
        return display_width(last) >= CJK_FULL * full
    if line[0].islower() and last[-1].isalnum():  # English prose goes on in lower case: a wrapped line
        return True
    word = _FIRST_WORD.match(line)
    return (
        word is not None
        and display_width(last) + display_width(_joiner(last, line) + word.group()) > full - SLACK
    )


def full_width(lines: list[str]) -> int | None:
    """The full width of a layout's lines: its 90th-percentile line (table rows aside); None for fewer than 3."""
    widths = sorted(display_width(x) for x in lines if x and not _TABLE_ROW.match(x))
    return widths[min(len(widths) - 1, int(len(widths) * 0.9))] if len(widths) >= 3 else None


def unwrap(lines: list[str], full: int | None = None) -> list[str]:
    """Join the lines a layout wrapped (see ``_wrapped``); an empty line is always the author's break and is
    dropped. The full width is the page's (``full_width``) unless given (a text export's pages share one
    layout: the document's); pages without lines of running text (``MIN_TEXT_WIDTH``) keep every break."""
    text = [x for x in lines if x]
    page_full = full_width(text)
    if page_full is None:
        return text
    full = full or page_full
    if full < MIN_TEXT_WIDTH:
        return text
    out: list[str] = []
    for n, line in enumerate(lines):
        if not line:
            continue
        if out and lines[n - 1] and _wrapped(lines[n - 1], line, full):
            out[-1] += _joiner(out[-1], line) + line
        else:
            out.append(line)
    return out


def page_lines(text: str, reader: str, full: int | None = None) -> list[str]:
    """A page's lines as its chunks hold them: normalised, no empty lines, lines a layout wrapped joined (at
    the full width given, else the page's)."""
    lines = clean_text(text).split("\n")
    return unwrap(lines, full) if reader in WRAPPED_READERS else [x for x in lines if x]


def chunk_id(company: str, text: str) -> str:
    """Stable id from the company and the passage's content: the same passage in two documents
    (a re-posted news item, a figure copied into a plan) gets one id and is stored once."""
    key = _NOT_WORD.sub("", index_text(text)).lower()
    return hashlib.sha256(f"{company}\x1f{key}".encode()).hexdigest()[:20]


def _joiner(a: str, b: str) -> str:
    """Join two sentences: a space between Latin words, none between CJK characters."""
    if a and b and a[-1].isascii() and b[0].isascii() and (a[-1].isalnum() or a[-1] in ".,;:!?%)"):
        return " "
    return ""


def _join(parts: list[tuple[str, bool]]) -> str:
    text = ""
    for sentence, new_line in parts:
        text += ("\n" if new_line and text else _joiner(text, sentence)) + sentence
    return text


def _table_parts(caption: str | None, rows: list[str], size: int) -> list[str]:
    """A Markdown table as one or more chunks, each with the caption and the header row(s)."""
    header = rows[:2] if len(rows) > 1 and _TABLE_RULE.match(rows[1]) else _header_rows(rows)
    body = rows[len(header) :]
    lead = ([caption] if caption else []) + header
    limit = max(size * 2, sum(units(x) + 1 for x in lead) + 1)
    if sum(units(r) + 1 for r in lead + body) <= limit or not body:
        return ["\n".join(lead + body)]
    parts: list[str] = []
    current: list[str] = []
    used = sum(units(x) + 1 for x in lead)
    for row in body:
        if current and used + units(row) + 1 > limit:
            parts.append("\n".join(lead + current))
            current, used = [], sum(units(x) + 1 for x in lead)
        current.append(row)
        used += units(row) + 1
    if current:
        parts.append("\n".join(lead + current))
    return parts


def _header_rows(rows: list[str]) -> list[str]:
    """The leading rows of a table without a Markdown rule that hold no figures (column titles, years,
    "(in thousands)"), at most three; at least the first row."""
    count = 0
    for row in rows[:3]:
        cells = row_cells(row)[1:]
        if any(is_figure_cell(c) for c in cells if c):
            break
        count += 1
    return rows[: max(1, count)]


_COLUMN_TITLE = re.compile(
    r"^\s*(?:(?:fiscal\s+)?years?\s+ended|(?:three|six|nine|twelve)\s+months\s+ended|as\s+(?:of|at)\b|"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)\b|"
    r"\(?in\s+(?:thousands|millions|billions)|(?:19|20)\d{2}\b|截至|单位|项目|期末|期初|本期|上期|本年|上年)",
    re.I,
)


def _caption(lines: list[str], start: int) -> str | None:
    """The short lines just above a table (title, unit), up to three, e.g. "研发投入情况表 / 单位：元" — and
    above those, up to eight in all, the column titles a text export prints one per line ("Year Ended /
    December 31, / 2022 / December 25, / 2021 / (In millions)"): the table's passage says which year each
    column is."""
    picked: list[str] = []
    k = start - 1
    while (
        k >= 0
        and len(picked) < 8
        and len(lines[k]) <= 40
        and not _TABLE_ROW.match(lines[k])
        and (len(picked) < 3 or _COLUMN_TITLE.match(lines[k]))
    ):
        picked.insert(0, lines[k])
        k -= 1
    return " / ".join(picked) or None


class _PageChunker:
    """Collects the chunks of one page."""

    def __init__(self, size: int, overlap: int, section: str | None) -> None:
        self.size, self.overlap, self.section = size, overlap, section
        self.out: list[tuple[str | None, str]] = []  # (section, text)
        self.current: list[tuple[str, bool]] = []
        self.current_section = section
        self.length = 0

    def flush(self, keep_overlap: bool) -> None:
        if self.current:
            self.out.append((self.current_section, _join(self.current)))
        carried: list[tuple[str, bool]] = []
        if keep_overlap:
            for part in reversed(self.current):
                if sum(units(p[0]) for p in carried) + units(part[0]) > self.overlap:
                    break
                carried.insert(0, part)
        self.current = carried
        self.length = sum(units(p[0]) for p in carried)
        self.current_section = self.section

    def sentence(self, text: str, new_line: bool) -> None:
        for piece in _pieces(text, self.size):
            if self.current and self.length + units(piece) > self.size:
                self.flush(keep_overlap=True)
            if not self.current:
                self.current_section = self.section
            self.current.append((piece, new_line))
            self.length += units(piece)
            new_line = False

    def table(self, caption: str | None, rows: list[str]) -> None:
        self.flush(keep_overlap=False)
        for part in _table_parts(caption, rows, self.size):
            self.out.append((self.section, part))


_CLAUSE = re.compile(r"[^，,；;、：:]*[，,；;、：:]?\s*")  # a clause with its punctuation and spaces


def _pieces(sentence: str, size: int) -> list[str]:
    """A sentence as chunk pieces: whole up to twice a chunk (a sentence cut in two answers neither half
    of a question); a longer one is cut after its clauses (commas, semicolons) into pieces of about a chunk,
    and only a clause longer than a chunk is cut inside."""
    if units(sentence) <= 2 * size:
        return [sentence]
    step = size // 2 if _CJK.search(sentence) else size
    pieces: list[str] = [""]
    for clause in (c for c in _CLAUSE.findall(sentence) if c):
        for part in [clause[i : i + step] for i in range(0, len(clause), step)]:
            if pieces[-1] and units(pieces[-1]) + units(part) > size:
                pieces.append("")
            pieces[-1] += part
    return [p.strip() for p in pieces if p.strip()]


def _years_only(row: str) -> bool:
    """A table row of column years and nothing else ("As of December 31, | 2023 | 2022")."""
    cells = [c for c in row_cells(row)[1:] if c]
    return bool(cells) and all(title_year(c) for c in cells)


def _subsumed(text: str, following: str) -> bool:
    """Every line of a short passage is in the passage after it (the caption lines above a table, which the
    table's passage repeats as its caption)."""
    lines = [x.strip() for x in text.split("\n") if x.strip()]
    return len(text) <= 200 and bool(lines) and all(x in following for x in lines)


MARGIN_READERS = (
    "txt",
    "md",
)  # readers whose pages keep their running headers (the PDF reader removes its own)
SHORT = (
    40  # units: a passage shorter than this (or an eighth of a chunk) is a fragment that joins a neighbour
)


def normalise(document: Document) -> Document:
    """The document with a text export's running headers and footers removed from its pages (three or more,
    numbered) and recorded in ``boilerplate`` — in place, so the facts read from it and its record see it."""
    numbered = sum(1 for p in document.pages if p.number is not None)
    if document.reader not in MARGIN_READERS or numbered < 3 or document.boilerplate:
        return document
    found = find_margins([p.text for p in document.pages], runs=True)
    document.pages = [
        p.model_copy(update={"text": t}) for p, t in zip(document.pages, found.pages, strict=True)
    ]
    document.boilerplate = found.boilerplate
    return document


def _empty(text: str, boilerplate: set[str]) -> bool:
    """A passage of nothing but headings, markup tags, page markers and running lines."""
    return all(
        is_heading(x) or _TAG.match(x) or _margin(x, boilerplate) for x in text.split("\n") if x.strip()
    )


def _table(text: str) -> bool:
    return any(_TABLE_ROW.match(x) for x in text.split("\n"))


def _margin(line: str, boilerplate: set[str]) -> bool:
    return is_marker_line(line) or line_key(line) in boilerplate


def _settle(
    out: list[tuple[str | None, str]], boilerplate: set[str], short: int = SHORT
) -> list[tuple[str | None, str]]:
    """A page's passages without captions of their own (``_subsumed``); a passage of only headings, markers
    or boilerplate gives its headings to the next one (else to the one before; else they go) and a short
    fragment of prose joins the prose before it (else after it; a table's passage stays as it is)."""
    kept = [p for k, p in enumerate(out) if not (k + 1 < len(out) and _subsumed(p[1], out[k + 1][1]))]
    settled: list[tuple[str | None, str]] = []
    lead: list[str] = []  # headings of empty passages, waiting for the next passage
    for sec, text in kept:
        if _empty(text, boilerplate):
            lead += [x for x in text.split("\n") if x.strip() and not _margin(x, boilerplate)]
            continue
        text, lead = "\n".join([*lead, text]), []
        last = settled[-1][1] if settled else ""
        if last and not _table(last) and not _table(text) and min(units(text), units(last)) < short:
            settled[-1] = (settled[-1][0], f"{last}\n{text}")
        else:
            settled.append((sec, text))
    if lead and settled:
        settled[-1] = (settled[-1][0], "\n".join([settled[-1][1], *lead]))
    return settled


def chunk_document(document: Document, size: int = 360, overlap: int = 60) -> list[Chunk]:
    """Chunks of a document, in reading order; see the module docstring for the rules. A text export's
    pages are normalised first (``normalise``: in place)."""
    normalise(document)
    boilerplate = {line_key(x) for x in document.boilerplate}
    chunks: list[Chunk] = []
    section: str | None = None
    years_header: str | None = None  # the last header of column years (a table goes on over a page break)
    full = None  # a text export's pages are one layout: lines are wrapped at the document's full width
    if document.reader in MARGIN_READERS and len(document.pages) > 1:
        full = full_width([x for p in document.pages for x in clean_text(p.text).split("\n")])
    for page in document.pages:
        lines = page_lines(page.text, document.reader, full)
        pc = _PageChunker(size, overlap, section)
        i = 0
        while i < len(lines):
            line = lines[i]
            if _TABLE_ROW.match(line):
                j = i
                while j < len(lines) and _TABLE_ROW.match(lines[j]):
                    j += 1
                caption, rows = _caption(lines, i), lines[i:j]
                if j - i == 1 and _years_only(line):  # a header of years, then captions, then the rows
                    k = j
                    while (
                        k < len(lines)
                        and k - j < 3
                        and len(lines[k]) <= 40
                        and not _TABLE_ROW.match(lines[k])
                    ):
                        k += 1
                    if k > j and k < len(lines) and _TABLE_ROW.match(lines[k]):
                        end = k
                        while end < len(lines) and _TABLE_ROW.match(lines[end]):
                            end += 1
                        caption = " / ".join([*([caption] if caption else []), *lines[j:k]])
                        rows, j = [line, *lines[k:end]], end
                if _years_only(rows[0]):
                    years_header = rows[0]
                elif years_header and any(is_figure_cell(c) for c in row_cells(rows[0])[1:] if c):
                    rows = [years_header, *rows]  # the statement goes on below a heading: its columns' years
                pc.table(caption, rows)
                i = j
                continue
            if is_heading(line):
                pc.section = section = line.lstrip("#").strip()
            for n, sentence in enumerate(split_sentences(line)):
                pc.sentence(sentence, new_line=n == 0)
            i += 1
        pc.flush(keep_overlap=False)
        section = pc.section
        seen: set[str] = set()
        for sec, text in _settle(pc.out, boilerplate, min(SHORT, size // 8)):
            cid = chunk_id(document.company, text)
            if cid in seen:
                continue
            seen.add(cid)
            chunks.append(
                Chunk(
                    chunk_id=cid,
                    company=document.company,
                    doc=document.doc,
                    page=page.number,
                    section=sec,
                    text=text,
                )
            )
    return chunks
