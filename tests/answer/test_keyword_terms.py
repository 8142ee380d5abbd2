"""Within one company, the keyword search drops words that are in most of its passages: the subject of a
one-topic document ("the Zephyrine acquisition" in a note on that acquisition) tells no passage apart, and
matching on it buries the one passage that answers (fictional note)."""

from __future__ import annotations

from pathlib import Path

from assistant.answer import retrieve
from assistant.answer.query import Query
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths

NOTE = "\n\n".join(
    [
        f"Zephyrine acquisition, note {n}. On the Zephyrine acquisition date the consideration for item {n} "
        f"was measured at fair value of ${n * 1000:,} and allocated to the Zephyrine acquisition accounts."
        for n in range(1, 11)
    ]
    + [
        "The Company believes that with this transaction it will benefit from faster threat detection in "
        "mobile networks."
    ]
)


def _ingest(services: Services, tmp_path: Path, text: str) -> None:
    folder = tmp_path / "docs" / "Halvard"
    folder.mkdir(parents=True)
    (folder / "halvard_note.txt").write_text(text, encoding="utf-8")
    ingest_paths([tmp_path / "docs"], services.store, services.settings)


def test_a_word_in_most_passages_of_the_company_is_not_searched(
    fake_services: Services, tmp_path: Path
) -> None:
    _ingest(fake_services, tmp_path, NOTE)
    query = Query.parse("How does Halvard expect to benefit from the Zephyrine acquisition?", "Halvard")
    terms = retrieve._keyword_terms(fake_services.store, query, None)
    assert "benefit" in terms and "zephyrine" not in terms and "acquisition" not in terms
    hits = fake_services.store.ledger.keyword_search(terms, "Halvard", 5)
    chunks, _ = fake_services.store.company_chunks("Halvard")
    by_id = {c.chunk_id: c for c in chunks}
    assert "will benefit from" in by_id[hits[0][0]].text


def test_few_passages_or_only_common_words_keep_every_word(fake_services: Services, tmp_path: Path) -> None:
    _ingest(fake_services, tmp_path, NOTE)
    only_common = Query.parse("What was the Zephyrine acquisition?", "Halvard")
    assert "zephyrine" in retrieve._keyword_terms(fake_services.store, only_common, None)
    rows, shares = fake_services.store.ledger.term_shares(["zephyrine", "benefit"], "Halvard")
    assert rows >= retrieve.COMMON_MIN_ROWS and shares["zephyrine"] > 0.9 and 0 < shares["benefit"] < 0.2
