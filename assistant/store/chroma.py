"""What the store keeps in a Chroma collection, embedded or on a server: our embedding function (never
Chroma's downloading default) and a chunk's metadata there and back."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.core.errors import AssistantError
from assistant.core.records import Chunk
from assistant.text.normalize import embedding_text


class ChromaEmbeddingFunction:
    """Adapter so Chroma always embeds with our model, never its downloading default."""

    def __init__(self, embeddings: Embeddings, key: str) -> None:
        self._embeddings = embeddings
        self._key = key

    def __call__(self, input: list[str]) -> list[list[float]]:  # noqa: A002 - Chroma's signature
        return self._embeddings.embed_documents([embedding_text(t) for t in input])

    def embed_query(self, input: list[str]) -> list[list[float]]:  # noqa: A002
        return [self._embeddings.embed_query(embedding_text(t)) for t in input]

    def name(self) -> str:
        return f"assistant-{self._key}"

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"key": self._key}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        raise AssistantError("this collection is opened by the assistant with its own embedding function")


def metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {"company": chunk.company, "doc": chunk.doc}
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.section:
        meta["section"] = chunk.section[:200]
    return meta


def chunk(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = meta.get("page")
    return Chunk(
        chunk_id=chunk_id,
        company=str(meta.get("company", "")),
        doc=str(meta.get("doc", "")),
        page=int(page) if page is not None else None,
        section=meta.get("section"),
        text=text,
    )
