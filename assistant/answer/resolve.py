"""The home of company resolution for questions: which stored company a question (or a ``--company``
flag, by any of its aliases) is about, within the companies a user may see.
"""

from __future__ import annotations

from collections.abc import Collection

from assistant.core.errors import CompanyNotFound
from assistant.store.index import Store


def known_companies(store: Store, allowed: Collection[str] | None = None) -> dict[str, list[str]]:
    """Canonical company name → every alias learned from its documents (only ``allowed`` ones)."""
    known = {c.company: [c.company] for c in store.companies() if allowed is None or c.company in allowed}
    for company, names in store.ledger.aliases().items():
        if company in known:
            known[company] += [n for n in names if n not in known[company]]
    return known


def company_candidates(
    store: Store, question: str, company: str | None, allowed: Collection[str] | None = None
) -> list[str]:
    """Companies the flag ``company`` (any alias) or, without it, the question names; best first.

    An unknown ``company`` is an error listing the known ones. With ``allowed`` (a user's portfolio),
    other companies are unknown: never matched, never listed.
    """
    from assistant.ingest.companies import match_companies

    known = known_companies(store, allowed)
    if company:
        exact = [name for name in known if name.casefold() == company.strip().casefold()]
        matched = exact or match_companies(company.strip(), known)
        if matched:
            return matched
        listing = ", ".join(known) or "none yet: run `assistant ingest` first"
        raise CompanyNotFound(f"unknown company '{company}' (known: {listing})")
    return match_companies(question, known)


def resolve_company(
    store: Store, question: str, company: str | None, allowed: Collection[str] | None = None
) -> str | None:
    """The company asked about: the one named by ``company`` (any alias), else the one the question names."""
    found = company_candidates(store, question, company, allowed)
    return found[0] if found else None
