"""Qualification checks, signals / red flags and lists on the sample corpus.

Expected results derived by hand from corpus/_truth.json and the rules in DOMAIN.md (reference date
2024-06-30):

高新技术企业 (2016): 栖云 (GR202233004187, 2022-12-24 → 2025-12-23), 铖泰 (2021-11-30 → 2024-11-29) and 绿湃
(2022-10-18 → 2025-10) hold valid certificates → pass. 知衡's certificate expired 2023-12-02, so the criteria
decide: founded 2014, 9 invention patents, R&D staff 61.11% ≥ 10%, R&D 2021–23 4,445.15万 / revenue
22,501.93万 = 19.75% ≥ 4% (latest revenue 8,937.61万 is ¥50M–¥200M), core-technology revenue 92.22% ≥ 60%
→ pass.
科技型中小企业 (2022): 栖云 total assets 26,415.33万 > ¥200M → fail; 绿湃 total assets 212,609,453.27元 > ¥200M →
fail; 铖泰 (154 staff, revenue 9,876.45万, assets 15,640.72万) has a valid HNTE certificate → direct pass; 知衡
(198, 8,937.61万, 14,216.80万) scores 20 (R&D staff 61.11%) + 50 (R&D 20.49%) + 30 (invention patents) = 100 → pass.
专精特新中小企业 (2022): all four were founded ≥ 2 years ago and have prior-year (2023) R&D ≥ ¥1M and ≥ 3% of
revenue (栖云 2,104.18万 12.49%, 铖泰 865.40万 8.76%, 绿湃 11,236,470元 8.17%, 知衡 1,831.21万 20.49%), revenue ≥ ¥10M
→ pass.
小巨人 (2022): 绿湃's debt ratio 74.42% > 70% → fail. The others meet debt, R&D (栖云 12.49%/12.74% with revenue
≥ ¥100M; 铖泰 8.76%/9.73% and 知衡 20.49%/19.50% with revenue ¥50–100M, need ≥ 6%) and invention-patent (≥ 2)
criteria, but no document states the main-business share → unknown.
科创属性 (2024-04-30): 铖泰 has 6 invention patents < 7 → fail; 绿湃 3 < 7 → fail; 知衡 meets R&D (19.75%), staff and
patents (9) but its 3-year revenue CAGR (8,937.61/6,215.40)^½ − 1 = 19.9% < 25% and revenue < ¥300M → fail;
栖云 passes staff (39.16%) and patents (14) but the documents give no 2021 revenue / R&D → unknown.
The three English companies are not registered in mainland China and report in USD → every check unknown.
"""

from __future__ import annotations

import pytest

from assistant.profile import Profile

HNTE, TSME, ZJTX, GIANT, STAR = range(5)
EXPECTED = {
    "栖云智算": ("pass", "fail", "pass", "unknown", "unknown"),
    "铖泰精密": ("pass", "pass", "pass", "unknown", "fail"),
    "绿湃储能": ("pass", "fail", "pass", "fail", "fail"),
    "知衡软件": ("pass", "pass", "pass", "unknown", "fail"),
    "Brightfold": ("unknown",) * 5,
    "Tessavolt": ("unknown",) * 5,
    "Lumenaut": ("unknown",) * 5,
}


@pytest.mark.parametrize("company", sorted(EXPECTED))
def test_checks_give_the_expected_results(profiles: dict[str, Profile], company: str) -> None:
    checks = profiles[company].checks
    assert [c.name.split(" ")[0] for c in checks] == [
        "高新技术企业",
        "科技型中小企业",
        "专精特新中小企业",
        '专精特新"小巨人"',
        "科创属性",
    ]
    got = tuple(c.result for c in checks)
    assert got == EXPECTED[company], [(c.name, c.result, c.explanation) for c in checks]
    for c in checks:
        assert c.rule_version and c.explanation
        if c.result == "unknown":
            assert c.missing, (company, c.name)


def test_check_inputs_and_missing_are_listed(profiles: dict[str, Profile]) -> None:
    tsme = profiles["知衡软件"].checks[TSME]
    assert tsme.inputs["employees"]["value"] == 198
    assert tsme.inputs["scores"] == {"tech_staff": 20, "rd_ratio": 50, "ip": 30}
    star = profiles["栖云智算"].checks[STAR]
    assert "revenue[2021]" in star.missing and "rd_expense[2021]" in star.missing
    assert profiles["绿湃储能"].checks[GIANT].inputs["debt_ratio[2023]"]["value"] == 74.42
    assert "CNY" in profiles["Brightfold"].checks[HNTE].missing[0]


def _flags(profile: Profile) -> set[str]:
    return {s.name for s in profile.signals if s.kind == "red_flag"}


def test_red_flags(profiles: dict[str, Profile]) -> None:
    chengtai = _flags(profiles["铖泰精密"])
    assert {
        "customer_concentration_top1",
        "customer_concentration_top5",
        "qualification_expiring",
    } <= chengtai
    lvpai = _flags(profiles["绿湃储能"])
    assert {
        "debt_ratio",
        "lawsuit_defendant",
        "enforcement_listing",
        "related_party_transaction",
        "documents_contradict",
        "subsidy_dependence",
        "receivables_vs_revenue",
        "working_capital_deficit",
    } <= lvpai
    zhiheng = _flags(profiles["知衡软件"])
    assert {"qualification_expired", "documents_contradict"} <= zhiheng
    tessavolt = _flags(profiles["Tessavolt"])
    assert {"lawsuit_defendant", "qualification_expiring"} <= tessavolt  # ISO 9001 valid until 2024-06-30
    assert "documents_contradict" in _flags(profiles["Lumenaut"])
    assert "documents_contradict" in _flags(profiles["Brightfold"])
    # no concentration flag where the shares are moderate
    assert "customer_concentration_top1" not in _flags(profiles["Lumenaut"])  # 38.2%
    assert "customer_concentration_top5" not in _flags(profiles["Lumenaut"])  # 71.5%
    for profile in profiles.values():
        for s in profile.signals:
            assert s.evidence or s.name == "cash_runway", (profile.company, s.name)


def test_runway_and_losses(profiles: dict[str, Profile]) -> None:
    runway = {s.name: s for s in profiles["Brightfold"].signals}["cash_runway"]
    assert runway.kind == "signal" and 29 <= float(runway.value) <= 30  # $15,230k / ($6,174k / 12)
    lumenaut = {s.name: s for s in profiles["Lumenaut"].signals}
    assert lumenaut["loss_making"].value == -5_200_000 and 28 <= float(lumenaut["cash_runway"].value) <= 29
    assert {s.name: s for s in profiles["绿湃储能"].signals}[
        "cash_runway"
    ].kind == "red_flag"  # loss, no cash figure


def test_financing_rounds(profiles: dict[str, Profile]) -> None:
    from profile_support import truth

    for company in truth()["companies"]:
        rounds = profiles[company["name"]].lists.financing_rounds
        for fact in company["facts"]:
            if fact["field"] != "financing_round":
                continue
            v = fact["value"]
            match = [r for r in rounds if r.date and r.date.startswith(v["date"]) and r.amount == v["amount"]]
            assert match, (company["name"], fact["id"], [(r.round, r.date, r.amount) for r in rounds])
            assert (
                v["lead_investor"] in match[0].lead_investors[0]
                or match[0].lead_investors[0] in v["lead_investor"]
            )
            if "post_money_valuation" in v:
                assert match[0].post_money_valuation == v["post_money_valuation"]
    latest = {c: p.fields["latest_financing_round"] for c, p in profiles.items()}
    assert latest["知衡软件"].value == "B+轮" and latest["知衡软件"].period == "2024-07"
    assert latest["Tessavolt"].value == "Series B" and latest["Tessavolt"].period == "2024-01"


def test_qualifications_and_lawsuits(profiles: dict[str, Profile]) -> None:
    quals = {q.name: q for q in profiles["铖泰精密"].lists.qualifications}
    hnte = quals["高新技术企业"]
    assert (hnte.issued, hnte.expires, hnte.status) == ("2021-11-30", "2024-11-29", "expiring")
    zh = {q.name: q for q in profiles["知衡软件"].lists.qualifications}["高新技术企业"]
    assert (zh.number, zh.expires, zh.status) == ("GR202051001876", "2023-12-02", "expired")
    qiyun = {q.name: q for q in profiles["栖云智算"].lists.qualifications}["高新技术企业"]
    assert qiyun.expires == "2025-12-23" and qiyun.expires_derived and qiyun.status == "valid"
    suits = profiles["绿湃储能"].lists.lawsuits
    listing = next(s for s in suits if s.kind == "enforcement_listing")
    assert listing.amount == 1_273_000 and listing.closed and listing.date == "2024-04-16"
    assert listing.case_no == "（2024）皖0104执1876号"
    defendant = next(s for s in suits if s.kind == "lawsuit")
    assert defendant.role == "defendant" and defendant.amount == 3_865_400 and len(defendant.evidence) >= 2
    qiyun_suit = profiles["栖云智算"].lists.lawsuits[0]
    assert (
        qiyun_suit.role == "plaintiff"
        and qiyun_suit.amount == 4_126_000
        and qiyun_suit.cause == "买卖合同纠纷"
    )
    kestrel = profiles["Tessavolt"].lists.lawsuits[0]
    assert (kestrel.role, kestrel.amount, kestrel.currency, kestrel.date) == (
        "defendant",
        2_300_000,
        "USD",
        "2023-03",
    )
    assert profiles["Brightfold"].lists.lawsuits == [] and profiles["Lumenaut"].lists.lawsuits == []


def test_customers_and_patents(profiles: dict[str, Profile]) -> None:
    top = profiles["铖泰精密"].lists.top_customers
    assert top[0].rank == 1 and top[0].share == 62.4 and top[0].amount == 61_629_000
    assert top[1].rank is None and top[1].share == 81.7
    assert profiles["栖云智算"].lists.top_customers[0].related_party is False
    patents = profiles["栖云智算"].lists.patents
    assert len(patents) == 7 and sum(p.pledged for p in patents) == 1
    assert len(profiles["知衡软件"].lists.patents) == 11
    tessavolt = profiles["Tessavolt"].lists.patents
    assert len(tessavolt) == 17 and sum(p.type == "design" for p in tessavolt) == 2
