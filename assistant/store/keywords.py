"""Keyword tokens for the BM25 index (SQLite FTS5): jieba words for Chinese, words for English.

Text is converted to Simplified Chinese first, numbers lose their thousands separators
("2,104.18" → "2104.18") so a figure matches however it is written, and stop words are dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from assistant.text.cjk import HAN
from assistant.text.normalize import index_text

_NUM_SEP = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_WORD = re.compile(r"[\w.%]*[^\W_][\w.%]*", re.UNICODE)
_STOP = {
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "by",
    "and",
    "or",
    "is",
    "was",
    "were",
    "are",
    "be",
    "did",
    "does",
    "do",
    "what",
    "which",
    "who",
    "whom",
    "how",
    "much",
    "many",
    "its",
    "it",
    "this",
    "that",
    "with",
    "as",
    "from",
    "has",
    "have",
    "had",
    "according",
    "s",
    "的",
    "是",
    "了",
    "在",
    "和",
    "与",
    "及",
    "其",
    "为",
    "多少",
    "什么",
    "哪些",
    "哪个",
    "哪家",
    "是否",
    "吗",
    "呢",
    "根据",
    "请问",
    "pdf",
    "md",
    "txt",
}
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


_added: set[str] = set()


_vocabulary = [0]  # bumped whenever the segmenter learns a word: tokens made before may differ


def vocabulary() -> int:
    """The version of the segmenter's vocabulary (tokens made under another version may differ)."""
    return _vocabulary[0]


def add_words(words: list[str]) -> None:
    """Teach the segmenter names it would otherwise split (company names and aliases)."""
    new = [w for w in (index_text(w).lower() for w in words) if w and w not in _added and len(w) >= 2]
    if not new:
        return
    with _lock:
        jieba = _jieba()
        for word in new:
            if re.search(r"[" + HAN + r"]", word) and " " not in word:
                jieba.add_word(word, freq=200000)
            _added.add(word)
        _vocabulary[0] += 1


def tokenize(text: str) -> list[str]:
    """Search tokens of a text (also used for queries, so both sides match)."""
    text = _NUM_SEP.sub("", index_text(text)).lower()
    with _lock:
        words = _jieba().lcut_for_search(text)
    out = []
    for word in words:
        word = word.strip().strip(".").removesuffix("'s")
        if word and word not in _STOP and _WORD.fullmatch(word):
            out.append(word)
    return out
