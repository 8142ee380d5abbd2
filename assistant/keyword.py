"""Keyword scoring (BM25) with a tokenizer that treats Chinese and English alike.

Chinese has no spaces: characters are indexed as overlapping bigrams (and single characters), so
"研发费用" matches "研发费用为2,104.18万元". Numbers are kept whole without separators.
"""

from __future__ import annotations

import re

from rank_bm25 import BM25Okapi

_TOKEN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z][A-Za-z&'-]*|\d[\d,]*(?:\.\d+)?")
_STOP = {
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "and", "or", "is", "was", "were", "are",
    "be", "did", "does", "do", "what", "which", "who", "whom", "how", "much", "many", "its", "it", "this",
    "that", "with", "as", "from", "has", "have", "had", "according", "s",
}
_ZH_STOP = {"是多", "多少", "少？", "哪一", "一年", "什么", "是什", "的是", "公司"}


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for match in _TOKEN.findall(text):
        if "\u3400" <= match[0] <= "\u9fff":
            if len(match) == 1:
                tokens.append(match)
            tokens.extend(b for b in (match[i : i + 2] for i in range(len(match) - 1)) if b not in _ZH_STOP)
        elif match[0].isdigit():
            tokens.append(match.replace(",", ""))
        else:
            word = match.lower().removesuffix("'s").strip("'")
            if word not in _STOP:
                tokens.append(word)
    return tokens


def bm25_scores(query: str, texts: list[str]) -> list[float]:
    """BM25 score of each text for the query (0 for no overlap)."""
    if not texts:
        return []
    corpus = [tokenize(t) or ["∅"] for t in texts]
    return [float(s) for s in BM25Okapi(corpus).get_scores(tokenize(query))]
