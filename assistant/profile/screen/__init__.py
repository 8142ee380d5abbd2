"""Portfolio screening (issue 17, item 5): which of a caller's companies pass a filter over their profiles —
fields, computed metrics, qualification checks and red flags — with the values that matched and their evidence.

    from assistant.profile.screen import screen_portfolio
    result = screen_portfolio(store, "rd_ratio > 10 and checks.专精特新 = pass", allowed=who.allowed)
    result = screen_portfolio(store, "哪些公司通过了专精特新且营收增长超过25%？", allowed=who.allowed)
    print(result.filter)            # the filter that ran: checks.专精特新 = pass and revenue_growth > 25

One module per part: ``model`` (the filter tree and the result, pydantic), ``vocabulary`` (the names a filter may
use), ``grammar`` (the filter language: tokenizer and recursive-descent parser, never eval), ``lexicon`` (the
words of questions, zh and en, as data) and ``rules`` (a question → a filter), ``llm`` (the model, when the rules
cannot and the caller asks), ``matching`` (a filter over one profile, three-valued), ``service`` (the one function
the CLI, the REST API and the web app call, over the caller's portfolio only) and ``command`` (the CLI).
"""

from assistant.profile.screen.grammar import parse_filter
from assistant.profile.screen.model import CompanyResult, Matched, ScreenRequest, ScreenResult
from assistant.profile.screen.rules import QuestionError, question_filter
from assistant.profile.screen.service import CACHE, ProfileCache, read_query, screen_portfolio
from assistant.profile.screen.vocabulary import FilterError, catalogue

__all__ = [
    "CACHE",
    "CompanyResult",
    "FilterError",
    "Matched",
    "ProfileCache",
    "QuestionError",
    "ScreenRequest",
    "ScreenResult",
    "catalogue",
    "parse_filter",
    "question_filter",
    "read_query",
    "screen_portfolio",
]
