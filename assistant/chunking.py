"""Chinese-aware chunking: sentence boundaries in both scripts, pages never crossed."""

from __future__ import annotations

import hashlib
import re

from assistant.types import Chunk, Document

# A sentence ends after Chinese end punctuation, or after . ! ? followed by space, or at a newline.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=[.!?;])(?=\s)|\n+")
_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s+.+|第[一二三四五六七八九十百\d]+[章节部分].*|[一二三四五六七八九十]+、.{1,40})$")
_SPACES = re.compile(r"[ \t\u3000]+")


def normalise(text: str) -> str:
    """Collapse runs of spaces; keep newlines (they carry structure)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]


def _joiner(a: str, b: str) -> str:
    """Join two sentences: no space between CJK characters, a space between Latin words."""
    if a and b and (a[-1].isascii() and a[-1].isalnum()) and (b[0].isascii() and b[0].isalnum()):
        return " "
    if a and b and a[-1] in ".,;:!?" and b[0].isascii():
        return " "
    return ""


def _hard_split(sentence: str, size: int) -> list[str]:
    return [sentence[i : i + size] for i in range(0, len(sentence), size)]


def chunk_id(company: str, doc: str, page: int | None, text: str) -> str:
    key = f"{company}\x1f{doc}\x1f{page}\x1f{text}".encode()
    return hashlib.sha256(key).hexdigest()[:20]


def _join(parts: list[tuple[str, bool]]) -> str:
    text = ""
    for sentence, new_line in parts:
        text += ("\n" if new_line and text else _joiner(text, sentence)) + sentence
    return text


def _page_sentences(text: str, size: int, section: str | None) -> tuple[list[tuple[str, str | None, bool]], str | None]:
    """Sentences of a page as (sentence, section heading, starts a new line); and the last heading."""
    out: list[tuple[str, str | None, bool]] = []
    for line in normalise(text).split("\n"):
        if not line:
            continue
        if _HEADING.match(line) and len(line) <= 60:
            section = line.lstrip("#").strip()
        first = True
        for sentence in split_sentences(line):
            for piece in _hard_split(sentence, size) if len(sentence) > size else [sentence]:
                out.append((piece, section, first))
                first = False
    return out, section


def chunk_document(document: Document, size: int = 360, overlap: int = 60) -> list[Chunk]:
    """Pack whole sentences into chunks of about ``size`` characters; pages are never crossed."""
    groups: list[tuple[int | None, str | None, str]] = []  # (page, section, text)
    section: str | None = None
    for page in document.pages:
        sentences, section_after = _page_sentences(page.text, size, section)
        current: list[tuple[str, bool]] = []
        current_section = section
        length = 0
        for sentence, sec, new_line in sentences:
            if current and length + len(sentence) > size:
                groups.append((page.number, current_section, _join(current)))
                carried: list[tuple[str, bool]] = []  # trailing sentences carried over as overlap
                for part in reversed(current):
                    if sum(len(p[0]) for p in carried) + len(part[0]) > overlap:
                        break
                    carried.insert(0, part)
                current, length = carried, sum(len(p[0]) for p in carried)
            if not current:
                current_section = sec
            current.append((sentence, new_line))
            length += len(sentence)
        if current:
            groups.append((page.number, current_section, _join(current)))
        section = section_after
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for page_no, sec, text in groups:
        cid = chunk_id(document.company, document.doc, page_no, text)
        if cid in seen:
            continue
        seen.add(cid)
        chunks.append(
            Chunk(chunk_id=cid, company=document.company, doc=document.doc, page=page_no, section=sec, text=text)
        )
    return chunks
