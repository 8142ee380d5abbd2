"""Field accuracy on the sample corpus against corpus/_truth.json, page-level evidence, and every
planted contradiction reported in ``conflicts``."""

from __future__ import annotations

from profile_support import fold, truth

from assistant.profile import FIELD_NAMES, Profile
from assistant.profile.schema import SPECS, FieldValue


def _same(expected: object, got: object) -> bool:
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return abs(float(got) - float(expected)) <= max(0.006, 1e-6 * abs(float(expected)))
    if isinstance(expected, str) and isinstance(got, str):
        a, b = fold(expected), fold(got)
        return a == b or ((a in b or b in a) and min(len(a), len(b)) >= 0.6 * max(len(a), len(b)))
    return False


def _scored_facts() -> list[tuple[str, dict]]:
    """(company, fact) for every named profile field the truth states, one per field and period."""
    out: list[tuple[str, dict]] = []
    for company in truth()["companies"]:
        seen: set[tuple[str, str | None]] = set()
        for fact in company["facts"]:
            key = (fact["field"], fact["period"])
            if fact["field"] in FIELD_NAMES and key not in seen:
                seen.add(key)
                out.append((company["name"], fact))
    return out


def _value(profile: Profile, fact: dict) -> FieldValue | None:
    if SPECS[fact["field"]].per_year:
        return profile.financials.get(fact["period"], {}).get(fact["field"])
    return profile.fields.get(fact["field"])


def test_field_accuracy_at_least_95_percent(profiles: dict[str, Profile]) -> None:
    facts = _scored_facts()
    assert len(facts) >= 190  # every company's identity, financials, R&D, IP, staff and customers
    wrong = []
    for company, fact in facts:
        fv = _value(profiles[company], fact)
        if fv is None or not _same(fact["value"], fv.value):
            wrong.append((company, fact["field"], fact["period"], fact["value"], fv.value if fv else None))
    accuracy = 1 - len(wrong) / len(facts)
    assert accuracy >= 0.95, (f"accuracy {accuracy:.3f} over {len(facts)} facts", wrong)


def test_evidence_is_the_truths_page(profiles: dict[str, Profile]) -> None:
    facts = _scored_facts()
    missed = []
    for company, fact in facts:
        fv = _value(profiles[company], fact)
        if fv is None or not any(e.doc == fact["doc"] and e.page == fact["page"] for e in fv.evidence):
            missed.append((company, fact["id"]))
    assert 1 - len(missed) / len(facts) >= 0.95, missed


def test_latest_fields_are_the_latest_year(profiles: dict[str, Profile]) -> None:
    for company, profile in profiles.items():
        for name in ("revenue", "net_profit", "rd_expense", "employees"):
            fv = profile.fields[name]
            if fv.status != "unknown" and fv.period:
                assert fv.period == max(y for y, row in profile.financials.items() if name in row), (
                    company,
                    name,
                )


def test_every_planted_contradiction_is_reported(profiles: dict[str, Profile]) -> None:
    planted = [(c["name"], k) for c in truth()["companies"] for k in c.get("conflicts", [])]
    assert len(planted) >= 8
    for company, conflict in planted:
        found = [
            c
            for c in profiles[company].conflicts
            if c.field == conflict["field"] and c.period == conflict["period"]
        ]
        assert found, (company, conflict["field"], conflict["period"])
        values = found[0].values
        for expected in conflict["values"]:
            assert any(v.doc == expected["doc"] and _same(expected["value"], v.value) for v in values), (
                company,
                expected,
            )
        # the audited document's value is the one kept
        audited = next(v for v in conflict["values"] if v["page"] is not None)
        assert (
            values[0].chosen and values[0].doc == audited["doc"] and _same(audited["value"], values[0].value)
        )
        assert profiles[company].fields[conflict["field"]].status == "conflict"


def test_no_contradiction_where_the_documents_agree(profiles: dict[str, Profile]) -> None:
    planted = {
        (c["name"], k["field"], k["period"]) for c in truth()["companies"] for k in c.get("conflicts", [])
    }
    reported = {(company, c.field, c.period) for company, p in profiles.items() for c in p.conflicts}
    assert reported == planted


def test_rounded_plan_figures_agree_with_audited_ones(profiles: dict[str, Profile]) -> None:
    # business plan "1.23亿" (2022) vs audited 12,306.18万元; "9,831.65万" vs 98,316,540.72元: rounding, no conflict
    assert profiles["栖云智算"].financials["2022"]["revenue"].status == "found"
    assert profiles["绿湃储能"].financials["2022"]["revenue"].status == "found"
    plan = [
        e
        for e in profiles["绿湃储能"].financials["2023"]["revenue"].evidence
        if e.doc == "business_plan_2024.md"
    ]
    assert plan, "the plan's agreeing figure is extra evidence"
