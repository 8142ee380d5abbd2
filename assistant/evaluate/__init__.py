"""``assistant eval``: run a question file (the devset format) and score retrieval, answers and refusals.

Two scorers read every answer. The **strict** one (the default: ``answer_correct(..., strict=True)``,
``QuestionResult.correct``, the report's main figures) scores as an analyst would; the **lenient** one (the
rules before it, ``strict=False``, ``QuestionResult.correct_lenient``, the report's ``lenient`` figures) is
kept beside it so the difference stays visible. Both follow ``../shared/devset/README.md``; the strict rules:

- numbers: every figure of the gold (``answer_short`` when given; dates and years dropped when it has other
  figures) is matched by a figure of the answer (citation markers removed) that
  - rounds to the gold at the gold's own precision: half a unit of its last significant printed digit,
    scale words applied ("7,318 million" → ±0.5 million, "23.6%" → ±0.05 points, "3亿" → ±0.5亿; zeros
    after the decimal point add no precision: "19.00%" → ±0.5). A less precise answer fails ("$7 billion"
    for 7,318 million, "24" for 23.6); a more precise one passes when it rounds to the gold;
  - has the gold's sign. A figure is negative when printed so ("-", "−", 负, "(1,234)"; "(1,234) thousand"
    takes the scale word after the parenthesis) or worded so beside it (loss, net loss, deficit, negative,
    outflow, used in, 亏损, 净亏损, 净流出 … anywhere in its sentence before it, or in its clause after it;
    decrease, decline, 下降, 减少 … just before it, "decreased by 5%", or after it, "a 5% decrease"), and
    worded positive by positive, profit, inflow, increase, 盈利, 增长 … The nearest such word counts. A
    negative gold needs a negative answer; a positive gold an answer that is not negative. In a question
    about a loss or a decrease ("How large was the net loss?", "下降了多少？") the gold is the size of it:
    any answer passes that is not worded positive ("Positive: $412,905" never passes for a loss);
  - is a percent exactly when the gold is (either, when the question's ``scale`` is percent);
  - is in the gold's unit, or in the question's: its ``scale`` ("thousand", "万元") or wording ("(in USD
    millions)", "单位：万元") allows the bare number times that unit, and the number without the scale word
    when the gold writes that unit ("26,415" for "26,415 thousand" asked in thousands);
  and the answer does not hedge: a figure of the gold's kind (another percent beside a percent gold, an
  amount within one order of magnitude of an amount gold) that is none of the gold's figures fails it.
  Legitimate context is not hedging: dates and years, figures the question states, figures of the gold or
  of its long form (``answer``) and roundings of them ("$18.7 million" beside "$18,742 thousand"), figures
  of another kind, and figures their clause labels with another period (a year the question does not ask
  about, "up from", "compared with", "较上年": "2022年营业收入7,214.03万元" beside the asked 2021 figure);
- yes_no: the answer states yes or no first (yes/no, 是/是的/对/有 + punctuation, 符合/属于/满足; 否/不是/不/
  没有/无/未 …) and is not refused; a first sentence saying the documents do not answer ("Not in the
  documents", "No information", "文档中没有", "未披露") is neither, never a "No";
- text: the gold is split into key facts at ; ； 、 ， , "and" 和 及, never inside a number ("1,234") or a
  date ("March 9, 2019"), and at 和/及 only when both sides keep two characters ("云杉嘉和" stays
  whole). A fact counts when it appears as whole words (white space may differ; a Latin letter or digit at
  either end must not continue a word or number: "$35" is not in "2035" or "$35,000", the gold "C" needs a
  standalone C), or when its figures are all in the answer by the number rules (precision, sign, percent)
  and ≥ 60 % of its words the question does not already say are whole words of the answer. A fact without
  figures and with fewer than three such words counts only when what is left of it once the question's
  words are taken out appears whole ("远帆资本" for "远帆资本领投" asked "谁领投？"; "云杉嘉" is not "云杉嘉和";
  nothing is left of "成立" asked "何时成立": no free pass). The answer is right when all facts count (one
  or two of them) or at least two thirds (three or more);
- NOT_IN_DOCS (both scorers): the answer is a refusal (``insufficient_evidence``) that gives no value (the
  years it names are none) and, when the question names a ``reason``, refuses for it; a false refusal is an
  answerable question refused, and is wrong whatever its text says;
- company: when the gold names the question's company and the question does not ("Which platform raised
  …?" — the company is the answer), the strict run asks without the company (the answerer resolves it from
  the question, as ``ask`` does); the lenient figure is of a second answer asked with it, as before.
  Retrieval "company given" still uses it;
- retrieval: a passage holds an ``evidence`` string (compared flattened: NFKC, Simplified, case-folded,
  without white space, table bars and ``$``) when it contains a short one (≤ 50 characters) whole, or
  shares with a long one blocks of ≥ 10 characters that make up 60 % of the evidence — or of the passage
  when the passage is the shorter (a 360-character chunk of a 2,000-character table) — and ≥ 50 characters.
  The search returns the top max(k, 5) passages with the company given and resolved from the question
  (all companies when it names none); the rank of the first passage of the gold ``doc`` that holds an
  evidence string gives hit@1, hit@3, hit@5 (and hit@k) and MRR, each over only the questions whose
  company has more passages in the store than the cut-off (MRR: than the search depth) — with no more,
  every passage is returned and a hit is certain; the report says how many questions each counts;
- citation validity: every citation of an answer is a stored passage (same chunk id, document, page and
  text) and every ``[n]`` in the answer names one of them.

The lenient rules: numbers within the rounding of the less precise side, sign and percent ignored, extra
figures never penalised; yes/no by any leading negation (是/对/有 …, no/not/不/没有 …); text gold split at
every comma, each part a flattened substring or its figures plus 60 % of its other words (a part whose
words the question says passes on its figures alone, or freely without any); retrieval hit@k over all
questions, a long evidence counting on any 50 consecutive characters.
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
    Lenient,
    QuestionResult,
    Retrieval,
    Score,
    doc_companies,
    load_questions,
)
from assistant.evaluate.run import citations_valid, render_table, retrieval, run_eval, summarise
from assistant.evaluate.scoring import (
    answer_correct,
    company_is_answer,
    evidence_hit,
    fact_found,
    number_correct,
    refusal_correct,
    text_correct,
    yes_no,
)

__all__ = [
    "EvalQuestion",
    "EvalReport",
    "FieldScore",
    "Lenient",
    "NOT_IN_DOCS",
    "QuestionResult",
    "Retrieval",
    "Score",
    "answer_correct",
    "citations_valid",
    "company_is_answer",
    "doc_companies",
    "evidence_hit",
    "evidence_verbatim",
    "fact_found",
    "load_questions",
    "number_correct",
    "printed_decimals",
    "refusal_correct",
    "render_table",
    "retrieval",
    "run_eval",
    "score_field",
    "summarise",
    "tally",
    "text_correct",
    "yes_no",
    "yuan_factor",
]
