"""What the list extractors (rounds, qualifications, lawsuits, patents, facts) share: the
:class:`~assistant.core.records.Citation` of a sentence they read an item from, and the money figures of a
text in reading order."""

from __future__ import annotations

from assistant.core.records import Citation
from assistant.profile.extract.text import Segment
from assistant.text.figures import Figure, en_money, zh_money


def sentence_source(seg: Segment, s0: int, s1: int) -> Citation:
    """The evidence for an item read from ``seg.text[s0:s1]``: its document, page and verbatim quote."""
    return Citation(doc=seg.chunk.doc, page=seg.chunk.page, quote=seg.quote(s0, s1))


def money_figures(text: str) -> list[Figure]:
    """Chinese and English money amounts of ``text``, in the order they are written."""
    found = zh_money(text) + en_money(text)
    return sorted(found, key=lambda m: m.start)
