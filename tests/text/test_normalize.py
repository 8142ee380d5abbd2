"""What is quoted, what is keyword-indexed, and what the embedding model reads."""

from __future__ import annotations

from pathlib import Path

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.text.normalize import clean_text, embedding_text, index_text

TABLE = (
    "研發投入情況表\n"
    "| 項目 | 2023年 | 2022年 |\n"
    "|---|:---:|---|\n"
    "| 研发投入合计 | 31,572,004.18 | 25,001,200.00 |\n"
    "| Net profit | 12,400,000.00 | 9,100,000.00 |"
)


def test_embedding_text_reads_table_rows_as_cell_sequences() -> None:
    assert embedding_text(TABLE) == (
        "研发投入情况表\n"
        "项目 / 2023年 / 2022年\n"
        "研发投入合计 / 31,572,004.18 / 25,001,200.00\n"
        "Net profit / 12,400,000.00 / 9,100,000.00"
    )


def test_embedding_text_leaves_prose_as_index_text() -> None:
    prose = "公司2023年研發投入3,157.20萬元，同比增長26.3%。Revenue grew 12% — see note 4."
    assert embedding_text(prose) == index_text(prose) != prose  # Simplified, nothing else changed
    assert "|" not in embedding_text("a | b | c") and embedding_text("a | b | c") == "a / b / c"


def test_quotes_keep_the_table_syntax() -> None:
    assert clean_text(TABLE).count("|") == TABLE.count("|")


class _Recording:
    """Wraps the fake embeddings and keeps every text it was asked to embed."""

    def __init__(self, inner: object) -> None:
        self.inner, self.texts = inner, []  # type: ignore[var-annotated]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return self.inner.embed_documents(texts)  # type: ignore[attr-defined, no-any-return]

    def embed_query(self, text: str) -> list[float]:
        self.texts.append(text)
        return self.inner.embed_query(text)  # type: ignore[attr-defined, no-any-return]


def test_the_store_embeds_embedding_text_and_keeps_the_table_for_quotes(
    fake_services: Services, docs: Path
) -> None:
    (docs / "Acme" / "rd.md").write_text("# R&D\n\n" + TABLE + "\n", encoding="utf-8")
    store = fake_services.store
    recording = _Recording(store.embeddings)
    store.embeddings = recording  # type: ignore[assignment]
    ingest_paths([docs / "Acme" / "rd.md"], store, fake_services.settings, company="Acme")
    assert any("研发投入合计 / 31,572,004.18" in t for t in recording.texts)
    assert not any("|" in t for t in recording.texts)
    stored = store.collection.get(include=["documents"])["documents"] or []
    assert any("| 研发投入合计 | 31,572,004.18 |" in d for d in stored)


def test_a_store_with_barred_table_vectors_is_re_embedded_once(fake_services: Services, docs: Path) -> None:
    """Stores built before table rows lost their bars for embedding get those vectors redone when opened."""
    (docs / "Acme" / "rd.md").write_text("# R&D\n\n" + TABLE + "\n", encoding="utf-8")
    settings, store = fake_services.settings, fake_services.store
    ingest_paths([docs], store, settings)
    got = store.collection.get(include=["documents", "embeddings"])
    fresh = dict(zip(got["ids"], got["embeddings"].tolist(), strict=True))  # type: ignore[union-attr]
    tables = [i for i, d in zip(got["ids"], got["documents"] or [], strict=True) if "|" in d]
    assert tables and len(tables) < len(got["ids"])
    # what an older version left: other vectors for the table rows (the fake model ignores bars, so they are
    # stood in for by a fixed vector) and no version mark
    stale = [1.0] + [0.0] * (len(fresh[tables[0]]) - 1)
    assert stale not in fresh.values()
    store.collection.update(ids=tables, embeddings=[stale] * len(tables))  # type: ignore[arg-type]
    with store.ledger.tx() as db:
        db.execute("DELETE FROM meta")

    reopened = Services(settings).store
    assert reopened.refreshed == len(tables)
    now = reopened.collection.get(include=["embeddings"])
    assert dict(zip(now["ids"], now["embeddings"].tolist(), strict=True)) == fresh  # type: ignore[union-attr]
    assert Services(settings).store.refreshed == 0  # marked: never again
