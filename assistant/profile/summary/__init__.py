"""The RM summary of a profile (issue 5, item 5): a short narrative written by the LLM from the
verified fields only, and verified like an answer before it is kept.

    summarizer = ProfileSummarizer(lambda: services.llm, settings.prompts_dir)
    profile = build_profile(store, company, summarizer=summarizer)   # the build_profile hook
    summarizer.last.path                                              # verified | retried | template

Flow:

1. **Facts.** Up to ``max_facts`` fields with a verified value (status ``found``, or ``conflict`` with the
   most reliable source's value, marked as disputed) are numbered ``[1]..[k]``; each fact is a line
   "label (period): figure" plus its first evidence quote (document, page). The figure is the
   document's own text (``raw``) when it is a clean figure, else the normalised value written in 万元 /
   亿元 / million — covered by the quote after unit normalisation.
2. **LLM.** ``prompts/profile_summary_{zh,en}.txt`` (zh when the company's name is Chinese) asks for
   3–5 sentences citing the facts as ``[n]``.
3. **Verification** (:func:`verify_summary`, built on the checks of :mod:`assistant.answer.verify`): a citation
   must point to a given fact; every number of a sentence must be in the facts that sentence cites (as
   written or after unit normalisation — a figure more precise than its source, a computed growth rate
   or a total is an invention); a figure keeps its unit; a sentence must not consist mostly of words no
   fact contains (no opinions); a sentence with figures but no citation is attributed to the facts that
   contain its figures (a wrong ``[n]`` likewise), or rejected when none does.
4. **Retry** once with ``prompts/profile_summary_strict_{zh,en}.txt``, which names the problem.
5. **Fallback**: a deterministic template from the same facts, with citations (it passes the same
   verification; a test checks that on the corpus).

Steps 2–5 are the answers' verify → retry → fallback path (:func:`assistant.answer.verify.verify_retry_fallback`).

The summary's citations are the facts' evidence quotes (verbatim substrings of the documents),
renumbered ``[1]..[m]`` in order of first citation, identical quotes merged.

The facts live in :mod:`assistant.profile.summary.facts`, the template in :mod:`assistant.profile.summary.template`;
this module verifies a summary and runs the path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser

from assistant.answer.citations import CITE, PLACEHOLDER, cited_numbers, says_not_found, strip_citations
from assistant.answer.claims import unsupported_words
from assistant.answer.figure_checks import numbers_in, unit_mismatches, unsupported_numbers
from assistant.answer.verify import Draft, run_path, verify_retry_fallback
from assistant.core.records import Citation
from assistant.profile.schema import Profile, Summary
from assistant.profile.summary.facts import FactLine, Lang, format_facts, select_facts, summary_language
from assistant.profile.summary.template import template_summary
from assistant.store.keywords import tokenize
from assistant.text.cjk import HAN

SummaryPath = Literal["verified", "retried", "template", "none"]

_CJK = re.compile(r"[" + HAN + r"]")
# a sentence: text up to its end mark (a "." only before a space or the end: never a decimal point), then the
# citation markers that follow the end mark ("…万元。[3]" cites [3] for that sentence)
_SENTENCE = re.compile(
    r"(?P<body>.+?(?:[。！？!?]|\.(?=\s|$)|$))(?P<cites>(?:\s*[\[【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】])*)",
    re.S,
)
# Words a summary may use although no fact says them (the template's own words among them).
_VOCABULARY: dict[Lang, str] = {
    "zh": "企业概况 公司 该公司 企业 一家 主要 从事 专注 主营 业务 产品 成立 成立于 位于 总部 年 年度 实现 达到 为 是 "
    "其中 同时 以及 并且 此外 分别 合计 拥有 持有 占 比例 营业收入 收入 营收 净利润 净亏损 亏损 毛利率 研发 投入 "
    "费用 员工 人员 人数 专利 发明 授权 软件 著作权 客户 第一大 前五大 集中 负债率 资产 现金流 经营活动 现金 "
    "融资 最近 一轮 完成 月 个月 可支撑 文件 数值 不一致 来源 可靠 最可靠 取 截至 末",
    "en": "summary company the a an is was were has had its it in of and with for as at by to on from which while "
    "founded headquartered based makes develops sells provides main business products revenue net profit loss "
    "gross margin expense share largest customer customers top five accounted employed employees staff "
    "patents invention granted software copyrights debt ratio operating cash flow used latest financing round "
    "runway months documents disagree most reliable source kept research development year fiscal",
}


@dataclass
class SummaryOutcome:
    """What the summarizer did for one profile."""

    summary: Summary
    path: SummaryPath
    problems: list[str] = field(default_factory=list)
    facts: int = 0
    llm_calls: int = 0
    seconds: float = 0.0


# ---- verification (a summary is a Draft: its text and the 1-based facts it cites, or the problem) ----------
def _numbers(text: str) -> list[str]:
    return numbers_in(strip_citations(text))


def unsupported(text: str, passages: list[str]) -> list[str]:
    """Numbers of ``text`` that none of ``passages`` states, as written or after unit normalisation (a figure
    more precise than its source, or one that is only a substring of another figure, is not supported)."""
    return unsupported_numbers(text, passages, strict=True)


def _holders(number: str, texts: list[str]) -> list[int]:
    return [i for i, t in enumerate(texts, start=1) if not unsupported(number, [t])]


def vocabulary(facts: list[FactLine], lang: Lang, company: str) -> str:
    """The "question" the summary answers: its own words (labels, connectives) are not new claims."""
    return " ".join([company, _VOCABULARY[lang], *(f.label for f in facts)])


def verify_summary(
    raw: str, facts: list[FactLine], lang: Lang, company: str, max_chars: int | None = None
) -> Draft:
    """Check a summary against the facts it was given (see the module's rules); repairs missing or wrong
    citations of figures that a fact does state."""
    texts = [f.text(lang) for f in facts]
    limit = max_chars or (400 if lang == "zh" else 1200)
    raw = PLACEHOLDER.sub("", raw or "").strip()
    if not raw or says_not_found(raw):
        return Draft(problem="the summary is empty")
    invalid = sorted(n for n in set(cited_numbers(raw)) if not 1 <= n <= len(facts))
    if invalid:
        return Draft(
            problem=f"it cites {', '.join(f'[{n}]' for n in invalid)}, which is not one of the facts "
            f"[1]-[{len(facts)}]"
        )
    if len(strip_citations(raw)) > limit:
        return Draft(problem=f"it is longer than {limit} characters")
    asked = set(tokenize(vocabulary(facts, lang, company)))
    out: list[str] = []
    cited_all: list[int] = []
    for m in _SENTENCE.finditer(raw):
        body, tail = m.group("body"), m.group("cites") or ""
        if not body.strip() and not tail.strip():
            continue
        plain = strip_citations(body).strip()
        if not plain:
            out.append(m.group(0))
            continue
        given = cited_numbers(body + tail)
        cites = _sentence_citations(plain, given, texts, asked)
        if isinstance(cites, str):
            return Draft(problem=cites)
        out.append(m.group(0) if cites == given else _recite(m.group(0), body, cites))
        cited_all += [n for n in cites if n not in cited_all]
    if not cited_all:
        return Draft(problem="it cites no fact")
    return Draft(text=re.sub(r"[ \t]{2,}", " ", "".join(out)).strip(), cited=cited_all)


def _sentence_citations(plain: str, given: list[int], texts: list[str], asked: set[str]) -> list[int] | str:
    """The facts one sentence (without its markers) cites once verified: its ``given`` ones, plus those that
    state its figures (a missing or wrong [n]), or for a sentence without figures the fact that shares its
    words; else why it fails (a fabricated figure, a changed unit, words no fact says)."""
    cites = list(given)
    numbers = _numbers(plain)
    if numbers and unsupported(plain, [texts[n - 1] for n in cites] if cites else []):
        # missing or wrong [n]: add the facts that state the sentence's figures, or reject a fabricated one
        for number in numbers:
            if not unsupported(number, [texts[n - 1] for n in cites]):
                continue
            holders = _holders(number, texts)
            if not holders:
                return f"the figure {number} in “{plain[:60]}” is in none of the facts"
            cites.append(holders[0])
        if unsupported(plain, [texts[n - 1] for n in cites]):
            return f"the figures of “{plain[:60]}” are in none of the facts it could cite"
        cites = list(dict.fromkeys(cites))
    if cites:
        mismatched = unit_mismatches(plain, [texts[n - 1] for n in cites])
        if mismatched:
            return f"{', '.join(mismatched)}: the fact gives this figure with another unit"
    new_words = unsupported_words(plain, asked, texts)
    if new_words:
        return f"“{plain[:60]}” says what no fact says ({', '.join(new_words[:6])})"
    if not cites:  # a sentence without figures: cite the fact it draws on, if one shares its words
        cites = _best_by_words(plain, texts)
    return cites


def _recite(whole: str, body: str, cites: list[int]) -> str:
    """A sentence with the citation markers it lacks added before its end mark (its own markers kept)."""
    have = set(cited_numbers(whole))
    marks = "".join(f"[{n}]" for n in cites if n not in have)
    if not marks:
        return whole
    tail = whole[len(body) :]
    stripped = body.rstrip()
    space = body[len(stripped) :]
    if stripped and stripped[-1] in "。！？!?.":
        return f"{stripped[:-1].rstrip()} {marks}{stripped[-1]}{space}{tail}"
    return f"{stripped} {marks}{space}{tail}"


def _best_by_words(sentence: str, texts: list[str]) -> list[int]:
    words = {t for t in tokenize(sentence) if len(t) > 1 and not t[0].isdigit()}
    if not words:
        return []
    scores = [(len(words & set(tokenize(t))), -i) for i, t in enumerate(texts, start=1)]
    best = max(scores, default=(0, 0))
    return [-best[1]] if best[0] >= max(1, len(words) // 3) else []


def finish(verdict: Draft, facts: list[FactLine]) -> Summary:
    """The Summary: citations renumbered 1..m in order of first appearance, identical quotes merged."""
    sources: list[Citation] = []
    number: dict[int, int] = {}
    for n in verdict.cited:
        src = facts[n - 1].source
        if src not in sources:
            sources.append(src)
        number[n] = sources.index(src) + 1

    def renumber(m: re.Match[str]) -> str:
        new = list(dict.fromkeys(number[int(x)] for x in re.findall(r"\d+", m.group(1)) if int(x) in number))
        return "".join(f"[{n}]" for n in new)

    text = CITE.sub(renumber, verdict.text)
    text = re.sub(r"(\[\d+\])(?:\1)+", r"\1", text)
    return Summary(text=text, citations=sources)


# ---- the summarizer ------------------------------------------------------------------------------------------
LLMSource = BaseChatModel | Callable[[], BaseChatModel] | None


class ProfileSummarizer:
    """``build_profile``'s ``summarizer`` hook: Profile → verified Summary (LLM, one stricter retry,
    then the template). ``llm=None`` writes the template summary without a model. The outcome of the
    last call is in ``last`` (path, problems, LLM calls, seconds)."""

    def __init__(self, llm: LLMSource, prompts_dir: Path, max_facts: int = 12) -> None:
        self._llm = llm
        self.prompts_dir = Path(prompts_dir)
        self.max_facts = max_facts
        self.last: SummaryOutcome | None = None

    def _model(self) -> BaseChatModel:
        llm = self._llm
        assert llm is not None
        return llm if isinstance(llm, BaseChatModel) else llm()

    def __call__(self, profile: Profile) -> Summary:
        self.last = self.summarize(profile)
        return self.last.summary

    def _ask(self, name: str, inputs: dict[str, str]) -> str:
        from assistant.answer.prompts import load_prompt

        prompt = load_prompt(self.prompts_dir, name, frozenset(inputs))
        return str((prompt | self._model() | StrOutputParser()).invoke(inputs)).strip()

    def summarize(self, profile: Profile) -> SummaryOutcome:
        started = time.perf_counter()
        lang = summary_language(profile)
        facts = select_facts(profile, lang, self.max_facts)
        outcome = SummaryOutcome(summary=Summary(), path="none", facts=len(facts))
        if not facts:
            outcome.problems.append("no verified field to summarise")
        else:
            draft, outcome.path = self._written(profile, facts, lang, outcome)
            outcome.summary = finish(draft, facts)
        outcome.seconds = round(time.perf_counter() - started, 3)
        return outcome

    def _written(
        self, profile: Profile, facts: list[FactLine], lang: Lang, outcome: SummaryOutcome
    ) -> tuple[Draft, SummaryPath]:
        """The verified summary (the LLM's, verify → retry → fallback) and how it was written; the template
        when there is no LLM or it fails."""

        def fallback() -> Draft:
            return _template_draft(profile, facts, lang, outcome.problems)

        if self._llm is None:
            return fallback(), "template"
        inputs = {"company": profile.company, "facts": format_facts(facts, lang)}

        def write(problem: str) -> Iterator[str]:
            if problem:
                inputs["problem"] = problem
            name = f"profile_summary_strict_{lang}" if problem else f"profile_summary_{lang}"
            try:
                raw = self._ask(name, inputs)
            except Exception as exc:  # the backend failed: no retry, the template says the same facts
                outcome.problems.append(f"LLM failed: {type(exc).__name__}: {exc}")
                raise _LLMFailed from exc
            outcome.llm_calls += 1
            yield raw

        def check(raw: str) -> Draft:
            verdict = verify_summary(raw, facts, lang, profile.company)
            if verdict.problem:
                outcome.problems.append(verdict.problem)
            return verdict

        try:
            checked = run_path(verify_retry_fallback(write, check, fallback))
        except _LLMFailed:
            return fallback(), "template"
        if checked.path == "verified":
            return checked.draft, "verified" if checked.attempts == 1 else "retried"
        return checked.draft, "template"


class _LLMFailed(Exception):
    """The LLM backend failed while writing a summary (the problem is recorded)."""


def _template_draft(profile: Profile, facts: list[FactLine], lang: Lang, problems: list[str]) -> Draft:
    """The template summary, verified like the LLM's; should it fail (not expected: tests check the corpus),
    the template is kept, citing every fact it names, and the problem recorded."""
    text = template_summary(profile, facts, lang)
    verdict = verify_summary(text, facts, lang, profile.company, max_chars=4000)
    if verdict.problem:
        problems.append(f"template: {verdict.problem}")
        verdict = Draft(text=text, cited=cited_numbers(text))
    return verdict


__all__ = ["ProfileSummarizer", "SummaryOutcome", "finish", "unsupported", "verify_summary"]
