"""A closed store lets go of its Chroma database: Chroma keeps a path's database and vector index loaded
while any client of it is open, so a process that opens stores one after another (a batch, a benchmark,
the tests) would otherwise keep every one of them in memory."""

from __future__ import annotations

from pathlib import Path

from chromadb.api.shared_system_client import SharedSystemClient

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths


def _open_systems() -> int:
    return len(SharedSystemClient._identifier_to_system)


def test_closing_releases_the_chroma_database_and_reopening_reads_it(tmp_path: Path, docs: Path) -> None:
    settings = Settings(store=tmp_path / "store", llm_backend="fake", embedding_backend="fake")
    before = _open_systems()
    services = Services(settings)
    assert ingest_paths([docs], services.store, settings).ok
    stored = services.store.chunk_count()
    assert stored > 0 and _open_systems() == before + 1
    services.close()
    assert _open_systems() == before  # the database and its index are no longer held

    again = Services(settings)  # what was written is all there when the store opens again
    assert again.store.chunk_count() == stored
    again.close()
    assert _open_systems() == before


def test_closing_services_that_never_opened_the_store_is_harmless(tmp_path: Path) -> None:
    services = Services(Settings(store=tmp_path / "never", llm_backend="fake", embedding_backend="fake"))
    services.close()
    assert not (tmp_path / "never").exists()
