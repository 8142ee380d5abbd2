"""Every quote of every profile appears verbatim in its document (all seven corpus companies)."""

from __future__ import annotations

from functools import cache

from profile_support import CORPUS

from assistant.core.records import Citation
from assistant.ingest.chunking import page_lines
from assistant.ingest.readers import read_document
from assistant.profile import Profile


@cache
def _pages(company: str, doc: str) -> dict[int | None, tuple[str, str]]:
    """page → (raw text as the reader produces it, the stored normalised view of it)."""
    document = read_document(CORPUS / company / doc, company)
    out: dict[int | None, tuple[str, str]] = {}
    for page in document.pages:
        view = "\n".join(page_lines(page.text, document.reader))
        out[page.number] = (page.text, view)
    return out


def _sources(profile: Profile) -> list[Citation]:
    found: list[Citation] = []
    for fv in profile.fields.values():
        found += fv.evidence
    for row in profile.financials.values():
        for fv in row.values():
            found += fv.evidence
    lists = profile.lists
    for items in (
        lists.financing_rounds,
        lists.qualifications,
        lists.patents,
        lists.lawsuits,
        lists.top_customers,
    ):
        for item in items:
            found += item.evidence
    for signal in profile.signals:
        found += signal.evidence
    for conflict in profile.conflicts:
        found += [Citation(doc=v.doc, page=v.page, quote=v.quote) for v in conflict.values]
    found += profile.summary.citations
    return found


def test_every_quote_is_verbatim_in_its_document(profiles: dict[str, Profile]) -> None:
    assert len(profiles) == 7
    checked = 0
    for company, profile in profiles.items():
        for src in _sources(profile):
            pages = _pages(company, src.doc)
            assert src.page in pages, (company, src.doc, src.page)
            raw, view = pages[src.page]
            assert src.quote.strip() and src.quote == src.quote.strip(), (company, src)
            # exactly as stored (the reader's text, normalised: full-width → half-width, spaces, empty lines,
            # lines the layout wrapped joined) …
            assert src.quote in view, (company, src.doc, src.page, src.quote)
            # … and the reader's own characters, whitespace aside
            assert "".join(src.quote.split()) in "".join(raw.split()), (company, src.doc, src.page, src.quote)
            checked += 1
    assert checked > 500


def test_pdf_evidence_has_a_page_and_text_files_have_none(profiles: dict[str, Profile]) -> None:
    for profile in profiles.values():
        for src in _sources(profile):
            assert (src.page is not None) == src.doc.endswith(".pdf"), src
