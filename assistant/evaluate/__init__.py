"""``assistant eval``: run a question file (the devset format) and score retrieval, answers and refusals.

Scoring follows ``../shared/devset/README.md``:
- retrieval hit@k: a top-k passage of the gold ``doc`` overlaps an ``evidence`` string (compared with white
  space, table rules and Traditional/Simplified differences removed); an evidence string longer than
  ``LONG_EVIDENCE`` characters counts when ``LONG_EVIDENCE`` consecutive characters of it are in the passage.
  Measured with the company given (the question's ``company``) and without (resolved from the question
  as ``ask`` does; all companies when it names none).
- numbers: every figure of the gold answer (``answer_short`` when given) equals a figure of the answer after
  unit normalisation (万/亿/thousand/million, %, the question's ``scale``), within rounding;
- yes_no: the answer's leading yes/no (是/否) is the gold one;
- text: the key facts of the gold answer (its parts split at ; , 、 and "and") appear in the answer: a part
  counts when it appears whole, or its figures all appear and most (≥ 60 %) of its words that the question does
  not already contain do ("2017年成立" asked "公司成立于哪一年？" needs 2017); the answer is
  right when at least two thirds of the parts count (all of them when there are one or two);
- NOT_IN_DOCS: the answer says the documents do not contain it (``insufficient_evidence``) and gives no value;
  a false refusal is an answerable question answered that way;
- citation validity: every citation of an answer is a stored passage (same chunk id, document, page and
  text) and every ``[n]`` in the answer names one of them.
"""

from assistant.evaluate.fields import (
    FieldScore,
    evidence_verbatim,
    printed_decimals,
    score_field,
    tally,
    yuan_factor,
)
from assistant.evaluate.questions import (
    NOT_IN_DOCS,
    EvalQuestion,
    EvalReport,
    QuestionResult,
    Score,
    doc_companies,
    load_questions,
)
from assistant.evaluate.run import citations_valid, render_table, run_eval, summarise
from assistant.evaluate.scoring import (
    answer_correct,
    evidence_hit,
    fact_found,
    number_correct,
    text_correct,
    yes_no,
)

__all__ = [
    "EvalQuestion",
    "EvalReport",
    "FieldScore",
    "NOT_IN_DOCS",
    "QuestionResult",
    "Score",
    "answer_correct",
    "citations_valid",
    "doc_companies",
    "evidence_hit",
    "evidence_verbatim",
    "fact_found",
    "load_questions",
    "number_correct",
    "printed_decimals",
    "render_table",
    "run_eval",
    "score_field",
    "summarise",
    "tally",
    "text_correct",
    "yes_no",
    "yuan_factor",
]
