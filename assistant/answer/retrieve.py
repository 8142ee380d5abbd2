"""The home of retrieval: dense and keyword search of the store fused, the relevance floor, and a
prompt-sized selection. Answers search with their ``Query`` (its tokens and glossary expansions);
``hybrid_search`` and ``retrieve`` take a text for callers that have no Query (search command, evaluation)."""

from __future__ import annotations

import re
from collections.abc import Collection

import numpy as np

from assistant.answer.figure_parts import asked_items, question_years
from assistant.answer.periods import report_year
from assistant.answer.query import Query
from assistant.core.records import Chunk, Evidence
from assistant.facts.metrics import asked_metric, inputs
from assistant.profile.lexicon.identity_labels import IDENTITY_LABELS
from assistant.store.index import Store
from assistant.store.keywords import tokenize
from assistant.text.cjk import HAN
from assistant.text.normalize import embedding_text

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)


ROWS_WEIGHT = 2.0  # the rows of the item asked count as much as being first by meaning and by words


def _fuse(rankings: list[dict[str, float]], k: int, weights: list[float] | None = None) -> list[str]:
    """Chunk ids of the top k by (weighted) reciprocal rank fusion of the rankings (dense, keyword, rows)."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, cid in enumerate(sorted(ranking, key=lambda i: -ranking[i])):
            fused[cid] = fused.get(cid, 0.0) + weight / (RRF_K + rank)
    return sorted(fused, key=lambda i: -fused[i])[:k]


PORTFOLIO_EXACT = 64  # a portfolio up to this many companies is searched company by company (exact)


def hybrid_search(
    store: Store,
    question: str,
    company: str | None,
    k: int,
    doc: str | None = None,
    allowed: Collection[str] | None = None,
) -> list[Evidence]:
    """``rank`` for a question text (analysed here) about ``company``."""
    return rank(store, Query.parse(question, company), k, doc, allowed)


COMMON_SHARE = 0.5  # within one company, a word in more than this share of its passages tells none apart
COMMON_MIN_ROWS = 8  # … once it has this many passages


def _keyword_terms(store: Store, query: Query, doc: str | None) -> list[str]:
    """The query's tokens and its glossary words; within one company, without its own names (they match
    everywhere and only favour title pages) or words in most of its passages (the subject of a one-topic
    document: "Cloudmark acquisition" in a note on that acquisition), and without the words of a document it
    names."""
    terms = list(query.tokens)
    terms += [t for t in query.expansion_tokens if t not in terms]  # statement words for ratio questions
    company = query.company
    if company:
        aliases = store.ledger.aliases().get(company, [])
        names = query.company_tokens | {t for alias in aliases for t in tokenize(alias)}
        terms = [t for t in terms if t not in names] or terms
        rows, shares = store.ledger.term_shares(terms, company)
        if rows >= COMMON_MIN_ROWS:
            terms = [t for t in terms if shares.get(t, 0.0) <= COMMON_SHARE] or terms
    if doc:
        terms = [t for t in terms if t not in set(tokenize(doc))] or terms
    return terms


FACT_ROWS = 3  # passages holding a row of an asked line item that join the fusion as a ranking of their own


def _row_passages(store: Store, query: Query, doc: str | None) -> dict[str, float]:
    """The passages holding a table row (or a stated figure) of a line item the question names in any words
    the lexicon knows ("员工总数", "how many employees" → the row "在职员工的数量合计（人） | | 642"), or of an input
    of the metric it asks ("quick ratio" → cash, receivables, current liabilities), of the years it names:
    the report of that year first (not a later report's prior-year column), consolidated rows first, then by
    the label's rank for its item; at most ``FACT_ROWS``."""
    if query.company is None:
        return {}
    metric = asked_metric(query.text)  # "quick ratio": the rows of its inputs (cash, receivables …)
    prior = [i.removeprefix("prev_") for i in inputs(metric.formula)] if metric else []
    items = list(dict.fromkeys(asked_items(query.text) + prior))
    if not items:
        return {}
    years = set(question_years(query.text))
    facts = [
        f for item in items for f in store.facts(query.company, item)
        if (not years or f.period in years) and (doc is None or f.doc == doc)
    ]  # fmt: skip
    own_year: dict[str, str] = {}  # each report's newest column: its own fiscal year
    for f in facts:
        if f.period and f.period > own_year.get(f.doc, ""):
            own_year[f.doc] = f.period
    facts.sort(
        key=lambda f: (
            own_year.get(f.doc) != f.period,
            f.scope != "consolidated",
            f.kind != "table",
            -f.priority,
        )
    )
    chosen = list(dict.fromkeys(f.chunk_id for f in facts))[:FACT_ROWS]
    return {cid: float(FACT_ROWS - n) for n, cid in enumerate(chosen)}


_REPEATED = 3  # a labelled line printed this often in one document is a signature line, not the field's row


def _label_rows(query: Query, pool: dict[str, Chunk]) -> tuple[dict[str, float], set[str]]:
    """The passages holding the row of an identity field the question names by its label ("法定代表人是谁？" →
    "| 公司的法定代表人 | 周远山 |", "注册地址：…"): a table row first, the report of the year asked (else the
    nearest, else the newest) first, at most ``FACT_ROWS``; and the echoes: passages whose only such line is
    one their document repeats (the signature under every statement, "法定代表人：… 主管会计工作负责人：…"),
    which restate the field and crowd out its row."""
    labels = [rx for _, rx, _ in IDENTITY_LABELS if re.search(rx, query.text, re.I)]
    if not labels:
        return {}, set()
    row = re.compile(rf"^\|?\s*(?:{'|'.join(labels)})\s*(?P<sep>\||[：:]|\s)\s*\S", re.I)
    found: list[tuple[Chunk, str, bool]] = []
    seen: dict[tuple[str, str], int] = {}
    for chunk in pool.values():
        for line in chunk.text.split("\n"):
            line = line.split(" / ")[0].strip()  # a caption the chunker joined to it is not part of it
            if m := row.match(line):
                found.append((chunk, line, m.group("sep") == "|"))
                seen[chunk.doc, line] = seen.get((chunk.doc, line), 0) + 1
    repeated = {f[0].chunk_id for f in found if seen[f[0].doc, f[1]] >= _REPEATED}
    found = [f for f in found if seen[f[0].doc, f[1]] < _REPEATED]
    asked = [int(y) for y in question_years(query.text)]

    def distance(
        doc: str,
    ) -> int:  # from the year asked (the report of the nearest year), else the newest first
        year = int(report_year(doc, []) or 0)
        return min(abs(year - a) for a in asked) if asked else -year

    found.sort(key=lambda f: (not f[2], distance(f[0].doc)))
    chosen = list(dict.fromkeys(f[0].chunk_id for f in found))[:FACT_ROWS]
    echoes = repeated - {f[0].chunk_id for f in found} if chosen else set()
    return {cid: float(FACT_ROWS - n) for n, cid in enumerate(chosen)}, echoes


def rank(
    store: Store, query: Query, k: int, doc: str | None = None, allowed: Collection[str] | None = None
) -> list[Evidence]:
    """Dense (cosine), keyword (BM25 over jieba tokens) and table-row (``_row_passages``) rankings fused;
    Evidence.score is the cosine.

    Within the query's company every chunk is scored densely (exact); across companies Chroma's nearest
    neighbours and the keyword index's best matches are pooled. ``allowed`` (a user's portfolio) limits
    the search to those companies: no passage of another company is ever returned.
    """
    company = query.company
    if allowed is not None and company is not None and company not in allowed:
        return []
    vector = np.asarray(store.embeddings.embed_query(embedding_text(query.text)), dtype=np.float32)
    hits = dict(store.ledger.keyword_search(_keyword_terms(store, query, doc), company, limit=max(50, k * 5)))
    pool: dict[str, Chunk] = {}
    dense: dict[str, float] = {}
    scoped = (
        [company]
        if company
        else (sorted(allowed) if allowed is not None and len(allowed) <= PORTFOLIO_EXACT else [])
    )
    if company or allowed is not None and len(allowed) <= PORTFOLIO_EXACT:
        for name in scoped:
            chunks, vectors = store.company_chunks(name)
            for i, c in enumerate(chunks):
                if doc is None or c.doc == doc:
                    pool[c.chunk_id] = c
                    dense[c.chunk_id] = float(vectors[i] @ vector)
    else:
        candidates = store.query(query.text, company=None, k=max(k * 5, 50), doc=doc, vector=vector.tolist())
        pool = {e.chunk.chunk_id: e.chunk for e in candidates}
        dense = {e.chunk.chunk_id: e.score for e in candidates}
        extra = [cid for cid in hits if cid not in pool]
        for chunk, row in zip(*store.chunks_with_vectors(extra), strict=False):
            if doc is None or chunk.doc == doc:
                pool[chunk.chunk_id] = chunk
                dense[chunk.chunk_id] = float(np.asarray(row, dtype=np.float32) @ vector)
    if allowed is not None:  # enforced here, where passages are read
        pool = {cid: c for cid, c in pool.items() if c.company in allowed}
        dense = {cid: v for cid, v in dense.items() if cid in pool}
    keyword = {cid: score for cid, score in hits.items() if cid in pool}
    rows = {cid: score for cid, score in _row_passages(store, query, doc).items() if cid in pool}
    if not rows and company:
        rows, echoes = _label_rows(query, pool)
        dense = {cid: v for cid, v in dense.items() if cid not in echoes}
        keyword = {cid: v for cid, v in keyword.items() if cid not in echoes}
    return [
        Evidence(chunk=pool[cid], score=round(dense[cid], 4))
        for cid in _fuse([dense, keyword, rows], k, [1.0, 1.0, ROWS_WEIGHT])
    ]


def retrieve(
    store: Store,
    question: str,
    company: str | None,
    k: int,
    min_relevance: float,
    doc: str | None = None,
    allowed: Collection[str] | None = None,
) -> list[Evidence]:
    """``relevant`` for a question text (analysed here) about ``company``."""
    return relevant(store, Query.parse(question, company), k, min_relevance, doc, allowed)


def relevant(
    store: Store,
    query: Query,
    k: int,
    min_relevance: float,
    doc: str | None = None,
    allowed: Collection[str] | None = None,
) -> list[Evidence]:
    """Top-k fused passages, or none when even the best is below the relevance floor."""
    found = rank(store, query, k, doc, allowed)
    if not found or max(e.score for e in found) < min_relevance:
        return []
    return found


def named_document(store: Store, question: str, company: str | None) -> str | None:
    """A stored file the question names explicitly ("according to annual_report_2023.pdf …")."""
    if not company:
        return None
    folded = question.casefold()
    names = [doc for _, doc in store.documents(company) if doc.casefold() in folded]
    return max(names, key=len) if names else None


_CJK = re.compile(r"[" + HAN + r"]")


def estimate_tokens(text: str) -> int:
    """Rough prompt tokens for Qwen-style tokenizers: ~0.75 per CJK character, ~0.3 per other."""
    cjk = len(_CJK.findall(text))
    return int(cjk * 0.75 + (len(text) - cjk) * 0.3) + 1


def select_passages(evidence: list[Evidence], top_k: int, token_budget: int) -> list[Evidence]:
    """The best passages that fit the prompt's token budget (always at least one)."""
    chosen: list[Evidence] = []
    used = 0
    for item in evidence:
        if len(chosen) >= top_k:
            break
        size = estimate_tokens(item.chunk.text)
        if chosen and used + size > token_budget:
            continue
        chosen.append(item)
        used += size
    return chosen
