"""Settings: defaults, overridable by environment variables prefixed ``ASSISTANT_``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """All knobs of the assistant. Backends are chosen by name."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    store: Path = Field(Path("index"), description="Directory of the on-disk store (Chroma + ledger).")
    store_backend: Literal["chroma", "chroma-http"] = Field(
        "chroma",
        description="Where the vectors live: `chroma` embedded in the store directory, or `chroma-http` on a "
        "Chroma server (`chroma run`); the ledger and keyword index stay in the store directory either way.",
    )
    chroma_host: str = Field(
        "127.0.0.1", description="Host of the Chroma server (store_backend chroma-http)."
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    chroma_ssl: bool = Field(False, description="Talk to the Chroma server over HTTPS.")
    chroma_ca_bundle: Path | None = Field(
        None,
        description="CA certificate file that signed the Chroma server's TLS certificate "
        "(default: certifi's CAs, or $SSL_CERT_FILE).",
    )
    chroma_token: str | None = Field(
        None, description="Token sent to the Chroma server (or its proxy) as `Authorization: Bearer …`."
    )
    chroma_database: str = Field(
        "default_database", description="Chroma database of the store's collections (created when missing)."
    )
    chroma_timeout_s: float = Field(60.0, description="Timeout of one request to the Chroma server.")
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Directory of prompt templates.")

    llm_backend: Literal["llamacpp", "openai", "fake"] = Field("llamacpp", description="LLM backend name.")
    llm_model: str = Field(
        "qwen2.5-coder-1.5b",
        description="Embedded model name for llamacpp (qwen2.5-coder-1.5b | qwen2.5-coder-0.5b), "
        "or the model name sent to an OpenAI-compatible server.",
    )
    llm_max_tokens: int = Field(256, description="Maximum tokens generated per answer.")
    llm_context: int = Field(4096, description="Context window given to llama.cpp.")
    openai_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (…/v1).")
    openai_api_key: str = Field("not-needed", description="API key for the OpenAI-compatible server.")
    openai_timeout_s: float = Field(120.0, description="Timeout of one request to the server.")
    openai_concurrency: int = Field(
        0,
        description="Generations the app sends to the OpenAI-compatible server at once (0: no limit in the "
        "app, the server's own scheduling applies; the embedded llamacpp model always runs one at a time).",
    )

    embedding_backend: Literal["use-multilingual", "sentence-transformers", "fake"] = Field(
        "use-multilingual", description="Embedding backend name."
    )
    embedding_model_path: Path | None = Field(
        None, description="Local model directory for the sentence-transformers backend."
    )

    model_cache: Path = Field(
        Path(user_cache_dir("assistant")) / "models",
        description="Where joined model files are kept (user cache directory).",
    )
    threads: int = Field(max(1, os.cpu_count() or 1), description="CPU threads for models.")

    chunk_chars: int = Field(360, description="Target chunk size in characters.")
    chunk_overlap_chars: int = Field(60, description="Characters of overlap between chunks.")
    top_k: int = Field(6, description="At most this many passages are given to the LLM.")
    prompt_token_budget: int = Field(
        900,
        description="Estimated prompt tokens for passages (prefill is ~90 tok/s on 2 cores with the 1.5B model).",
    )
    min_relevance: float = Field(
        0.15, description="Cosine similarity below which a passage is not evidence at all."
    )
    max_file_mb: float = Field(200.0, description="Files larger than this are refused.")
    max_question_chars: int = Field(2000, description="Questions longer than this are refused.")
    answer_budget_s: float = Field(
        30.0,
        description="Seconds one question may take: past them the model's answer is cut (and never shown as "
        "verified), no second attempt is started, and an extractive quote or a refusal is returned. On 2 cores "
        "the 1.5B model's first token takes 7.5 s (p50) to 17 s (p95) on the devset: 15 s would cut a third of "
        "first answers.",
    )
    auth_config: Path | None = Field(
        None,
        description="Users file (TOML or YAML: users with roles, portfolios and bcrypt hashes; API tokens) for "
        "`assistant serve`; see `python -m assistant.serve.auth --help`. Without it the server binds only to loopback.",
    )
    ray_address: str | None = Field(
        None,
        description="Address of an existing Ray cluster (`HOST:PORT` of `ray start --head`, or `auto`) that "
        "`assistant batch --engine ray` joins; unset: the run starts a private local Ray cluster.",
    )


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. from CLI flags)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
