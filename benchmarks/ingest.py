#!/usr/bin/env python
"""Ingestion benchmark: throughput, stage shares, memory and re-ingest speed of ``ingest_paths``.

Runs on the target machine (2 cores, no GPU) and writes ``benchmarks/results/ingest_<YYYY-MM-DD>.json``
and ``.md``.

    .venv/bin/python benchmarks/ingest.py                # full run (~12 min on an idle machine)
    .venv/bin/python benchmarks/ingest.py --quick        # smoke run (~15 s): 20 documents (1 scanned), no
                                                         # devset; prints the report, writes nothing
    .venv/bin/python benchmarks/ingest.py --skip-devset  # without the real-document section

Sections (each records an ``error`` instead of stopping the run when it fails):
  0b. encoder      the embedding model's threads and batch size, measured afresh on this machine (as the
                   application does once per machine; a quick run reads the kept measurement)
  1. corpus_fake   a generated corpus of 1,000 mixed documents over 50 companies (folder per company),
                   ingested into a fresh store with the ``fake`` embeddings (no model: the pipeline alone)
  1b. stores_in_turn  the same corpus into 3 fresh stores one after another (fake embeddings), each closed:
                   the memory the process keeps after each (flat = a closed store leaves nothing behind)
  2. corpus_use    the same corpus, fresh store, default ``use-multilingual`` embeddings
  3. reingest      the unchanged corpus again into the store of 2 (every file "unchanged")
  4. devset        ``../shared/devset/docs`` (read in place, never copied into the repo) with the default
                   embeddings; then the 195-page Chinese annual report alone, and the same PDF through a
                   naive baseline (pypdf text → fixed 1000/200 character windows → same USE encoder →
                   Chroma add with precomputed embeddings) measured in the same run, and the encoder alone
                   on the PDF's text once (the floor of any pipeline that embeds all of it); then reading that PDF
                   alone with the reader's switches (TABLES, PARALLEL_MIN_PAGES, TEXT_ENGINE) flipped at run
                   time, and PDFium's text layer compared with pypdf's (counts only)
  4b. annual_reports  ``../shared/devset/annual_reports/docs`` (6 GB18030 text exports, 5 PDFs; read in
                   place), each kind ingested into a fresh store alternating with the naive pipeline
                   (``REPORT_REPEATS`` times)
  5. embed_threads USE sentences/s with threads=2 (the default on 2 cores) and threads=1, idle and next
                   to one busy-loop process the benchmark starts itself (the embed stage is mostly this)

Every run reports wall time, files/s, pages/s, chunks/s, the busy seconds of each stage (summed from
``FileReport.timings``, the embedding time metered on the embeddings object; the stages overlap),
OCR pages and time separately, peak RSS of the process and its children (psutil,
sampled every 0.1 s in a thread), and RSS after every 100 files with its slope (streaming ⇒ ~flat).
The machine is shared: load averages and the CPU other processes used during each section are recorded.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import datetime as dt
import gc
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    CONTENTION_CORES,
    CpuMonitor,
    IdleGate,
    Json,
    RssSampler,
    add_run_arguments,
    exit_status,
    finish_result,
    fmt_n,
    fmt_s,
    idle_budget,
    now,
    per_s,
    report_head,
    results_dir,
    rnd,
    rss_mb,
    run_section,
    section_errors,
    start_result,
    write_results,
)

import assistant  # noqa: F401 - sets the offline environment variables before any model library loads
from assistant.core.records import FileReport, IngestReport
from assistant.core.services import Services
from assistant.core.settings import REPO_ROOT, Settings
from assistant.ingest.pipeline import ingest_paths

DEVSET = REPO_ROOT.parent / "shared" / "devset"
DEVSET_PDF = "Jinyu_Bio-technology_600201__annual_report_2020_zh.pdf"
REPORTS = DEVSET / "annual_reports" / "docs"
SEED = 20261128
TARGET_PDF_PAGES_S = 20.0
PDF_REPEATS = 3  # the devset PDF is ingested this many times, alternating with the baseline
REPORT_REPEATS = 2  # the annual reports likewise (each kind: ~20 s ours, ~40 s naive a time)
DESIGN_NAIVE_PAGES_S = 9.5
BASELINE_CHUNK, BASELINE_OVERLAP = 1000, 200
RSS_EVERY = 100
STAGES = ("read", "chunk", "facts", "embed", "store")  # FileReport.timings keys (embed: made ahead)
SECTIONS = (
    "encoder",
    "corpus_fake",
    "stores_in_turn",
    "corpus_use",
    "reingest",
    "devset",
    "annual_reports",
    "embed_threads",
)
FONT_ZH = "STSong-Light"
SHARES = {"pdf": 0.40, "scan": 0.05, "docx": 0.15, "html": 0.15, "sheet": 0.10, "text": 0.10, "json": 0.05}


@dataclass(frozen=True)
class Plan:
    """How much of each section to run."""

    quick: bool
    docs: int
    companies: int
    ocr_docs: int
    devset_pdf_pages: int | None  # None: the whole PDF
    probe_passages: int


def make_plan(quick: bool, docs: int | None = None) -> Plan:
    if quick:  # every kind of document (one scanned page: OCR), every section but the devset
        return Plan(True, docs or 20, 4, 1, 30, 16)
    return Plan(False, docs or 1000, 50, 10, None, 256)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def fmt_pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


class OcrMeter:
    """Counts and times OCRed pages by wrapping ``assistant.ingest.readers.ocr.ocr_pdf_page`` (which the PDF
    reader imports at call time) for the duration of a run. The first page includes loading the engine."""

    def __init__(self) -> None:
        self.pages = 0
        self.seconds = 0.0
        self.rss_added_mb = 0.0  # RSS added while OCR ran (engine load, onnxruntime arenas)

    def __enter__(self) -> OcrMeter:
        from assistant.ingest.readers import ocr

        self._module, self._original = ocr, ocr.ocr_pdf_page

        def timed(document: Any, index: int) -> tuple[str, float | None]:
            t0, before = now(), rss_mb()
            try:
                return self._original(document, index)
            finally:
                self.pages += 1
                self.seconds += now() - t0
                self.rss_added_mb += rss_mb() - before

        ocr.ocr_pdf_page = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self._module.ocr_pdf_page = self._original  # type: ignore[assignment]


class EmbedMeter:
    """Times ``embed_documents`` of one embeddings object (the store calls it once per document), so that
    the store stage splits into embedding and writing (Chroma + ledger)."""

    def __init__(self, embeddings: Any) -> None:
        self.embeddings, self.seconds, self.calls, self.texts = embeddings, 0.0, 0, 0

    def __enter__(self) -> EmbedMeter:
        original = self.embeddings.embed_documents

        def timed(texts: list[str]) -> list[list[float]]:
            t0 = now()
            try:
                return original(texts)
            finally:
                self.seconds += now() - t0
                self.calls += 1
                self.texts += len(texts)

        self.embeddings.embed_documents = timed  # instance attribute: shadows the method
        return self

    def __exit__(self, *exc: object) -> None:
        del self.embeddings.embed_documents


def slope_per_100(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of RSS (MB) against files, in MB per 100 files."""
    if len(points) < 2:
        return None
    xs, ys = [p[0] / 100 for p in points], [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var, 2) if var else None


# ---------------------------------------------------------------------------------------------
# generated corpus
# ---------------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    return text.split()


ZH_HEADS = _words(
    "星河 云帆 瀚海 青禾 启明 睿达 博远 华芯 天衡 凌云 锐思 海纳 鼎新 金桥 蓝湾 松石 恒泰 长风 微澜 知行"
)
ZH_TAILS = _words("科技 智能 生物 半导体 软件 新材料 精密 能源 医疗 数据")
EN_HEADS = _words("Northwind Bluepeak Silverline Quantix Brightwave Ironleaf Lumina Corvus Helixa Tidewater")
EN_TAILS = _words("Robotics Analytics Biotech Systems Labs Energy Semiconductor Software")
ZH_INDUSTRY = _words("新能源汽车 工业自动化 医疗器械 消费电子 云计算 光伏 储能 半导体设备 生物医药 智慧物流")
ZH_TECH = _words(
    "机器视觉 边缘计算 功率器件 锂电材料 基因测序 工业软件 激光雷达 低代码平台 射频芯片 合成生物"
)
ZH_INVESTORS = _words("红杉中国 高瓴创投 深创投 元禾原点 启明创投 君联资本 经纬创投 中金资本")
ZH_ROUNDS = _words("天使轮 A轮 A+轮 B轮 C轮 Pre-IPO轮")
ZH_PEOPLE = _words("王建国 李晓明 张伟 陈静 刘洋 杨帆 赵磊 黄敏")
EN_INDUSTRY = (
    "automotive, industrial automation, medical devices, consumer electronics, cloud, solar, storage"
)
EN_TECH = "machine vision, edge computing, power devices, battery materials, gene sequencing, lidar, RF chips"
EN_INVESTORS = "Sequoia Capital, Accel, Index Ventures, Lightspeed, General Catalyst, Founders Fund"
ZH_ITEMS = _words(
    "营业收入 营业成本 毛利 销售费用 管理费用 研发投入 净利润 总资产 净资产 "
    "经营活动现金流量净额 应收账款 存货"
)
EN_ITEMS = [
    "Revenue",
    "Cost of revenue",
    "Gross profit",
    "Selling expenses",
    "G&A expenses",
    "R&D expenses",
    "Net income",
    "Total assets",
    "Equity",
    "Operating cash flow",
    "Receivables",
    "Inventories",
]


ZH_SENTENCES = [
    "{year}年度，{co}实现营业收入{money}万元，同比{up}{pct}%。",
    "报告期内，公司研发投入合计{money}万元，占营业收入的比例为{pct}%。",
    "截至{year}年末，公司员工总数为{n}人，其中研发人员{k}人。",
    "公司已取得发明专利{k}项、实用新型专利{m}项、软件著作权{gen}项。",
    "{year}年{month}月，公司完成{round}融资，金额{money}万元，由{inv}领投。",
    "公司主要客户集中在{ind}行业，前五大客户销售额占比{pct}%。",
    "报告期末，公司资产负债率为{pct}%，短期借款余额{money}万元。",
    "公司经营活动产生的现金流量净额为{money}万元，较上年{up}{pct}%。",
    "{co}注册资本为{money}万元，法定代表人为{person}。",
    "公司持续加大在{tech}领域的投入，第{gen}代产品良率提升至{pct}%。",
    "应收账款余额{money}万元，账龄一年以内的占比{pct}%，坏账准备计提充分。",
    "公司向{ind}领域客户交付{tech}产品{n}台，实现销售收入{money2}万元。",
]
EN_SENTENCES = [
    "In fiscal {year}, {co} reported revenue of ${money} thousand, which {up} {pct}% year over year.",
    "Research and development expenses were ${money} thousand, or {pct}% of revenue.",
    "As of December 31, {year}, we had {n} full-time employees, {k} of them in engineering.",
    "We hold {m} issued patents and {k} pending applications covering {tech}.",
    "In {year} the company raised ${money} thousand in a {round} round led by {inv}.",
    "Our customers are concentrated in {ind}; the top five accounted for {pct}% of sales.",
    "At year end the debt-to-asset ratio was {pct}% and short-term borrowings were ${money} thousand.",
    "Net cash provided by operating activities was ${money} thousand, {up} {pct}% from the prior year.",
    "Gross margin was {pct}%, reflecting product mix and a {pct2}% change in unit costs.",
    "Sales of {tech} products to {ind} customers reached ${money2} thousand in {year}.",
]


def company_names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(name, language) of ``count`` companies, about 60% Chinese."""
    zh = [h + t for h in ZH_HEADS for t in ZH_TAILS]
    en = [f"{h} {t}" for h in EN_HEADS for t in EN_TAILS]
    rng.shuffle(zh)
    rng.shuffle(en)
    n_zh = round(count * 0.6)
    return [(n, "zh") for n in zh[:n_zh]] + [(n, "en") for n in en[: count - n_zh]]


class Text:
    """Seeded generator of company prose, tables and records, in Chinese or English."""

    def __init__(self, rng: random.Random, company: str, lang: str) -> None:
        self.r, self.co, self.lang = rng, company, lang

    def money(self) -> str:
        return f"{self.r.uniform(50, 90000):,.2f}"

    def pct(self) -> str:
        return f"{self.r.uniform(0.5, 80):.2f}"

    def sentence(self) -> str:
        r = self.r
        zh = self.lang == "zh"
        values = {
            "co": self.co,
            "year": r.choice((2021, 2022, 2023, 2024)),
            "month": r.randint(1, 12),
            "money": self.money(),
            "money2": self.money(),
            "pct": self.pct(),
            "pct2": self.pct(),
            "n": r.randint(40, 3000),
            "m": r.randint(1, 300),
            "k": r.randint(1, 120),
            "gen": r.randint(2, 9),
            "up": r.choice(("增长", "下降") if zh else ("increased", "decreased")),
            "round": r.choice(ZH_ROUNDS) if zh else f"Series {r.choice('ABCD')}",
            "inv": r.choice(ZH_INVESTORS if zh else EN_INVESTORS.split(", ")),
            "ind": r.choice(ZH_INDUSTRY if zh else EN_INDUSTRY.split(", ")),
            "tech": r.choice(ZH_TECH if zh else EN_TECH.split(", ")),
            "person": r.choice(ZH_PEOPLE),
        }
        return r.choice(ZH_SENTENCES if zh else EN_SENTENCES).format(**values)

    def paragraph(self, lo: int = 3, hi: int = 6) -> str:
        sep = "" if self.lang == "zh" else " "
        return sep.join(self.sentence() for _ in range(self.r.randint(lo, hi)))

    def title(self, what: str) -> str:
        year = self.r.choice((2022, 2023, 2024))
        if self.lang == "zh":
            kind = {"report": "年度报告", "memo": "尽职调查备忘录", "news": "融资新闻", "data": "财务数据"}[
                what
            ]
            return f"{self.co}{year}年{kind}"
        kind = {
            "report": "Annual Report",
            "memo": "Due Diligence Memo",
            "news": "Funding News",
            "data": "Financials",
        }
        return f"{self.co} {year} {kind[what]}"

    def table(self, rows: int | None = None) -> list[list[str]]:
        r, year = self.r, self.r.choice((2023, 2024))
        items = list(ZH_ITEMS if self.lang == "zh" else EN_ITEMS)
        r.shuffle(items)
        head = (
            ["项目", f"{year}年", f"{year - 1}年", "变动比例"]
            if self.lang == "zh"
            else ["Item", f"FY{year}", f"FY{year - 1}", "Change"]
        )
        body = [
            [item, f"{r.uniform(1e5, 9e8):,.2f}", f"{r.uniform(1e5, 9e8):,.2f}", f"{r.uniform(-40, 80):.2f}%"]
            for item in items[: rows or r.randint(5, 10)]
        ]
        return [head, *body]


def _font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT_ZH not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT_ZH))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pdf_bytes(t: Text, pages: int, table_every: float = 0.35, paragraphs: int | None = None) -> bytes:
    """A text PDF of ``pages`` pages (platypus, one PageBreak each); some pages carry a ruled table. Pages
    without one hold 4-6 paragraphs, or ``paragraphs``."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _font()
    font = FONT_ZH if t.lang == "zh" else "Helvetica"
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=15, spaceAfter=6)
    head = ParagraphStyle("h", fontName=font, fontSize=14, leading=20, spaceAfter=8)
    story: list[Any] = []
    title = t.title("report")
    for page in range(1, pages + 1):
        story.append(Paragraph(_esc(f"{title} · {page}" if page > 1 else title), head))
        with_table = t.r.random() < table_every
        for _ in range(t.r.randint(2, 3) if with_table else paragraphs or t.r.randint(4, 6)):
            story.append(Paragraph(_esc(t.paragraph()), body))
        if with_table:
            table = Table(t.table())
            table.setStyle(
                TableStyle(
                    [
                        ("FONT", (0, 0), (-1, -1), font, 9),
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ]
                )
            )
            story += [Spacer(1, 6), table, Spacer(1, 6), Paragraph(_esc(t.sentence()), body)]
        if page < pages:
            story.append(PageBreak())
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1, title=title).build(story)
    return buffer.getvalue()


def scanned_pdf_bytes(t: Text, scale: float = 1.5, paragraphs: int | None = None) -> bytes:
    """An image-only one-page PDF: a short text page (4-6 paragraphs, or ``paragraphs``) rendered by
    pypdfium2 and wrapped by reportlab."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    _font()
    source = pdfium.PdfDocument(pdf_bytes(t, 1, table_every=0.0, paragraphs=paragraphs))
    try:
        page = source[0]
        width, height = page.get_size()
        image = page.render(scale=scale).to_pil().convert("L")
    finally:
        source.close()
    png = io.BytesIO()
    image.save(png, format="PNG", optimize=True)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(width, height), invariant=1)
    c.drawImage(ImageReader(io.BytesIO(png.getvalue())), 0, 0, width, height)
    c.showPage()
    c.save()
    return out.getvalue()


def write_docx(path: Path, t: Text) -> None:
    import docx

    d = docx.Document()
    d.core_properties.created = d.core_properties.modified = dt.datetime(2024, 1, 1)
    d.add_heading(t.title("memo"), level=1)
    for _ in range(t.r.randint(3, 6)):
        d.add_paragraph(t.paragraph())
    rows = t.table()
    table = d.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
    d.add_paragraph(t.paragraph(2, 3))
    d.save(str(path))


def html_text(t: Text) -> str:
    paras = "\n".join(f"<p>{_esc(t.paragraph())}</p>" for _ in range(t.r.randint(3, 6)))
    table = ""
    if t.r.random() < 0.5:
        rows = t.table()
        cells = ["<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows]
        table = "<table>\n" + "\n".join(cells) + "\n</table>"
    title = _esc(t.title("news"))
    return (
        f'<!doctype html>\n<html lang="{t.lang}"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif}</style></head>\n<body>\n"
        '<nav class="menu"><a href="/">Home</a> | <a href="/news">News</a> | '
        '<a href="/about">About</a></nav>\n'
        f"<main><article><h1>{title}</h1>\n{paras}\n{table}\n</article></main>\n"
        "<footer>© 2024 Example Media. All rights reserved.</footer>\n<script>var x = 1;</script>\n"
        "</body></html>\n"
    )


def sheet_rows(t: Text) -> list[list[Any]]:
    r = t.r
    head = (
        ["期间", "营业收入", "净利润", "研发投入", "员工人数", "备注"]
        if t.lang == "zh"
        else ["Period", "Revenue", "Net income", "R&D", "Employees", "Note"]
    )
    rows: list[list[Any]] = [head]
    for i in range(r.randint(20, 60)):
        year, quarter = 2015 + i // 4, i % 4 + 1
        rows.append(
            [
                f"{year}Q{quarter}",
                round(r.uniform(1e5, 9e7), 2),
                round(r.uniform(-5e6, 2e7), 2),
                round(r.uniform(1e4, 9e6), 2),
                r.randint(20, 3000),
                t.sentence() if r.random() < 0.2 else "",
            ]
        )
    return rows


def write_xlsx(path: Path, t: Text) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = dt.datetime(2024, 1, 1)
    ws = wb.active
    ws.title = "财务" if t.lang == "zh" else "Financials"
    for row in sheet_rows(t):
        ws.append(row)
    if t.r.random() < 0.5:
        extra = wb.create_sheet("股东" if t.lang == "zh" else "Shareholders")
        for row in t.table():
            extra.append(row)
    wb.save(str(path))


def write_csv(path: Path, t: Text) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(sheet_rows(t))


def text_doc(t: Text, markdown: bool) -> str:
    parts = [("# " if markdown else "") + t.title("memo"), ""]
    for i in range(t.r.randint(3, 8)):
        if markdown and i == 2:
            rows = t.table()
            parts += ["## 主要财务数据" if t.lang == "zh" else "## Key figures", ""]
            parts += ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
            parts += ["| " + " | ".join(row) + " |" for row in rows[1:]] + [""]
        parts += [t.paragraph(), ""]
    return "\n".join(parts)


def json_doc(t: Text) -> str:
    r = t.r
    records = [
        {
            "date": f"{r.randint(2019, 2024)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "title": t.title("news"),
            "summary": t.paragraph(1, 3),
            "amount": round(r.uniform(1e3, 9e6), 2),
            "tags": r.sample(ZH_TECH if t.lang == "zh" else EN_TECH.split(", "), 2),
        }
        for _ in range(r.randint(4, 12))
    ]
    return json.dumps(
        {"company": t.co, "source": "generated", "records": records}, ensure_ascii=False, indent=1
    )


def kind_counts(n: int, ocr_docs: int) -> dict[str, int]:
    """Documents per kind. Scanned PDFs are capped at ``ocr_docs`` one-page scans (OCR costs seconds per
    page); the rest of their share goes to text PDFs."""
    counts = {k: round(v * n) for k, v in SHARES.items()}
    scans = min(counts["scan"], ocr_docs)
    counts["pdf"] += counts["scan"] - scans + n - sum(counts.values())
    counts["scan"] = scans
    return counts


def generate_corpus(root: Path, plan: Plan, seed: int = SEED) -> Json:
    """Write the corpus (folder per company) under ``root``; what was written, by kind."""
    rng = random.Random(seed)
    companies = company_names(plan.companies, rng)
    counts = kind_counts(plan.docs, plan.ocr_docs)
    kinds = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    by_ext: dict[str, int] = {}
    pdf_pages = 0
    t0 = now()
    for i, kind in enumerate(kinds):
        company, lang = companies[i % len(companies)]
        t = Text(random.Random(f"{seed}-{i}"), company, lang)
        folder = root / company
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"doc_{i:04d}"
        if kind == "pdf":
            pages = t.r.randint(1, 6)
            pdf_pages += pages
            path = folder / f"{stem}.pdf"
            path.write_bytes(pdf_bytes(t, pages))
        elif kind == "scan":
            path = folder / f"{stem}_scan.pdf"
            # a quick run's scan holds one paragraph: OCR takes seconds per full page on 2 cores
            path.write_bytes(scanned_pdf_bytes(t, paragraphs=1 if plan.quick else None))
        elif kind == "docx":
            path = folder / f"{stem}.docx"
            write_docx(path, t)
        elif kind == "html":
            path = folder / f"{stem}.html"
            path.write_text(html_text(t), encoding="utf-8")
        elif kind == "sheet":
            path = folder / f"{stem}.{'xlsx' if i % 2 else 'csv'}"
            (write_xlsx if i % 2 else write_csv)(path, t)
        elif kind == "text":
            markdown = i % 2 == 0
            path = folder / f"{stem}.{'md' if markdown else 'txt'}"
            path.write_text(text_doc(t, markdown), encoding="utf-8")
        else:
            path = folder / f"{stem}.json"
            path.write_text(json_doc(t), encoding="utf-8")
        ext = "scan.pdf" if kind == "scan" else path.suffix.lstrip(".")
        by_ext[ext] = by_ext.get(ext, 0) + 1
        if (i + 1) % 200 == 0:
            print(f"   generated {i + 1}/{len(kinds)} documents ({now() - t0:.0f} s)", flush=True)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return {
        "documents": len(kinds),
        "companies": len(companies),
        "companies_zh": sum(1 for _, lang in companies if lang == "zh"),
        "by_kind": counts,
        "by_extension": dict(sorted(by_ext.items())),
        "text_pdf_pages_written": pdf_pages,
        "scanned_pages_written": counts["scan"],
        "bytes": size,
        "generate_s": rnd(now() - t0, 1),
        "seed": seed,
    }


# ---------------------------------------------------------------------------------------------
# measured ingestion
# ---------------------------------------------------------------------------------------------
def measured_ingest(
    paths: list[Path], services: Services, settings: Settings, company: str | None = None, label: str = ""
) -> Json:
    """Run ``ingest_paths`` once with RSS sampling, RSS checkpoints, OCR metering; the summary."""
    t_open = now()
    store = services.store
    open_s = now() - t_open
    checkpoints: list[tuple[int, float]] = []
    seen = [0]
    started = [now()]

    def on_file(entry: FileReport) -> None:
        seen[0] += 1
        if seen[0] % RSS_EVERY == 0:
            checkpoints.append((seen[0], round(rss_mb(), 1)))
            print(
                f"   {label} {seen[0]} files, {now() - started[0]:.0f} s, RSS {checkpoints[-1][1]:.0f} MB",
                flush=True,
            )

    mon = CpuMonitor()
    cpu0 = CpuMonitor._own()
    with RssSampler() as rss, OcrMeter() as ocr, EmbedMeter(store.embeddings) as emb:
        started[0] = now()
        report = ingest_paths(paths, store, settings, company=company, on_file=on_file)
        wall = now() - started[0]
    cpu_s = CpuMonitor._own() - cpu0
    out = summarize(report, wall, ocr, emb)
    out.update(
        store_open_s=rnd(open_s, 2),
        rss_start_mb=round(rss.start_mb, 1),
        rss_peak_mb=round(rss.peak_mb, 1),
        rss_growth_mb=round(rss.peak_mb - rss.start_mb, 1),
        rss_checkpoints=checkpoints,
        rss_slope_mb_per_100_files=slope_per_100(checkpoints),
        rss_slope_after_first_mb_per_100_files=slope_per_100(checkpoints[1:]),
        other_cores_during=mon.other_cores(),
        cpu_cores_used=rnd(cpu_s / wall, 2) if wall else None,
        stored_chunks_in_store=store.chunk_count(),
    )
    return out


def summarize(report: IngestReport, wall: float, ocr: OcrMeter, emb: EmbedMeter) -> Json:
    files = report.files
    statuses: dict[str, int] = {}
    for f in files:
        statuses[f.status] = statuses.get(f.status, 0) + 1
    stored = [f for f in files if f.status == "stored"]
    stage_s = {k: sum(f.timings.get(k, 0.0) for f in stored) for k in STAGES}
    extra = sorted({k for f in stored for k in f.timings} - set(STAGES))
    # the store embeds only what the embedding stage did not (its share of the meter's time)
    in_store_s = max(0.0, emb.seconds - stage_s["embed"])
    pages = sum(f.pages for f in stored)
    pdf_pages = sum(f.pages for f in stored if f.reader == "pdf")
    chunks = sum(f.chunks for f in stored)
    readers: dict[str, Json] = {}
    for f in stored:
        r = readers.setdefault(
            f.reader or "?", {"files": 0, "pages": 0, "chunks": 0, "read_s": 0.0, "total_s": 0.0}
        )
        r["files"] += 1
        r["pages"] += f.pages
        r["chunks"] += f.chunks
        r["read_s"] += f.timings.get("read", 0.0)
        r["total_s"] += f.seconds
    for r in readers.values():
        r["read_s"], r["total_s"] = round(r["read_s"], 2), round(r["total_s"], 2)
        r["ms_per_file"] = round(1000 * r["total_s"] / r["files"], 1)
    read_text_s = stage_s["read"] - ocr.seconds
    busy = {
        "read_excl_ocr": read_text_s,
        "ocr": ocr.seconds,
        "chunk": stage_s["chunk"],
        "facts": stage_s["facts"],
        "embed": emb.seconds,
        "write": stage_s["store"] - in_store_s,
    }
    shares = {k: v / wall for k, v in busy.items()}
    pdf_s = readers["pdf"]["total_s"] - ocr.seconds if "pdf" in readers else 0.0
    return {
        "wall_s": rnd(wall, 2),
        "files": len(files),
        "statuses": statuses,
        "failed": [f"{f.doc}: {f.error}" for f in files if f.status == "failed"][:5],
        "pages": pages,
        "pdf_pages": pdf_pages,
        "ocr_pages": ocr.pages,
        "text_pdf_pages": pdf_pages - ocr.pages,
        "ocr_s": rnd(ocr.seconds, 2),
        "ocr_s_per_page": rnd(ocr.seconds / ocr.pages, 2) if ocr.pages else None,
        "ocr_rss_added_mb": round(ocr.rss_added_mb, 1),
        "embed_s": rnd(emb.seconds, 2),
        "embed_ahead_s": rnd(stage_s["embed"], 2),
        "embed_calls": emb.calls,
        "embed_texts_per_s": per_s(emb.texts, emb.seconds),
        "write_s": rnd(busy["write"], 2),
        "write_ms_per_stored_file": rnd(1000 * busy["write"] / len(stored), 1) if stored else None,
        "stage_busy_s": {k: rnd(v, 2) for k, v in busy.items()},
        "stages_busy_over_wall": rnd(sum(busy.values()) / wall, 2) if wall else None,
        "chunks": chunks,
        "new_vectors": sum(f.new_vectors for f in stored),
        "files_per_s": per_s(len(files), wall),
        "pages_per_s": per_s(pages, wall),
        "text_pdf_pages_per_s_excl_ocr": per_s(pdf_pages - ocr.pages, pdf_s) if pdf_pages else None,
        "chunks_per_s": per_s(chunks, wall),
        "stage_s": {k: rnd(v, 2) for k, v in stage_s.items()},
        "stage_shares": {k: rnd(v, 3) for k, v in shares.items()},
        "other_timing_keys": extra,
        "read_pages_per_s_pdf": per_s(
            pdf_pages - ocr.pages, readers.get("pdf", {}).get("read_s", 0.0) - ocr.seconds
        )
        if "pdf" in readers
        else None,
        "by_reader": dict(sorted(readers.items())),
    }


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------
def new_services(backend: str, embeddings: Any = None) -> tuple[Services, Settings, Path]:
    """Services over a new temp store (the caller deletes ``store_dir``)."""
    store_dir = Path(tempfile.mkdtemp(prefix=f"ingest-bench-{backend}-"))
    settings = Settings(store=store_dir, embedding_backend=backend)  # type: ignore[arg-type]
    return Services(settings, embeddings=embeddings), settings, store_dir


@contextmanager
def fresh_services(backend: str, embeddings: Any = None) -> Iterator[tuple[Services, Settings, Path]]:
    """Services over a new temp store, deleted afterwards."""
    services, settings, store_dir = new_services(backend, embeddings)
    try:
        yield services, settings, store_dir
    finally:
        services.close()  # Chroma keeps an open path's database in memory until its client is closed
        del services
        gc.collect()
        shutil.rmtree(store_dir, ignore_errors=True)


def bench_corpus(root: Path, backend: str, keep: dict[str, Any] | None = None) -> Json:
    """Ingest the corpus into a fresh store; with ``keep``, the store is left there for the re-ingest."""
    services, settings, store_dir = new_services(backend)
    try:
        t0 = now()
        if backend != "fake":
            services.embeddings.embed_documents(["warm-up 预热"])  # model load, outside the timed run
        load_s = now() - t0
        out = measured_ingest([root], services, settings, label=backend)
        out["embedding_backend"] = backend
        out["model_load_s"] = rnd(load_s, 2)
        if keep is not None:
            keep.update(services=services, settings=settings, store_dir=store_dir)
        return out
    finally:
        if keep is None or "services" not in keep:
            services.close()
            del services
            gc.collect()
            shutil.rmtree(store_dir, ignore_errors=True)


STORES_IN_TURN = 3


def _trimmed_rss_mb() -> float:
    """RSS after a garbage collection and glibc's ``malloc_trim`` (freed memory the allocator still holds
    is not what the process keeps)."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return round(rss_mb(), 1)


def bench_stores_in_turn(root: Path, runs: int = STORES_IN_TURN) -> Json:
    """The corpus into a fresh store ``runs`` times in turn in this process (fake embeddings), each store
    closed afterwards, as a batch or a test session opens stores one after another: what the process keeps
    after each. Flat from the second run on = a closed store leaves nothing behind (the first run also
    loads what is loaded once: lexicons, segmenter dictionaries)."""
    after: list[float] = []
    files = 0
    t0 = now()
    for _ in range(runs):
        with fresh_services("fake") as (services, settings, _dir):
            files = len(ingest_paths([root], services.store, settings).files)
        after.append(_trimmed_rss_mb())
    return {
        "runs": runs,
        "files_per_run": files,
        "rss_after_each_mb": after,
        "growth_after_first_mb": rnd(after[-1] - after[1], 1) if runs > 2 else None,
        "wall_s": rnd(now() - t0, 1),
    }


def bench_reingest(root: Path, keep: dict[str, Any]) -> Json:
    """The unchanged corpus again, into the store the previous run filled."""
    if "services" not in keep:
        raise RuntimeError("the use-multilingual corpus run did not leave a store to re-ingest into")
    out = measured_ingest([root], keep["services"], keep["settings"], label="re-ingest")
    out["note"] = "same store, same files: every file should be 'unchanged'"
    return out


def devset_tree(docs: Path, work: Path, pdf_pages: int | None) -> tuple[Path, Path, str]:
    """A folder per company of symlinks to the devset files (read in place: nothing is copied), from
    ``docs_manifest.jsonl``. With ``pdf_pages`` the big PDF is replaced by its first pages (a temp file,
    deleted after the run). Returns (tree, the PDF as ingested, its company)."""
    manifest: dict[str, str] = {}
    mpath = docs.parent / "docs_manifest.jsonl"
    if mpath.is_file():
        for line in mpath.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                manifest[row["doc"]] = str(row.get("company") or "").replace("/", "_")
    tree = work / "devset"
    pdf, pdf_company = docs / DEVSET_PDF, ""
    for file in sorted(docs.iterdir()):
        if not file.is_file() or file.name.startswith((".", "_")):
            continue
        company = manifest.get(file.name) or file.name.split("__", 1)[0]
        (tree / company).mkdir(parents=True, exist_ok=True)
        target = file
        if file.name == DEVSET_PDF:
            pdf_company = company
            if pdf_pages:
                import pypdf

                writer = pypdf.PdfWriter()
                for page in pypdf.PdfReader(str(file)).pages[:pdf_pages]:
                    writer.add_page(page)
                target = work / "subset" / file.name
                target.parent.mkdir(exist_ok=True)
                with target.open("wb") as fh:
                    writer.write(fh)
            pdf = target
        (tree / company / file.name).symlink_to(target)
    return tree, pdf, pdf_company


def _median_run(runs: list[Json], key: str) -> Json:
    """The run with the median ``key`` (the middle one of an odd count), with every run's ``key``."""
    ordered = sorted(runs, key=lambda r: r[key] or 0)
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["repeats"] = [r[key] for r in runs]
    return middle


def naive_pages(path: Path) -> list[str]:
    """What a naive loader gives: pypdf's text per PDF page (PyPDFLoader), a text file whole (TextLoader with
    its encoding detected: UTF-8, else GB18030)."""
    import pypdf

    if path.suffix.lower() == ".pdf":
        return [page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages]
    data = path.read_bytes()
    try:
        return [data.decode("utf-8")]
    except UnicodeDecodeError:
        return [data.decode("gb18030", errors="replace")]


def baseline_files(files: list[Path], embeddings: Any, store_dir: Path) -> Json:
    """The naive pipeline: ``naive_pages`` → fixed 1000/200 character windows per page (a page loader +
    character splitter) → the same USE encoder → Chroma add with precomputed vectors."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    t0 = now()
    texts, metas = [], []
    pages = 0
    for path in files:
        for number, text in enumerate(naive_pages(path), start=1):
            pages += 1
            for start in range(0, max(1, len(text) - BASELINE_OVERLAP), BASELINE_CHUNK - BASELINE_OVERLAP):
                piece = text[start : start + BASELINE_CHUNK]
                if piece.strip():
                    texts.append(piece)
                    metas.append({"source": path.name, "page": number})
    t1 = now()
    vectors = embeddings.embed_documents(texts)
    t2 = now()
    client = chromadb.PersistentClient(
        path=str(store_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.create_collection(
        "baseline", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    for s in range(0, len(texts), 1000):
        collection.add(
            ids=[f"c{i}" for i in range(s, min(s + 1000, len(texts)))],
            documents=texts[s : s + 1000],
            embeddings=vectors[s : s + 1000],
            metadatas=metas[s : s + 1000],  # type: ignore[arg-type]
        )
    t3 = now()
    return {
        "files": len(files),
        "pages": pages,
        "chunks": len(texts),
        "wall_s": rnd(t3 - t0, 2),
        "read_split_s": rnd(t1 - t0, 2),
        "embed_s": rnd(t2 - t1, 2),
        "chroma_s": rnd(t3 - t2, 2),
        "pages_per_s": per_s(pages, t3 - t0),
        "chunks_per_s": per_s(len(texts), t3 - t0),
        "stored": collection.count(),
    }


def text_once(files: list[Path]) -> list[str]:
    """The files' text as the naive loader reads it, cut into windows of ``BASELINE_CHUNK`` characters
    without overlap: every character once."""
    return [
        piece
        for path in files
        for text in naive_pages(path)
        for start in range(0, len(text), BASELINE_CHUNK)
        if (piece := text[start : start + BASELINE_CHUNK]).strip()
    ]


def encoder_floor(texts: list[str], embeddings: Any) -> float:
    """Seconds the encoder alone takes to embed ``texts`` (nothing read, split or written): a lower bound
    for any pipeline that embeds every character of the input at least once with this encoder."""
    t0 = now()
    embeddings.embed_documents(texts)
    return now() - t0


def baseline_pdf(pdf: Path, embeddings: Any, store_dir: Path) -> Json:
    """The naive pipeline on one PDF (see ``baseline_files``)."""
    return baseline_files([pdf], embeddings, store_dir)


def ours_vs_naive(
    label: str,
    tree: Path,
    files: list[Path],
    embeddings: Any,
    work: Path,
    gate: IdleGate,
    repeats: int,
    company: str | None = None,
) -> Json:
    """Our ingest of ``tree`` (fresh store each time, store opening included) and the naive pipeline on the same
    ``files``, alternating ``repeats`` times in this process; the medians and their ratio (same input, so the
    ratio of pages/s is the ratio of wall times)."""
    ours_runs: list[Json] = []
    base_runs: list[Json] = []
    floors: list[float] = []
    once = text_once(files)
    for repeat in range(repeats):
        gate.wait(f"{label} (ours)")
        print(f"   {label} (ours, {repeat + 1}/{repeats}) …", flush=True)
        with fresh_services("use-multilingual", embeddings) as (services, settings, _):
            t0 = now()
            one = measured_ingest([tree], services, settings, company=company, label=label)
            one["wall_incl_store_open_s"] = rnd(now() - t0, 2)
            one["pages_per_s_incl_store_open"] = per_s(one["pages"], now() - t0)
            ours_runs.append(one)
            del services
        gate.wait(f"{label} (naive)")
        print(f"   {label} (naive baseline, {repeat + 1}/{repeats}) …", flush=True)
        mon = CpuMonitor()
        with RssSampler() as rss:
            base = baseline_files(files, embeddings, work / f"baseline-{label}-{repeat}")
        base.update(rss_peak_mb=round(rss.peak_mb, 1), other_cores_during=mon.other_cores())
        base_runs.append(base)
        shutil.rmtree(work / f"baseline-{label}-{repeat}", ignore_errors=True)
        gate.wait(f"{label} (encoder alone)")
        floors.append(encoder_floor(once, embeddings))
    for run in ours_runs:
        run["speed"] = 1 / run["wall_incl_store_open_s"]  # inputs per second: the same input for both
    for run in base_runs:
        run["speed"] = 1 / run["wall_s"]
    ours = _median_run(ours_runs, "speed")
    base = _median_run(base_runs, "speed")
    # the ratio of speeds on the same input (of pages/s for a PDF; a text export is paged by our reader
    # by its page markers and is one page to the naive loader, so pages/s would not compare)
    ratio = base["wall_s"] / ours["wall_incl_store_open_s"]
    floor = sorted(floors)[(len(floors) - 1) // 2]  # the median, as for the runs
    pairs = [b["wall_s"] / o["wall_incl_store_open_s"] for o, b in zip(ours_runs, base_runs, strict=True)]
    return {
        "files": [f.name for f in files],
        "bytes": sum(f.stat().st_size for f in files),
        "ours": ours,
        "baseline": base,
        "ratio": rnd(ratio, 2),
        "ratio_per_repeat": [rnd(r, 2) for r in pairs],
        # the encoder alone on the input's text once (median of the repeats) and the best ratio to the
        # naive pipeline that any pipeline embedding all of that text with this encoder could reach
        "encoder_floor_s": rnd(floor, 2),
        "encoder_floor_chars": sum(map(len, once)),
        "ceiling_ratio": rnd(base["wall_s"] / floor, 2),
        "ceiling_ratio_per_repeat": [rnd(b["wall_s"] / f, 2) for b, f in zip(base_runs, floors, strict=True)],
    }


def bench_annual_reports(docs: Path, gate: IdleGate, embeddings: Any) -> Json:
    """The complete annual reports (GB18030 text exports and PDFs), each kind ours vs the naive pipeline."""
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-reports-"))
    try:
        res: Json = {"docs": str(docs), "repeats": REPORT_REPEATS}
        for kind, suffix in (("text", ".txt"), ("pdf", ".pdf")):
            files = sorted(
                f for f in docs.iterdir() if f.suffix.lower() == suffix and not f.name.startswith((".", "_"))
            )
            tree = work / kind
            for f in files:  # a folder per company, of symlinks: read in place
                (tree / f.name.split("__", 1)[0]).mkdir(parents=True, exist_ok=True)
                (tree / f.name.split("__", 1)[0] / f.name).symlink_to(f)
            res[kind] = ours_vs_naive(
                f"annual reports ({kind})", tree, files, embeddings, work, gate, REPORT_REPEATS
            )
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


_EMBEDDINGS: list[Any] = []


def bench_embeddings(remeasure: bool = False) -> Any:
    """The default embedding model as ``Services`` builds it, loaded once for the devset sections; with
    ``remeasure`` its batch size and threads are measured afresh on this machine (see ``USEEmbeddings``; the
    measurement is kept where the application reads it)."""
    if not _EMBEDDINGS or remeasure:
        from assistant.models.embeddings import TUNING_FILE, USEEmbeddings

        settings = Settings()
        t0 = now()
        embeddings = USEEmbeddings(
            max_threads=settings.threads, tuning_file=settings.model_cache / TUNING_FILE, remeasure=remeasure
        )
        embeddings.embed_documents(["warm-up 预热"])
        embeddings.load_s = rnd(now() - t0, 2)
        _EMBEDDINGS[:] = [embeddings]
    return _EMBEDDINGS[0]


def encoder_record(plan: Plan) -> Json:
    """How the encoder's threads and batch size were chosen: the rates measured per setting (afresh in a full
    run, as cached in a quick one) and the choice."""
    emb = bench_embeddings(remeasure=not plan.quick)
    return {**emb.tuning, "load_s_incl_measuring": emb.load_s}


def bench_devset(docs: Path, plan: Plan, gate: IdleGate) -> Json:
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-devset-"))
    try:
        tree, pdf, pdf_company = devset_tree(docs, work, plan.devset_pdf_pages)
        res: Json = {"docs": str(docs), "pdf": DEVSET_PDF, "pdf_subset_pages": plan.devset_pdf_pages}
        t0 = now()
        embeddings = bench_embeddings()
        res["model_load_s"] = rnd(now() - t0, 2)
        print("   devset, all documents (use-multilingual) …", flush=True)
        with fresh_services("use-multilingual", embeddings) as (services, settings, _):
            res["all"] = measured_ingest([tree], services, settings, label="devset")
            del services
        # ours and the baseline alternate PDF_REPEATS times and the medians are compared: on a shared
        # 2-core VM one run can be 20% off the next
        pair = ours_vs_naive(
            "devset PDF", pdf, [pdf], embeddings, work, gate, PDF_REPEATS, company=pdf_company
        )
        res["pdf_ours"], res["pdf_baseline"] = pair["ours"], pair["baseline"]
        res["pdf_ratio_vs_baseline"] = pair["ratio"]
        res["pdf_ratio_per_repeat"] = pair["ratio_per_repeat"]
        res["pdf_encoder_floor"] = {k: pair[k] for k in pair if k.startswith(("encoder_floor", "ceiling"))}
        res["pdf_target_pages_per_s"] = TARGET_PDF_PAGES_S
        gate.wait("PDF read variants")
        print("   PDF reader variants (reading only) …", flush=True)
        res["pdf_read_variants"] = pdf_read_variants(pdf)
        res["note"] = (
            "Default embeddings (use-multilingual, threads = cores) loaded once before timing "
            "(model_load_s). 'PDF alone' times our store opening + ingest_paths of the one PDF into a "
            "fresh store; the baseline times pypdf + 1000/200 windows + the same encoder object + a new "
            "Chroma PersistentClient and add. "
            f"The DESIGN doc's naive LangChain pipeline: ~{DESIGN_NAIVE_PAGES_S} pages/s on this machine."
        )
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def probe_passages(count: int) -> list[str]:
    out = []
    for i in range(count):
        lang = "zh" if i % 2 else "en"
        t = Text(random.Random(f"probe-{i}"), "星河科技" if lang == "zh" else "Northwind Labs", lang)
        text = t.paragraph(6, 8)
        out.append(text[: 180 if lang == "zh" else 360])
    return out


def bench_embed_threads(plan: Plan) -> Json:
    """USE sentences/s with threads=2 and 1, on an idle machine and next to one busy-loop process that
    this benchmark starts (and stops) itself, standing for any other work on the 2 cores."""
    from assistant.models.embeddings import USEEmbeddings

    passages = probe_passages(plan.probe_passages)
    batch = bench_embeddings().tuning["batch_size"]  # the measured one (see encoder_record)
    res: Json = {"passages": len(passages), "chars": "180 zh / 360 en (one chunk each)", "batch_size": batch}
    for busy in (0, 1):
        competitors = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
            for _ in range(busy)
        ]
        try:
            time.sleep(0.3 if busy else 0.0)
            for threads in (2, 1):
                emb = USEEmbeddings(threads=threads, batch_size=batch)
                emb.embed_documents(passages[:16])
                mon = CpuMonitor()
                t0 = now()
                emb.embed_documents(passages)
                seconds = now() - t0
                res[f"busy{busy}_threads{threads}"] = {
                    "seconds": rnd(seconds, 2),
                    "sentences_per_s": per_s(len(passages), seconds),
                    "other_cores_during": mon.other_cores(),
                }
                del emb
                gc.collect()
        finally:
            for proc in competitors:
                proc.kill()
                proc.wait()
    res["note"] = (
        "USE with threads = cores (2, the default) vs 1, timed back to back: idle, then next to one busy-loop "
        "process started by the benchmark (its CPU is not counted in 'other cores'). A collapse of threads=2 "
        "next to a competitor means the embedding (store) stage is fragile whenever anything else runs."
    )
    return res


def pdf_read_variants(pdf: Path) -> Json:
    """Reading alone (no chunking/embedding) of one PDF with the reader's module switches flipped at run time
    (restored afterwards); the bare text layer by PDFium and by pypdf; and how their texts compare."""
    from assistant.ingest.readers import pdf as pdf_reader
    from assistant.ingest.readers import pdf_pages, read_document

    # (module, switch, value): the reader's switches live in ``pdf`` (tables, workers) and ``pdf_pages``
    # (the text path of whichever process reads a page)
    one = [(pdf_reader, "PARALLEL_MIN_PAGES", 10**9)]
    variants: dict[str, list[tuple[Any, str, Any]]] = {
        "default (PDFium text, tables, worker process)": [],
        "TABLES=False": [(pdf_reader, "TABLES", False)],
        "one process (PARALLEL_MIN_PAGES=inf)": one,
        "pypdf text (TEXT_ENGINE=pypdf), worker process": [(pdf_pages, "TEXT_ENGINE", "pypdf")],
        "pypdf text, one process": [*one, (pdf_pages, "TEXT_ENGINE", "pypdf")],
        "pypdf text, one process, pypdf's own content parser (FAST_TEXT=False)": [
            *one,
            (pdf_pages, "TEXT_ENGINE", "pypdf"),
            (pdf_pages, "FAST_TEXT", False),
        ],
    }
    out: Json = {}
    for name, switches in variants.items():
        saved = [(module, k, getattr(module, k)) for module, k, _ in switches]
        mon = CpuMonitor()
        try:
            for module, k, v in switches:
                setattr(module, k, v)
            t0 = now()
            document = read_document(pdf, "bench")
            seconds = now() - t0
        finally:
            for module, k, v in saved:
                setattr(module, k, v)
        out[name] = {
            "seconds": rnd(seconds, 2),
            "pages_per_s": per_s(len(document.pages), seconds),
            "tables": sum(line.startswith("|---") for p in document.pages for line in p.text.splitlines()),
            "other_cores_during": mon.other_cores(),
        }
    texts = text_layers(pdf)
    for name, (pages, seconds, others) in texts.items():
        out[name] = {
            "seconds": seconds,
            "pages_per_s": per_s(len(pages), seconds),
            "tables": 0,
            "other_cores_during": others,
        }
    out["text layers compared"] = compare_text_layers(
        texts["PDFium text only, one process"][0],
        texts["pypdf extract_text only, one process (pdf_text.fast_text)"][0],
    )
    out["fast_text pages identical to pypdf's"] = {
        "pages": sum(
            a == b
            for a, b in zip(
                texts["pypdf extract_text only, one process"][0],
                texts["pypdf extract_text only, one process (pdf_text.fast_text)"][0],
                strict=True,
            )
        ),
        "of": len(texts["pypdf extract_text only, one process"][0]),
    }
    return out


def text_layers(pdf: Path) -> dict[str, tuple[list[str], float, float | None]]:
    """The bare text layer of every page: (texts, seconds, other cores) by PDFium and by pypdf."""
    import pypdf
    import pypdfium2 as pdfium

    from assistant.ingest.readers.pdf_pages import pdfium_text
    from assistant.ingest.readers.pdf_text import fast_text

    out: dict[str, tuple[list[str], float, float | None]] = {}
    mon, t0 = CpuMonitor(), now()
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    for index in range(len(document)):
        page = document[index]
        text = page.get_textpage()
        pages.append(pdfium_text(text.get_text_range()))
        text.close()
        page.close()
    document.close()
    out["PDFium text only, one process"] = (pages, rnd(now() - t0, 2) or 0.0, mon.other_cores())
    for fast in (False, True):
        mon, t0 = CpuMonitor(), now()
        with fast_text(fast):
            pages = [page.extract_text() or "" for page in pypdf.PdfReader(str(pdf)).pages]
        name = "pypdf extract_text only, one process" + (" (pdf_text.fast_text)" if fast else "")
        out[name] = (pages, rnd(now() - t0, 2) or 0.0, mon.other_cores())
    return out


def compare_text_layers(pdfium_pages: list[str], pypdf_pages: list[str]) -> Json:
    """How PDFium's page texts differ from pypdf's (counts only): the same characters in the same order (white
    space aside), the same lines, and where the white space differs."""
    import re

    from assistant.ingest.readers.common import squash

    def lines(text: str) -> list[str]:
        return [" ".join(line.split()) for line in text.split("\n") if line.strip()]

    cjk_digit = re.compile(r"[\u4e00-\u9fff] \d|\d [\u4e00-\u9fff]")
    pairs = list(zip(pdfium_pages, pypdf_pages, strict=True))
    return {
        "pages": len(pairs),
        "same characters in the same order (white space aside)": sum(
            squash(a) == squash(b) for a, b in pairs
        ),
        "same characters, any order": sum(sorted(squash(a)) == sorted(squash(b)) for a, b in pairs),
        "same non-blank lines (runs of spaces as one)": sum(lines(a) == lines(b) for a, b in pairs),
        "same number of non-blank lines": sum(len(lines(a)) == len(lines(b)) for a, b in pairs),
        "blank lines: PDFium / pypdf": [
            sum(not line.strip() for a, _ in pairs for line in a.split("\n")),
            sum(not line.strip() for _, b in pairs for line in b.split("\n")),
        ],
        "a space between a Chinese character and a digit: PDFium / pypdf": [
            sum(len(cjk_digit.findall(a)) for a, _ in pairs),
            sum(len(cjk_digit.findall(b)) for _, b in pairs),
        ],
    }


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def _short(text: str, n: int = 100) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def _shares(run: Json) -> str:
    """Busy seconds per stage (the stages overlap: reading, embedding and writing run side by side)."""
    b = run.get("stage_busy_s")
    if b is None:  # a result from before the stages overlapped
        s = run["stage_shares"]
        return " / ".join(f"{k} {fmt_pct(v)}" for k, v in s.items())
    parts = [
        f"read {b['read_excl_ocr']} s",
        f"OCR {b['ocr']} s" if run["ocr_pages"] else "",
        f"chunk {b['chunk']} s",
        f"facts {b['facts']} s",
        f"embed {b['embed']} s",
        f"write {b['write']} s",
    ]
    return " / ".join(p for p in parts if p) + f" (busy {run['stages_busy_over_wall']}× wall)"


def _run_rows(row: Callable[..., None], n: str, label: str, run: Json) -> None:
    status = ", ".join(f"{v} {k}" for k, v in sorted(run["statuses"].items()))
    row(
        n,
        f"{label}: wall",
        fmt_s(run["wall_s"]),
        f"{run['files']} files ({status}); store open {run['store_open_s']} s",
    )
    row(
        n,
        f"{label}: files/s",
        fmt_n(run["files_per_s"]),
        f"our process tree used {run['cpu_cores_used']} of the cores; others {run['other_cores_during']}",
    )
    row(
        n,
        f"{label}: pages/s (all)",
        fmt_n(run["pages_per_s"]),
        f"{run['pages']} pages (a non-PDF file counts 1), {run['pdf_pages']} PDF pages",
    )
    if run["pdf_pages"]:
        row(
            n,
            f"{label}: text-PDF pages/s (PDF files' time minus OCR)",
            fmt_n(run["text_pdf_pages_per_s_excl_ocr"]),
            f"{run['text_pdf_pages']} text-PDF pages; PDF reader alone "
            f"{fmt_n(run['read_pages_per_s_pdf'])} pages/s",
        )
    if run["ocr_pages"]:
        row(
            n,
            f"{label}: OCR",
            f"{run['ocr_pages']} pages, {fmt_s(run['ocr_s'])}",
            f"{run['ocr_s_per_page']} s/page (the first includes the engine load); RSS added while OCR "
            f"ran: {fmt_n(run['ocr_rss_added_mb'], 0)} MB",
        )
    row(
        n,
        f"{label}: chunks/s",
        fmt_n(run["chunks_per_s"]),
        f"{run['chunks']} chunks, {run['new_vectors']} new vectors",
    )
    row(
        n,
        f"{label}: stage busy seconds",
        _shares(run),
        f"embed {fmt_s(run['embed_s'])} ({fmt_n(run['embed_texts_per_s'])} chunks/s); write (Chroma + "
        f"ledger) {fmt_s(run['write_s'])} = {run['write_ms_per_stored_file']} ms/stored file; the stages "
        "overlap, so their sum can exceed the wall time",
    )
    slope = run["rss_slope_mb_per_100_files"]
    row(
        n,
        f"{label}: peak RSS",
        f"{fmt_n(run['rss_peak_mb'], 0)} MB",
        f"start {fmt_n(run['rss_start_mb'], 0)} MB (+{fmt_n(run['rss_growth_mb'], 0)} MB)"
        + (f"; slope {slope:+.1f} MB/100 files" if slope is not None else ""),
    )


def _pair_rows(row: Callable[..., None], n: str, label: str, pair: Json) -> None:
    """Rows of an ours-vs-naive comparison (``ours_vs_naive``)."""
    ours, base = pair["ours"], pair["baseline"]
    mb = pair["bytes"] / 1e6
    unit = "pages/s" if ours["pdf_pages"] else "MB/s"

    def speed(wall: float) -> str:  # the same input for both: ours's PDF pages or megabytes of text
        return f"{fmt_n(ours['pdf_pages'] / wall)} pages/s" if ours["pdf_pages"] else f"{mb / wall:.3f} MB/s"

    row(
        n,
        f"{label}: ours",
        speed(ours["wall_incl_store_open_s"]),
        f"{len(pair['files'])} files, {mb:.1f} MB, {ours['pages']} pages: "
        f"{fmt_s(ours['wall_incl_store_open_s'])} incl. store open; {ours['chunks']} chunks; {_shares(ours)}; "
        f"runs {', '.join(fmt_s(1 / v) for v in ours.get('repeats', []))}",
    )
    row(
        n,
        f"{label}: naive baseline",
        speed(base["wall_s"]),
        f"{fmt_s(base['wall_s'])}: read+split {base['read_split_s']} s, embed {base['embed_s']} s, Chroma "
        f"{base['chroma_s']} s; {base['chunks']} chunks of ≤{BASELINE_CHUNK} chars; runs "
        f"{', '.join(fmt_s(1 / v) for v in base.get('repeats', []))}",
    )
    row(
        n,
        f"{label}: ours / baseline ({unit})",
        f"{fmt_n(pair['ratio'], 2)}×",
        f"naive wall / ours, same input; per repeat (alternating): "
        f"{', '.join(f'{r}×' for r in pair['ratio_per_repeat'])}; other cores during: ours "
        f"{ours['other_cores_during']}, baseline {base['other_cores_during']}",
    )
    _floor_rows(row, n, label, pair, base["wall_s"])


def _floor_rows(row: Callable[..., None], n: str, label: str, floor: Json, naive_wall: float) -> None:
    """The encoder alone on the input's text, and the ceiling it puts on the ratio to the naive pipeline."""
    if "encoder_floor_s" not in floor:
        return
    row(
        n,
        f"{label}: the encoder alone on the text once",
        fmt_s(floor["encoder_floor_s"]),
        f"{floor['encoder_floor_chars']:,} characters (the naive loader's text, every character once, no "
        f"reading, splitting or writing); naive pipeline {fmt_s(naive_wall)}",
    )
    row(
        n,
        f"{label}: ceiling of naive / ours",
        f"{fmt_n(floor['ceiling_ratio'], 2)}×",
        "naive wall / the encoder alone: no pipeline that embeds all of the text once with this encoder "
        f"can be faster than this; per repeat {', '.join(f'{r}×' for r in floor['ceiling_ratio_per_repeat'])}",
    )


def render_markdown(res: Json) -> str:
    m = res["machine"]
    lines = [
        *report_head(res, "Ingestion benchmark"),
        "## Summary",
        "",
        "| # | Measure | Result | Notes |",
        "|---|---|---|---|",
    ]

    def row(n: str, measure: str, result: str, notes: str = "") -> None:
        lines.append(f"| {n} | {measure} | {result} | {notes} |")

    corpus = res.get("corpus")
    if corpus:
        kinds = ", ".join(f"{v} {k}" for k, v in corpus["by_extension"].items())
        row(
            "0",
            "generated corpus",
            f"{corpus['documents']} docs, {corpus['companies']} companies",
            f"{kinds}; {corpus['text_pdf_pages_written']} text-PDF pages written; "
            f"{corpus['bytes'] / 1e6:.1f} MB; generated in {fmt_s(corpus['generate_s'])}",
        )
    enc = res.get("encoder")
    if enc and "error" not in enc:
        rates = ", ".join(f"{k}: {v}" for k, v in sorted(enc.get("texts_per_s", {}).items()))
        row(
            "0b",
            "encoder threads / batch size",
            f"{enc['threads']} / {enc['batch_size']}",
            f"{enc['source']} ({enc.get('probe_texts', '?')} passages per setting, texts/s by threads/batch: "
            f"{rates}); model load incl. measuring {enc.get('load_s_incl_measuring')} s",
        )
    elif enc:
        row("0b", "encoder threads / batch size", f"error: {_short(enc['error'])}")
    for n, key, label in (("1", "corpus_fake", "corpus, fake emb."), ("2", "corpus_use", "corpus, USE")):
        run = res.get(key)
        if run is None or "error" in run:
            row(n, label, "not run" if run is None else f"error: {_short(run['error'], 200)}")
        else:
            _run_rows(row, n, label, run)
    turns = res.get("stores_in_turn")
    if turns is None or "error" in turns:
        row("1b", "stores in turn", "not run" if turns is None else f"error: {_short(turns['error'], 200)}")
    else:
        row(
            "1b",
            "stores in turn: RSS kept after each closed store",
            ", ".join(f"{fmt_n(v)} MB" for v in turns["rss_after_each_mb"]),
            f"the corpus ({turns['files_per_run']} files) into {turns['runs']} fresh stores one after another "
            f"(fake emb.), each closed; after gc and malloc_trim; growth after the first run "
            f"{turns['growth_after_first_mb']} MB; {fmt_s(turns['wall_s'])}",
        )
    re_run = res.get("reingest")
    if re_run is None or "error" in re_run:
        row(
            "3",
            "re-ingest unchanged corpus",
            "not run" if re_run is None else f"error: {_short(re_run['error'])}",
        )
    else:
        status = ", ".join(f"{v} {k}" for k, v in sorted(re_run["statuses"].items()))
        row(
            "3",
            "re-ingest unchanged corpus: files/s",
            fmt_n(re_run["files_per_s"]),
            f"{fmt_s(re_run['wall_s'])} for {re_run['files']} files ({status})",
        )
    dev = res.get("devset")
    if dev is None:
        row("4", "devset", "skipped", res.get("devset_note", ""))
    elif "error" in dev:
        row("4", "devset", f"error: {_short(dev['error'], 200)}")
    else:
        _run_rows(row, "4", "devset (USE)", dev["all"])
        ours, base = dev["pdf_ours"], dev["pdf_baseline"]
        pages = ours["pages"]
        target = "meets" if (ours["pages_per_s_incl_store_open"] or 0) >= TARGET_PDF_PAGES_S else "**below**"
        row(
            "4",
            f"{pages}-page zh annual report alone (ours)",
            f"{fmt_n(ours['pages_per_s_incl_store_open'])} pages/s",
            f"median of {len(ours.get('repeats', [1]))} runs "
            f"({', '.join(fmt_n(v * pages) for v in ours.get('repeats', []))}); "
            f"{fmt_s(ours['wall_incl_store_open_s'])} incl. store open; {ours['chunks']} chunks; "
            f"{_shares(ours)}; "
            f"{target} the ≥{TARGET_PDF_PAGES_S:.0f} pages/s target",
        )
        row(
            "4",
            "same PDF, naive baseline",
            f"{fmt_n(base['pages_per_s'])} pages/s",
            f"median of {len(base.get('repeats', [1]))} runs "
            f"({', '.join(fmt_n(v * base['pages']) for v in base.get('repeats', []))}); "
            f"{fmt_s(base['wall_s'])}: read+split {base['read_split_s']} s, embed {base['embed_s']} s, "
            f"Chroma {base['chroma_s']} s; {base['chunks']} chunks of ≤{BASELINE_CHUNK} chars; "
            f"DESIGN doc: ~{DESIGN_NAIVE_PAGES_S} pages/s",
        )
        row(
            "4",
            "ours / baseline (pages/s)",
            f"{fmt_n(dev['pdf_ratio_vs_baseline'], 2)}×",
            f"per repeat (ours, then the baseline, alternating): "
            f"{', '.join(f'{r}×' for r in dev.get('pdf_ratio_per_repeat', []))}; other cores during: ours "
            f"{ours['other_cores_during']}, baseline {base['other_cores_during']}",
        )
        _floor_rows(row, "4", "same PDF", dev.get("pdf_encoder_floor", {}), base["wall_s"])
    reports = res.get("annual_reports")
    if reports is None:
        row("4b", "annual reports", "skipped", res.get("annual_reports_note", ""))
    elif "error" in reports:
        row("4b", "annual reports", f"error: {_short(reports['error'], 200)}")
    else:
        for kind in ("text", "pdf"):
            _pair_rows(row, "4b", f"annual reports, {kind}", reports[kind])
    emb = res.get("embed_threads")
    if emb and "error" not in emb:
        for busy, when in ((0, "idle"), (1, "next to 1 busy-loop process")):
            t2, t1 = emb[f"busy{busy}_threads2"], emb[f"busy{busy}_threads1"]
            row(
                "5",
                f"USE sentences/s, threads=2 (default) vs 1, {when}",
                f"{fmt_n(t2['sentences_per_s'])} vs {fmt_n(t1['sentences_per_s'])}",
                f"{emb['passages']} passages; other cores during: {t2['other_cores_during']} / "
                f"{t1['other_cores_during']}",
            )
    elif emb:
        row("5", "USE threads probe", f"error: {_short(emb['error'])}")

    runs = [(k, res.get(k)) for k in ("corpus_fake", "corpus_use")]
    if dev and "error" not in dev:
        runs += [("devset all", dev["all"]), ("devset PDF alone", dev["pdf_ours"])]
    if reports and "error" not in reports:
        runs += [(f"annual reports {k}", reports[k]["ours"]) for k in ("text", "pdf")]
    runs = [(k, r) for k, r in runs if r and "error" not in r]
    if runs:
        lines += [
            "",
            "## Time per reader (stored files)",
            "",
            "| run | reader | files | pages | chunks | read s | total s | ms/file |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for key, run in runs:
            for reader, r in run["by_reader"].items():
                lines.append(
                    f"| {key} | {reader} | {r['files']} | {r['pages']} | {r['chunks']} | {r['read_s']} | "
                    f"{r['total_s']} | {r['ms_per_file']} |"
                )
        lines += ["", "## Memory (RSS of the process and its children, MB, after every 100 files)", ""]
        if not any(run["rss_checkpoints"] for _, run in runs):
            lines.append("- no checkpoint: every run had fewer than 100 files")
        for key, run in runs:
            if run["rss_checkpoints"]:
                points = ", ".join(f"{n}: {mb:.0f}" for n, mb in run["rss_checkpoints"])
                lines.append(
                    f"- **{key}**: {points}; slope {fmt_n(run['rss_slope_mb_per_100_files'], 2)} MB/100 files "
                    f"(without the first point {fmt_n(run['rss_slope_after_first_mb_per_100_files'], 2)}); peak "
                    f"{run['rss_peak_mb']:.0f} MB"
                )
        failures = [(k, f) for k, r in runs for f in r["failed"]]
        if failures:
            lines += ["", "## Failed files (first 5 per run)", ""]
            lines += [f"- {k}: {_short(f, 200)}" for k, f in failures]

    variants = dev.get("pdf_read_variants") if dev and "error" not in dev else None
    if variants:
        lines += [
            "",
            f"## Reading the devset PDF alone ({dev['pdf_ours']['pages']} pages; no chunking or embedding)",
            "",
            "| reader variant | seconds | pages/s | tables found | other cores during |",
            "|---|---|---|---|---|",
        ]
        for name, v in variants.items():
            if "seconds" in v:
                lines.append(
                    f"| {name} | {v['seconds']} | {fmt_n(v['pages_per_s'])} | {v['tables']} | "
                    f"{v['other_cores_during']} |"
                )
        compared = variants.get("text layers compared")
        if compared:
            lines += ["", "PDFium's text layer against pypdf's (pages):", ""]
            lines += [f"- {k}: {v}" for k, v in compared.items()]
        same = variants.get("fast_text pages identical to pypdf's")
        if same:
            lines += [
                "",
                "Pages whose text is identical with and without `pdf_text.fast_text`: "
                f"{same['pages']} of {same['of']}.",
            ]
    lines += [
        "",
        "## Machine contention",
        "",
        f"CPU used by other processes during each section, in cores (of {m['nproc']}).",
        "",
        "| section | seconds | waited for idle s | other cores during |",
        "|---|---|---|---|",
    ]
    for key, meta in res["sections"].items():
        flag = " ⚠" if (meta["other_cores_during"] or 0) > CONTENTION_CORES else ""
        lines.append(
            f"| {key} | {meta['seconds']} | {meta['waited_for_idle_s']} | "
            f"{meta['other_cores_during']}{flag} |"
        )
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in res["notes"]]
    if dev and "note" in dev:
        lines.append(f"- **devset**: {dev['note']}")
    if emb and "note" in emb:
        lines.append(f"- **embed_threads**: {emb['note']}")
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def quick_checks(res: Json) -> dict[str, bool]:
    """What a smoke run must show besides running without an error: every generated file stored (the
    scanned one through OCR), then found unchanged, and the embedding probe measured."""
    checks: dict[str, bool] = {}
    docs = res["corpus"]["documents"]
    for key in ("corpus_fake", "corpus_use"):
        run = res[key]
        checks[f"{key}: all {docs} files stored"] = run["statuses"] == {"stored": docs}
        checks[f"{key}: chunks written"] = run["chunks"] > 0 and run["stored_chunks_in_store"] > 0
        checks[f"{key}: the scanned page went through OCR"] = run["ocr_pages"] >= res["plan"]["scanned_docs"]
    checks["corpus_use: vectors made"] = res["corpus_use"]["new_vectors"] > 0
    checks["reingest: every file unchanged"] = res["reingest"]["statuses"] == {"unchanged": docs}
    checks["embed_threads: every run measured"] = all(
        (res["embed_threads"].get(f"busy{b}_threads{t}") or {}).get("sentences_per_s")
        for b in (0, 1)
        for t in (2, 1)
    )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_run_arguments(parser, " (20 documents, no devset)", 120.0, "before each section")
    parser.add_argument(
        "--skip-devset", action="store_true", help="skip the devset section (--quick always does)"
    )
    parser.add_argument("--docs", type=int, default=None, help="generated documents (default 1000; quick 20)")
    parser.add_argument("--devset", type=Path, default=DEVSET / "docs", help="devset documents folder")
    parser.add_argument("--reports", type=Path, default=REPORTS, help="devset annual reports folder")
    args = parser.parse_args(argv)

    plan = make_plan(args.quick, args.docs)
    out_dir = results_dir(args.out_dir, plan.quick)
    started = now()
    gate = IdleGate(idle_budget(args.wait_idle, plan.quick, 120.0))
    res = start_result(
        plan.quick,
        {
            "docs": plan.docs,
            "companies": plan.companies,
            "scanned_docs": plan.ocr_docs,
            "devset_pdf_pages": plan.devset_pdf_pages or "all",
            "embed_probe_passages": plan.probe_passages,
            "chunk_chars": Settings().chunk_chars,
            "embedding_threads": Settings().threads,
        },
    )
    res["notes"] = [
        "Stage busy seconds are summed from FileReport.timings of stored files: read (hashing + parsing, OCR "
        "shown apart), chunk, facts, embed (time inside the model's embed_documents, metered by the "
        "benchmark: the embedding stage's and any the store made itself) and write (Chroma + ledger). The "
        "stages overlap (a thread reads and chunks, a second embeds, the caller's writes), so their sum "
        "can exceed the wall time ('busy N× wall').",
        "Peak RSS is of the whole benchmark process and its children (PDF workers), sampled every 0.1 s; "
        "'start' is the RSS when the run began (embedding model and earlier sections included).",
        "Scanned PDFs: one image-only page each (a generated text page"
        + (" of one paragraph, in this quick run," if plan.quick else "")
        + " rendered by pypdfium2 at scale 1.5 and "
        "wrapped by reportlab), capped at "
        f"{plan.ocr_docs} documents because OCR costs seconds per page; the rest of their 5% share "
        "are text "
        "PDFs. The first OCR page includes loading the OCR engine.",
        "The generated corpus is written to a temp directory and deleted afterwards; the devset is "
        "read in "
        "place through symlinks in a temp folder per company (nothing is copied into the repository).",
    ]
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-corpus-"))
    keep: dict[str, Any] = {}
    try:
        root = work / "corpus"
        run_section(
            res, "generate", f"0. generate {plan.docs} documents", lambda: generate_corpus(root, plan), gate
        )
        res["corpus"] = res.pop("generate")
        run_section(
            res, "encoder", "0b. the encoder's threads and batch size", lambda: encoder_record(plan), gate
        )
        if "error" not in res["corpus"]:
            run_section(
                res, "corpus_fake", "1. corpus, fake embeddings", lambda: bench_corpus(root, "fake"), gate
            )
            run_section(
                res,
                "stores_in_turn",
                f"1b. the corpus into {STORES_IN_TURN} fresh stores in turn (memory)",
                lambda: bench_stores_in_turn(root),
                gate,
            )
            run_section(
                res,
                "corpus_use",
                "2. corpus, use-multilingual",
                lambda: bench_corpus(root, "use-multilingual", keep),
                gate,
            )
            run_section(
                res, "reingest", "3. re-ingest the unchanged corpus", lambda: bench_reingest(root, keep), gate
            )
    finally:
        kept = keep.pop("services", None)
        if kept is not None:
            kept.close()
        gc.collect()
        if "store_dir" in keep:
            shutil.rmtree(keep["store_dir"], ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    if args.skip_devset or plan.quick:
        res["devset"], res["devset_note"] = None, "`--skip-devset`" if args.skip_devset else "`--quick`"
        print(f"\n== 4. devset skipped: {res['devset_note']}", flush=True)
    elif not (args.devset / DEVSET_PDF).is_file():
        res["devset"], res["devset_note"] = None, f"{args.devset} (or its {DEVSET_PDF}) is absent"
        print(f"\n== 4. devset skipped: {res['devset_note']}", flush=True)
    else:
        run_section(
            res,
            "devset",
            "4. devset (use-multilingual) + PDF vs baseline",
            lambda: bench_devset(args.devset, plan, gate),
            gate,
        )
    if plan.quick or args.skip_devset or not args.reports.is_dir():
        res["annual_reports"] = None
        res["annual_reports_note"] = (
            "`--quick`"
            if plan.quick
            else "`--skip-devset`"
            if args.skip_devset
            else f"{args.reports} is absent"
        )
        print(f"\n== 4b. annual reports skipped: {res['annual_reports_note']}", flush=True)
    else:
        run_section(
            res,
            "annual_reports",
            "4b. annual reports (text and PDF) vs baseline",
            lambda: bench_annual_reports(args.reports, gate, bench_embeddings()),
            gate,
        )
    run_section(res, "embed_threads", "5. USE threads=2 vs 1", lambda: bench_embed_threads(plan), gate)

    finish_result(res, started, gate)
    write_results(res, render_markdown(res), out_dir, "ingest")
    return exit_status(section_errors(res, (*SECTIONS, "corpus")), plan.quick, lambda: quick_checks(res))


if __name__ == "__main__":
    sys.exit(main())
