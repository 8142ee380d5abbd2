"""Keyword tokens made ahead of a write (while the passages are embedded) are the ones stored, unless the
segmenter learnt a word since: then they are made again, so the index never depends on the pipeline's timing
(fictional documents)."""

from __future__ import annotations

from assistant.core.records import Document, Page
from assistant.core.services import Services
from assistant.ingest.chunking import chunk_document
from assistant.store.index import Write
from assistant.store.keywords import add_words, tokenize, vocabulary


def _stored_tokens(services: Services) -> dict[str, str]:
    with services.store.ledger.tx() as db:
        return {r[1]: r[0] for r in db.execute("SELECT tokens, chunk_id FROM keywords")}


def _write(text: str, company: str = "澄岳精工") -> Write:
    doc = Document(path="x.txt", doc="x.txt", company=company, sha256=str(hash(text)), reader="txt",
                   pages=[Page(number=1, text=text)])  # fmt: skip
    return Write(document=doc, chunks=chunk_document(doc))


def test_tokens_made_ahead_are_stored_while_the_vocabulary_is_unchanged(fake_services: Services) -> None:
    write = _write("澄岳精工主营精密减速器，2023年营业收入8,652.30万元。")
    write.keywords = (vocabulary(), {c.chunk_id: "made ahead" for c in write.chunks})
    fake_services.store.write_documents([write])
    assert set(_stored_tokens(fake_services).values()) == {"made ahead"}


def test_tokens_made_under_an_older_vocabulary_are_made_again(fake_services: Services) -> None:
    write = _write("澜岳科技主营伺服电机。")
    write.keywords = (vocabulary(), {c.chunk_id: "stale" for c in write.chunks})
    add_words(["澜岳伺服新词"])  # the segmenter learns a word after the tokens were made
    fake_services.store.write_documents([write])
    assert set(_stored_tokens(fake_services).values()) == {" ".join(tokenize(write.chunks[0].text))}
