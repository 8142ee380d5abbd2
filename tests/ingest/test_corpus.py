"""The sample corpus: PDFs reproducible from their sources, truth and questions consistent with the text."""

import subprocess
import sys

import pytest

from assistant.ingest.readers import read_document
from tests.conftest import CORPUS, ROOT, load_questions, load_truth


def _page_text(company: str, doc: str, page: int | None) -> str:
    document = read_document(CORPUS / company / doc, company)
    if page is None:
        return document.pages[0].text
    return document.pages[page - 1].text


def _squash(text: str) -> str:
    return "".join(text.split())


def test_pdfs_are_reproducible_from_sources() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_corpus_pdfs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_corpus_shape() -> None:
    companies = load_truth()["companies"]
    assert len(companies) >= 6
    assert {c["lang"] for c in companies} == {"zh", "en"}
    for c in companies:
        folder = CORPUS / c["name"]
        files = sorted(p.name for p in folder.iterdir())
        assert len(files) >= 3, c["name"]
        assert sorted(d["doc"] for d in c["documents"]) == files
    suffixes = {p.suffix for p in CORPUS.glob("*/*") if not p.parent.name.startswith("_")}
    assert {".pdf", ".md", ".txt"} <= suffixes


@pytest.mark.parametrize("company", [c["name"] for c in load_truth()["companies"]])
def test_every_truth_quote_is_on_its_page(company: str) -> None:
    (entry,) = [c for c in load_truth()["companies"] if c["name"] == company]
    for fact in entry["facts"]:
        text = _squash(_page_text(company, fact["doc"], fact["page"]))
        assert _squash(fact["quote"]) in text, fact["id"]
        assert _squash(fact["raw"]) in _squash(fact["quote"]), fact["id"]


def test_question_evidence_is_on_its_page() -> None:
    for q in load_questions():
        if q["answer"] == "NOT_IN_DOCS":
            assert q["evidence"] == []
            continue
        text = _squash(_page_text(q["company"], q["doc"], q["page"]))
        for ev in q["evidence"]:
            assert _squash(ev) in text, q["id"]


def test_contradictions_are_real() -> None:
    conflicts = [(c["name"], k) for c in load_truth()["companies"] for k in c.get("conflicts", [])]
    assert len(conflicts) >= 3
    for company, conflict in conflicts:
        values = {v["value"] for v in conflict["values"]}
        assert len(values) >= 2, (company, conflict["field"])
        for v in conflict["values"]:
            assert _squash(v["raw"]) in _squash(_page_text(company, v["doc"], v["page"])), (company, v)
