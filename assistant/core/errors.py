"""One small error tree. Every message says what went wrong and what to do."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of all errors the assistant reports to users (one line, no traceback)."""

    exit_code = 2


class InputError(AssistantError):
    """The user's input (a path, a question, an option) cannot be used."""


class UnsupportedFileType(InputError):
    """A file whose type no reader handles."""


class DocumentError(InputError):
    """A file that a reader could not parse (corrupt, encrypted, empty …)."""


class CompanyNotFound(InputError):
    """A company name that is not in the store."""


class ModelError(AssistantError):
    """A model is missing, corrupted or failed to load."""


class ConfigError(AssistantError):
    """Settings that do not fit together (unknown backend name, missing URL …)."""


class StoreUnavailable(ConfigError):
    """The Chroma server of the store (backend ``chroma-http``) cannot be reached or stopped answering (HTTP 503)."""

    status = 503


class LLMError(AssistantError):
    """The language model backend failed while answering."""


class Forbidden(InputError):
    """The caller's role or portfolio does not allow the action (HTTP 403)."""

    status = 403


class DocumentNotFound(InputError):
    """A document name that is not stored for that company (HTTP 404)."""

    status = 404


_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (CompanyNotFound, 404),
    (InputError, 400),
    (LLMError, 502),
    (ModelError, 503),
)


def http_status(exc: BaseException) -> int:
    """The HTTP status of an error: its own ``status``, else 4xx for the caller's mistakes, 5xx for the server's."""
    explicit = getattr(exc, "status", None)
    if isinstance(explicit, int):
        return explicit
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)
