#!/usr/bin/env python
"""Does retrieval find the line that states a profile field, for a plain question about it?

For every gold field of ``../shared/devset/annual_reports`` (11 complete annual reports, read in place), a plain
question in the words an RM would use ("万科A2018年末在职员工总数是多少？" — templates below, written without
reading the reports) is searched as ``ask`` searches it, in two settings: the company given, and resolved from
the question. A field is found when one of the top 5 passages of its document holds its ``evidence`` or
``evidence_2`` line (white space and table bars ignored). The same run repeats the search without the table-row
ranking (``retrieve._row_passages``: passages holding a row of the asked line item), as the baseline. A passage
of another report of the same company counts when it holds the line (the five 山大华特 reports are one company:
"法定代表人" asked without a year is answered by any of them; a figure's line differs from year to year).

    .venv/bin/python benchmarks/field_retrieval.py            # full run (~3 min: ingest with the default
                                                              # embeddings, then ~200 searches)
    .venv/bin/python benchmarks/field_retrieval.py --quick    # a fictional report, fake embeddings; writes nothing

Writes ``benchmarks/results/field_retrieval_<date>.json`` and ``.md``: document names, field names and counts
only (no question is a devset line, no gold value or evidence line is written).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine_info, print_unwritten, results_dir, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT.parent / "shared" / "devset" / "annual_reports"
TOP = 5

# a plain question per field, as an RM asks it: {c} the company's short name, {y} the fiscal year
QUESTIONS = {
    "employees": "{c}{y}年末在职员工总数是多少？",
    "rd_staff": "{c}{y}年研发人员有多少人？",
    "rd_staff_ratio": "{c}{y}年研发人员占员工总数的比例是多少？",
    "rd_expense": "{c}{y}年研发投入是多少？",
    "rd_ratio": "{c}{y}年研发投入占营业收入的比例是多少？",
    "revenue": "{c}{y}年营业收入是多少？",
    "net_profit": "{c}{y}年净利润是多少？",
    "operating_cash_flow": "{c}{y}年经营活动产生的现金流量净额是多少？",
    "top5_customer_share": "{c}{y}年前五名客户销售额占年度销售总额的比例是多少？",
    "legal_representative": "{c}的法定代表人是谁？",
    "total_assets": "{c}{y}年末总资产是多少？",
}

QUICK_REPORT = """澄岳精工股份有限公司 2024 年年度报告
第一节 公司简介
公司的法定代表人 | 周远山
第二节 主要会计数据
项目 | 2024年 | 2023年 | 本年比上年增减
营业收入（元） | 318,604,220.15 | 276,118,305.42 | 15.39%
经营活动产生的现金流量净额（元） | 41,220,316.08 | 35,907,114.66 | 14.80%
第三节 员工情况
在职员工的数量合计（人） | 642
其中研发人员数量（人） | 187
公司致力于精密传动部件的研发与制造，产品广泛应用于工业机器人与数控机床领域。
"""


def _flat(text: str) -> str:
    return re.sub(r"[\s|]+", "", text)


def _found(hits: list[Any], lines: list[str]) -> bool:
    wanted = [_flat(x) for x in lines if x]
    return any(any(w in _flat(h.chunk.text) for w in wanted) for h in hits[:TOP])


def _search(store: Any, question: str, company: str | None, rows: bool) -> list[Any]:
    from assistant.answer import retrieve
    from assistant.answer.query import Query

    saved = retrieve.FACT_ROWS
    retrieve.FACT_ROWS = saved if rows else 0
    try:
        return retrieve.rank(store, Query.parse(question, company), TOP)
    finally:
        retrieve.FACT_ROWS = saved


def score(store: Any, golds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per report and field: found in the top 5 with the company given / resolved, with and without rows."""
    from assistant.answer.resolve import resolve

    reports = []
    for g in golds:
        fields = {}
        for name, field in g["fields"].items():
            if name not in QUESTIONS:
                continue
            question = QUESTIONS[name].format(c=g["name_zh"], y=g["year"])
            resolved = resolve(store, question, None, None).candidates
            lines = [field.get("evidence", ""), field.get("evidence_2", "")]
            fields[name] = {
                setting: _found(_search(store, question, company, rows), lines)
                for setting, company, rows in (
                    ("given", g["name_zh"], True),
                    ("resolved", resolved[0] if resolved else None, True),
                    ("given_no_rows", g["name_zh"], False),
                    ("resolved_no_rows", resolved[0] if resolved else None, False),
                )
            } | {"resolved_to_company": bool(resolved) and resolved[0] == g["name_zh"]}
        reports.append({"doc": g["doc"], "fields": fields})
    settings = ("given", "resolved", "given_no_rows", "resolved_no_rows")
    every = [f for r in reports for f in r["fields"].values()]
    totals = {s: sum(f[s] for f in every) for s in settings} | {"fields": len(every)}
    by_field: dict[str, dict[str, int]] = {}
    for r in reports:
        for name, f in r["fields"].items():
            row = by_field.setdefault(name, {"n": 0} | dict.fromkeys(settings, 0))
            row["n"] += 1
            for s in settings:
                row[s] += f[s]
    return {"reports": reports, "totals": totals, "by_field": by_field}


def _ingest(golds: list[dict[str, Any]], docs: Path, store_dir: Path, quick: bool) -> Any:
    from assistant.core.services import Services
    from assistant.core.settings import Settings
    from assistant.ingest.pipeline import ingest_file

    settings = Settings(store=store_dir, **({"embedding_backend": "fake"} if quick else {}))
    services = Services(settings)
    for g in golds:
        print(f"  ingest {g['doc']} …", flush=True)
        report = ingest_file(docs / g["doc"], g["name_zh"], services.store, settings)
        if report.error:
            raise RuntimeError(f"{g['doc']}: {report.error}")
    return services.store


def render(res: dict[str, Any]) -> str:
    t = res["totals"]
    n = t["fields"] or 1

    def pct(x: int) -> str:
        return f"{x}/{t['fields']} ({100 * x / n:.0f}%)"

    lines = [
        f"# Field evidence in the top {TOP} for a plain question — {res['date']}",
        "",
        f"Machine: {res['machine'].get('nproc', '?')} cores. Reports: `{res['source']}`. Each report ingested with "
        f"{res['embeddings']} embeddings into one store (company = the report's short name); one plain question "
        f"per gold field (templates in `benchmarks/field_retrieval.py`). Found = a top-{TOP} passage (of any "
        "report of the company) holds the gold's evidence line (white space and table bars ignored).",
        "",
        "| setting | with table-row ranking | without (baseline, same run) |",
        "|---|---|---|",
        f"| company given | {pct(t['given'])} | {pct(t['given_no_rows'])} |",
        f"| company resolved from the question | {pct(t['resolved'])} | {pct(t['resolved_no_rows'])} |",
        "",
        "## By field (given / resolved; baseline given / resolved)",
        "",
        "| field | n | given | resolved | baseline given | baseline resolved |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in res["by_field"].items():
        lines.append(
            f"| {name} | {row['n']} | {row['given']} | {row['resolved']} | {row['given_no_rows']} | "
            f"{row['resolved_no_rows']} |"
        )
    lines += ["", "## Not found (with the table-row ranking)", ""]
    misses = [
        f"- {r['doc']}: {name} ({', '.join(s for s in ('given', 'resolved') if not f[s])})"
        for r in res["reports"]
        for name, f in r["fields"].items()
        if not (f["given"] and f["resolved"])
    ]
    lines += misses or ["none"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a fictional report, fake embeddings; writes nothing"
    )
    parser.add_argument("--out-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            docs = Path(tmp) / "docs"
            docs.mkdir()
            (docs / "annual_report_2024.txt").write_text(QUICK_REPORT, encoding="utf-8")
            golds = [{
                "doc": "annual_report_2024.txt", "name_zh": "澄岳精工", "year": 2024,
                "fields": {
                    "employees": {"evidence": "在职员工的数量合计（人） | 642"},
                    "revenue": {"evidence": "营业收入（元） | 318,604,220.15"},
                    "legal_representative": {"evidence": "公司的法定代表人 | 周远山"},
                },
            }]  # fmt: skip
            source = "a fictional report"
        else:
            if not (REPORTS / "gold.jsonl").is_file():
                print(f"skipped: {REPORTS} is absent")
                return 0
            docs = REPORTS / "docs"
            golds = [
                json.loads(x) for x in (REPORTS / "gold.jsonl").read_text(encoding="utf-8").splitlines() if x
            ]
            source = "../shared/devset/annual_reports/"
        store = _ingest(golds, docs, Path(tmp) / "store", args.quick)
        res = score(store, golds)
    import datetime as dt

    res |= {
        "date": dt.date.today().isoformat(),
        "machine": machine_info(),
        "source": source,
        "embeddings": "fake" if args.quick else "the default (use-multilingual)",
        "quick": args.quick,
    }
    markdown = render(res)
    print(markdown)
    out = results_dir(args.out_dir, args.quick)
    if out is None:
        print_unwritten(res)
    else:
        write_results(res, markdown, out, "field_retrieval")
    if args.quick and res["totals"]["given"] < res["totals"]["fields"]:
        print("quick run: a field was not found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
