"""The home of company resolution for questions: which stored company a question (or a ``--company``
flag, by any of its aliases) is about, within the companies a user may see — and which company names in a
question belong to no company the user may see.

Only a distinctive alias identifies a company: a name that is just places, industry or generic words (生物,
科技股份, Photonics) is never matched, so a question about an unknown 星海生物 is not answered from a
stored company that shares the word 生物.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from assistant.core.errors import CompanyNotFound
from assistant.ingest.companies.matching import match_companies
from assistant.ingest.companies.mentions import distinctive, legal_name, question_mentions, same_legal_entity
from assistant.ingest.companies.occurrences import name_occurrences
from assistant.store.index import Store
from assistant.text.normalize import fold_name


def known_companies(store: Store, allowed: Collection[str] | None = None) -> dict[str, list[str]]:
    """Canonical company name → every alias learned from its documents (only ``allowed`` ones)."""
    known = {c.company: [c.company] for c in store.companies() if allowed is None or c.company in allowed}
    for company, names in store.aliases().items():
        if company in known:
            known[company] += [n for n in names if n not in known[company] and distinctive(n)]
    return known


def company_candidates(
    store: Store, question: str, company: str | None, allowed: Collection[str] | None = None
) -> list[str]:
    """Companies the flag ``company`` (any alias) or, without it, the question names; best first.

    An unknown ``company`` is an error listing the known ones. With ``allowed`` (a user's portfolio),
    other companies are unknown: never matched, never listed.
    """
    known = known_companies(store, allowed)
    return flagged_company(company, known) if company else match_companies(question, known)


def flagged_company(company: str, known: dict[str, list[str]]) -> list[str]:
    """The known company a ``--company`` flag names (any alias); an unknown one is an error listing them."""
    exact = [name for name in known if name.casefold() == company.strip().casefold()]
    matched = exact or match_companies(company.strip(), known)
    if matched:
        return matched
    listing = ", ".join(known) or "none yet: run `assistant ingest` first"
    raise CompanyNotFound(f"unknown company '{company}' (known: {listing})")


def resolve_company(
    store: Store, question: str, company: str | None, allowed: Collection[str] | None = None
) -> str | None:
    """The company asked about: the one named by ``company`` (any alias), else the one the question names."""
    found = company_candidates(store, question, company, allowed)
    return found[0] if found else None


def unknown_companies(question: str, known: dict[str, list[str]]) -> list[str]:
    """Company names the question gives that are none of ``known`` (canonical name → aliases) — a company
    with no documents, or one outside the user's portfolio (the two look the same). A name is known when a
    known alias matches in it as a whole word ("Tessavolt Ltd." is Tessavolt; "Tessavolta Energy" is not)."""
    folded = {fold_name(a) for names in known.values() for a in names}
    return [
        m.text
        for m in question_mentions(question)
        if not match_companies(m.text, known) and fold_name(m.text) not in folded
    ]


@dataclass(frozen=True)
class Resolution:
    """Which companies a question is about: ``candidates`` (the flag's company, else the known companies the
    question names, best first), ``named`` (the known companies the question itself names) and ``unknown``
    (names in the question of no company the user may see)."""

    candidates: list[str]
    named: list[str]
    unknown: list[str]


def resolve(
    store: Store, question: str, company: str | None, allowed: Collection[str] | None = None
) -> Resolution:
    """The companies of a question (see :class:`Resolution`); an unknown ``company`` flag is an error."""
    known = known_companies(store, allowed)  # read once: the flag, the question and its unknown names use it
    question, foreign = without_other_entities(question, known)
    named = match_companies(question, known)
    candidates = flagged_company(company, known) if company else named
    return Resolution(candidates, named, foreign + ([] if named else unknown_companies(question, known)))


def without_other_entities(question: str, known: dict[str, list[str]]) -> tuple[str, list[str]]:
    """The question with the legal names blanked that contain a known alias but are another entity than
    that company's legal names (深圳栖云数据科技有限公司 holds the alias 栖云 of 杭州栖云智算科技股份有限公司),
    and those names. A company whose legal name the store does not know is matched by alias as before."""
    foreign: list[str] = []
    for name, _, start, end in name_occurrences(question):
        owners = match_companies(name, known)
        legal = [a for owner in owners for a in known[owner] if legal_name(a)]
        if legal and not any(same_legal_entity(name, a) for a in legal):
            foreign.append(name)
            question = question[:start] + " " * (end - start) + question[end:]
    return question, foreign
