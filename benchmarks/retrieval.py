#!/usr/bin/env python
"""Retrieval benchmark: latency of ``assistant.retrieve.retrieve`` (dense + FTS5 keyword + RRF, no LLM)
over a generated store of 100,000 chunks.

Target (issue 4): retrieval alone answers in ≤ 100 ms p95 with 100,000 chunks in the store.

Runs on the target machine (2 cores, no GPU) and writes ``benchmarks/results/retrieval_<YYYY-MM-DD>.json``
and ``.md`` (``--quick``: ``retrieval_<date>_quick.*``).

    .venv/bin/python benchmarks/retrieval.py            # full run: 200 companies × 500 chunks (~10 min)
    .venv/bin/python benchmarks/retrieval.py --quick    # smoke run: 20 companies × 100 chunks, 40 questions

Sections (each records an ``error`` instead of stopping the run when it fails):
  0. generate   a store in a temp directory, written through the real ``Store.write_document`` (ledger,
                sources, FTS5 keyword index over jieba tokens, Chroma with its HNSW index). Texts: Chinese
                and English company prose and Markdown tables cut by the real chunker (``chunk_document``),
                5 documents per company. Vectors: see "How the store's vectors are made" below.
  1. no_company a fresh Python process: load the USE model, open the store (timed), then ``retrieve`` for
                every question with ``company=None`` (the first one is the cold query), then the baseline:
                plain Chroma ``collection.query`` with the question's precomputed vector (no filter, and
                with the ``company`` filter), and the answer path before the LLM (``Answerer``: company
                resolution + named document + retrieve + passage selection; no LLM is built).
  2. company    a second fresh process: open the store again (timed), then ``retrieve`` for every question
                with its company given (the first is the cold query; every company's first query fills the
                store's per-company vector cache), then the same questions again (cache filled).

Every query is split into embedding the question (time inside the USE model's ``embed_query``; the real
default model, ``use-multilingual``) and search (everything else: keyword search, Chroma, fusion).

How the store's vectors are made: embedding 100,000 passages with USE would take ~6 min of the 2 cores
alone, so each chunk's vector is the normalised tf-weighted mean of real USE vectors of its words (jieba
tokens, numbers left out, every distinct word embedded once with the real model) plus Gaussian noise, in
the real model's 512-d space; a sample of chunks is also embedded directly to compare (cosine of the
synthetic vector with the real one, and the spread of both). Query vectors are always the real model's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import BENCH_DIR, CONTENTION_CORES, Json, contention_warning, fmt_n, fmt_s, now, rnd
from ingest import (
    CpuMonitor,
    IdleGate,
    Text,
    company_names,
    machine_info,
    rss_mb,
    run_section,
)
from langchain_core.embeddings import Embeddings

import assistant  # noqa: F401 - sets the offline environment variables before any model library loads
from assistant.chunking import chunk_document
from assistant.normalize import index_text
from assistant.settings import Settings
from assistant.types import Chunk, Document, Page

SEED = 20261129
TARGET_P95_MS = 100.0
STORE_KEY = "use-multilingual"  # the collection of the default embedding space
K = 12  # what the answerer asks retrieve() for (assistant/qa.py)
BASELINE_N = 60  # Chroma neighbours hybrid_search asks for without a company: max(k * 5, 50) with k=12
NOISE = 0.35  # Gaussian noise norm relative to the unit mean-of-words vector (calibrated on the sample)
SECTIONS = ("generate", "no_company", "company")
_NUMERIC = re.compile(r"^[\d.%]+$")


@dataclass(frozen=True)
class Plan:
    quick: bool
    companies: int
    chunks_per_company: int
    questions: int
    real_sample: int  # chunks also embedded directly with USE, to validate the synthetic vectors


def make_plan(quick: bool) -> Plan:
    if quick:
        return Plan(True, 20, 100, 40, 200)
    return Plan(False, 200, 500, 200, 1500)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values), q))


def dist_ms(values_s: list[float]) -> Json:
    ms = [v * 1000 for v in values_s]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": rnd(pct(ms, 50), 1),
        "p95_ms": rnd(pct(ms, 95), 1),
        "max_ms": rnd(max(ms), 1),
        "mean_ms": rnd(statistics.fmean(ms), 1),
    }


# ---------------------------------------------------------------------------------------------
# generated documents
# ---------------------------------------------------------------------------------------------
ZH_DOCS = (
    ("年度报告2023.pdf", "pdf", 0.36),
    ("招股说明书.pdf", "pdf", 0.26),
    ("尽职调查备忘录.docx", "docx", 0.14),
    ("融资新闻.html", "html", 0.10),
    ("财务数据.xlsx", "xlsx", 0.14),
)
EN_DOCS = (
    ("annual_report_2023.pdf", "pdf", 0.36),
    ("prospectus.pdf", "pdf", 0.26),
    ("due_diligence_memo.docx", "docx", 0.14),
    ("funding_news.html", "html", 0.10),
    ("financials.xlsx", "xlsx", 0.14),
)
ZH_SECTIONS = ("第一节 公司简介", "第二节 主要会计数据和财务指标", "第三节 管理层讨论与分析", "第四节 公司治理",
               "第五节 重要事项", "第六节 股份变动及股东情况", "第七节 财务报告")
EN_SECTIONS = ("Item 1. Business", "Item 1A. Risk Factors", "Item 7. Management's Discussion and Analysis",
               "Item 8. Financial Statements", "Item 10. Directors and Governance", "Notes to the Financials")
ZH_CITIES = ("深圳", "苏州", "杭州", "北京", "上海", "成都", "武汉", "合肥")


def legal_name(company: str, lang: str, rng: random.Random) -> str:
    if lang == "zh":
        return f"{rng.choice(ZH_CITIES)}{company}股份有限公司"
    return f"{company} {rng.choice(('Inc.', 'Co., Ltd.', 'Corporation'))}"


def page_text(t: Text, section: str, table_chance: float) -> str:
    """One page: a heading, prose paragraphs, sometimes a captioned Markdown table."""
    zh = t.lang == "zh"
    parts = [section]
    for _ in range(t.r.randint(2, 4)):
        parts.append(t.paragraph(2, 5))
    if t.r.random() < table_chance:
        rows = t.table()
        parts.append("主要财务数据" if zh else "Selected financial data")
        parts.append("单位：万元" if zh else "In thousands of US dollars")
        parts.append("| " + " | ".join(rows[0]) + " |")
        parts.append("|" + "---|" * len(rows[0]))
        parts += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        parts.append(t.paragraph(1, 2))
    return "\n".join(parts)


def sheet_text(t: Text, rows: int) -> str:
    """Spreadsheet rows as the sheet reader writes them: ``列名: 值; …`` per row."""
    r = t.r
    zh = t.lang == "zh"
    head = (["期间", "营业收入", "净利润", "研发投入", "员工人数", "备注"] if zh
            else ["Period", "Revenue", "Net income", "R&D", "Employees", "Note"])
    lines = ["## " + ("财务" if zh else "Financials")]
    for i in range(rows):
        year, quarter = 2010 + i // 4, i % 4 + 1
        values = [f"{year}Q{quarter}", f"{r.uniform(1e5, 9e7):.2f}", f"{r.uniform(-5e6, 2e7):.2f}",
                  f"{r.uniform(1e4, 9e6):.2f}", str(r.randint(20, 3000)), t.sentence() if r.random() < 0.3 else ""]
        lines.append("; ".join(f"{h}: {v}" for h, v in zip(head, values, strict=True) if v))
    return "\n".join(lines)


def company_documents(company: str, lang: str, quota: int, seed: str) -> Iterator[tuple[Document, list[Chunk]]]:
    """The company's documents and their chunks (real chunker), ``quota`` chunks in all."""
    specs = ZH_DOCS if lang == "zh" else EN_DOCS
    sections = ZH_SECTIONS if lang == "zh" else EN_SECTIONS
    left = quota
    for n, (name, kind, share) in enumerate(specs):
        want = left if n == len(specs) - 1 else max(1, round(quota * share))
        left -= want
        t = Text(random.Random(f"{seed}-{name}"), company, lang)
        pages: list[Page] = []
        chunks: list[Chunk] = []
        got = 0
        block = 0
        while got < want:
            if kind == "pdf":
                text = page_text(t, sections[min(block // 3, len(sections) - 1)], 0.35)
                pages.append(Page(number=len(pages) + 1, text=text))
            else:
                if kind == "xlsx":
                    text = sheet_text(t, 24)
                elif kind == "html":
                    text = t.title("news") + "\n" + t.paragraph(3, 6)
                else:
                    text = page_text(t, t.title("memo"), 0.3)
                pages = [Page(number=None, text=(pages[0].text + "\n" if pages else "") + text)]
            block += 1
            doc = Document(path=f"/generated/{company}/{name}", doc=name, company=company,
                           sha256=f"{seed}-{name}-{block}", reader=kind, pages=pages)
            if kind == "pdf":  # pages are chunked independently: add the new page's chunks
                chunks += chunk_document(Document(**{**doc.model_dump(), "pages": pages[-1:]}))
                got = len(chunks)
            else:
                got = len(chunk_document(doc))
        if kind != "pdf":
            chunks = chunk_document(doc)
        yield doc, chunks[:want]


# ---------------------------------------------------------------------------------------------
# vectors
# ---------------------------------------------------------------------------------------------
class WordVectors:
    """Synthetic chunk vectors: the tf-weighted mean of real USE vectors of the chunk's words, plus noise."""

    def __init__(self, model: Embeddings, rng: np.random.Generator, noise: float = NOISE) -> None:
        from assistant.keyword import tokenize

        self.model, self.rng, self.noise, self.tokenize = model, rng, noise, tokenize
        self.index: dict[str, int] = {}
        self.matrix = np.zeros((0, 512), dtype=np.float32)
        self.embed_s = 0.0

    def words(self, text: str) -> Counter[str]:
        return Counter(w for w in self.tokenize(text) if not _NUMERIC.match(w))

    def vectors(self, texts: list[str]) -> np.ndarray:
        bags = [self.words(t) for t in texts]
        new = sorted({w for bag in bags for w in bag} - self.index.keys())
        if new:
            t0 = now()
            got = np.asarray(self.model.embed_documents([index_text(w) for w in new]), dtype=np.float32)
            self.embed_s += now() - t0
            base = len(self.index)
            self.index.update({w: base + i for i, w in enumerate(new)})
            self.matrix = np.vstack([self.matrix, got])
        out = np.zeros((len(texts), self.matrix.shape[1]), dtype=np.float32)
        for row, bag in enumerate(bags):
            if bag:
                ids = [self.index[w] for w in bag]
                weights = np.asarray([1.0 + np.log(c) for c in bag.values()], dtype=np.float32)
                out[row] = weights @ self.matrix[ids]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        out += self.rng.normal(0.0, self.noise / np.sqrt(out.shape[1]), out.shape).astype(np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


class Precomputed(Embeddings):
    """What the store embeds while generating: vectors computed beforehand, looked up by text."""

    def __init__(self) -> None:
        self.table: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.table.pop(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:  # pragma: no cover - never queried while generating
        raise RuntimeError("the generating store is never queried")


def spread(vectors: np.ndarray, rng: np.random.Generator, pairs: int = 20000) -> Json:
    """Cosine between random pairs of vectors (unit rows): how spread out the space is."""
    a = rng.integers(0, len(vectors), pairs)
    b = rng.integers(0, len(vectors), pairs)
    keep = a != b
    cos = np.einsum("ij,ij->i", vectors[a[keep]], vectors[b[keep]])
    return {"mean": rnd(float(cos.mean()), 3), "p5": rnd(float(np.percentile(cos, 5)), 3),
            "p95": rnd(float(np.percentile(cos, 95)), 3)}


def generate_store(path: Path, plan: Plan, out_questions: Path) -> Json:
    """Write the store at ``path`` and the questions to ``out_questions``; what was done, and how long."""
    from assistant.companies import aliases
    from assistant.models.embeddings import USEEmbeddings
    from assistant.store import Store

    settings = Settings()
    t_model = now()
    use = USEEmbeddings(threads=settings.threads)
    model_s = now() - t_model
    rng = random.Random(SEED)
    names = company_names(plan.companies, rng)
    legal = {c: legal_name(c, lang, rng) for c, lang in names}
    words = WordVectors(use, np.random.default_rng(SEED))
    fake = Precomputed()
    t0 = now()
    store = Store(path, fake, STORE_KEY)
    timings = {"chunk_s": 0.0, "vectors_s": 0.0, "write_s": 0.0, "aliases_s": 0.0}
    sample: list[tuple[str, np.ndarray]] = []
    every = max(1, plan.companies * plan.chunks_per_company // plan.real_sample)
    stats: Counter[str] = Counter()
    lengths: list[int] = []
    serial = 0
    for n, (company, lang) in enumerate(names):
        t = now()
        docs = list(company_documents(company, lang, plan.chunks_per_company, f"{SEED}-{company}"))
        timings["chunk_s"] += now() - t
        for doc, chunks in docs:
            t = now()
            vectors = words.vectors([index_text(c.text) for c in chunks])
            for c, v in zip(chunks, vectors, strict=True):
                fake.table[index_text(c.text)] = v.tolist()
                if serial % every == 0:
                    sample.append((index_text(c.text), v))
                serial += 1
            timings["vectors_s"] += now() - t
            t = now()
            store.write_document(doc, chunks)
            timings["write_s"] += now() - t
            stats[f"docs_{doc.reader}"] += 1
            stats["chunks_written"] += len(chunks)
            stats["table_chunks"] += sum(1 for c in chunks if "\n|" in c.text or c.text.startswith("|"))
            lengths += [len(c.text) for c in chunks]
        t = now()
        store.ledger.set_aliases(company, aliases([company, legal[company]]))
        timings["aliases_s"] += now() - t
        if (n + 1) % max(1, plan.companies // 10) == 0:
            print(f"   {n + 1}/{plan.companies} companies, {stats['chunks_written']} chunks, "
                  f"{now() - t0:.0f} s (words embedded {len(words.index)})", flush=True)
    fake.table.clear()
    stored = store.chunk_count()
    wall = now() - t0
    # validation: the sample's synthetic vectors against the real model's vectors of the same texts
    t = now()
    texts = [s[0] for s in sample]
    real = np.asarray(use.embed_documents(texts), dtype=np.float32)
    synth = np.stack([s[1] for s in sample])
    cos = np.einsum("ij,ij->i", real, synth)
    vrng = np.random.default_rng(SEED)
    validation = {
        "sample_chunks": len(sample),
        "embed_s": rnd(now() - t, 1),
        "cos_synthetic_vs_real": {"mean": rnd(float(cos.mean()), 3), "p5": rnd(float(np.percentile(cos, 5)), 3),
                                  "p95": rnd(float(np.percentile(cos, 95)), 3)},
        "pairwise_cos_real": spread(real, vrng),
        "pairwise_cos_synthetic": spread(synth, vrng),
    }
    del store
    gc.collect()
    questions = make_questions(names, legal, plan.questions, random.Random(SEED + 1))
    out_questions.write_text(json.dumps(questions, ensure_ascii=False))
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return {
        "method": "real chunker + Store.write_document; vectors = noisy tf-weighted mean of real USE word vectors",
        "companies": plan.companies,
        "companies_zh": sum(1 for _, lang in names if lang == "zh"),
        "documents": sum(v for k, v in stats.items() if k.startswith("docs_")),
        "documents_by_reader": {k[5:]: v for k, v in sorted(stats.items()) if k.startswith("docs_")},
        "chunks_written": stats["chunks_written"],
        "chunks_in_store": stored,
        "table_chunks": stats["table_chunks"],
        "chunk_chars": {"p5": int(pct(lengths, 5) or 0), "p50": int(pct(lengths, 50) or 0),
                        "p95": int(pct(lengths, 95) or 0)},
        "distinct_words_embedded": len(words.index),
        "word_embed_s": rnd(words.embed_s, 1),
        "noise": NOISE,
        "model_load_s": rnd(model_s, 2),
        "generate_s": rnd(wall, 1),
        "stage_s": {k: rnd(v, 1) for k, v in timings.items()},
        "store_bytes": size,
        "validation": validation,
        "questions": len(questions),
    }


# ---------------------------------------------------------------------------------------------
# questions
# ---------------------------------------------------------------------------------------------
ZH_Q = (
    "{co}{year}年营业收入是多少？", "{co}的研发投入占营业收入的比例是多少？", "{co}拥有多少项发明专利？",
    "{co}完成了哪一轮融资，由谁领投？", "{co}前五大客户销售额占比是多少？", "{co}{year}年末资产负债率是多少？",
    "{co}经营活动产生的现金流量净额是多少？", "{co}的法定代表人是谁？", "{co}员工总数和研发人员各有多少？",
    "{co}应收账款账龄情况如何，坏账准备是否充分？", "{co}在哪些领域投入研发，产品良率如何？",
    "{co}{year}年净利润和毛利是多少？",
)
EN_Q = (
    "What was {co}'s revenue in {year}?", "How much did {co} spend on research and development?",
    "How many patents does {co} hold?", "Who led {co}'s latest funding round?",
    "What share of sales came from {co}'s top five customers?", "What was {co}'s debt-to-asset ratio?",
    "What was {co}'s operating cash flow in {year}?", "How many employees does {co} have?",
    "What was {co}'s gross margin?", "Which industries are {co}'s customers in?",
    "What were {co}'s total assets and equity in FY{year}?",
)


def make_questions(names: list[tuple[str, str]], legal: dict[str, str], count: int,
                   rng: random.Random) -> list[Json]:
    """Half Chinese, half English; ~70% name their company (short, legal or Traditional-script name);
    the rest do not (the company is then only known when the caller gives it)."""
    from assistant.companies import _s2t  # Traditional-script form, as a user in Hong Kong/Taiwan writes it

    out: list[Json] = []
    by_lang = {lang: [c for c, ln in names if ln == lang] for lang in ("zh", "en")}
    for i in range(count):
        lang = "zh" if i % 2 == 0 else "en"
        company = rng.choice(by_lang[lang] or [c for c, _ in names])
        template = rng.choice(ZH_Q if lang == "zh" else EN_Q)
        roll = rng.random()
        if roll < 0.3:
            who, named = ("公司" if lang == "zh" else "the company"), False
        elif roll < 0.45:
            who, named = legal[company], True
        elif roll < 0.55 and lang == "zh":
            who, named = _s2t(company), True
        else:
            who, named = company, True
        text = template.format(co=who, year=rng.choice((2022, 2023, 2024)))
        out.append({"question": text[0].upper() + text[1:], "company": company, "lang": lang, "named": named})
    return out


# ---------------------------------------------------------------------------------------------
# measuring (in a fresh process)
# ---------------------------------------------------------------------------------------------
class Meter:
    """Times the store's calls that ``hybrid_search`` makes, by shadowing them on the instances."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.t: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._undo: list[Callable[[], None]] = []

    def _wrap(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = now()
            try:
                return original(*args, **kwargs)
            finally:
                self.t[label] += now() - t0
                self.calls[label] += 1

        setattr(owner, attr, timed)
        self._undo.append(lambda: delattr(owner, attr))

    def __enter__(self) -> Meter:
        self._wrap(self.store.embeddings, "embed_query", "embed")
        self._wrap(self.store.ledger, "keyword_search", "keyword")
        self._wrap(self.store, "company_chunks", "company_chunks")
        self._wrap(self.store, "query", "chroma_query")  # includes a second embed_query (see notes)
        self._wrap(self.store, "chunks_with_vectors", "chunks_with_vectors")
        return self

    def __exit__(self, *exc: object) -> None:
        for undo in reversed(self._undo):
            undo()

    def reset(self) -> None:
        self.t.clear()
        self.calls.clear()


def timed_queries(meter: Meter, fn: Callable[[Json], Any], questions: list[Json]) -> Json:
    """Run ``fn`` per question; per-query total, embed and search times, and the stage sums."""
    totals, embeds, searches = [], [], []
    stages: Counter[str] = Counter()
    embed_calls = 0
    results: list[Any] = []
    mon = CpuMonitor()
    load0 = os.getloadavg()
    for q in questions:
        meter.reset()
        t0 = now()
        results.append(fn(q))
        total = now() - t0
        embed = meter.t["embed"]
        totals.append(total)
        embeds.append(embed)
        searches.append(total - embed)
        stages.update(meter.t)
        embed_calls += meter.calls["embed"]
    return {
        "total": dist_ms(totals),
        "embed": dist_ms(embeds),
        "search": dist_ms(searches),
        "embed_share": rnd(sum(embeds) / sum(totals), 3) if sum(totals) else None,
        "embed_calls_per_query": rnd(embed_calls / max(1, len(questions)), 2),
        "stage_mean_ms": {k: rnd(1000 * v / len(questions), 2) for k, v in sorted(stages.items())},
        "other_cores_during": mon.other_cores(),
        "loadavg": [round(x, 2) for x in load0],
        "_results": results,
        "_totals_ms": [round(1000 * x, 2) for x in totals],
    }


def strip(run: Json) -> Json:
    return {k: v for k, v in run.items() if not k.startswith("_")}


def measure(mode: str, store_dir: Path, questions: list[Json], profile: Path | None) -> Json:
    from assistant.models.embeddings import USEEmbeddings
    from assistant.qa import Answerer
    from assistant.retrieve import retrieve, select_passages
    from assistant.store import Store

    settings = Settings(store=store_dir)
    out: Json = {"mode": mode, "rss_start_mb": round(rss_mb(), 1)}
    t0 = now()
    use = USEEmbeddings(threads=settings.threads)
    out["model_load_s"] = rnd(now() - t0, 2)
    t0 = now()
    store = Store(store_dir, use, STORE_KEY)
    out["store_open_s"] = rnd(now() - t0, 3)
    out["chunks_in_store"] = store.chunk_count()
    out["rss_after_open_mb"] = round(rss_mb(), 1)
    company = mode == "company"

    def run(q: Json) -> list[Any]:
        return retrieve(store, q["question"], q["company"] if company else None, K, settings.min_relevance)

    with Meter(store) as meter:
        cold = timed_queries(meter, run, questions[:1])
        out["cold"] = strip(cold)
        rest = questions[1:]
        if company:  # split the first pass by whether the company's vectors were cached already
            seen = {questions[0]["company"]}
            first = timed_queries(meter, run, rest)
            miss = [i for i, q in enumerate(rest) if q["company"] not in seen and not seen.add(q["company"])]
            hit = [i for i in range(len(rest)) if i not in set(miss)]
            totals = first["_totals_ms"]
            out["pass1"] = strip(first)
            out["pass1_cache_miss"] = dist_ms([totals[i] / 1000 for i in miss])
            out["pass1_cache_hit"] = dist_ms([totals[i] / 1000 for i in hit])
            warm = timed_queries(meter, run, questions)
            out["warm"] = strip(warm)
            out["rss_after_cache_mb"] = round(rss_mb(), 1)
            found = warm["_results"]
        else:
            warm = timed_queries(meter, run, rest)
            out["warm"] = strip(warm)
            found = warm["_results"]
        out["answered_fraction"] = rnd(sum(1 for f in found if f) / max(1, len(found)), 3)
        tops = [max(e.score for e in f) for f in found if f]
        out["top_score"] = {"p50": rnd(pct(tops, 50), 3), "p5": rnd(pct(tops, 5), 3)} if tops else None
        out["warm_by_kind"] = {
            f"{lang}_{'named' if named else 'unnamed'}": dist_ms(
                [t / 1000 for t, q in zip(warm["_totals_ms"], questions if company else rest, strict=True)
                 if q["lang"] == lang and q["named"] == named])
            for lang in ("zh", "en") for named in (True, False)
        }

        if profile is not None:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            for q in questions:
                run(q)
            prof.disable()
            stream = profile.open("w")
            pstats.Stats(prof, stream=stream).sort_stats("cumulative").print_stats(40)
            stream.close()

        if not company:
            # baseline: plain Chroma nearest neighbours with the question's vector precomputed (no embedding)
            vectors = [use.embed_query(index_text(q["question"])) for q in questions]
            include: Any = ["documents", "metadatas", "distances"]

            def chroma(where: bool) -> Callable[[Json], Any]:
                def go(q: Json) -> Any:
                    return store.collection.query(
                        query_embeddings=[q["_vec"]], n_results=BASELINE_N,
                        where={"company": q["company"]} if where else None, include=include)
                return go

            qs = [{**q, "_vec": v} for q, v in zip(questions, vectors, strict=True)]
            out["baseline_chroma"] = strip(timed_queries(meter, chroma(False), qs))
            out["baseline_chroma_company"] = strip(timed_queries(meter, chroma(True), qs))
            out["embed_only"] = dist_ms(_times(lambda q: use.embed_query(index_text(q["question"])), questions))

            # the answerer's path before the LLM: company from the question, named document, retrieve, select
            def no_llm() -> Any:
                raise RuntimeError("the benchmark never calls the LLM")

            answerer = Answerer(store, no_llm, settings, "none")

            def answer_path(q: Json) -> Any:
                resolved = answerer.resolve_company(q["question"], None)
                from assistant.retrieve import named_document

                named = named_document(store, q["question"], resolved)
                found = retrieve(store, q["question"], resolved, K, settings.min_relevance, doc=named)
                return resolved, select_passages(found, settings.top_k, settings.prompt_token_budget)

            path = timed_queries(meter, answer_path, questions)
            expected = [q["company"] if q["named"] else None for q in questions]
            resolved_ok = sum(1 for (r, _), e in zip(path["_results"], expected, strict=True) if r == e)
            out["answer_path"] = strip(path)
            out["answer_path"]["company_resolved_as_expected"] = rnd(resolved_ok / len(questions), 3)
            out["answer_path"]["resolve_mean_ms"] = rnd(statistics.fmean(
                _times(lambda q: answerer.resolve_company(q["question"], None), questions)) * 1000, 2)
    out["rss_end_mb"] = round(rss_mb(), 1)
    return out


def _times(fn: Callable[[Json], Any], items: list[Json]) -> list[float]:
    out = []
    for item in items:
        t0 = now()
        fn(item)
        out.append(now() - t0)
    return out


def run_measure(mode: str, store_dir: Path, questions_file: Path, profile: Path | None) -> Json:
    """``measure`` in a fresh Python process (a truly cold store open and first query)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out_file = Path(fh.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", mode, "--store-dir", str(store_dir),
           "--questions-file", str(questions_file), "--result-file", str(out_file)]
    if profile is not None:
        cmd += ["--profile-file", str(profile)]
    try:
        subprocess.run(cmd, check=True)
        result: Json = json.loads(out_file.read_text())
        return result
    finally:
        out_file.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def _d(d: Json | None) -> str:
    if not d or not d.get("n"):
        return "–"
    return f"{fmt_n(d['p50_ms'])} / {fmt_n(d['p95_ms'])} / {fmt_n(d['max_ms'])}"


def verdict(p95: float | None) -> str:
    if p95 is None:
        return "not measured"
    return "meets" if p95 <= TARGET_P95_MS else "**misses**"


def render_markdown(res: Json) -> str:
    m = res["machine"]
    lines = [
        f"# Retrieval benchmark — {res['date']}{' (quick smoke run)' if res['quick'] else ''}",
        "",
        f"Machine: {m['nproc']} cores (`nproc`), {m['cpu_model']}, {m['memory_gib']} GiB RAM, no GPU; "
        f"Python {m['python']}; {m['platform']}.  ",
        f"Load average at start {m['loadavg_start']}, at end {m.get('loadavg_end')} "
        "(other work on the machine can disturb the figures).  ",
        f"Total benchmark wall time: {fmt_s(res.get('total_s'))}, of which {res['idle_wait']['spent_s']} s "
        f"waiting for other processes to leave the CPU (budget {res['idle_wait']['budget_s']:.0f} s).",
        "",
        *contention_warning(res),
        f"Target: retrieval alone (no LLM) ≤ {TARGET_P95_MS:.0f} ms p95 with 100,000 chunks in the store. "
        "Latencies are p50 / p95 / max in ms over the questions; \"total\" is one `retrieve(...)` call "
        "(embed the question + keyword search + dense search + fusion), \"embed\" the time inside the USE "
        "model, \"search\" the rest.",
        "",
        "## Summary",
        "",
        "| # | Measure | Result (p50 / p95 / max ms) | Notes |",
        "|---|---|---|---|",
    ]

    def row(n: str, measure: str, result: str, notes: str = "") -> None:
        lines.append(f"| {n} | {measure} | {result} | {notes} |")

    g = res.get("store")
    if g and "error" not in g:
        v = g["validation"]
        row("0", "generated store", f"{g['chunks_in_store']:,} chunks",
            f"{g['companies']} companies ({g['companies_zh']} zh), {g['documents']} documents "
            f"({', '.join(f'{n} {k}' for k, n in g['documents_by_reader'].items())}), {g['table_chunks']:,} table "
            f"chunks, chunk chars p5/p50/p95 {g['chunk_chars']['p5']}/{g['chunk_chars']['p50']}/"
            f"{g['chunk_chars']['p95']}; {g['store_bytes'] / 1e6:.0f} MB on disk; generated in "
            f"{fmt_s(g['generate_s'])} (chunking {g['stage_s']['chunk_s']} s, vectors {g['stage_s']['vectors_s']} s "
            f"incl. {g['distinct_words_embedded']:,} words embedded by USE in {g['word_embed_s']} s, "
            f"Store.write_document {g['stage_s']['write_s']} s)")
        row("0", "synthetic vs real vectors", f"cos {v['cos_synthetic_vs_real']['mean']}",
            f"{v['sample_chunks']} sampled chunks embedded by USE: cosine(synthetic, real) mean "
            f"{v['cos_synthetic_vs_real']['mean']} (p5 {v['cos_synthetic_vs_real']['p5']}); random-pair cosine "
            f"real {v['pairwise_cos_real']['mean']} (p5–p95 {v['pairwise_cos_real']['p5']}–"
            f"{v['pairwise_cos_real']['p95']}) vs synthetic {v['pairwise_cos_synthetic']['mean']} "
            f"({v['pairwise_cos_synthetic']['p5']}–{v['pairwise_cos_synthetic']['p95']})")
    elif g:
        row("0", "generated store", f"error: {g['error'][:200]}")
    a, b = res.get("no_company"), res.get("company")
    for n, run, label in (("1", a, "no company"), ("2", b, "company given")):
        if not run or "error" in run:
            row(n, label, "not run" if not run else f"error: {run['error'][:200]}")
            continue
        row(n, f"{label}: Store open", f"{run['store_open_s'] * 1000:.0f} ms",
            f"fresh process, USE already loaded ({run['model_load_s']} s); {run['chunks_in_store']:,} chunks")
        c = run["cold"]
        row(n, f"{label}: cold first query (total)", _d(c["total"]),
            f"embed {_d(c['embed'])}; search {_d(c['search'])}; stages {c['stage_mean_ms']}")
        if "pass1" in run:
            p = run["pass1"]
            row(n, f"{label}: first pass (total)", _d(p["total"]),
                f"{verdict(p['total'].get('p95_ms'))} the target; company's first query "
                f"(vector cache fill) {_d(run['pass1_cache_miss'])}, later {_d(run['pass1_cache_hit'])}")
        w = run["warm"]
        row(n, f"{label}: warm (total)", _d(w["total"]),
            f"**{verdict(w['total'].get('p95_ms'))} the ≤{TARGET_P95_MS:.0f} ms p95 target**; "
            f"{w['total']['n']} questions")
        row(n, f"{label}: warm embed / search", f"{_d(w['embed'])} ‖ {_d(w['search'])}",
            f"embed share {fmt_n((w['embed_share'] or 0) * 100, 0)}%, {w['embed_calls_per_query']} "
            f"embed calls/query; mean ms per stage {w['stage_mean_ms']}; other cores {w['other_cores_during']}")
        row(n, f"{label}: results", f"{fmt_n(run['answered_fraction'] * 100, 0)}% non-empty",
            f"top cosine p50 {run['top_score']['p50'] if run['top_score'] else '–'}; warm by kind: "
            + "; ".join(f"{k} {_d(d)}" for k, d in run["warm_by_kind"].items() if d.get("n")))
        if "rss_after_cache_mb" in run:
            row(n, f"{label}: memory", f"{fmt_n(run['rss_after_cache_mb'], 0)} MB",
                f"RSS after open {fmt_n(run['rss_after_open_mb'], 0)} MB; the per-company vector cache holds "
                "every company asked about")
    if a and "error" not in a and "baseline_chroma" in a:
        base, basec = a["baseline_chroma"]["total"], a["baseline_chroma_company"]["total"]
        emb = a["embed_only"]
        row("3", f"baseline: Chroma `collection.query` n={BASELINE_N}, vector given", _d(base),
            f"company filter: {_d(basec)}")
        row("3", "baseline: USE `embed_query` alone", _d(emb), "")
        for label, run in (("no company", a), ("company given", b)):
            if not run or "error" in run:
                continue
            w = run["warm"]
            ref = basec if label == "company given" else base
            ratio_total = (w["total"]["p95_ms"] / (emb["p95_ms"] + ref["p95_ms"])) if ref.get("n") else None
            ratio_search = w["search"]["p95_ms"] / ref["p95_ms"] if ref.get("n") else None
            row("3", f"ours / baseline, {label} (p95)",
                f"{fmt_n(ratio_total, 2)}× total; {fmt_n(ratio_search, 2)}× search",
                "total vs (embed alone + Chroma query alone); search = ours without embedding vs Chroma "
                "query alone" + (" with the company filter" if label == "company given" else ""))
        p = a["answer_path"]
        row("4", "answer path before the LLM (no company given)", _d(p["total"]),
            f"company resolution (mean {p['resolve_mean_ms']} ms) + named document + retrieve + passage "
            f"selection; company resolved as expected for {fmt_n(p['company_resolved_as_expected'] * 100, 0)}% "
            "of questions")
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
        lines.append(f"| {key} | {meta['seconds']} | {meta['waited_for_idle_s']} | {meta['other_cores_during']}{flag} |")
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in res["notes"]]
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run (2,000 chunks, 40 questions)")
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR / "results", help="where results are written")
    parser.add_argument("--keep-store", type=Path, default=None, metavar="DIR",
                        help="generate the store into DIR and keep it (reused when it already holds one)")
    parser.add_argument("--profile", action="store_true",
                        help="also write cProfile output of the warm passes next to the results")
    parser.add_argument("--wait-idle", type=float, default=120.0, metavar="S",
                        help="before each section wait for other processes to leave the CPU, at most S seconds "
                        "in all (default 120; 0: never wait)")
    parser.add_argument("--measure", choices=("no_company", "company"), help=argparse.SUPPRESS)
    parser.add_argument("--store-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:  # the child process
        questions = json.loads(args.questions_file.read_text())
        result = measure(args.measure, args.store_dir, questions, args.profile_file)
        args.result_file.write_text(json.dumps(result, ensure_ascii=False))
        return 0

    plan = make_plan(args.quick)
    started = now()
    gate = IdleGate(args.wait_idle)
    res: Json = {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": plan.quick,
        "machine": machine_info(),
        "plan": {"companies": plan.companies, "chunks_per_company": plan.chunks_per_company,
                 "questions": plan.questions, "k": K, "min_relevance": Settings().min_relevance,
                 "embedding_threads": Settings().threads, "real_sample": plan.real_sample},
        "sections": {},
        "notes": [
            "Store generation: texts are generated company prose (Chinese and English, the ingestion benchmark's "
            "sentence templates), captioned Markdown tables and spreadsheet rows, cut by the real chunker "
            "(`chunk_document`, 360 units) and written through the real `Store.write_document` (Chroma upsert "
            "with HNSW, ledger sources, FTS5 keyword rows over jieba tokens) and `Ledger.set_aliases` (aliases "
            "from `assistant.companies.aliases` of the short and legal names). Only the vectors are not the "
            "model's own: each is the normalised tf-weighted mean of real USE vectors of the chunk's jieba words "
            f"(numbers left out) plus Gaussian noise of norm ~{NOISE}, in the real 512-d space of the "
            "`use-multilingual` collection. Question vectors are always the real model's.",
            "Each measuring section runs in a fresh Python process: the USE model is loaded first (its load "
            "time is shown apart), then `Store(...)` is timed, then the first query (cold: Chroma loads the "
            "HNSW index / segment, SQLite pages are read, jieba's cache is warm from the open). The OS file "
            "cache is warm (the store was just written); a store read from a cold disk opens slower.",
            "`retrieve` is called as the answerer calls it: k=12 and the default relevance floor. With a "
            "company, `hybrid_search` scores every chunk of that company exactly (Store.company_chunks, cached "
            "per company until its documents change); without, it pools Chroma's 60 nearest neighbours and the "
            "keyword index's best 60.",
            "\"embed\" is time inside `embed_query` of the USE model. Without a company `hybrid_search` embeds "
            "the question twice (once itself, once inside `Store.query`); both are counted as embed.",
            "Baselines run in the same process as the no-company section, after it, on the same store.",
        ],
    }
    print(f"machine: {res['machine']}", flush=True)
    with temp_dir("retrieval-bench-") as work:
        base = args.keep_store or work
        store_dir, qfile, gfile = base / "store", base / "questions.json", base / "generate.json"
        if args.keep_store and gfile.exists() and qfile.exists():
            res["store"] = {**json.loads(gfile.read_text()), "reused_from": str(base)}
            print(f"reusing the store at {store_dir} (generated by an earlier run)", flush=True)
        else:
            shutil.rmtree(store_dir, ignore_errors=True)
            run_section(res, "generate", f"0. generate {plan.companies * plan.chunks_per_company:,} chunks",
                        lambda: generate_store(store_dir, plan, qfile), gate)
            res["store"] = res.pop("generate")
            if args.keep_store and "error" not in res["store"]:
                gfile.write_text(json.dumps(res["store"], ensure_ascii=False))
        if "error" not in res["store"]:
            stem = f"retrieval_{res['date']}{'_quick' if plan.quick else ''}"
            for key, title in (("no_company", "1. retrieve, no company"), ("company", "2. retrieve, company given")):
                prof = args.out_dir / f"{stem}_{key}.prof.txt" if args.profile else None
                run_section(res, key, title, lambda key=key, prof=prof: run_measure(key, store_dir, qfile, prof),
                            gate)
    res["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["total_s"] = rnd(now() - started, 1)
    res["idle_wait"] = {"budget_s": gate.budget_s, "spent_s": rnd(gate.spent_s, 1)}
    markdown = render_markdown(res)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"retrieval_{res['date']}{'_quick' if plan.quick else ''}"
    json_path, md_path = args.out_dir / f"{stem}.json", args.out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
    md_path.write_text(markdown)
    print("\n" + markdown)
    print(f"wrote {json_path}\nwrote {md_path}")
    failed = [k for k in ("store", "no_company", "company") if isinstance(res.get(k), dict) and res[k].get("error")]
    if failed:
        print(f"sections with errors: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
