"""The home of refusal sentences: what a user reads when a question is not answered, in the question's language,
naming the reason (the reasons are ``core.records.RefusalReason``). A refusal never shows a figure the model
invented or a claim an instruction asked for: a failed verification is named by its kind only."""

from __future__ import annotations

from collections.abc import Collection

from assistant.answer.periods import year_ranges
from assistant.answer.query import Query
from assistant.answer.verify import failure_kind
from assistant.core.records import Evidence
from assistant.store.index import Store

# each refusal reason as the web app and the CLI label it (English / Chinese)
REASON_LABELS = {
    "company_not_found": "no documents of that company / 没有该企业的文档",
    "company_mismatch": "the question names another company than the one selected / 问题中的企业与所选企业不同",
    "several_companies": "several companies named / 问题涉及多家企业",
    "period_not_covered": "period not covered by the documents / 文档未覆盖所问年度",
    "not_stated": "not stated in the documents / 文档未载明",
    "model_declined": "the model found no answer in the passages / 模型认为资料未给出答案",
    "verification_failed": "the model's answer failed verification / 模型回答未通过引用核对",
    "time_budget": "no verified answer within the time budget / 时间限制内未得到可核对的回答",
    "input_missing": "a figure the metric needs is not in the documents / 计算指标所需的数据不在文档中",
}


def reason_label(reason: str | None) -> str:
    """The label of a refusal reason ("" for an answer)."""
    return REASON_LABELS.get(reason, reason) if reason else ""


def _join(names: list[str], lang: str) -> str:
    return "、".join(names) if lang == "zh" else ", ".join(names)


def several_companies_text(lang: str, names: list[str]) -> str:
    if lang == "zh":
        return f"问题涉及多家企业（{_join(names, lang)}），请选择一家。"
    return f"The question names several companies ({_join(names, lang)}): choose one."


def company_not_found_text(lang: str, names: list[str]) -> str:
    if lang == "zh":
        return (
            f"没有{_join(names, lang)}的文档：文档库中没有这家企业的资料（或您无权查看），"
            "因此无法回答，也未检索其他企业的资料。"
        )
    return (
        f"No documents of {_join(names, lang)}: the store holds none you may see, so nothing was searched and no "
        "other company's documents were used."
    )


def company_mismatch_text(lang: str, named: list[str], selected: str | None) -> str:
    if lang == "zh":
        return f"问题提到的是{_join(named, lang)}，但当前选择的企业是{selected}：请选择要查询的企业后再问。"
    return (
        f"The question names {_join(named, lang)} but the selected company is {selected}: choose the company to "
        "ask about and ask again."
    )


def period_not_covered_text(lang: str, company: str | None, missing: list[str], covered: list[str]) -> str:
    have = year_ranges(covered)
    if lang == "zh":
        return (
            f"文档中没有找到这个问题的答案：{company}的文档不含{_join(missing, lang)}年度的数据"
            f"（文档覆盖的年度为{have}年）。"
        )
    return f"Not in the documents: those of {company} do not cover fiscal {_join(missing, lang)} (they cover {have})."


def input_missing_text(
    lang: str,
    company: str | None,
    metric: str,
    year: str,
    needed: list[str],
    lacking: list[str],
    there: list[str],
) -> str:
    """A metric that cannot be computed: what it needs, which of that the documents lack, and (cited) what they
    give."""
    if lang == "zh":
        return (
            f"无法计算{company or ''}{year}年的{metric}：它需要{_join(needed, lang)}，"
            f"文档中没有{_join(lacking, lang)}。文档中有：{'；'.join(there)}。"
        )
    return (
        f"{company or 'The company'}'s {metric} for FY{year} cannot be computed: it needs {_join(needed, lang)}, "
        f"and the documents give no {_join(lacking, lang)}. They give: {'; '.join(there)}."
    )


_WHY = {  # reason → (Chinese, English) sentence naming it
    "not_stated": ("没有段落提到所问的内容", "no passage states what is asked"),
    "role_not_stated": (
        "资料列出了相关方，但没有说明谁担任所问的角色",
        "the documents name no one in the role asked",
    ),
    "period_not_covered": ("所问的年度不在检索到的资料中", "no passage is about the year asked"),
    "model_declined": ("模型认为资料未给出答案", "the model found no answer in the passages"),
    "time_budget": (
        "在时间限制内没有得到可核对的回答，也没有可直接引用的原句",
        "no verified answer within the time allowed and no passage sentence answers it",
    ),
    "verification_failed": (
        "模型的回答两次未通过引用核对，且没有可直接引用的原句",
        "the model's answer failed verification twice and no passage sentence answers it",
    ),
}


def not_found_text(
    lang: str, company: str | None, searched: int, reason: str = "not_stated", problem: str = ""
) -> str:
    """The refusal, naming its reason (and, for a failed verification, the kind of failure)."""
    who = company or ("所有企业" if lang == "zh" else "all companies")
    if problem.startswith("no passage states the"):  # a role the passages do not give anyone (roles.py)
        zh, en = _WHY["role_not_stated"]
        problem = ""
    else:
        zh, en = _WHY.get(reason, _WHY["not_stated"])
    kind = failure_kind(problem, lang)  # the kind of failure only: a problem quotes what the model invented
    failed = f"（{kind}）" if kind and lang == "zh" else (f" ({kind})" if kind else "")
    if lang == "zh":
        return f"文档中没有找到这个问题的答案：{zh}{failed}（已检索{who}的{searched}段资料）。"
    return f"Not in the documents: {en}{failed} (searched {searched} passages of {who})."


def searched_text(
    store: Store, query: Query, doc: str | None, evidence: list[Evidence], allowed: Collection[str] | None
) -> str:
    """What retrieval looked through, for a reader who gets "not in the documents"."""
    company = query.company
    everyone = (
        f"the documents of the {len(allowed)} companies you may see"
        if allowed is not None
        else "every company's documents"
    )
    where = doc or (f"{len(store.documents(company))} documents of {company}" if company else everyone)
    terms = " ".join(dict.fromkeys(query.tokens))[:120]
    best = (
        f"; best relevance {max(e.score for e in evidence):.2f}"
        if evidence
        else "; nothing above the relevance floor"
    )
    return f"{where}; terms: {terms}{best}"
