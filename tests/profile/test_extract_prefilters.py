"""The extractors' cheap first tests skip only what their patterns could never match.

Each first test (a word a pattern needs, a lookahead for its first characters) is checked against strings
the pattern matches, drawn at random from the pattern itself (its parse tree), set inside random text; the
faster sentence splitter against the character walk it replaced.
"""

from __future__ import annotations

import importlib
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from assistant.profile.extract import (
    facts,
    identity,
    lawsuits,
    metrics,
    patents,
    qualifications,
    rounds,
    runway,
    table_cells,
)
from assistant.profile.extract.quick import first_chars, quick
from assistant.profile.extract.text import _TABULAR, ends_sentence, looks_tabular, sentence_spans
from assistant.profile.lexicon.credit_facts import FACTS
from assistant.profile.lexicon.sentence_topics import EN_TOPICS, ZH_TOPICS
from assistant.text import dates as dates_module
from assistant.text.dates import EN_DATE_DMY, EN_DATE_MDY, EN_DATE_MY, ISO_DATE, ZH_DATE, dates

_POOL = (
    "营业收入净利润公司年月日元轮人项个为是 ，。；：:.!?-/()（）%$"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)
_PARSER: Any = importlib.import_module("re._parser")
SAMPLES = 40


def _generate(items: Any, rng: random.Random, out: list[str]) -> None:
    """Append a random string the parsed ``items`` can match (assertions are ignored: check the result)."""
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name in ("IN", "NOT_LITERAL", "ANY", "CATEGORY"):
            one = re.compile(_one_char(name, av))
            listed = [chr(a) for op_, a in av if str(op_) == "LITERAL"] if name == "IN" else []
            out.append(rng.choice([c for c in _POOL + "".join(listed) if one.fullmatch(c)] or ["0"]))
        elif name == "SUBPATTERN":
            _generate(av[-1], rng, out)
        elif name == "ATOMIC_GROUP":
            _generate(av, rng, out)
        elif name == "BRANCH":
            _generate(rng.choice(av[1]), rng, out)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            for _ in range(rng.randint(low, min(high, low + 3))):
                _generate(sub, rng, out)
        # AT, ASSERT, ASSERT_NOT: zero width


_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s", "CATEGORY_WORD": r"\w"}


def _one_char(name: str, av: Any) -> str:
    """A pattern for the one character a class item of the parse tree matches."""
    if name == "ANY":
        return "."
    if name == "NOT_LITERAL":
        return f"[^{re.escape(chr(av))}]"
    if name == "CATEGORY":
        return _CATEGORIES.get(str(av), r"\W")
    negate, parts = "", []
    for op, arg in av:
        kind = str(op)
        if kind == "NEGATE":
            negate = "^"
        elif kind == "LITERAL":
            parts.append(re.escape(chr(arg)))
        elif kind == "RANGE":
            parts.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif kind == "CATEGORY":
            parts.append(_CATEGORIES.get(str(arg), r"\W"))
    return f"[{negate}{''.join(parts)}]"


def matching(rx: re.Pattern[str], anchored: bool = False, seed: int = 7) -> Iterator[str]:
    """Random texts in which ``rx`` finds a match: a string drawn from ``rx``, set inside random characters
    (alone when ``anchored``: ``rx`` then matches at its start)."""
    rng = random.Random(seed)
    tree = _PARSER.parse(rx.pattern, rx.flags)
    found = 0
    for _ in range(SAMPLES * 25):
        out: list[str] = []
        _generate(tree, rng, out)
        text = "".join(out)
        if rx.flags & re.IGNORECASE:
            text = "".join(c.upper() if rng.random() < 0.3 else c for c in text)
        if not anchored:
            text = "".join(rng.choices(_POOL, k=rng.randint(0, 6))) + text + "".join(rng.choices(_POOL, k=3))
        if (rx.match(text) if anchored else rx.search(text)) is not None:
            found += 1
            yield text
            if found >= SAMPLES:
                return
    assert found, f"no sample of {rx.pattern[:60]}"


def _matches(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple[str | Any, ...]]]:
    return [(m.span(), m.groups()) for m in rx.finditer(text)]


# ---- quick: a lookahead of the first characters ------------------------------------------------------
LEXICON_PATTERNS = [
    re.compile("|".join(f"(?P<t{i}>{p})" for i, (_, p) in enumerate(ZH_TOPICS))),
    re.compile("|".join(f"(?P<t{i}>{p})" for i, (_, p) in enumerate(EN_TOPICS)), re.IGNORECASE),
    re.compile("|".join(f"(?:{rx.pattern})" for _, rx, _ in FACTS), re.IGNORECASE),
    re.compile(r"纠纷|诉讼|lawsuit|\bsued\b|\bsuit\b", re.IGNORECASE),
    re.compile(r"(?:公司|企业)?(?:前身[^，。；]{0,24})?成立于(?P<v>\d{4})"),
    re.compile(r"(?<!recurring )(?:total |net )?revenues?|\bcash\b", re.IGNORECASE),
]


@pytest.mark.parametrize("rx", LEXICON_PATTERNS, ids=lambda rx: rx.pattern[:30])
def test_quick_finds_the_same_matches(rx: re.Pattern[str]) -> None:
    fast = quick(rx)
    assert fast is not rx and fast.pattern.startswith("(?=[")
    for text in matching(rx):
        assert _matches(fast, text) == _matches(rx, text), text
    rng = random.Random(3)
    for _ in range(300):
        text = "".join(rng.choices(_POOL, k=30))
        assert _matches(fast, text) == _matches(rx, text)


def test_quick_keeps_group_names_and_case_folding() -> None:
    fast = quick(re.compile(r"(?P<a>net) (?P<b>income)|(?P<c>revenue)", re.IGNORECASE))
    m = fast.search("Total NET Income rose")
    assert m is not None and m.group("a") == "NET" and m.lastgroup == "b"
    assert quick(re.compile("s", re.IGNORECASE)).search("\u017f")  # the long s folds to s, as in re itself


@pytest.mark.parametrize(
    "pattern, flags",
    [
        (r"[A-Z]{18}", 0),  # a class first
        (r"(?:x)?y?", 0),  # the empty match
        (r"(?i:abc)|d", 0),  # a scoped flag
        (r"abc", re.MULTILINE),  # a flag the lookahead is not checked under
        (r".abc", 0),  # a wildcard
    ],
)
def test_unknown_first_characters_leave_the_pattern_as_it_is(pattern: str, flags: int) -> None:
    rx = re.compile(pattern, flags)
    assert first_chars(rx) is None
    assert quick(rx) is rx


def test_groups_keep_their_numbers() -> None:
    fast = quick(re.compile(r"(a)\1|(b)"))
    assert first_chars(fast) is None or fast.pattern.startswith("(?=[ab])")
    assert _matches(fast, "xaab b") == [((1, 3), ("a", None)), ((3, 4), (None, "b")), ((5, 6), (None, "b"))]


def test_first_characters_look_through_optional_prefixes_and_assertions() -> None:
    assert first_chars(re.compile(r"\b(?:was |were )?founded")) == "fw"
    assert first_chars(re.compile(r"(?:计入当期损益的)?政府补助|(?<!no )top")) == "t政计"


def test_the_extractors_use_quick_patterns() -> None:
    for rx in (
        metrics.ZH_TOPIC_RE,
        metrics.EN_TOPIC_RE,
        facts._ANY_FACT,
        facts._CUSTOMER,
        identity._ANY_LABEL,
        lawsuits._LAW,
        rounds._VALUATION,
        runway._MONTHS,
        table_cells._CAPTION_EN,
    ):
        assert rx.pattern.startswith("(?=["), rx.pattern[:40]


def test_combining_patterns_of_different_flags_is_refused() -> None:
    with pytest.raises(ValueError):
        facts._any_of([re.compile("a"), re.compile("b", re.IGNORECASE)])


# ---- words a pattern needs --------------------------------------------------------------------------
def _word_gates() -> Iterator[tuple[str, re.Pattern[str], bool, Callable[[str], bool]]]:
    """(what, pattern, anchored, first test): the first test must pass every text the pattern matches."""
    for field, rx, _prio, words in identity._SENTENCE_RULES:
        yield f"identity {field}", rx, False, lambda t, ws=words: any(w in t for w in ws)
        yield f"identity any {field}", rx, False, lambda t: identity._SENTENCE_WORD.search(t) is not None
    for field, rx, _prio in identity._LABEL_RE:
        yield f"label {field}", rx, False, lambda t: "：" in t or ":" in t
        yield f"any label {field}", rx, False, lambda t: identity._ANY_LABEL.search(t) is not None
    for field, rx, _prio in identity._LABEL_FULL:
        yield f"full label {field}", rx, True, lambda t: identity._ANY_LABEL.search(t) is not None
    for field, rx, _prio in identity._LABEL_SPACE:
        yield f"space label {field}", rx, True, lambda t: identity._ANY_LABEL.search(t) is not None
    yield (
        "qualification",
        qualifications._QUAL,
        False,
        lambda t: qualifications._QUAL_WORD.search(t) is not None,
    )
    yield "standard", qualifications._STANDARD, False, lambda t: "标准" in t
    yield "zh round", rounds._ZH_ROUND, False, lambda t: "轮" in t or "战略" in t
    yield "runway", runway._RUNWAY, False, lambda t: runway._MONTHS.search(t) is not None
    yield "patent line", patents._PATENT_LINE, False, lambda t: "ZL" in t
    yield "bare unit", table_cells._BARE_UNIT, False, lambda t: "元" in t
    yield "zh date", ZH_DATE, False, lambda t: "年" in t
    yield "iso date", ISO_DATE, False, lambda t: "-" in t
    for rx in (EN_DATE_MDY, EN_DATE_DMY, EN_DATE_MY):
        yield "en date", rx, False, lambda t: dates_module._MONTH_START.search(t) is not None
    for rx in (ZH_DATE, ISO_DATE, EN_DATE_MDY, EN_DATE_DMY, EN_DATE_MY):
        yield "a year", rx, False, lambda t: "19" in t or "20" in t
    for name, rx, _neg in FACTS:
        yield f"fact {name}", rx, False, lambda t: facts._ANY_FACT.search(t) is not None


GATES = list(_word_gates())


@pytest.mark.parametrize("what, rx, anchored, gate", GATES, ids=[g[0] for g in GATES])
def test_a_first_test_passes_every_text_its_pattern_matches(
    what: str, rx: re.Pattern[str], anchored: bool, gate: Callable[[str], bool]
) -> None:
    for text in matching(rx, anchored):
        assert gate(text), (what, text)


def test_dates_still_reads_every_kind() -> None:
    got = [d.iso for d in dates("2023年5月1日；2022-12-31；March 3, 2021；5 June 2020；Sept 2019；no year")]
    assert got == ["2023-05-01", "2022-12-31", "2021-03-03", "2020-06-05", "2019-09"]
    assert dates("营业收入16,842.57万元") == []


# ---- sentence spans -----------------------------------------------------------------------------------
def _walked_spans(text: str) -> list[tuple[int, int]]:
    """Every character walked (what ``sentence_spans`` replaced with a search for the marks), cut by the same
    rule: the two must find the same spans."""
    out: list[tuple[int, int]] = []
    start = i = 0
    n = len(text)
    while i < n:
        if ends_sentence(text, start, i):
            out.append((start, i + 1))
            start = i + 1
            while start < n and text[start] == " ":
                start += 1
            i = start
            continue
        i += 1
    if start < n:
        out.append((start, n))
    return out


def test_sentence_spans_cut_at_sentence_marks_but_not_after_abbreviations() -> None:
    text = (
        "Corvane Inc. makes lasers, e.g. fibre ones. J. K. Lund leads it. Sales grew 3.5 percent! "
        "公司主营激光器。客户集中；"
    )
    got = [text[a:b] for a, b in sentence_spans(text)]
    assert got == [
        "Corvane Inc. makes lasers, e.g. fibre ones.",
        "J. K. Lund leads it.",
        "Sales grew 3.5 percent!",
        "公司主营激光器。",
        "客户集中；",
    ]


def test_sentence_spans_match_the_character_walk() -> None:
    rng = random.Random(11)
    tokens = [
        "Inc.",
        " ",
        "  ",
        "A",
        "b",
        "U.S.",
        "公司",
        "。",
        "；",
        ";",
        ".",
        "!",
        "?",
        "1",
        "Dr.",
        "e.g.",
        "x",
    ]
    for _ in range(3000):
        text = "".join(rng.choices(tokens, k=rng.randint(0, 14)))
        assert list(sentence_spans(text)) == _walked_spans(text), repr(text)


def test_looks_tabular_matches_its_pattern() -> None:
    rng = random.Random(5)
    tokens = ["营业收入", " ", "16,842.57", "12.5%", "(3,218)", "-", "—", "–", "不适用", "N/A", "n/a"]
    tokens += [
        "２０",
        "٣",
        "a",
        "。",
        "\n",
    ]  # full-width and Arabic-Indic digits are digits to the pattern too
    for _ in range(3000):
        line = "".join(rng.choices(tokens, k=rng.randint(0, 6)))
        assert looks_tabular(line) == bool(_TABULAR.search(line.strip())), repr(line)
