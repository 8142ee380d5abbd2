"""The Store's public reading methods that profiles and batches use (no reach-ins into Chroma or the ledger)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths


def test_company_texts_are_the_company_chunks_without_vectors(fake_services: Services, docs: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    store = fake_services.store
    texts = store.company_texts("Acme")  # read first: nothing cached yet, so Chroma is asked without vectors
    chunks, vectors = store.company_chunks("Acme")
    assert texts and texts == chunks and len(vectors) == len(chunks)
    assert {c.company for c in texts} == {"Acme"}
    assert store.company_texts("Acme") == chunks  # now from the cache, the same list
    assert store.company_texts("Nobody Ltd") == []


def test_company_texts_follow_a_change_of_the_company(fake_services: Services, docs: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    store = fake_services.store
    before = store.company_chunks("Acme")[0]  # cached
    (docs / "Acme" / "visit.txt").write_text("Acme Robotics opened a second plant in Ohio in 2024.\n")
    ingest_paths([docs], store, fake_services.settings)
    after = store.company_texts("Acme")
    assert len(after) == len(before) + 1 and any("second plant" in c.text for c in after)


def test_document_hashes_and_aliases(fake_services: Services, docs: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    store = fake_services.store
    hashes = store.document_hashes()
    assert set(hashes) == {"Acme", "星河科技"}
    notes = docs / "Acme" / "notes.txt"
    assert hashes["Acme"]["notes.txt"] == hashlib.sha256(notes.read_bytes()).hexdigest()
    assert store.document_hashes("Acme") == {"Acme": hashes["Acme"]}

    store.ledger.set_aliases("Acme", ["Acme Robo"])
    store.ledger.set_aliases("Nobody Ltd", ["Nobody"])  # no stored document: not a company of the store
    aliases = store.aliases()
    assert "Acme Robo" in aliases["Acme"] and "Nobody Ltd" not in aliases

    store.delete_document("Acme", "notes.txt")  # Acme's only document
    assert "Acme" not in store.document_hashes() and "Acme" not in store.aliases()
