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


class LLMError(AssistantError):
    """The language model backend failed while answering."""
