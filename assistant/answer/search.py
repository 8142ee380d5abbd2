"""``assistant search``: ranked passages for a query, optionally within one company."""

from __future__ import annotations

from collections.abc import Collection

from assistant.answer.answerer import Answerer
from assistant.answer.query import Query
from assistant.answer.retrieve import rank
from assistant.core.records import SearchHit
from assistant.store.index import Store


def search(
    store: Store,
    answerer: Answerer,
    query: str,
    company: str | None,
    k: int,
    allowed: Collection[str] | None = None,
) -> list[SearchHit]:
    """Hybrid retrieval (dense + keyword), as answers use it; within ``allowed`` companies when given."""
    resolved = answerer.resolve_company(query, company, allowed) if company else None
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
