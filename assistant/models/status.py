"""``assistant models [verify]``: which models are configured, where, and whether they check out."""

from __future__ import annotations

from assistant.core.errors import ModelError
from assistant.core.records import ModelStatus
from assistant.core.settings import Settings
from assistant.models.files import GGUF_MODELS, join_model, verify_model_file, verify_packaged


def model_statuses(settings: Settings, verify: bool, repair: bool = False) -> list[ModelStatus]:
    out: list[ModelStatus] = []
    for spec in GGUF_MODELS.values():
        path = settings.model_cache / spec.filename
        active = settings.llm_backend == "llamacpp" and settings.llm_model == spec.name
        label = f"{spec.name}{' (active)' if active else ''}"
        status = ModelStatus(role="llm", name=label, path=str(path), expected_sha256=spec.sha256, ok=False)
        try:
            if repair and (not path.exists() or _bad(spec, path)):
                join_model(spec, settings.model_cache)
            if verify:
                status.sha256 = verify_model_file(spec, path)
                status.ok, status.detail = True, f"sha256 OK, {spec.size:,} bytes, {spec.license}"
            elif path.exists():
                status.ok, status.detail = True, "joined (run `assistant models verify` to check sha256)"
            else:
                status.ok, status.detail = True, "not joined yet: joined from its packages on first use"
        except ModelError as exc:
            status.detail = str(exc)
        out.append(status)
    for name in ("use-multilingual", "all-minilm-l6-v2"):
        active = (settings.embedding_backend == name) or (
            name == "all-minilm-l6-v2"
            and settings.embedding_backend == "sentence-transformers"
            and settings.embedding_model_path is None
        )
        if verify:
            where, ok, detail = verify_packaged(name)
        else:
            where, ok, detail = "", True, "packaged (run `assistant models verify` to check sha256)"
        out.append(
            ModelStatus(
                role="embeddings",
                name=f"{name}{' (active)' if active else ''}",
                path=where or None,
                ok=ok,
                detail=detail + ", Apache-2.0",
            )
        )
    if settings.llm_backend == "openai":
        out.append(
            ModelStatus(
                role="llm",
                name=f"openai:{settings.llm_model} (active)",
                path=settings.openai_base_url,
                ok=bool(settings.openai_base_url),
                detail="remote OpenAI-compatible server",
            )
        )
    return out


def _bad(spec: object, path: object) -> bool:
    try:
        verify_model_file(spec, path)  # type: ignore[arg-type]
        return False
    except ModelError:
        return True
