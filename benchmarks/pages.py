#!/usr/bin/env python
"""Pages and running headers of text exports: what the text reader and the chunker make of real annual reports.

    .venv/bin/python benchmarks/pages.py            # ../shared/devset/annual_reports/docs/*.txt (~10 s)
    .venv/bin/python benchmarks/pages.py --quick    # smoke run (~2 s): a generated fictional export; writes nothing

For each text export: the real reader (``read_document``) and chunker (``chunk_document``; no embeddings), and
reported per report: the pages found (numbered pages), the share of stored chunks that carry a page number (target
≥ 95%), the number of stored chunks that hold nothing but running lines and page markers (target 0) and the chunks
before and after (before: the same text read as one page-less page, as the reader did until pages were found in
text exports, cut by the chunker without this change's passage rules, as version 4 cut it).

"Nothing but running lines, headings and page markers" is decided here, independently of the code under test: a
line is a page marker when it is a number alone or a number between dashes, "第 n 页", "Page n"; a line is a running
line when, written with its digits as '#' (spaces collapsed, NFKC), it occurs in the raw export at least
``max(10, pages / 3)`` times and holds a letter or Han character; a heading is a line of at most 40 characters
"第…节/章 …", "一、…" or Markdown's "# …" (a table of contents' line, with its dot leaders, is content). A chunk is
boilerplate-only when every line of it is one of these. Also counted: the chunks that hold a running header at all
(a line printed right above or below a bare page number that often in the raw export).

Writes ``benchmarks/results/pages_<date>.json`` and ``.md``: document names and counts only (no line of a report).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

from common import BENCH_DIR, Json, machine_info, print_unwritten, quick_failures, results_dir

import assistant  # noqa: F401 - offline environment before any model library loads
from assistant.core.records import Chunk, Document, Page
from assistant.ingest import chunking
from assistant.ingest.chunking import chunk_document
from assistant.ingest.readers import read_document
from assistant.ingest.readers.common import Source, clean_text
from assistant.ingest.readers.text import decode_text
from assistant.text.tables import vertical_rows

ROOT = BENCH_DIR.parent
DOCS = ROOT.parent / "shared" / "devset" / "annual_reports" / "docs"
_MARKER = re.compile(
    r"^[\s\-–—~·\[\(（【]*(?:第\s*)?(?:page\s*)?\d{1,4}(?:\s*(?:页|of\s*\d+|/\s*\d+))?[\s\-–—~·\]\)）】]*$",
    re.I,
)
_WORD = re.compile(r"[^\W\d_]")
_HEADING = re.compile(r"^(?:#{1,6}\s|第[一二三四五六七八九十百\d]+[章节]|[一二三四五六七八九十]+、.{1,20}$)")


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(unicodedata.normalize("NFKC", line).split()))


def running_lines(raw: str, pages: int) -> set[str]:
    """Lines (as keys) the raw export repeats at least max(10, pages / 3) times, with a word in them."""
    counted = Counter(_key(x) for x in raw.split("\n") if x.strip())
    need = max(10, pages / 3)
    return {k for k, n in counted.items() if n >= need and _WORD.search(k)}


def header_lines(raw: str, pages: int) -> set[str]:
    """Keys of the lines printed right above or below a bare page number at least max(10, pages / 3) times."""
    lines = [x for x in raw.split("\n") if x.strip()]
    near = Counter(
        _key(lines[j])
        for i, x in enumerate(lines)
        if re.fullmatch(r"\s*\d{1,4}\s*", x)
        for j in (i - 1, i + 1)
        if 0 <= j < len(lines) and _WORD.search(lines[j])
    )
    return {k for k, n in near.items() if n >= max(10, pages / 3)}


def boilerplate_only(chunk: Chunk, running: set[str]) -> bool:
    """Every line of the chunk is a page marker, a running line or a heading."""
    lines = [unicodedata.normalize("NFKC", x).strip() for x in chunk.text.split("\n") if x.strip()]
    return bool(lines) and all(
        _MARKER.match(x) or _key(x) in running or (_HEADING.match(x) and len(x) <= 40) for x in lines
    )


def with_header(chunk: Chunk, headers: set[str]) -> bool:
    return any(_key(x) in headers for x in chunk.text.split("\n"))


def _version_4(document: Document) -> list[Chunk]:
    """The chunks version 4 of the chunker made: every passage kept but a caption the table's passage repeats."""
    settle = chunking._settle

    def captions_only(out: list[tuple[str | None, str]], *_: object) -> list[tuple[str | None, str]]:
        return [
            p for k, p in enumerate(out) if not (k + 1 < len(out) and chunking._subsumed(p[1], out[k + 1][1]))
        ]

    chunking._settle = captions_only  # type: ignore[assignment]
    try:
        return chunk_document(document)
    finally:
        chunking._settle = settle


def measure(path: Path) -> Json:
    t0 = time.perf_counter()
    document = read_document(path, path.stem)
    chunks = chunk_document(document)
    seconds = time.perf_counter() - t0
    raw = decode_text(Source(path=path, data=path.read_bytes()))
    numbered = [p for p in document.pages if p.number is not None]
    running = running_lines(raw, len(numbered))
    headers = header_lines(raw, len(numbered))
    one_page = Document(
        path=str(path), doc=path.name, company=path.stem, sha256="", reader=document.reader,
        pages=[Page(number=None, text=vertical_rows(clean_text(raw)))],
    )  # fmt: skip
    before = _version_4(one_page)
    paged = sum(1 for c in chunks if c.page is not None)
    return {
        "doc": path.name,
        "pages_found": len(numbered),
        "first_page": numbered[0].number if numbered else None,
        "last_page": numbered[-1].number if numbered else None,
        "unnumbered_pages": len(document.pages) - len(numbered),
        "boilerplate_lines": len(document.boilerplate),
        "chunks_before": len(before),
        "chunks_after": len(chunks),
        "chunks_with_page": paged,
        "page_share": paged / len(chunks) if chunks else 0.0,
        "boilerplate_only_before": sum(boilerplate_only(c, running) for c in before),
        "boilerplate_only_after": sum(boilerplate_only(c, running) for c in chunks),
        "with_header_before": sum(with_header(c, headers) for c in before),
        "with_header_after": sum(with_header(c, headers) for c in chunks),
        "read_chunk_s": round(seconds, 3),
    }


_TOPICS = ("报告期内，公司传感器业务", "工业机器人板块", "新能源汽车客户", "研发中心", "苏州生产基地",
           "海外销售团队", "质量管理体系", "供应链部门")  # fmt: skip
_FACTS = ("实现营业收入稳步增长，毛利率保持稳定。", "完成了新一代产品的量产验证。", "新增授权发明专利若干项。",
          "优化了库存结构，存货周转天数下降。", "获得两家头部客户的供应商认证。")  # fmt: skip


def fictional_export(pages: int = 40) -> bytes:
    """A GB18030 annual-report export of the devset's shape: a running header set off by spaces, the page number,
    the body (prose, and on every fourth page a statement printed one cell per line); a stray number."""
    header = " " * 40 + "星澜微电子股份有限公司 2023 年年度报告全文"
    lines = ["星澜微电子股份有限公司", "2023 年年度报告", "2024 年 04 月"]
    for n in range(1, pages + 1):
        lines += [f"{header} ", f"{n} " if n % 3 else f" {n} "]
        if n % 4 == 0:  # a page that opens and ends with a table
            for k, item in enumerate(
                ("营业收入", "营业成本", "销售费用", "管理费用", "研发费用", "财务费用")
            ):
                lines += [item, f"{n * 1000 + k * 37:,}.00", f"{n * 900 + k * 29:,}.00"]
            continue
        lines += [_TOPICS[(n + k) % 8] + _FACTS[(n * 3 + k) % 5] for k in range(3)]
        if n == 7:  # a table cell: the next page's number alone on a line
            lines += ["授权专利数量（项）", "8", "其中发明专利 14 项。"]
        if n % 10 == 1:
            lines += ["第十一节 财务报告"]  # a heading at the foot of a page
    return ("\n".join(lines) + "\n").encode("gb18030")


def render(res: Json) -> str:
    m = res["machine"]
    out = [
        f"# Pages of text exports — {res['date']}{' (quick smoke run)' if res['quick'] else ''}",
        "",
        f"machine: {m['nproc']} cores ({m['cpu_model']}); no embeddings. Reader + chunker of each text export; "
        "boilerplate-only chunks are decided independently of the code (see the script's docstring).",
        "",
        "| report | pages found | chunks with a page | boilerplate-only chunks (before → after) "
        "| chunks holding the running header (before → after) | chunks before → after | running lines recorded |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["reports"]:
        span = f"{r['pages_found']} ({r['first_page']}–{r['last_page']}, {r['unnumbered_pages']} unnumbered)"
        out.append(
            f"| {r['doc']} | {span} | {r['page_share']:.1%} | {r['boilerplate_only_before']} → "
            f"{r['boilerplate_only_after']} | {r['with_header_before']} → {r['with_header_after']} | "
            f"{r['chunks_before']} → {r['chunks_after']} | {r['boilerplate_lines']} |"
        )
    t = res["totals"]
    out += [
        "",
        f"**{t['reports']} reports: {t['pages_found']} pages found; {t['page_share']:.1%} of {t['chunks_after']} "
        f"chunks carry a page (target ≥ 95%); {t['boilerplate_only_after']} boilerplate-only chunks stored "
        f"(target 0; {t['boilerplate_only_before']} when read as one page); chunks holding the running header "
        f"{t['with_header_before']} → {t['with_header_after']}; {t['chunks_before']} → {t['chunks_after']} chunks.**",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a generated fictional export only; writes nothing"
    )
    parser.add_argument("--out-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fictional_annual_report_2023.txt"
            path.write_bytes(fictional_export())
            reports = [measure(path)]
    else:
        paths = sorted(DOCS.glob("*.txt")) if DOCS.is_dir() else []
        if not paths:
            print(f"skipped: no text exports in {DOCS} (the devset is absent)")
            return 0
        reports = []
        for path in paths:
            print(f"  {path.name} …", flush=True)
            reports.append(measure(path))
    chunks_after = sum(r["chunks_after"] for r in reports)
    totals = {
        "reports": len(reports),
        "pages_found": sum(r["pages_found"] for r in reports),
        "chunks_before": sum(r["chunks_before"] for r in reports),
        "chunks_after": chunks_after,
        "page_share": sum(r["chunks_with_page"] for r in reports) / chunks_after if chunks_after else 0.0,
        "boilerplate_only_before": sum(r["boilerplate_only_before"] for r in reports),
        "boilerplate_only_after": sum(r["boilerplate_only_after"] for r in reports),
        "with_header_before": sum(r["with_header_before"] for r in reports),
        "with_header_after": sum(r["with_header_after"] for r in reports),
    }
    res = {
        "date": dt.date.today().isoformat(),
        "quick": args.quick,
        "machine": machine_info(),
        "reports": reports,
        "totals": totals,
    }
    markdown = render(res)
    print("\n" + markdown)
    out = results_dir(args.out_dir, args.quick)
    if out is None:
        print_unwritten(res)
        r = reports[0]
        failed = quick_failures(
            {
                "the fictional export has its 40 printed pages": r["pages_found"] == 40
                and r["last_page"] == 40,
                "at least 95% of its chunks carry a page": r["page_share"] >= 0.95,
                "no chunk of it is only running lines and page markers": r["boilerplate_only_after"] == 0,
                "its running header is recorded once, as boilerplate": r["boilerplate_lines"] == 1,
                "read as one page, its chunks held the running header": r["with_header_before"] > 0,
                "no chunk holds it now": r["with_header_after"] == 0,
            }
        )
        return 1 if failed else 0
    out.mkdir(parents=True, exist_ok=True)
    (out / f"pages_{res['date']}.json").write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
    (out / f"pages_{res['date']}.md").write_text(markdown)
    print(f"wrote {out / ('pages_' + res['date'] + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
