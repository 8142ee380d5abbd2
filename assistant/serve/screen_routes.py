"""``POST /api/screen``: screen the caller's portfolio with a filter or a question (``assistant screen``).

The endpoint calls :func:`assistant.profile.screen.screen_portfolio` — the function the CLI and the web app's
Screen tab call — with the caller's portfolio (``who.allowed``): only those companies are ever read, so a
company outside it can be neither matched, nor named in an error, nor quoted. The gate audits the call
(action ``screen``) with the query, the filter that ran and the companies matched.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import ConfigDict

from assistant.profile.screen import ScreenRequest, ScreenResult, screen_portfolio
from assistant.profile.screen.service import parse_as_of
from assistant.serve.auth import Principal
from assistant.serve.deps import context, noter, require

router = APIRouter(tags=["screening"])
Reader = Annotated[Principal, Depends(require("read"))]


class ScreenBody(ScreenRequest):
    model_config = ConfigDict(extra="forbid")


EXAMPLES: dict[str, Any] = {
    "filter": {
        "summary": "A filter",
        "value": {"query": "rd_ratio > 10 and top5_customer_share < 50"},
    },
    "question_zh": {
        "summary": "A question in Chinese",
        "value": {"query": "哪些公司通过了专精特新且营收增长超过25%？", "as_of": "2024-06-30"},
    },
    "question_en": {
        "summary": "A question in English",
        "value": {"query": "who has a red flag for customer concentration?"},
    },
}
RESULT_EXAMPLE: dict[str, Any] = {
    "query": "who has a red flag for customer concentration?",
    "source": "rules",
    "filter": "flag customer_concentration",
    "as_of": "2024-06-30",
    "considered": 2,
    "matches": [
        {
            "company": "Acme",
            "values": [
                {
                    "condition": "flag customer_concentration",
                    "outcome": "true",
                    "label": "customer_concentration (signals)",
                    "value": 62.4,
                    "detail": "Largest customer 62.40% of revenue — major dependence on a single customer (> 50%).",
                    "evidence": [
                        {"doc": "annual_report_2023.pdf", "page": 3, "quote": "…占营业收入的62.40%。"}
                    ],
                }
            ],
        }
    ],
    "undecided": [],
    "not_matched": ["栖云智算"],
}


@router.post(
    "/screen",
    name="screen",
    response_model=ScreenResult,
    responses={
        200: {"content": {"application/json": {"example": RESULT_EXAMPLE}}},
        400: {
            "description": "A filter that does not parse, an unknown name, or a question the rules cannot read."
        },
    },
)
def screen(
    body: Annotated[ScreenBody, Body(openapi_examples=EXAMPLES)], request: Request, who: Reader
) -> ScreenResult:
    """``assistant screen QUERY --json``: the companies of your portfolio a filter (``rd_ratio > 10 and
    checks.专精特新 = pass``) or a question (``哪些公司通过了专精特新且营收增长超过25%？``) matches, each with the
    values that matched and their evidence; ``filter`` is the filter that ran. ``llm``: let the model read a
    question the rules cannot (the filter it writes is parsed and shown like any other)."""
    ctx = context(request)
    note = noter(request)
    translate = None
    if body.llm:
        from assistant.models.llm_queue import QueuedChat
        from assistant.profile.screen.llm import llm_translator

        services = ctx.services
        chat = QueuedChat(inner=lambda: services.llm, queue=ctx.queue)
        translate = llm_translator(chat, services.settings.prompts_dir)
    return screen_portfolio(
        ctx.services.store,
        body.query,
        who.allowed,
        as_of=parse_as_of(body.as_of),
        mode=body.mode,
        translate=translate,
        note=note,
    )


__all__ = ["router"]
