from pathlib import Path

from assistant.ingest import ingest_paths
from assistant.services import Services


def test_folder_per_company_and_unchanged_reingest(fake_services: Services, docs: Path) -> None:
    store, settings = fake_services.store, fake_services.settings
    first = ingest_paths([docs], store, settings)
    assert [(f.company, f.doc, f.status) for f in first.files] == [
        ("Acme", "notes.txt", "stored"),
        ("星河科技", "news.md", "stored"),
    ]
    count = store.chunk_count()
    second = ingest_paths([docs], store, settings)
    assert {f.status for f in second.files} == {"unchanged"}
    assert store.chunk_count() == count
    assert [c.company for c in store.companies()] == ["Acme", "星河科技"]


def test_changed_file_replaces_its_chunks(fake_services: Services, docs: Path) -> None:
    store, settings = fake_services.store, fake_services.settings
    ingest_paths([docs], store, settings)
    note = docs / "Acme" / "notes.txt"
    note.write_text("Acme now reports revenue of $20.0 million for fiscal 2024.\n", encoding="utf-8")
    report = ingest_paths([docs], store, settings)
    assert [f.status for f in report.files] == ["stored", "unchanged"]
    texts = [e.chunk.text for e in store.query("Acme revenue", company="Acme", k=10)]
    assert texts == ["Acme now reports revenue of $20.0 million for fiscal 2024."]


def test_bad_file_does_not_stop_the_run_nor_touch_stored_data(fake_services: Services, docs: Path) -> None:
    store, settings = fake_services.store, fake_services.settings
    ingest_paths([docs], store, settings)
    before = store.chunk_count()
    (docs / "Acme" / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (docs / "Acme" / "empty.txt").write_bytes(b"")
    (docs / "Acme" / "slides.pptx").write_bytes(b"PK")
    (docs / "Acme" / "_draft.txt").write_text("ignored because of the underscore")
    report = ingest_paths([docs], store, settings)
    by_doc = {f.doc: f for f in report.files}
    assert by_doc["broken.pdf"].status == "failed" and "broken.pdf" in (by_doc["broken.pdf"].error or "")
    assert by_doc["empty.txt"].status == "failed" and "empty" in (by_doc["empty.txt"].error or "")
    assert by_doc["slides.pptx"].status == "skipped"
    assert "_draft.txt" not in by_doc
    assert by_doc["notes.txt"].status == "unchanged"
    assert not report.ok
    assert store.chunk_count() == before


def test_lone_file_needs_a_company(fake_services: Services, docs: Path) -> None:
    store, settings = fake_services.store, fake_services.settings
    file = docs / "Acme" / "notes.txt"
    report = ingest_paths([file], store, settings)
    assert report.files[0].status == "failed"
    assert "--company" in (report.files[0].error or "")
    report = ingest_paths([file], store, settings, company="Acme Robotics")
    assert report.files[0].status == "stored"
    assert [c.company for c in store.companies()] == ["Acme Robotics"]
