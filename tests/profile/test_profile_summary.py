"""The RM summary: written by the LLM from verified fields only, verified like an answer, one stricter
retry, then the deterministic template (fake and scripted LLMs; no model is loaded)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from profile_support import TODAY
from pydantic import Field

from assistant.core.services import Services
from assistant.models.llm import FakeChat
from assistant.profile import Profile, build_profile
from assistant.profile.render import render
from assistant.profile.summary import ProfileSummarizer, unsupported, verify_summary
from assistant.profile.summary.facts import select_facts, summary_language
from assistant.profile.summary.template import template_summary


class ScriptedChat(BaseChatModel):
    """Replies with the scripted texts in turn and records every prompt (system + user)."""

    replies: list[str]
    prompts: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append("\n".join(str(m.content) for m in messages))
        reply = self.replies[min(len(self.prompts), len(self.replies)) - 1]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


class BrokenChat(ScriptedChat):
    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        raise ConnectionError("server unreachable")


def _n(profile: Profile, field: str) -> int:
    """The fact number of a field in the summary prompt."""
    facts = select_facts(profile, summary_language(profile))
    return next(f.n for f in facts if f.name == field)


def _summarize(
    services: Services, company: str, llm: BaseChatModel | None
) -> tuple[Profile, ProfileSummarizer]:
    summarizer = ProfileSummarizer(llm, services.settings.prompts_dir)
    profile = build_profile(services.store, company, today=TODAY, summarizer=summarizer)
    return profile, summarizer


def _numbers_are_in_their_citations(profile: Profile) -> None:
    import re

    text = profile.summary.text
    for sentence in re.split(r"(?<=[。！？])|(?<=\.)\s+", text):
        cited = [int(x) for x in re.findall(r"\[(\d+)\]", sentence)]
        body = re.sub(r"\[\d+\]", "", sentence)
        if re.search(r"\d", body):
            assert cited, sentence
            quotes = [profile.summary.citations[n - 1].quote for n in cited]
            facts = select_facts(profile, summary_language(profile))
            heads = [f.text(summary_language(profile)) for f in facts if f.source.quote in quotes]
            assert not unsupported(body, quotes + heads), sentence


def test_fabricated_number_is_rejected_and_the_template_used(corpus_services: Services) -> None:
    base = build_profile(corpus_services.store, "栖云智算", today=TODAY)
    revenue = _n(base, "revenue")
    llm = ScriptedChat(
        replies=[
            f"2023年营业收入为2.5亿元 [{revenue}]。",  # invented figure
            f"2023年营业收入同比增长50% [{revenue}]。",
        ]
    )  # a computation of its own: not in the fact
    profile, summarizer = _summarize(corpus_services, "栖云智算", llm)
    outcome = summarizer.last
    assert outcome is not None and outcome.path == "template" and outcome.llm_calls == 2
    assert "2.5" in outcome.problems[0] and "50" in outcome.problems[1]
    assert "2.5亿" not in profile.summary.text and "50%" not in profile.summary.text
    lang = summary_language(base)
    assert profile.summary.text.startswith("杭州栖云智算科技股份有限公司[1]")
    assert "16,842.57万元" in profile.summary.text and profile.summary.citations
    assert (
        len(llm.prompts) == 2 and "没有通过核查" in llm.prompts[1] and "2.5" in llm.prompts[1]
    )  # the stricter prompt
    assert lang == "zh"
    _numbers_are_in_their_citations(profile)


def test_a_correct_summary_is_verified_and_renumbered(corpus_services: Services) -> None:
    base = build_profile(corpus_services.store, "栖云智算", today=TODAY)
    rev, net, top1 = _n(base, "revenue"), _n(base, "net_profit"), _n(base, "top1_customer_share")
    reply = (
        f"2023年，栖云智算营业收入为1.68亿元，净利润1,523.40万元 [{rev}][{net}]。"
        f"第一大客户占营业收入的18.70% [{top1}]。"
    )
    profile, summarizer = _summarize(corpus_services, "栖云智算", ScriptedChat(replies=[reply]))
    assert (
        summarizer.last is not None and summarizer.last.path == "verified" and summarizer.last.llm_calls == 1
    )
    assert (
        profile.summary.text
        == "2023年，栖云智算营业收入为1.68亿元，净利润1,523.40万元 [1][2]。第一大客户占营业收入的18.70% [3]。"
    )
    assert [c.quote for c in profile.summary.citations] == [
        base.fields["revenue"].evidence[0].quote,
        base.fields["net_profit"].evidence[0].quote,
        base.fields["top1_customer_share"].evidence[0].quote,
    ]


def test_a_failed_first_answer_is_retried_once(corpus_services: Services) -> None:
    base = build_profile(corpus_services.store, "Brightfold", today=TODAY)
    rev = _n(base, "revenue")
    llm = ScriptedChat(
        replies=[
            f"Brightfold's revenue reached $25 million [{rev}].",
            f"Revenue was $18,742 thousand in 2023 [{rev}].",
        ]
    )
    profile, summarizer = _summarize(corpus_services, "Brightfold", llm)
    assert summarizer.last is not None and summarizer.last.path == "retried"
    assert profile.summary.text == "Revenue was $18,742 thousand in 2023 [1]."
    assert "relationship manager" in llm.prompts[0] and "rejected by a checker" in llm.prompts[1]


def test_verification_rules(corpus_services: Services) -> None:
    profile = build_profile(corpus_services.store, "栖云智算", today=TODAY)
    facts = select_facts(profile, "zh")
    rev, net = _n(profile, "revenue"), _n(profile, "net_profit")

    def problem(text: str) -> str:
        return verify_summary(text, facts, "zh", "栖云智算").problem

    assert "[99]" in problem("营业收入16,842.57万元 [99]。")  # a citation to no given fact
    assert "1.685" in problem(f"营业收入1.685亿元 [{rev}]。")  # more precise than the source: invented
    assert problem("该公司财务状况非常优秀，发展前景十分广阔，值得重点营销。")  # opinion, no fact says it
    assert problem("")
    # a figure cited to the wrong fact, or not cited, is attributed to the fact that states it
    repaired = verify_summary(f"净利润1,523.40万元 [{rev}]。营业收入16,842.57万元。", facts, "zh", "栖云智算")
    assert not repaired.problem and set(repaired.cited) >= {rev, net}
    assert f"[{net}]" in repaired.text.split("。")[0] and f"[{rev}]" in repaired.text.split("。")[1]


def test_backend_failure_falls_back_to_the_template(corpus_services: Services) -> None:
    profile, summarizer = _summarize(corpus_services, "绿湃储能", BrokenChat(replies=[]))
    assert (
        summarizer.last is not None and summarizer.last.path == "template" and summarizer.last.llm_calls == 0
    )
    assert "LLM failed" in summarizer.last.problems[0]
    assert "净亏损642.83万元" in profile.summary.text  # a loss is said as a loss, in 万元


def test_fake_llm_through_the_build_profile_hook(corpus_services: Services) -> None:
    profile, summarizer = _summarize(corpus_services, "Tessavolt", FakeChat())
    assert summarizer.last is not None and summarizer.last.path == "verified"
    assert profile.summary.text.endswith("[1]") and len(profile.summary.citations) == 1
    md = render(profile, "md")
    assert "## Summary" in md and f"1. {profile.summary.citations[0].doc}" in md
    html = render(profile, "html")
    assert 'href="#ref1"' in html.split("<h2>Identity</h2>")[0]


@pytest.mark.parametrize(
    "lang_of", ["栖云智算", "知衡软件", "绿湃储能", "铖泰精密", "Brightfold", "Lumenaut", "Tessavolt"]
)
def test_template_passes_its_own_verification(profiles: dict[str, Profile], lang_of: str) -> None:
    profile = profiles[lang_of]
    lang = summary_language(profile)
    assert lang == ("en" if lang_of.isascii() else "zh")
    facts = select_facts(profile, lang)
    assert len(facts) >= 8
    text = template_summary(profile, facts, lang)
    verdict = verify_summary(text, facts, lang, profile.company, max_chars=4000)
    assert not verdict.problem, verdict.problem
    evidence = [src for fv in profile.fields.values() for src in fv.evidence]
    summary = ProfileSummarizer(None, profile_dir()).summarize(profile)
    assert summary.path == "template" and not summary.problems
    assert all(src in evidence for src in summary.summary.citations)  # verbatim quotes of verified fields


def profile_dir() -> Any:
    from assistant.core.settings import Settings

    return Settings().prompts_dir


def test_no_verified_field_no_summary() -> None:
    outcome = ProfileSummarizer(FakeChat(), profile_dir()).summarize(Profile(company="Empty Ltd."))
    assert outcome.path == "none" and outcome.summary.text == "" and outcome.llm_calls == 0
