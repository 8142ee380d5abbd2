"""A batch profile job started from the web app (one per user, in a folder of its own)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from assistant.core.services import Services

log = logging.getLogger("assistant.serve.web")


class BatchJob:
    """Profiles of ``total`` companies written to ``out``, counted as each finishes (run in a thread)."""

    def __init__(self, total: int, out: Path) -> None:
        self.total, self.out = total, out
        self.done = 0
        self.error: str | None = None
        self.finished = False

    def run(self, services: Services, companies: list[str]) -> None:
        from assistant.profile.batch import run_batch

        try:
            run_batch(services.store, companies, self.out, on_done=self._one)
        except Exception:  # shown in the progress line; the details go to the server log
            log.exception("batch job in %s failed", self.out)
            self.error = "the batch job failed (recorded in the server log)"
        finally:
            self.finished = True

    def _one(self, *_: Any) -> None:
        self.done += 1
