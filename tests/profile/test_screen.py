"""Portfolio screening (issue 17 item 5): the filter language (parsed, never evaluated), questions in Chinese and
English turned into filters by rules, and screens of the fictional corpus whose expected companies are worked out
here from corpus/_truth.json (not from the profiles), so a wrong field, metric, check or signal fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from profile_support import TODAY, truth

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.profile.schema import Profile
from assistant.profile.screen import (
    FilterError,
    ProfileCache,
    QuestionError,
    parse_filter,
    question_filter,
    read_query,
    screen_portfolio,
)
from assistant.profile.screen.matching import match
from assistant.profile.screen.rules import duplicates

COMPANIES = ("Brightfold", "Lumenaut", "Tessavolt", "栖云智算", "知衡软件", "绿湃储能", "铖泰精密")
FOREIGN = {"Brightfold", "Lumenaut", "Tessavolt"}  # no mainland registration: the Chinese checks are unknown
# the checks' expected results (DOMAIN.md rules worked by hand in test_profile_checks.py)
ZJTX_PASS = {"栖云智算", "铖泰精密", "绿湃储能", "知衡软件"}
STAR_FAIL = {"铖泰精密", "绿湃储能", "知衡软件"}


# ---- the truth, independently of the profiles -----------------------------------------------------------
def _facts(company: str, field: str) -> dict[str, object]:
    entry = next(c for c in truth()["companies"] if c["name"] == company)
    return {f["period"]: f["value"] for f in entry["facts"] if f["field"] == field}


def latest(company: str, field: str) -> float | None:
    values = _facts(company, field)
    return float(values[max(values)]) if values else None  # type: ignore[arg-type]


def growth(company: str) -> float:
    rev = _facts(company, "revenue")
    return 100 * (float(rev["2023"]) / float(rev["2022"]) - 1)  # type: ignore[arg-type]


def debt(company: str) -> float:
    return (
        100 * float(latest(company, "total_liabilities") or 0) / float(latest(company, "total_assets") or 1)
    )


def lawsuits(company: str) -> list[dict[str, object]]:
    entry = next(c for c in truth()["companies"] if c["name"] == company)
    return [f["value"] for f in entry["facts"] if f["field"] == "lawsuit"]


def quals(company: str) -> list[dict[str, object]]:
    entry = next(c for c in truth()["companies"] if c["name"] == company)
    return [f["value"] for f in entry["facts"] if f["field"] == "qualification"]


def who(rule: Callable[[str], bool], among: tuple[str, ...] | set[str] = COMPANIES) -> set[str]:
    return {c for c in among if rule(c)}


CNY = set(COMPANIES) - FOREIGN
SCREENS: list[tuple[str, str, Callable[[], set[str]]]] = [
    ("哪些公司通过了专精特新且营收增长超过25%？", "checks.专精特新 = pass and revenue_growth > 25",
     lambda: who(lambda c: c in ZJTX_PASS and growth(c) > 25)),
    ("which of my companies passed 专精特新 and grew revenue more than 25%?",
     "checks.专精特新 = pass and revenue_growth > 25", lambda: who(lambda c: c in ZJTX_PASS and growth(c) > 25)),
    ("R&D ratio above 10% and top-5 customers under 50%", "rd_ratio > 10 and top5_customer_share < 50",
     lambda: who(lambda c: latest(c, "rd_ratio") > 10 and latest(c, "top5_customer_share") < 50)),  # type: ignore[operator]
    ("who has a red flag for customer concentration?", "flag customer_concentration",
     lambda: who(lambda c: latest(c, "top1_customer_share") > 50 or latest(c, "top5_customer_share") > 80)),  # type: ignore[operator]
    ("哪些公司存在客户集中度风险？", "flag customer_concentration",
     lambda: who(lambda c: latest(c, "top1_customer_share") > 50 or latest(c, "top5_customer_share") > 80)),  # type: ignore[operator]
    ("研发投入占比高于15%的公司", "rd_ratio > 15", lambda: who(lambda c: latest(c, "rd_ratio") > 15)),  # type: ignore[operator]
    ("employees under 150", "employees < 150", lambda: who(lambda c: latest(c, "employees") < 150)),  # type: ignore[operator]
    ("哪些公司未通过科创属性", "checks.科创属性 = fail", lambda: STAR_FAIL),
    ("营收超过1亿元", "revenue > 100000000 CNY", lambda: who(lambda c: latest(c, "revenue") > 1e8, CNY)),  # type: ignore[operator]
    ("which companies are defendants in a lawsuit?", "signals.lawsuit_defendant = signal",
     lambda: who(lambda c: any(s.get("role") == "defendant" for s in lawsuits(c)))),
    ("高新技术企业资质即将到期的公司", 'signals.qualification_expiring ~ "高新技术企业"',
     lambda: who(lambda c: any(q["name"] == "高新技术企业" and q["status"] == "expiring" for q in quals(c)))),
    ("gross margin above 50% or R&D ratio above 25%", "gross_margin > 50 or rd_ratio > 25",
     lambda: who(lambda c: latest(c, "gross_margin") > 50 or latest(c, "rd_ratio") > 25)),  # type: ignore[operator]
    ("毛利率低于20%且没有诉讼", "gross_margin < 20 and signals.lawsuit = absent",
     lambda: who(lambda c: latest(c, "gross_margin") < 20 and not lawsuits(c))),  # type: ignore[operator]
    ("资产负债率超过70%", "debt_ratio > 70", lambda: who(lambda c: debt(c) > 70, CNY)),
]  # fmt: skip


@pytest.fixture(scope="module")
def cache() -> ProfileCache:
    return ProfileCache()


@pytest.mark.parametrize(
    ("question", "expected_filter", "expected"), SCREENS, ids=[s[0][:40] for s in SCREENS]
)
def test_screening_questions_on_the_corpus(
    corpus_services: Services,
    cache: ProfileCache,
    question: str,
    expected_filter: str,
    expected: Callable[[], set[str]],
) -> None:
    result = screen_portfolio(corpus_services.store, question, None, as_of=TODAY, cache=cache)
    assert (result.source, result.filter) == ("rules", expected_filter)
    matched = {m.company for m in result.matches}
    assert matched == expected(), result.model_dump_json(indent=1)[:3000]
    assert result.considered == len(COMPANIES)
    for company in result.matches:  # every value that matched carries its evidence
        for value in company.values:
            assert value.outcome == "true" and value.evidence, (company.company, value)
            assert all(c.doc and c.quote for c in value.evidence)


def test_a_match_shows_the_value_and_the_quote_it_was_read_from(
    corpus_services: Services, cache: ProfileCache
) -> None:
    result = screen_portfolio(
        corpus_services.store, "rd_ratio > 10 and top5_customer_share < 50", None, as_of=TODAY, cache=cache
    )
    qiyun = next(m for m in result.matches if m.company == "栖云智算")
    rd, top5 = qiyun.values
    assert (rd.value, rd.unit, rd.period) == (12.49, "%", "2023")
    assert rd.evidence[0].doc == "annual_report_2023.pdf" and rd.evidence[0].page == 3
    assert "12.49%" in rd.evidence[0].quote
    assert top5.value == 46.3 and "46.30%" in top5.evidence[0].quote
    assert result.source == "filter"


def test_undecided_companies_say_what_is_missing(corpus_services: Services, cache: ProfileCache) -> None:
    result = screen_portfolio(corpus_services.store, "checks.专精特新 = pass and revenue_growth > 25", None,
                              as_of=TODAY, cache=cache)  # fmt: skip
    undecided = {u.company: u for u in result.undecided}
    # the foreign companies grew > 25% but the Chinese check cannot apply to them: neither a match nor a miss
    assert set(undecided) == {c for c in FOREIGN if growth(c) > 25}
    assert all("mainland China" in u.missing[0] for u in undecided.values())
    assert "Tessavolt" in result.not_matched and "知衡软件" in result.not_matched  # grew 23.8% / 21.6%
    dollars = screen_portfolio(corpus_services.store, "revenue > 1亿", None, as_of=TODAY, cache=cache)
    assert {u.company for u in dollars.undecided} == FOREIGN  # USD figures are not compared with CNY
    assert "in USD; the filter compares CNY" in dollars.undecided[0].missing[0]


def test_the_portfolio_is_all_that_is_screened(corpus_services: Services, cache: ProfileCache) -> None:
    mine = frozenset({"栖云智算", "Brightfold"})
    result = screen_portfolio(
        corpus_services.store, "revenue > 0 or red_flags >= 0", mine, as_of=TODAY, cache=cache
    )
    assert result.considered == 2 and {m.company for m in result.matches} == set(mine)
    text = result.model_dump_json()
    for other in set(COMPANIES) - mine:
        assert other not in text  # not as a match, not in a quote, not as a miss
    none = screen_portfolio(corpus_services.store, "revenue > 0", frozenset(), as_of=TODAY, cache=cache)
    assert none.considered == 0 and none.matches == [] and none.not_matched == []


# ---- the filter language -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("rd_ratio > 10 and checks.专精特新 = pass", "rd_ratio > 10 and checks.专精特新 = pass"),
        ("rd_ratio>10% && checks.specialised_sme==pass", "rd_ratio > 10 and checks.专精特新 = pass"),
        ("checks.HNTE != fail or checks.高企 = unknown",
         "checks.高新技术企业 != fail or checks.高新技术企业 = unknown"),
        ('checks."专精特新\\"小巨人\\""', "checks.小巨人 = pass"),
        ("checks.little_giant = 未通过", "checks.小巨人 = fail"),
        ("checks.star_market 且 rd_ratio ≥ 5", "checks.科创属性 = pass and rd_ratio >= 5"),
        ("signals.customer_concentration", "flag customer_concentration"),
        ("not (flag lawsuit or red_flags > 2)", "not (flag lawsuit or red_flags > 2)"),
        ("revenue >= ¥1.5亿", "revenue >= 150000000 CNY"),
        ("revenue < $12 million", "revenue < 12000000 USD"),
        ("revenue > 5000万元", "revenue > 50000000 CNY"),
        ("rd_ratio[2022] > 12", "rd_ratio[2022] > 12"),
        ("revenue_growth > 25 or gross_margin > 50 and debt_ratio < 70",
         "revenue_growth > 25 or gross_margin > 50 and debt_ratio < 70"),
        ("(revenue_growth > 25 or gross_margin > 50) and debt_ratio < 70",
         "(revenue_growth > 25 or gross_margin > 50) and debt_ratio < 70"),
        ("metrics.gross_margin > 30", "metrics.gross_margin > 30"),
        ("headquarters contains 杭州", 'headquarters ~ "杭州"'),
        ("founded < 2018-01-01", 'founded < "2018-01-01"'),
        ("signals.cash_runway < 12", "signals.cash_runway < 12"),
        ("signals.lawsuit = absent", "signals.lawsuit = absent"),
    ],
)  # fmt: skip
def test_filters_parse_to_one_canonical_text(text: str, canonical: str) -> None:
    node = parse_filter(text)
    assert node.text() == canonical
    assert parse_filter(node.text()).text() == canonical  # the shown filter parses to itself


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("rd_ratoi > 10", "unknown field 'rd_ratoi' — did you mean rd_ratio"),
        ("checks.专精特心 = pass", "unknown check '专精特心'"),
        (
            "signals.customer_concentraton",
            "unknown signal 'customer_concentraton' — did you mean customer_concentration",
        ),
        ("foo.rd_ratio > 1", "unknown prefix 'foo.'"),
        ("rd_ratio > 10 and (checks.专精特新 = pass", "')' is missing"),
        ("rd_ratio > 10)", "')' without its '('"),
        ("rd_ratio >", "a value is missing after 'rd_ratio >'"),
        ("rd_ratio > 10 and", "a condition is missing at the end"),
        ("rd_ratio 10", "compare 'rd_ratio' with a value"),
        ("rd_ratio > 10 rd_staff > 5", "'and' or 'or' expected before 'rd_staff'"),
        ("checks.专精特新 > 3", "a check is compared with = or != and pass, fail or unknown"),
        ("rd_ratio > pass", "'rd_ratio' is a number"),
        ("employees > 10%", "'employees' is not a percentage"),
        ("employees > 10 USD", "'employees' is no amount of money"),
        ("legal_name > 3", "is text: use = != or ~"),
        ("flag loss_making", "'loss_making' is never a red flag"),
        ("legal_name[2023] = x", "'legal_name' has no fiscal years"),
        ("rd_ratio > 10 # drop table", "unexpected '#' at column 15"),
        ("__import__('os').system('id') > 1", "unknown field '__import__'"),
        ("", "the filter is empty"),
    ],
)
def test_bad_filters_say_what_and_where(text: str, says: str) -> None:
    with pytest.raises(FilterError) as err:
        parse_filter(text)
    assert says in str(err.value)
    assert err.value.exit_code == 2


# ---- questions → filters -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("哪些公司通过了专精特新且营收增长超过25%？", "checks.专精特新 = pass and revenue_growth > 25"),
        ("which of my companies passed 专精特新 and grew revenue more than 25%?",
         "checks.专精特新 = pass and revenue_growth > 25"),
        ("R&D ratio above 10% and top-5 customers under 50%", "rd_ratio > 10 and top5_customer_share < 50"),
        ("who has a red flag for customer concentration?", "flag customer_concentration"),
        ("研发投入占比高于10%、前五大客户占比低于50%的公司", "rd_ratio > 10 and top5_customer_share < 50"),
        ("研发强度10%以上或者资产负债率不超过40%", "rd_ratio >= 10 or debt_ratio <= 40"),
        ("2022年研发投入占比超过12%", "rd_ratio[2022] > 12"),
        ("R&D ratio above 10% and below 20%", "rd_ratio > 10 and rd_ratio < 20"),
        ("research and development ratio of at least 15%", "rd_ratio >= 15"),
        ("companies that did not pass the HNTE check", "checks.高新技术企业 = fail"),
        ("没有通过小巨人认定的企业", "checks.小巨人 = fail"),
        ("companies with no red flags", "red_flags = 0"),
        ("more than 2 red flags", "red_flags > 2"),
        ("who has no red flag for customer concentration", "not flag customer_concentration"),
        ("哪些公司有诉讼", "signals.lawsuit = signal"),
        ("revenue over $10 million or employees under 150", "revenue > 10000000 USD or employees < 150"),
        ("cash runway under 12 months", "signals.cash_runway < 12"),
        ("who is loss-making?", "signals.loss_making = signal"),
    ],
)  # fmt: skip
def test_questions_become_filters_by_rules(question: str, expected: str) -> None:
    assert question_filter(question) == expected
    node, source = read_query(question)
    assert (node.text(), source) == (parse_filter(expected).text(), "rules")


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("hello there", "no condition found"),
        ("R&D ratio 10%", "say how 10% compares"),
        ("employees above 100 and revenue", "what about revenue?"),
        ("and above 30%", "which figure is 30%"),
    ],
)
def test_questions_the_rules_cannot_read_are_refused_naming_the_part(question: str, says: str) -> None:
    with pytest.raises(QuestionError) as err:
        read_query(question)
    assert says in str(err.value)


def test_a_broken_filter_gets_the_filter_error_not_a_question_error() -> None:
    with pytest.raises(FilterError) as err:
        read_query("rd_ratio > 10 and revnue > 5")
    assert "unknown field 'revnue'" in str(err.value)
    with pytest.raises(FilterError):
        read_query("R&D ratio above 10%", mode="filter")  # only a filter was asked for
    with pytest.raises(QuestionError):
        read_query("rd_ratio > 10", mode="question")  # only a question was asked for: no field words in it


def test_the_model_is_asked_only_when_the_rules_cannot_and_its_filter_is_parsed() -> None:
    asked: list[str] = []

    def model(question: str) -> str:
        asked.append(question)
        return "Here you go:\nfilter: gross_margin > 40 and flag debt_ratio\n"

    node, source = read_query("R&D ratio above 10%", translate=model)
    assert (node.text(), source, asked) == ("rd_ratio > 10", "rules", [])
    node, source = read_query("companies that sell robots to hospitals", translate=model)
    assert (node.text(), source) == ("gross_margin > 40 and flag debt_ratio", "llm")
    with pytest.raises(QuestionError, match="by rules or by the model"):
        read_query("companies that sell robots", translate=lambda q: "__import__('os').system('x')")


def test_the_lexicon_gives_each_phrase_one_meaning() -> None:
    assert duplicates() == []


# ---- matching, the cache and the command line --------------------------------------------------------------------
def test_three_valued_logic(profiles: dict[str, Profile]) -> None:
    brightfold = profiles["Brightfold"]
    for text, outcome in [
        ("checks.专精特新 = pass", "unknown"),  # not a mainland company
        ("checks.专精特新 = pass or rd_ratio > 20", "true"),  # 27.2%
        ("checks.专精特新 = pass and rd_ratio > 30", "false"),
        ("not checks.专精特新 = pass", "unknown"),
        ("checks.专精特新 = unknown", "true"),
        ("debt_ratio > 1", "unknown"),  # not stated
        (
            "metrics.debt_to_assets > 40",
            "true",
        ),  # no facts given: from the profile's 2023 assets and liabilities
    ]:
        assert match(parse_filter(text), brightfold, [])[0] == outcome, text
    _, why = match(parse_filter("metrics.debt_to_assets > 40"), brightfold, [])
    assert why[0].value == pytest.approx(40.77, abs=0.01) and why[0].period == "2023" and why[0].evidence


def test_profiles_are_cached_per_store_version(fake_services: Services, docs: Path, tmp_path: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    cache = ProfileCache()
    store = fake_services.store
    first = screen_portfolio(store, "revenue > 0", None, cache=cache)
    assert cache.built == 2 and {m.company for m in first.matches} == {"Acme", "星河科技"}
    screen_portfolio(store, "invention_patents > 10", None, cache=cache)
    assert cache.built == 2  # nothing changed: no profile built again
    more = tmp_path / "more" / "Acme"
    more.mkdir(parents=True)
    (more / "visit.txt").write_text("Acme had 120 employees at the end of 2023.\n", encoding="utf-8")
    ingest_paths([more.parent], store, fake_services.settings)
    again = screen_portfolio(store, "employees >= 100", None, cache=cache)
    assert cache.built == 3  # Acme's documents changed: only Acme is built again
    assert [m.company for m in again.matches] == ["Acme"]


def test_the_screen_command(cli: Callable[..., int], docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("ingest", str(docs)) == 0
    capsys.readouterr()
    assert cli("screen", "营收超过5000万元", "--json", "--as-of", "2024-06-30") == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["filter"], out["source"], out["as_of"]) == ("revenue > 50000000 CNY", "rules", "2024-06-30")
    assert [m["company"] for m in out["matches"]] == ["星河科技"]
    value = out["matches"][0]["values"][0]
    assert value["value"] == 86523000 and value["evidence"][0]["doc"] == "news.md"
    assert "8,652.30万元" in value["evidence"][0]["quote"]
    assert out["undecided"][0]["company"] == "Acme"  # USD revenue is not compared with CNY
    assert cli("screen", "invention_patents >= 14") == 0
    text = capsys.readouterr().out
    assert text.startswith("filter: invention_patents >= 14\n") and "✓ Acme" in text and "notes.txt" in text
    assert cli("screen", "rd_ratoi > 10") == 2
    assert "unknown field 'rd_ratoi'" in capsys.readouterr().err
    assert cli("screen", "revenue > 0", "--as-of", "30.06.2024") == 2
    assert cli("screen", "--fields") == 0
    assert "checks.专精特新" in capsys.readouterr().out


def test_every_signal_and_check_the_profiles_produce_can_be_named(profiles: dict[str, Profile]) -> None:
    from assistant.profile.screen.vocabulary import SIGNAL_NAMES, check_of

    produced = {s.name for p in profiles.values() for s in p.signals}
    assert produced and produced <= set(SIGNAL_NAMES), produced - set(SIGNAL_NAMES)
    for profile in profiles.values():
        for key in ("高新技术企业", "科技型中小企业", "专精特新", "小巨人", "科创属性"):
            assert check_of(key, profile.checks) is not None, (profile.company, key)
