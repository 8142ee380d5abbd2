"""Profile candidates from stored facts: the table rows read at ingest with the whole document's headers,
captions and units (``assistant.facts.read``), which a chunk alone may not show (a header in one passage, the
row in the next). They are reconciled with the profile's own candidates like any other source."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from assistant.core.records import Fact
from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.table_cells import lookup_row, normalise_label


def _tolerance(fact: Fact) -> float:
    """Half a unit of the last printed digit, in the value's units ("7,453" in millions → 500,000)."""
    printed = re.sub(r"[^\d.]", "", fact.raw)
    if not printed or not Decimal(printed):
        return 0.0
    places = len(printed.split(".")[1]) if "." in printed else 0
    scale = abs(Decimal(fact.value)) / Decimal(printed)
    return float(Decimal(5).scaleb(-(places + 1)) * scale)


def _basis(fact: Fact) -> str | None:
    """The accounting basis its row's label gives (研发投入 is an investment, 研发费用 an expense): figures of
    two bases never conflict."""
    rf = lookup_row(normalise_label(fact.label)[0], None)
    return rf.basis if rf else None


def fact_candidates(facts: Iterable[Fact], fields: Iterable[str]) -> list[Candidate]:
    """Candidates of the table facts whose item is a profile field (sentence facts are the profile's own
    sentence candidates already)."""
    wanted = set(fields)
    out = []
    for f in facts:
        if f.kind != "table" or f.item not in wanted or f.scope != "consolidated":
            continue
        value = Decimal(f.value)
        number = re.sub(r"^[^\d]+|[^\d]+$", "", f.raw)
        out.append(
            Candidate(
                field=f.item, value=int(value) if f.unit is None and value == int(value) else float(value),
                unit=f.unit or "count", period=f.period, raw=f.raw, number=number if number in f.quote else None,
                doc=f.doc, page=f.page, quote=f.quote, chunk_id=f.chunk_id, priority=f.priority,
                tolerance=_tolerance(f), rule="facts:table", basis=_basis(f),
            )
        )  # fmt: skip
    return out


_TABLE_RULES = ("md:", "text:")


def shadowed_by_facts(candidates: list[Candidate], facts: Iterable[Fact]) -> list[Candidate]:
    """The candidates without the table cells the facts read better: a consolidated row the facts give for a
    document, item and year replaces the profile's own reading of that document's tables for them (the facts
    know a statement's scope, so a parent company's or a subsidiary's column is never read as the group's;
    headers and units from other passages). Sentences, and table cells the facts have nothing for, stay."""
    covered = {(f.doc, f.item, f.period) for f in facts if f.kind == "table" and f.scope == "consolidated"}
    return [
        c
        for c in candidates
        if not (c.rule.startswith(_TABLE_RULES) and (c.doc, c.field, c.period) in covered)
    ]


__all__ = ["fact_candidates", "shadowed_by_facts"]
