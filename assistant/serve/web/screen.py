"""The screen tab: a filter or a question over the user's portfolio; the filter that ran, then each company it
matched with the values and their sources. The handler calls :func:`assistant.profile.screen.screen_portfolio`
with the signed-in user's portfolio, as ``POST /api/screen`` does, and audits the action (``screen``)."""

from __future__ import annotations

import html

import gradio as gr

from assistant.profile.screen import Matched, ScreenResult, screen_portfolio
from assistant.profile.screen.service import parse_as_of
from assistant.serve.actions import need
from assistant.serve.web.context import WebContext, bound, message

EXAMPLES = [
    "哪些公司通过了专精特新且营收增长超过25%？",
    "R&D ratio above 10% and top-5 customers under 50%",
    "who has a red flag for customer concentration?",
    "rd_ratio > 10 and checks.专精特新 = pass",
]
SOURCES = {
    "filter": "",
    "rules": " (read from your question by rules / 由规则从问题解析)",
    "llm": " (read from your question by the model / 由模型从问题解析)",
}


def run_screen(ctx: WebContext, query: str, as_of: str, request: gr.Request) -> tuple[str, str]:
    """The filter that ran (Markdown) and the companies with their values and evidence (HTML)."""
    try:
        with ctx.acting(request, "screen") as (principal, note):
            need(principal, "read", note)
            result = screen_portfolio(
                ctx.services.store,
                query,
                principal.allowed,
                as_of=parse_as_of((as_of or "").strip() or None),
                note=note,
            )
    except Exception as exc:
        return "", f"<p class='not-found'>⚠ {html.escape(message(exc))}</p>"
    ran = f"**Filter / 筛选条件:** `{result.filter}`{SOURCES[result.source]}"
    return ran, render_result(result)


def render_result(result: ScreenResult) -> str:
    """The companies as HTML: matched first, then undecided (with what is missing), then the rest by name."""
    head = (
        f"<p class='screen-count'>{len(result.matches)} of {result.considered} companies match / "
        f"{result.considered} 家中 {len(result.matches)} 家符合 (as of {html.escape(result.as_of)})</p>"
    )
    parts = [head]
    for company in result.matches:
        parts.append(
            f"<details open class='screen-match'><summary>✓ <b>{html.escape(company.company)}</b></summary>"
        )
        parts.append(_values(company.values))
        parts.append("</details>")
    for company in result.undecided:
        missing = "; ".join(company.missing)
        known = _values([m for m in company.values if m.outcome != "unknown"])
        parts.append(
            f"<details class='screen-undecided'><summary>? {html.escape(company.company)} — undecided / 无法判断: "
            f"{html.escape(missing)}</summary>{known}</details>"
        )
    if result.not_matched:
        names = ", ".join(html.escape(c) for c in result.not_matched)
        parts.append(f"<p class='screen-miss'>✗ not matched / 不符合: {names}</p>")
    for name, why in result.errors.items():
        parts.append(f"<p class='not-found'>⚠ {html.escape(name)}: {html.escape(why)}</p>")
    return "\n".join(parts)


def _values(values: list[Matched]) -> str:
    rows = []
    for m in values:
        value = (
            "unknown" if m.value is None else f"{m.value}{'' if m.unit in (None, 'count') else ' ' + m.unit}"
        )
        sources = "<br>".join(
            f"<b>{html.escape(c.doc)}</b>{f', page {c.page}' if c.page else ''}: "
            f"<q>{html.escape(' '.join(c.quote.split()))}</q>"
            for c in m.evidence[:3]
        )
        rows.append(
            f"<tr><td><code>{html.escape(m.condition)}</code></td><td>{html.escape(value)}"
            f"{' (' + html.escape(m.period) + ')' if m.period else ''}</td><td>{sources}</td></tr>"
        )
    return (
        "<table class='screen-values'><tr><th>condition / 条件</th><th>value / 数值</th><th>source / 出处</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def screen_tab(ctx: WebContext) -> None:
    """The tab's components and events."""
    gr.Markdown(
        "Screen your companies with a question or a filter / 用问题或筛选条件筛选您的企业 — e.g. "
        + " · ".join(f"`{e}`" for e in EXAMPLES)
    )
    query = gr.Textbox(label="Question or filter / 问题或筛选条件", elem_id="screen-query", lines=1)
    as_of = gr.Textbox(label="As of / 基准日 (YYYY-MM-DD, optional)", elem_id="screen-as-of", max_lines=1)
    run = gr.Button("Screen / 筛选", variant="primary", elem_id="run-screen")
    ran = gr.Markdown(elem_id="screen-filter")
    found = gr.HTML(elem_id="screen-results")
    run.click(bound(ctx, run_screen), [query, as_of], [ran, found], api_name="screen")
    query.submit(bound(ctx, run_screen), [query, as_of], [ran, found])
