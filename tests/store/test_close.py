"""A closed store lets go of its Chroma client: Chroma keeps a path's database and vector index loaded while
any client of it is open, so a process that opens stores one after another (a batch, a benchmark, the tests)
would otherwise keep every one of them in memory. Embedded and on a Chroma server alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from tests.store.conftest import RunningChroma


def _holders(services: Services) -> int:
    """How many open clients Chroma counts for the system this store's client uses."""
    identifier = services.store._client._identifier  # type: ignore[attr-defined]
    return SharedSystemClient._identifier_to_refcount.get(identifier, 0)


def _round_trip(settings: Settings, docs: Path) -> None:
    services = Services(settings)
    assert ingest_paths([docs], services.store, settings).ok
    stored = services.store.chunk_count()
    assert stored > 0
    holders = _holders(services)
    identifier = services.store._client._identifier  # type: ignore[attr-defined]
    assert holders >= 1
    services.close()
    assert SharedSystemClient._identifier_to_refcount.get(identifier, 0) < holders  # this client's are gone
    if settings.store_backend == "chroma":  # no other client has this path: the database is let go
        assert identifier not in SharedSystemClient._identifier_to_system

    again = Services(settings)  # what was written is all there when the store opens again
    assert again.store.chunk_count() == stored
    again.close()


def test_closing_an_embedded_store_releases_its_database(tmp_path: Path, docs: Path) -> None:
    settings = Settings(
        store=tmp_path / "store", store_backend="chroma", llm_backend="fake", embedding_backend="fake"
    )
    _round_trip(settings, docs)


def test_closing_a_store_on_a_chroma_server_releases_its_client(
    chroma_server: RunningChroma, tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSISTANT_STORE_BACKEND", raising=False)
    settings = Settings(
        store=tmp_path / "store",
        store_backend="chroma-http",
        chroma_host=chroma_server.host,
        chroma_port=chroma_server.port,
        llm_backend="fake",
        embedding_backend="fake",
    )
    _round_trip(settings, docs)


def test_closing_services_that_never_opened_the_store_is_harmless(tmp_path: Path) -> None:
    services = Services(Settings(store=tmp_path / "never", llm_backend="fake", embedding_backend="fake"))
    services.close()
    assert not (tmp_path / "never").exists()
