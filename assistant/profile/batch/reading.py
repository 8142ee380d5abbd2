"""How a batch reads the store: the driver opens it once (:func:`open_store`, no embedding model loaded), and
with ``read="workers"`` each worker process opens it from the settings it was given (:func:`read_company`,
one store per process) and reads its company's chunks and facts itself.

A worker only reads: chunk texts and metadata (Chroma's ``get``, no vectors) and the facts in the ledger.
It reaches the store through the same settings as the driver, never through a handle: the embedded store at
the same path on every node (a shared filesystem), or ``store_backend="chroma-http"`` for the vectors (the
ledger still lives in the store directory, so that directory is shared as well)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from assistant.core.errors import InputError

if TYPE_CHECKING:
    from assistant.core.records import Chunk, Fact
    from assistant.core.settings import Settings
    from assistant.store.index import Store


class LazyEmbeddings(Embeddings):
    """Builds the configured embedding model only if something embeds: a batch never does, so the store
    opens without loading a model."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._model: Embeddings | None = None

    def _get(self) -> Embeddings:
        if self._model is None:
            from assistant.models.embeddings import build_embeddings

            self._model = build_embeddings(self._settings)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._get().embed_query(text)


def open_store(settings: Settings) -> Store:
    """The store of ``settings`` (embedded, or its vectors on the Chroma server it names) without loading
    the embedding model."""
    from assistant.models.embeddings import embedding_key
    from assistant.store.index import Store
    from assistant.store.remote import chroma_server

    return Store(
        settings.store, LazyEmbeddings(settings), embedding_key(settings), server=chroma_server(settings)
    )


def fingerprints(store: Store) -> dict[str, str]:
    """Company → a hash of its stored documents and their sha256 (changes when a document does)."""
    return {
        company: hashlib.sha1(json.dumps(sorted(docs.items())).encode()).hexdigest()[:16]
        for company, docs in store.document_hashes().items()
    }


def company_data(store: Store, company: str) -> tuple[list[Chunk], list[Fact]]:
    """What one company's profile reads: its chunks (texts, no vectors) and the facts of its tables."""
    return store.company_texts(company), store.facts(company)


# ---- in a worker ---------------------------------------------------------------------------------------------
_STORES: dict[str, Store] = {}
_OPENING = threading.Lock()


def worker_store(settings: dict[str, Any]) -> Store:
    """The store the settings (a JSON dump) name, opened once per worker process. A store directory that is
    not there is an error (opening would create an empty store): the node does not share the driver's."""
    key = json.dumps(settings, sort_keys=True, default=str)
    with _OPENING:
        if key not in _STORES:
            from assistant.core.settings import Settings

            parsed = Settings.model_validate(settings)
            if not (Path(parsed.store) / "ledger.sqlite3").is_file():
                raise InputError(
                    f"the store {parsed.store} is not on this worker's node ({socket.gethostname()}): reading in "
                    "the workers needs it at the same path on every node (a shared filesystem)"
                )
            _STORES[key] = open_store(parsed)
        return _STORES[key]
