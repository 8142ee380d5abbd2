"""What the chat shows besides the answer: the verification verdict and the cited passages as HTML, and a
conversation as Markdown for export."""

from __future__ import annotations

import html
import re
from typing import Any

from assistant.answer.periods import year_ranges
from assistant.answer.refusals import reason_label
from assistant.core.records import Answer

VERDICTS = {
    "verified": "✓ verified against the cited passages / 已核对引用原文",
    "extractive": (
        "❝ quoted from the document: the model's answer failed verification / 模型回答未通过核对，改为引用原文"
    ),
    "quoted": "❝ the cause as the report states it, quoted / 引用报告原文所述原因",
    "computed": "∑ computed in code from the cited table rows / 由引用的表格行计算得出",
    "insufficient_evidence": "∅ not in the documents / 文档中未找到",
    "needs_company": "? choose a company / 请选择企业",
}


def render_sources(answer: Answer) -> str:
    """The verification verdict, then the citations as HTML: document, page and the quoted passage of each."""
    verdict = f"<p class='verdict {answer.path}'>{html.escape(VERDICTS.get(answer.path, answer.path))}</p>"
    if answer.reason:
        covered = f" ({year_ranges(answer.covered_periods)})" if answer.covered_periods else ""
        verdict += (
            f"<p class='reason {answer.reason}'>Reason / 原因: "
            f"{html.escape(reason_label(answer.reason) + covered)}</p>"
        )
    if answer.standalone_question:
        verdict += f"<p class='asked-as'>Asked as / 按此理解: {html.escape(answer.standalone_question)}</p>"
    if answer.candidates:
        return verdict + "<p>" + html.escape(" | ".join(answer.candidates)) + "</p>"
    if answer.insufficient_evidence:
        searched = (
            f"<p class='searched'>Searched / 检索范围: {html.escape(answer.searched)}</p>"
            if answer.searched
            else ""
        )
        return "<p class='not-found'><b>Not in the documents / 文档中未找到</b></p>" + verdict + searched
    items = []
    for c in answer.citations:
        page = f", page {c.page}" if c.page else ""
        items.append(
            f"<details class='citation'><summary>[{c.n}] {html.escape(c.company)} — "
            f"<b>{html.escape(c.doc)}</b>{page}</summary><blockquote>{html.escape(c.quote)}</blockquote></details>"
        )
    return verdict + "\n".join(items)


def conversation_markdown(history: list[dict[str, Any]], sources: list[str]) -> str:
    """A chat as Markdown, for export (questions, answers and the sources shown with each answer)."""
    lines = ["# Conversation / 对话", ""]
    answers = iter(sources)
    for turn in history:
        if turn.get("role") == "user":
            lines += [f"**Q:** {turn.get('content')}", ""]
        else:
            lines += [f"**A:** {turn.get('content')}", ""]
            shown = next(answers, "")
            if shown:
                text = re.sub(r"<[^>]+>", " ", shown)
                lines += ["> " + " ".join(html.unescape(text).split()), ""]
    return "\n".join(lines)
