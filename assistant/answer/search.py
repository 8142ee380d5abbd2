"""``assistant search``: ranked passages for a query, within the company it names or is given, else all."""

from __future__ import annotations

from collections.abc import Collection

from assistant.answer.answerer import Answerer
from assistant.answer.query import Query
from assistant.answer.retrieve import rank
from assistant.core.records import SearchHit
from assistant.store.index import Store


def searched_company(
    answerer: Answerer, query: str, company: str | None, allowed: Collection[str] | None = None
) -> str | None:
    """The company a search is within: the flag's (any alias; an unknown one is an error), else the one company
    the query names ("四方科技 在职员工"), as ``ask`` resolves it; None (every company) when the query names
    none or several."""
    if company:
        return answerer.resolve_company(query, company, allowed)
    named = answerer.company_candidates(query, None, allowed)
    return named[0] if len(named) == 1 else None


def search(
    store: Store,
    answerer: Answerer,
    query: str,
    company: str | None,
    k: int,
    allowed: Collection[str] | None = None,
) -> list[SearchHit]:
    """Hybrid retrieval (dense + keyword), as answers use it, within the company ``searched_company`` resolves
    (all companies when it resolves none); within ``allowed`` companies when given."""
    resolved = searched_company(answerer, query, company, allowed)
    return [
        SearchHit(
            rank=i,
            score=ev.score,
            company=ev.chunk.company,
            doc=ev.chunk.doc,
            page=ev.chunk.page,
            chunk_id=ev.chunk.chunk_id,
            text=ev.chunk.text,
        )
        for i, ev in enumerate(rank(store, Query.parse(query, resolved), k, allowed=allowed), start=1)
    ]
