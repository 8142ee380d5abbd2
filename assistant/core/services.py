"""Wiring: build the backends named in settings once, lazily, and hand them to the stages."""

from __future__ import annotations

from functools import cached_property

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel

from assistant.answer.answerer import Answerer
from assistant.core.settings import Settings
from assistant.models.embeddings import build_embeddings, embedding_key
from assistant.models.llm import build_llm, llm_concurrency, model_label
from assistant.models.llm_queue import LLMQueue, QueuedChat
from assistant.store.index import Store
from assistant.store.remote import chroma_server


class Services:
    """Everything a command needs, built on first use (the LLM only when an answer needs it)."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings | None = None,
        llm: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._llm = llm

    @cached_property
    def embeddings(self) -> Embeddings:
        return self._embeddings or build_embeddings(self.settings)

    @cached_property
    def store(self) -> Store:
        return Store(
            self.settings.store,
            self.embeddings,
            embedding_key(self.settings),
            server=chroma_server(self.settings),
        )

    def close(self) -> None:
        """Close the store if it was opened (what it holds in memory is released; see ``Store.close``)."""
        store = self.__dict__.pop("store", None)
        if store is not None:
            store.close()

    @cached_property
    def llm(self) -> BaseChatModel:
        return self._llm or build_llm(self.settings)

    @cached_property
    def llm_queue(self) -> LLMQueue:
        """One generation at a time for the embedded model (not thread-safe); a model server's (backend
        openai) run together, as its own scheduling allows (``llm_concurrency``); waiters know their place."""
        return LLMQueue(concurrency=llm_concurrency(self.settings))

    @cached_property
    def answerer(self) -> Answerer:
        queued = QueuedChat(inner=lambda: self.llm, queue=self.llm_queue)
        return Answerer(self.store, lambda: queued, self.settings, model_label(self.settings))
