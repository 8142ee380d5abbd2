#!/usr/bin/env python
"""Retrieval benchmark: latency of ``assistant.answer.retrieve.retrieve`` (dense + FTS5 keyword + RRF, no LLM)
over a generated store of 100,000 chunks.

Target (issue 4): retrieval alone answers in ≤ 100 ms p95 with 100,000 chunks in the store.

Runs on the target machine (2 cores, no GPU) and writes ``benchmarks/results/retrieval_<YYYY-MM-DD>.json``
and ``.md``.

    .venv/bin/python benchmarks/retrieval.py            # full run: 200 companies × 500 chunks (~10 min)
    .venv/bin/python benchmarks/retrieval.py --quick    # smoke run (~15 s): 4 companies × 25 chunks, 8 questions,
                                                        # every section; prints the report, writes nothing

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
alone, so a linear model of USE (ridge regression from jieba-word features onto real USE vectors) is fitted
on a random sample of the chunks embedded by the real model, checked on a held-out sample, and its
predictions plus calibrated noise are stored in the real model's 512-d collection. Query vectors are always
the real model's.
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
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    CONTENTION_CORES,
    OUT_HELP,
    QUICK_HELP,
    CpuMonitor,
    IdleGate,
    Json,
    fmt_n,
    fmt_s,
    idle_budget,
    machine_info,
    now,
    print_unwritten,
    quick_failures,
    report_head,
    results_dir,
    rnd,
    rss_mb,
    run_section,
)
from ingest import Text, company_names
from langchain_core.embeddings import Embeddings

import assistant  # noqa: F401 - sets the offline environment variables before any model library loads
from assistant.core.records import Chunk, Document, Page
from assistant.core.settings import Settings
from assistant.ingest.chunking import chunk_document
from assistant.text.normalize import embedding_text

SEED = 20261129
TARGET_P95_MS = 100.0
STORE_KEY = "use-multilingual"  # the collection of the default embedding space
K = 12  # what the answerer asks retrieve() for (assistant/answer/answerer.py)
BASELINE_N = 60  # Chroma neighbours hybrid_search asks for without a company: max(k * 5, 50) with k=12
SECTIONS = ("generate", "no_company", "company", "company_before")
_NUMERIC = re.compile(r"^[\d.%]+$")


@dataclass(frozen=True)
class Plan:
    quick: bool
    companies: int
    chunks_per_company: int
    questions: int
    real_sample: int  # chunks embedded by USE to fit the vector model (and a fifth more to validate it)


def make_plan(quick: bool) -> Plan:
    if quick:  # the same sections and processes on a tiny store (the real USE model: it loads in ~1 s)
        return Plan(True, 4, 25, 8, 40)
    return Plan(False, 200, 500, 200, 6000)


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
ZH_SECTIONS = (
    "第一节 公司简介",
    "第二节 主要会计数据和财务指标",
    "第三节 管理层讨论与分析",
    "第四节 公司治理",
    "第五节 重要事项",
    "第六节 股份变动及股东情况",
    "第七节 财务报告",
)
EN_SECTIONS = (
    "Item 1. Business",
    "Item 1A. Risk Factors",
    "Item 7. Management's Discussion and Analysis",
    "Item 8. Financial Statements",
    "Item 10. Directors and Governance",
    "Notes to the Financials",
)
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
    head = (
        ["期间", "营业收入", "净利润", "研发投入", "员工人数", "备注"]
        if zh
        else ["Period", "Revenue", "Net income", "R&D", "Employees", "Note"]
    )
    lines = ["## " + ("财务" if zh else "Financials")]
    for i in range(rows):
        year, quarter = 2010 + i // 4, i % 4 + 1
        values = [
            f"{year}Q{quarter}",
            f"{r.uniform(1e5, 9e7):.2f}",
            f"{r.uniform(-5e6, 2e7):.2f}",
            f"{r.uniform(1e4, 9e6):.2f}",
            str(r.randint(20, 3000)),
            t.sentence() if r.random() < 0.3 else "",
        ]
        lines.append("; ".join(f"{h}: {v}" for h, v in zip(head, values, strict=True) if v))
    return "\n".join(lines)


def company_documents(
    company: str, lang: str, quota: int, seed: str
) -> Iterator[tuple[Document, list[Chunk]]]:
    """The company's documents and their chunks (real chunker): ``quota`` distinct chunks in all (a passage
    repeated within a company, e.g. a caption, has one chunk id and is stored once, so repeats don't count)."""
    specs = ZH_DOCS if lang == "zh" else EN_DOCS
    sections = ZH_SECTIONS if lang == "zh" else EN_SECTIONS
    left = quota
    seen: set[str] = set()
    for n, (name, kind, share) in enumerate(specs):
        want = left if n == len(specs) - 1 else max(1, round(quota * share))
        left -= want
        t = Text(random.Random(f"{seed}-{name}"), company, lang)
        pages: list[Page] = []
        chunks: list[Chunk] = []
        block = 0
        while len(chunks) < want:
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
            doc = Document(
                path=f"/generated/{company}/{name}",
                doc=name,
                company=company,
                sha256=f"{seed}-{name}-{block}",
                reader=kind,
                pages=pages,
            )
            if kind == "pdf":  # pages are chunked independently: add the new page's chunks
                fresh = chunk_document(doc.model_copy(update={"pages": pages[-1:]}))
                chunks += [c for c in fresh if c.chunk_id not in seen and not seen.add(c.chunk_id)]
            else:
                chunks = [c for c in chunk_document(doc) if c.chunk_id not in seen]
        chunks = chunks[:want]
        seen |= {c.chunk_id for c in chunks}
        yield doc, chunks


# ---------------------------------------------------------------------------------------------
# vectors
# ---------------------------------------------------------------------------------------------
class LinearUSE:
    """A linear model of the USE encoder over bags of jieba words, fitted on real USE vectors.

    Features: (1 + log tf) · idf of every word seen at least twice in the training texts, rows L2-normalised,
    plus a constant; ridge regression onto the real 512-d vectors (dual form, λ chosen on held-out texts).
    Predictions are normalised, then isotropic Gaussian noise is added so that random pairs of synthetic
    vectors are as far apart on average as random pairs of real ones (the regression alone is smoother)."""

    def __init__(self, tokenize: Callable[[str], list[str]]) -> None:
        self.tokenize = tokenize
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.weights = np.zeros((0, 512), dtype=np.float32)
        self.noise = 0.0

    def bag(self, text: str) -> Counter[str]:
        return Counter(w for w in self.tokenize(text) if not _NUMERIC.match(w) or len(w) == 4)

    def features(self, bags: list[Counter[str]]) -> Any:
        from scipy import sparse

        rows, cols, vals = [], [], []
        for r, bag in enumerate(bags):
            for w, c in bag.items():
                j = self.vocab.get(w)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
                    vals.append((1.0 + np.log(c)) * self.idf[j])
        x = sparse.csr_matrix((vals, (rows, cols)), shape=(len(bags), len(self.vocab)), dtype=np.float32)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        x = sparse.diags(1.0 / np.maximum(norms, 1e-9)) @ x
        return sparse.hstack([x, np.ones((len(bags), 1), dtype=np.float32)]).tocsr()

    def fit(
        self,
        bags: list[Counter[str]],
        real: np.ndarray,
        held_bags: list[Counter[str]],
        held: np.ndarray,
        rng: np.random.Generator,
    ) -> Json:
        df = Counter(w for bag in bags for w in bag)
        words = sorted(w for w, n in df.items() if n >= 2)
        self.vocab = {w: i for i, w in enumerate(words)}
        self.idf = np.asarray([np.log(len(bags) / df[w]) + 1.0 for w in words], dtype=np.float32)
        x = self.features(bags)
        xh = self.features(held_bags)
        primal = x.shape[1] < x.shape[0]  # solve in the smaller of the word space and the sample space
        gram = (x.T @ x if primal else x @ x.T).toarray()
        rhs = np.asarray(x.T @ real) if primal else real
        best: tuple[float, float, np.ndarray] | None = None
        tried = {}
        for lam in (0.03, 0.1, 0.3, 1.0):
            sol = np.linalg.solve(gram + lam * np.eye(len(gram), dtype=np.float32), rhs)
            w = np.asarray(sol if primal else x.T @ sol, dtype=np.float32)
            pred = _unit(np.asarray(xh @ w))
            cos = float(np.einsum("ij,ij->i", pred, held).mean())
            tried[lam] = round(cos, 3)
            if best is None or cos > best[0]:
                best = (cos, lam, w)
        assert best is not None
        self.weights = best[2]
        # noise: cos' ≈ cos / (1 + ε²) for unit vectors with isotropic noise of norm ε added and renormalised
        smooth = spread(_unit(np.asarray(xh @ self.weights)), rng)["mean"] or 0.0
        target = spread(held, rng)["mean"] or 0.0
        self.noise = float(np.sqrt(max(0.0, smooth / target - 1.0))) if target > 0 else 0.0
        return {
            "vocabulary": len(words),
            "lambda": best[1],
            "held_out_cos_by_lambda": tried,
            "noise_norm": round(self.noise, 3),
        }

    def predict(self, bags: list[Counter[str]], rng: np.random.Generator) -> np.ndarray:
        out = _unit(np.asarray(self.features(bags) @ self.weights))
        out += rng.normal(0.0, self.noise / np.sqrt(out.shape[1]), out.shape).astype(np.float32)
        return _unit(out)


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)


class Precomputed(Embeddings):
    """What the store embeds while generating: vectors computed beforehand, looked up by the text the store
    hands its embeddings (``embedding_text`` of the chunk: table rows without their Markdown bars)."""

    def __init__(self) -> None:
        self.table: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self.table]
        if missing:
            raise KeyError(
                f"no precomputed vector for {len(missing)} of {len(texts)} texts, first: {missing[0][:200]!r}"
            )
        out = [self.table[t] for t in texts]
        for t in set(texts):  # two chunks can share an embedding text: drop each vector once all are read
            del self.table[t]
        return out

    def embed_query(self, text: str) -> list[float]:  # pragma: no cover - never queried while generating
        raise RuntimeError("the generating store is never queried")


def spread(vectors: np.ndarray, rng: np.random.Generator, pairs: int = 20000) -> Json:
    """Cosine between random pairs of vectors (unit rows): how spread out the space is."""
    a = rng.integers(0, len(vectors), pairs)
    b = rng.integers(0, len(vectors), pairs)
    keep = a != b
    cos = np.einsum("ij,ij->i", vectors[a[keep]], vectors[b[keep]])
    return {
        "mean": rnd(float(cos.mean()), 3),
        "p5": rnd(float(np.percentile(cos, 5)), 3),
        "p95": rnd(float(np.percentile(cos, 95)), 3),
    }


def cos_summary(a: np.ndarray, b: np.ndarray) -> Json:
    cos = np.einsum("ij,ij->i", a, b)
    return {
        "mean": rnd(float(cos.mean()), 3),
        "p5": rnd(float(np.percentile(cos, 5)), 3),
        "p95": rnd(float(np.percentile(cos, 95)), 3),
    }


@contextmanager
def memo_tokenize(module: Any) -> Iterator[Callable[[str], list[str]]]:
    """``module.tokenize`` memoised while generating: the vectors and the store's keyword rows need the same
    jieba tokens of the same texts, so each text is segmented once (same function, same output)."""
    original = module.tokenize
    cache: dict[str, list[str]] = {}

    def cached(text: str) -> list[str]:
        got = cache.get(text)
        if got is None:
            got = cache[text] = original(text)
        return list(got)

    module.tokenize = cached
    try:
        yield cached
    finally:
        module.tokenize = original
        cache.clear()


def generate_store(path: Path, plan: Plan, out_questions: Path) -> Json:
    """Write the store at ``path`` and the questions to ``out_questions``; what was done, and how long."""
    import assistant.store.index as store_module
    from assistant.ingest.companies import aliases
    from assistant.models.embeddings import USEEmbeddings
    from assistant.store.index import Store

    settings = Settings()
    t_model = now()
    use = USEEmbeddings(threads=settings.threads)
    model_s = now() - t_model
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    names = company_names(plan.companies, rng)
    legal = {c: legal_name(c, lang, rng) for c, lang in names}
    timings: dict[str, float] = {}
    t0 = now()

    t = now()
    docs: list[tuple[Document, list[Chunk]]] = []
    for n, (company, lang) in enumerate(names):
        docs += company_documents(company, lang, plan.chunks_per_company, f"{SEED}-{company}")
        if (n + 1) % max(1, plan.companies // 5) == 0:
            print(f"   texts: {n + 1}/{plan.companies} companies ({now() - t0:.0f} s)", flush=True)
    chunks = [c for _, cs in docs for c in cs]
    timings["texts_and_chunking_s"] = now() - t

    with memo_tokenize(store_module) as tokenize:
        t = now()
        model = LinearUSE(tokenize)
        bags = [model.bag(c.text) for c in chunks]
        timings["tokenize_s"] = now() - t
        print(f"   tokenized {len(chunks):,} chunks ({now() - t0:.0f} s)", flush=True)

        t = now()
        picks = nrng.permutation(len(chunks))
        train, held = (
            picks[: plan.real_sample],
            picks[plan.real_sample : plan.real_sample + plan.real_sample // 5],
        )
        # the real model reads what the store would give it: the chunk's embedding text
        real_train = np.asarray(
            use.embed_documents([embedding_text(chunks[i].text) for i in train]), dtype=np.float32
        )
        real_held = np.asarray(
            use.embed_documents([embedding_text(chunks[i].text) for i in held]), dtype=np.float32
        )
        timings["real_embed_s"] = now() - t
        print(
            f"   embedded {len(train) + len(held):,} sampled chunks with USE ({now() - t0:.0f} s)", flush=True
        )
        t = now()
        fit = model.fit([bags[i] for i in train], real_train, [bags[i] for i in held], real_held, nrng)
        vectors = model.predict(bags, nrng)
        timings["fit_predict_s"] = now() - t
        synth_held = vectors[held]
        validation = {
            "train_chunks": len(train),
            "held_out_chunks": len(held),
            **fit,
            "cos_synthetic_vs_real_held_out": cos_summary(synth_held, real_held),
            "cos_synthetic_vs_real_train": cos_summary(vectors[train], real_train),
            "pairwise_cos_real": spread(real_held, nrng),
            "pairwise_cos_synthetic": spread(synth_held, nrng),
        }
        print(f"   fitted: {fit}; held-out cos {validation['cos_synthetic_vs_real_held_out']}", flush=True)
        del bags

        t = now()
        fake = Precomputed()
        store = Store(path, fake, STORE_KEY)
        stats: Counter[str] = Counter()
        row = 0
        per_company: dict[str, int] = Counter()
        for doc, cs in docs:
            for c in cs:
                fake.table[embedding_text(c.text)] = vectors[
                    row
                ].tolist()  # the key Store.write_documents embeds
                row += 1
            store.write_document(doc, cs)
            stats[f"docs_{doc.reader}"] += 1
            per_company[doc.company] += 1
            if per_company[doc.company] == len(ZH_DOCS):
                store.ledger.set_aliases(doc.company, aliases([doc.company, legal[doc.company]]))
                done = len([c for c, k in per_company.items() if k == len(ZH_DOCS)])
                if done % max(1, plan.companies // 10) == 0:
                    print(
                        f"   written {done}/{plan.companies} companies, {row:,} chunks ({now() - t0:.0f} s)",
                        flush=True,
                    )
        timings["write_s"] = now() - t
        fake.table.clear()
        stored = store.chunk_count()
    wall = now() - t0
    del store
    gc.collect()
    questions = make_questions(names, legal, plan.questions, random.Random(SEED + 1))
    out_questions.write_text(json.dumps(questions, ensure_ascii=False))
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    lengths = [len(c.text) for c in chunks]
    return {
        "method": "generated texts, real chunker, Store.write_document; vectors from a linear model of USE "
        "(ridge over jieba word features) fitted on real USE vectors of a sample, plus calibrated noise",
        "companies": plan.companies,
        "companies_zh": sum(1 for _, lang in names if lang == "zh"),
        "documents": len(docs),
        "documents_by_reader": {k[5:]: v for k, v in sorted(stats.items()) if k.startswith("docs_")},
        "chunks_written": len(chunks),
        "chunks_in_store": stored,
        "table_chunks": sum(1 for c in chunks if "\n|" in c.text or c.text.startswith("|")),
        "chunk_chars": {
            "p5": int(pct(lengths, 5) or 0),
            "p50": int(pct(lengths, 50) or 0),
            "p95": int(pct(lengths, 95) or 0),
        },
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
    "{co}{year}年营业收入是多少？",
    "{co}的研发投入占营业收入的比例是多少？",
    "{co}拥有多少项发明专利？",
    "{co}完成了哪一轮融资，由谁领投？",
    "{co}前五大客户销售额占比是多少？",
    "{co}{year}年末资产负债率是多少？",
    "{co}经营活动产生的现金流量净额是多少？",
    "{co}的法定代表人是谁？",
    "{co}员工总数和研发人员各有多少？",
    "{co}应收账款账龄情况如何，坏账准备是否充分？",
    "{co}在哪些领域投入研发，产品良率如何？",
    "{co}{year}年净利润和毛利是多少？",
)
EN_Q = (
    "What was {co}'s revenue in {year}?",
    "How much did {co} spend on research and development?",
    "How many patents does {co} hold?",
    "Who led {co}'s latest funding round?",
    "What share of sales came from {co}'s top five customers?",
    "What was {co}'s debt-to-asset ratio?",
    "What was {co}'s operating cash flow in {year}?",
    "How many employees does {co} have?",
    "What was {co}'s gross margin?",
    "Which industries are {co}'s customers in?",
    "What were {co}'s total assets and equity in FY{year}?",
)


def make_questions(
    names: list[tuple[str, str]], legal: dict[str, str], count: int, rng: random.Random
) -> list[Json]:
    """Half Chinese, half English; ~70% name their company (short, legal or Traditional-script name);
    the rest do not (the company is then only known when the caller gives it)."""
    from assistant.text.cjk import (
        to_traditional,  # the Traditional form of a name, as written in Hong Kong or Taiwan
    )

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
            who, named = to_traditional(company), True
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
    totals, embeds, searches, cpus = [], [], [], []
    stages: Counter[str] = Counter()
    embed_calls = 0
    results: list[Any] = []
    mon = CpuMonitor()
    load0 = os.getloadavg()
    for q in questions:
        meter.reset()
        c0 = time.process_time()
        t0 = now()
        results.append(fn(q))
        total = now() - t0
        cpus.append(time.process_time() - c0)
        embed = meter.t["embed"]
        totals.append(total)
        embeds.append(embed)
        searches.append(total - embed)
        stages.update(meter.t)
        embed_calls += meter.calls["embed"]
    return {
        "total": dist_ms(totals),
        "cpu": dist_ms(cpus),
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


def keyword_search_before(self: Any, tokens: Any, company: str | None, limit: int) -> list[tuple[str, float]]:
    """``Ledger.keyword_search`` as it was before the per-company rowid ranges (one FTS5 query over the whole
    table, the company as a filter on every matching row), to compare in the same run."""
    terms = sorted({t for t in tokens if t})
    if not terms:
        return []
    query = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    with self.tx() as db:
        rows = db.execute(
            "SELECT chunk_id, -bm25(keywords) FROM keywords WHERE keywords MATCH ? "
            "AND (? IS NULL OR company=?) ORDER BY bm25(keywords) LIMIT ?",
            (query, company, company, limit),
        ).fetchall()
    return [(r[0], float(r[1])) for r in rows]


def measure(mode: str, store_dir: Path, questions: list[Json], profile: Path | None) -> Json:
    from assistant.answer.answerer import Answerer
    from assistant.answer.retrieve import retrieve, select_passages
    from assistant.models.embeddings import USEEmbeddings
    from assistant.store.index import Store

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
    company = mode in ("company", "company_before")
    if mode == "company_before":
        from assistant.store.ledger import Ledger

        Ledger.keyword_search = keyword_search_before  # type: ignore[method-assign]

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
                [
                    t / 1000
                    for t, q in zip(warm["_totals_ms"], questions if company else rest, strict=True)
                    if q["lang"] == lang and q["named"] == named
                ]
            )
            for lang in ("zh", "en")
            for named in (True, False)
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
            vectors = [use.embed_query(embedding_text(q["question"])) for q in questions]
            include: Any = ["documents", "metadatas", "distances"]

            def chroma(where: bool) -> Callable[[Json], Any]:
                def go(q: Json) -> Any:
                    return store.collection.query(
                        query_embeddings=[q["_vec"]],
                        n_results=BASELINE_N,
                        where={"company": q["company"]} if where else None,
                        include=include,
                    )

                return go

            qs = [{**q, "_vec": v} for q, v in zip(questions, vectors, strict=True)]
            out["baseline_chroma"] = strip(timed_queries(meter, chroma(False), qs))
            out["baseline_chroma_company"] = strip(timed_queries(meter, chroma(True), qs))
            out["embed_only"] = dist_ms(
                _times(lambda q: use.embed_query(embedding_text(q["question"])), questions)
            )
            # what Store.query no longer does per query (it called collection.count() first)
            out["chroma_count"] = dist_ms(_times(lambda q: store.collection.count(), questions[:30]))

            # the answerer's path before the LLM: company from the question, named document, retrieve, select
            def no_llm() -> Any:
                raise RuntimeError("the benchmark never calls the LLM")

            answerer = Answerer(store, no_llm, settings, "none")

            def answer_path(q: Json) -> Any:
                resolved = answerer.resolve_company(q["question"], None)
                from assistant.answer.retrieve import named_document

                named = named_document(store, q["question"], resolved)
                found = retrieve(store, q["question"], resolved, K, settings.min_relevance, doc=named)
                return resolved, select_passages(found, settings.top_k, settings.prompt_token_budget)

            path = timed_queries(meter, answer_path, questions)
            expected = [q["company"] if q["named"] else None for q in questions]
            resolved_ok = sum(1 for (r, _), e in zip(path["_results"], expected, strict=True) if r == e)
            out["answer_path"] = strip(path)
            out["answer_path"]["company_resolved_as_expected"] = rnd(resolved_ok / len(questions), 3)
            out["answer_path"]["resolve_mean_ms"] = rnd(
                statistics.fmean(_times(lambda q: answerer.resolve_company(q["question"], None), questions))
                * 1000,
                2,
            )
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
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        mode,
        "--store-dir",
        str(store_dir),
        "--questions-file",
        str(questions_file),
        "--result-file",
        str(out_file),
    ]
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
    return "meets" if p95 <= TARGET_P95_MS else "misses"


def render_markdown(res: Json) -> str:
    m = res["machine"]
    lines = [
        *report_head(res, "Retrieval benchmark"),
        f"Target: retrieval alone (no LLM) ≤ {TARGET_P95_MS:.0f} ms p95 with 100,000 chunks in the store. "
        'Latencies are p50 / p95 / max in ms over the questions; "total" is one `retrieve(...)` call '
        '(embed the question + keyword search + dense search + fusion), "embed" the time inside the USE '
        'model, "search" the rest.',
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
        st = g["stage_s"]
        row(
            "0",
            "generated store",
            f"{g['chunks_in_store']:,} chunks",
            f"{g['companies']} companies ({g['companies_zh']} zh), {g['documents']} documents "
            f"({', '.join(f'{n} {k}' for k, n in g['documents_by_reader'].items())}), {g['table_chunks']:,} table "
            f"chunks, chunk chars p5/p50/p95 {g['chunk_chars']['p5']}/{g['chunk_chars']['p50']}/"
            f"{g['chunk_chars']['p95']}; {g['store_bytes'] / 1e6:.0f} MB on disk",
        )
        row(
            "0",
            "store generation time",
            fmt_s(g["generate_s"]),
            f"texts + chunker {st['texts_and_chunking_s']} s, jieba {st['tokenize_s']} s, USE on the sample "
            f"{st['real_embed_s']} s, fit + predict {st['fit_predict_s']} s, Store.write_document "
            f"{st['write_s']} s" + (f"; reused from {g['reused_from']}" if g.get("reused_from") else ""),
        )
        held = v["cos_synthetic_vs_real_held_out"]
        row(
            "0",
            "synthetic vs real vectors (held out)",
            f"cos {held['mean']}",
            f"fitted on {v['train_chunks']:,} chunks embedded by USE, {v['vocabulary']:,} words, λ={v['lambda']}, "
            f"noise norm {v['noise_norm']}; on {v['held_out_chunks']:,} held-out chunks cosine(synthetic, real) "
            f"mean {held['mean']} (p5 {held['p5']}); random-pair cosine real {v['pairwise_cos_real']['mean']} "
            f"(p5–p95 {v['pairwise_cos_real']['p5']}–{v['pairwise_cos_real']['p95']}) vs synthetic "
            f"{v['pairwise_cos_synthetic']['mean']} ({v['pairwise_cos_synthetic']['p5']}–"
            f"{v['pairwise_cos_synthetic']['p95']})",
        )
    elif g:
        row("0", "generated store", f"error: {g['error'][:200]}")
    a, b = res.get("no_company"), res.get("company")
    before = res.get("company_before")
    for n, run, label in (
        ("1", a, "no company"),
        ("2", b, "company given"),
        ("2b", before, "company given, keyword search as before"),
    ):
        if not run or "error" in run:
            row(n, label, "not run" if not run else f"error: {run['error'][:200]}")
            continue
        row(
            n,
            f"{label}: Store open",
            f"{run['store_open_s'] * 1000:.0f} ms",
            f"fresh process, USE already loaded ({run['model_load_s']} s); {run['chunks_in_store']:,} chunks",
        )
        c = run["cold"]
        row(
            n,
            f"{label}: cold first query (total)",
            _d(c["total"]),
            f"embed {_d(c['embed'])}; search {_d(c['search'])}; stages {c['stage_mean_ms']}",
        )
        if "pass1" in run:
            p = run["pass1"]
            row(
                n,
                f"{label}: first pass (total)",
                _d(p["total"]) + f" (CPU {_d(p.get('cpu'))})",
                f"{verdict(p['total'].get('p95_ms'))} the target; company's first query "
                f"(vector cache fill) {_d(run['pass1_cache_miss'])}, later {_d(run['pass1_cache_hit'])}",
            )
        w = run["warm"]
        row(
            n,
            f"{label}: warm (total)",
            _d(w["total"]),
            f"**{verdict(w['total'].get('p95_ms'))} the ≤{TARGET_P95_MS:.0f} ms p95 target**; "
            f"{w['total']['n']} questions; CPU time of the process per query {_d(w.get('cpu'))}",
        )
        row(
            n,
            f"{label}: warm embed / search",
            f"{_d(w['embed'])} ‖ {_d(w['search'])}",
            f"embed share {fmt_n((w['embed_share'] or 0) * 100, 0)}%, {w['embed_calls_per_query']} "
            f"embed calls/query; mean ms per stage {w['stage_mean_ms']}; other cores {w['other_cores_during']}",
        )
        row(
            n,
            f"{label}: results",
            f"{fmt_n(run['answered_fraction'] * 100, 0)}% non-empty",
            f"top cosine p50 {run['top_score']['p50'] if run['top_score'] else '–'}; warm by kind: "
            + "; ".join(f"{k} {_d(d)}" for k, d in run["warm_by_kind"].items() if d.get("n")),
        )
        if "rss_after_cache_mb" in run:
            row(
                n,
                f"{label}: memory",
                f"{fmt_n(run['rss_after_cache_mb'], 0)} MB",
                f"RSS after open {fmt_n(run['rss_after_open_mb'], 0)} MB; the per-company vector cache holds "
                "every company asked about",
            )
    if a and "error" not in a and "baseline_chroma" in a:
        base, basec = a["baseline_chroma"]["total"], a["baseline_chroma_company"]["total"]
        emb = a["embed_only"]
        row(
            "3",
            f"baseline: Chroma `collection.query` n={BASELINE_N}, vector given",
            _d(base),
            f"company filter: {_d(basec)}",
        )
        row("3", "baseline: USE `embed_query` alone", _d(emb), "")
        if "chroma_count" in a:
            row(
                "3",
                "Chroma `collection.count()` (no longer called per `Store.query`)",
                _d(a["chroma_count"]),
                "30 calls; Store.query used to call it before every query",
            )
        for label, run in (("no company", a), ("company given", b)):
            if not run or "error" in run:
                continue
            w = run["warm"]
            ref = basec if label == "company given" else base
            ratio_total = (w["total"]["p95_ms"] / (emb["p95_ms"] + ref["p95_ms"])) if ref.get("n") else None
            ratio_search = w["search"]["p95_ms"] / ref["p95_ms"] if ref.get("n") else None
            row(
                "3",
                f"ours / baseline, {label} (p95)",
                f"{fmt_n(ratio_total, 2)}× total; {fmt_n(ratio_search, 2)}× search",
                "total vs (embed alone + Chroma query alone); search = ours without embedding vs Chroma "
                "query alone" + (" with the company filter" if label == "company given" else ""),
            )
        if b and before and "error" not in b and "error" not in before:
            for part in ("pass1", "warm"):
                after_p95, before_p95 = b[part]["total"]["p95_ms"], before[part]["total"]["p95_ms"]
                row(
                    "3",
                    f"company given, {'first pass' if part == 'pass1' else 'warm'}: after / before the "
                    "keyword-range change (p95)",
                    f"{fmt_n(after_p95 / before_p95, 2)}×",
                    f"{fmt_n(after_p95)} vs {fmt_n(before_p95)} ms; keyword stage mean "
                    f"{b[part]['stage_mean_ms'].get('keyword')} vs {before[part]['stage_mean_ms'].get('keyword')} ms",
                )
        p = a["answer_path"]
        row(
            "4",
            "answer path before the LLM (no company given)",
            _d(p["total"]),
            f"company resolution (mean {p['resolve_mean_ms']} ms) + named document + retrieve + passage "
            f"selection; company resolved as expected for {fmt_n(p['company_resolved_as_expected'] * 100, 0)}% "
            "of questions",
        )
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
            f"| {key} | {meta['seconds']} | {meta['waited_for_idle_s']} | {meta['other_cores_during']}{flag} |"
        )
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


def quick_checks(res: Json) -> dict[str, bool]:
    """What a smoke run must show besides running without an error: every chunk stored, table chunks among
    them (their embedding text differs from the stored text), answers in every section."""
    g = res["store"]
    checks = {
        "every generated chunk is in the store": g["chunks_in_store"] == g["chunks_written"] > 0,
        "the store holds table chunks": g["table_chunks"] > 0,
        "the generated questions were written": g["questions"] > 0,
    }
    for key in SECTIONS[1:]:
        checks[f"{key}: retrieve found passages"] = (res.get(key) or {}).get("answered_fraction", 0) > 0
    path = (res.get("no_company") or {}).get("answer_path") or {}
    checks["answer path: a company resolved as expected"] = path.get("company_resolved_as_expected", 0) > 0
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP + " (100 chunks, 8 questions)")
    parser.add_argument("--out-dir", type=Path, default=None, help=OUT_HELP)
    parser.add_argument(
        "--keep-store",
        type=Path,
        default=None,
        metavar="DIR",
        help="generate the store into DIR and keep it (reused when it already holds one)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also write cProfile output of the warm passes next to the results",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=None,
        metavar="S",
        help="before each section wait for other processes to leave the CPU, at most S seconds "
        "in all (default 120, --quick 0; 0: never wait)",
    )
    parser.add_argument(
        "--measure", choices=("no_company", "company", "company_before"), help=argparse.SUPPRESS
    )
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
    out_dir = results_dir(args.out_dir, plan.quick)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)  # --profile writes there while the run goes on
    started = now()
    gate = IdleGate(idle_budget(args.wait_idle, plan.quick, 120.0))
    res: Json = {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": plan.quick,
        "machine": machine_info(),
        "plan": {
            "companies": plan.companies,
            "chunks_per_company": plan.chunks_per_company,
            "questions": plan.questions,
            "k": K,
            "min_relevance": Settings().min_relevance,
            "embedding_threads": Settings().threads,
            "real_sample": plan.real_sample,
        },
        "sections": {},
        "notes": [
            "Store generation: texts are generated company prose (Chinese and English, the ingestion benchmark's "
            "sentence templates), captioned Markdown tables and spreadsheet rows, cut by the real chunker "
            "(`chunk_document`, 360 units) and written through the real `Store.write_document` (Chroma upsert "
            "with HNSW, ledger sources, FTS5 keyword rows over jieba tokens) and `Ledger.set_aliases` (aliases "
            "from `assistant.ingest.companies.aliases` of the short and legal names). Only the vectors are not the "
            "model's own (embedding 100,000 passages with USE alone would take ~6 min of both cores): a "
            "linear model of USE (ridge regression from (1 + log tf)·idf features of the chunk's jieba words "
            "onto the real 512-d vectors) is fitted on real USE vectors of a random sample of the chunks and "
            "checked on a held-out sample; its predictions, plus isotropic noise calibrated so that random "
            "pairs are as far apart as real ones, are written to the real `use-multilingual` collection. "
            "Question vectors are always the real model's. While generating, `tokenize` is memoised so each "
            "text is segmented by jieba once (the vectors and the keyword rows use the same tokens).",
            "Each measuring section runs in a fresh Python process: the USE model is loaded first (its load "
            "time is shown apart), then `Store(...)` is timed, then the first query (cold: Chroma loads the "
            "HNSW index / segment, SQLite pages are read, jieba's cache is warm from the open). The OS file "
            "cache is warm (the store was just written); a store read from a cold disk opens slower.",
            "`retrieve` is called as the answerer calls it: k=12 and the default relevance floor. With a "
            "company, `hybrid_search` scores every chunk of that company exactly (Store.company_chunks, cached "
            "per company until its documents change); without, it pools Chroma's 60 nearest neighbours and the "
            "keyword index's best 60.",
            '"embed" is time inside `embed_query` of the USE model. Without a company `hybrid_search` embeds '
            "the question twice (once itself, once inside `Store.query`); both are counted as embed.",
            "Baselines run in the same process as the no-company section, after it, on the same store.",
            "CPU time per query is `time.process_time()` of the measuring process (all its threads): other "
            "processes do not inflate it, so on a shared machine it approximates the idle latency of the "
            "single-threaded stages (SQLite FTS5, Python); the USE model runs 2 threads, so its CPU time can "
            "exceed its wall time.",
            "Section 2b runs the company-given questions with `Ledger.keyword_search` replaced by its previous "
            "implementation (one FTS5 query over the whole table, the company as a filter on every matching "
            "row), so the change to per-company rowid ranges is compared in the same run.",
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
            run_section(
                res,
                "generate",
                f"0. generate {plan.companies * plan.chunks_per_company:,} chunks",
                lambda: generate_store(store_dir, plan, qfile),
                gate,
            )
            res["store"] = res.pop("generate")
            if args.keep_store and "error" not in res["store"]:
                gfile.write_text(json.dumps(res["store"], ensure_ascii=False))
        if "error" not in res["store"]:
            stem = f"retrieval_{res['date']}{'_quick' if plan.quick else ''}"
            for key, title in (
                ("no_company", "1. retrieve, no company"),
                ("company", "2. retrieve, company given"),
                ("company_before", "2b. company given, keyword search as before (one FTS5 query)"),
            ):
                # a quick run given no folder profiles into its temp directory (run, then discarded)
                prof = (out_dir or work) / f"{stem}_{key}.prof.txt" if args.profile else None
                run_section(
                    res, key, title, lambda key=key, prof=prof: run_measure(key, store_dir, qfile, prof), gate
                )
    res["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["total_s"] = rnd(now() - started, 1)
    res["idle_wait"] = {"budget_s": gate.budget_s, "spent_s": rnd(gate.spent_s, 1)}
    markdown = render_markdown(res)
    if out_dir is None:
        print("\n" + markdown)
        print_unwritten(res)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"retrieval_{res['date']}{'_quick' if plan.quick else ''}"
        json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
        json_path.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
        md_path.write_text(markdown)
        print("\n" + markdown)
        print(f"wrote {json_path}\nwrote {md_path}")
    failed = [k for k in ("store", *SECTIONS[1:]) if isinstance(res.get(k), dict) and res[k].get("error")]
    if plan.quick and not failed:
        failed = quick_failures(quick_checks(res))
    if failed:
        print(f"sections with errors: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
