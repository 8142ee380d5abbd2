from pathlib import Path

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths


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


def test_lone_file_company_from_flag_or_text_or_error(fake_services: Services, tmp_path: Path) -> None:
    store, settings = fake_services.store, fake_services.settings
    anonymous = tmp_path / "memo.txt"
    anonymous.write_text("Revenue grew strongly this year.\n", encoding="utf-8")
    report = ingest_paths([anonymous], store, settings)
    assert report.files[0].status == "failed"
    assert "memo.txt: cannot tell which company" in (report.files[0].error or "")
    assert "--company" in (report.files[0].error or "")

    report = ingest_paths([anonymous], store, settings, company="Acme Robotics")
    assert report.files[0].status == "stored"

    named = tmp_path / "report.txt"
    named.write_text(
        "杭州星河智能科技股份有限公司 2023年年度报告\n公司名称：杭州星河智能科技股份有限公司\n"
        "2023年营业收入为1.2亿元。\n",
        encoding="utf-8",
    )
    report = ingest_paths([named], store, settings)
    assert report.files[0].status == "stored", report.files[0].error
    assert report.files[0].company == "星河智能"
    assert {c.company for c in store.companies()} == {"Acme Robotics", "星河智能"}


def test_documents_chunked_by_an_older_chunker_are_chunked_again(fake_services: Services, docs: Path) -> None:
    import sqlite3

    from assistant.core.settings import Settings
    from assistant.ingest.chunking import VERSION

    settings = fake_services.settings
    ingest_paths([docs], fake_services.store, settings)
    ledger = fake_services.store.ledger.path
    # a store from before chunker versions: the column is missing, every document was chunked by version 1
    with sqlite3.connect(ledger) as db:
        db.execute("ALTER TABLE documents DROP COLUMN chunker")
        db.execute("ALTER TABLE documents DROP COLUMN boilerplate")  # and from before it was kept
    del fake_services
    services = Services(Settings(**settings.model_dump()))
    with services.store.ledger.tx() as db:
        assert {r[0] for r in db.execute("SELECT chunker FROM documents")} == {"1"}
        assert {r[0] for r in db.execute("SELECT boilerplate FROM documents")} == {"[]"}
        db.execute(
            "UPDATE documents SET chunker=? WHERE doc='news.md'", (VERSION,)
        )  # only this one is current
    report = ingest_paths([docs], services.store, settings)
    assert {f.doc: f.status for f in report.files} == {"notes.txt": "stored", "news.md": "unchanged"}
    with services.store.ledger.tx() as db:
        assert {r[0] for r in db.execute("SELECT chunker FROM documents")} == {VERSION}
    assert [f.status for f in ingest_paths([docs], services.store, settings).files] == [
        "unchanged",
        "unchanged",
    ]
