"""LLM backends as LangChain chat models, chosen by name in settings."""

from __future__ import annotations

import functools
import json
import queue
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.core.errors import AssistantError, ConfigError, LLMError, ModelError
from assistant.core.settings import Settings
from assistant.models.files import ensure_model, gguf_spec

_LOADED: dict[tuple[str, int, int], Any] = {}
_LOCKS: dict[int, threading.Lock] = {}  # id(Llama) → the one lock of that model and its context
_LOAD_LOCK = threading.Lock()


JSON_BACKENDS = ("llamacpp", "fake")  # backends whose replies can be constrained to a JSON schema


@runtime_checkable
class JSONCompleter(Protocol):
    """A chat model that can constrain its reply to a JSON schema (:meth:`LlamaCppChat.complete_json`)."""

    def complete_json(
        self, messages: Sequence[BaseMessage], schema: dict[str, Any], max_tokens: int = 200
    ) -> str: ...


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, AIMessage):
        return "assistant"
    return "user"


def load_llama(path: Path, n_ctx: int, threads: int) -> Any:
    """Load a GGUF model once per process (loading takes seconds; the model is shared)."""
    key = (str(path), n_ctx, threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from llama_cpp import Llama
            except ImportError as exc:  # pragma: no cover - install hint
                raise ModelError("llama-cpp-python is not installed; run `make install`") from exc
            try:
                _LOADED[key] = Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_batch=512, verbose=False, seed=0
                )
            except Exception as exc:
                raise ModelError(
                    f"could not load {path}: {exc}; run `assistant models verify --repair`"
                ) from exc
        return _LOADED[key]


def model_lock(llama: Any) -> threading.Lock:
    """The lock of a loaded model: every wrapper of one shared ``Llama`` (one per ``Services``) generates
    under it, since two generations at once on one llama.cpp context corrupt its memory."""
    with _LOAD_LOCK:
        return _LOCKS.setdefault(id(llama), threading.Lock())


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama.cpp; one generation at a time."""

    model_name: str
    model_path: str
    n_ctx: int = 4096
    threads: int = 2
    max_tokens: int = 256
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, __context: Any) -> None:
        self._llama = load_llama(Path(self.model_path), self.n_ctx, self.threads)
        self._lock = model_lock(self._llama)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _payload(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _role(m), "content": str(m.content)} for m in messages]

    def complete_json(
        self, messages: Sequence[BaseMessage], schema: dict[str, Any], max_tokens: int = 200
    ) -> str:
        """One reply constrained to JSON that matches ``schema`` (llama.cpp turns the schema into a grammar),
        greedy (temperature 0), generated under the model's lock. Callers that share the model take their
        turn with :meth:`assistant.models.llm_queue.QueuedChat.complete_json`."""
        try:
            with self._lock:
                reply = self._llama.create_chat_completion(
                    messages=self._payload(list(messages)),
                    response_format={"type": "json_object", "schema": schema},
                    temperature=0.0,
                    max_tokens=max_tokens,
                )
        except ModelError:
            raise
        except Exception as exc:
            raise LLMError(f"llama.cpp failed while generating JSON: {exc}") from exc
        return str(reply["choices"][0]["message"]["content"] or "")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # The model's lock is held by a producer thread for one bounded generation, never across a yield
        # to the caller: a caller that stops reading (a closed browser tab, a stopped server) must not keep
        # the shared model locked. Closing this generator stops the producer at the next token.
        parts: queue.Queue[tuple[str, Any]] = queue.Queue()
        halt = threading.Event()

        def produce() -> None:
            try:
                with self._lock:
                    stream = self._llama.create_chat_completion(
                        messages=self._payload(messages),
                        temperature=0.0,
                        top_k=1,
                        max_tokens=kwargs.get("max_tokens", self.max_tokens),
                        stop=stop,
                        stream=True,
                    )
                    for part in stream:
                        if halt.is_set():
                            break
                        delta = part["choices"][0].get("delta", {}).get("content")
                        if delta:
                            parts.put(("text", delta))
                parts.put(("end", None))
            except Exception as exc:
                parts.put(("error", exc))

        threading.Thread(target=produce, name="llama-generate", daemon=True).start()
        try:
            while True:
                kind, value = parts.get()
                if kind == "end":
                    return
                if kind == "error":
                    if isinstance(value, ModelError):
                        raise value
                    raise LLMError(f"llama.cpp failed while generating: {value}") from value
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=value))
                if run_manager:
                    run_manager.on_llm_new_token(value, chunk=chunk)
                yield chunk
        finally:
            halt.set()


_PASSAGE = re.compile(r"^\[(\d+)\] \([^)\n]*\)\n(.+?)(?=\n\n\[\d+\] \(|\Z)", re.S | re.M)
_FIRST_SENTENCE = re.compile(r"^(.+?[。！？.!?])(\s|$)", re.S)


class FakeChat(BaseChatModel):
    """Deterministic stand-in for tests: quotes the first sentence of passage [1] and cites it."""

    model_name: str = "fake"

    @property
    def _llm_type(self) -> str:
        return "fake"

    def _reply(self, messages: list[BaseMessage]) -> str:
        prompt = str(next((m.content for m in reversed(messages) if isinstance(m, HumanMessage)), ""))
        match = _PASSAGE.search(prompt)
        if not match:
            return "NOT_IN_DOCUMENTS"
        body = match.group(2).strip()
        first = _FIRST_SENTENCE.match(body)
        sentence = (first.group(1) if first else body[:120]).strip()
        return f"{sentence} [{match.group(1)}]"

    def complete_json(
        self, messages: Sequence[BaseMessage], schema: dict[str, Any], max_tokens: int = 200
    ) -> str:
        """The schema's required properties with empty values (false, 0, "", [], {}): "nothing found"."""
        empty: dict[str, Any] = {
            "boolean": False,
            "integer": 0,
            "number": 0,
            "string": "",
            "array": [],
            "object": {},
        }
        properties = schema.get("properties", {})
        reply = {
            name: empty.get(str(properties.get(name, {}).get("type"))) for name in schema.get("required", [])
        }
        return json.dumps(reply)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for token in re.findall(r"\S+\s*|\s+", self._reply(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))


def build_llm(settings: Settings) -> BaseChatModel:
    """The LLM backend named in settings."""
    name = settings.llm_backend
    if name == "llamacpp":
        spec = gguf_spec(settings.llm_model)
        path = ensure_model(spec, settings.model_cache)
        return LlamaCppChat(
            model_name=spec.name,
            model_path=str(path),
            n_ctx=settings.llm_context,
            threads=settings.threads,
            max_tokens=settings.llm_max_tokens,
        )
    if name == "openai":
        if not settings.openai_base_url:
            raise ConfigError(
                "LLM backend 'openai' needs ASSISTANT_OPENAI_BASE_URL (e.g. http://host:8000/v1)"
            )
        return openai_chat(settings)
    if name == "fake":
        return FakeChat()
    raise ConfigError(f"unknown LLM backend '{name}' (llamacpp, openai, fake)")


def llm_concurrency(settings: Settings) -> int | None:
    """How many generations the app runs at once (:class:`assistant.models.llm_queue.LLMQueue`): one for the
    embedded model (one llama.cpp context); for a model server, its own scheduling decides (None: no limit
    in the app) unless ``openai_concurrency`` sets one."""
    if settings.llm_backend == "openai":
        return settings.openai_concurrency if settings.openai_concurrency > 0 else None
    return 1


def openai_chat(settings: Settings) -> BaseChatModel:
    """The chat model of an OpenAI-compatible server (vLLM, llama.cpp's server, Ollama …) whose failures are
    :class:`LLMError` naming the backend, the server and what went wrong."""
    return _server_chat_class()(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.llm_model,
        temperature=0.0,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.openai_timeout_s,
        max_retries=1,
        server_label=f"LLM backend 'openai' (model {settings.llm_model} at {settings.openai_base_url})",
        timeout_s=settings.openai_timeout_s,
    )


@functools.cache
def _server_chat_class() -> type[BaseChatModel]:
    """:class:`OpenAIServerChat`, defined on first use (langchain_openai is imported only by this backend)."""
    from langchain_openai import ChatOpenAI

    class OpenAIServerChat(ChatOpenAI):
        """ChatOpenAI whose errors say which server failed and how, and whose streams must end as the
        server says an answer ends (a finish reason): a stream that simply stops (llama-cpp-python's server
        interrupts a stream when another request arrives, unless started with ``--interrupt_requests
        False``) is an error, never a silently shortened answer."""

        server_label: str = "LLM backend 'openai'"
        timeout_s: float = 0.0

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            answering = finished = False
            try:
                for chunk in super()._stream(*args, **kwargs):
                    answering = True
                    finished |= bool((chunk.generation_info or {}).get("finish_reason"))
                    yield chunk
            except AssistantError:
                raise
            except Exception as exc:
                raise _server_failure(self.server_label, self.timeout_s, exc, answering) from exc
            if not finished:
                raise LLMError(
                    f"{self.server_label}: the server ended the answer without a finish reason (cut short; "
                    "llama-cpp-python's server does so to a stream when another request arrives unless it "
                    "runs with --interrupt_requests False)"
                )

        def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
            try:
                return super()._generate(*args, **kwargs)
            except AssistantError:
                raise
            except Exception as exc:
                raise _server_failure(self.server_label, self.timeout_s, exc, False) from exc

    return OpenAIServerChat


def _server_failure(where: str, timeout_s: float, exc: Exception, answering: bool) -> LLMError:
    """What went wrong with the model server, in words (``answering``: the answer had started)."""
    import httpx
    import openai

    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return LLMError(
            f"{where}: no reply within {timeout_s:g} s (ASSISTANT_OPENAI_TIMEOUT_S); the server is "
            "overloaded or the model is too slow for this timeout"
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        if answering:
            return LLMError(f"{where}: the server went away in the middle of the answer ({_cause(exc)})")
        return LLMError(f"{where}: could not reach the server ({_cause(exc)})")
    if isinstance(exc, openai.APIStatusError):
        hint = {
            401: "; check ASSISTANT_OPENAI_API_KEY",
            403: "; check ASSISTANT_OPENAI_API_KEY",
            404: "; check ASSISTANT_LLM_MODEL (the server's model name) and that the URL ends in /v1",
        }.get(exc.status_code, "")
        return LLMError(f"{where}: the server answered HTTP {exc.status_code}: {exc.message}{hint}")
    return LLMError(f"{where}: {type(exc).__name__}: {exc}")


def _cause(exc: BaseException) -> str:
    """The innermost cause's message (the SDK's "Connection error." says less than the socket's)."""
    while exc.__cause__ is not None and str(exc.__cause__):
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def model_label(settings: Settings) -> str:
    """Name reported in answers: backend and model."""
    if settings.llm_backend == "fake":
        return "fake"
    return f"{settings.llm_backend}:{settings.llm_model}"
