"""What the tests that drive the served app over real HTTP share: the app on a free local port (uvicorn in a
thread), HTTP Basic headers, and the two companies' documents most of them serve (Acme, 星河科技)."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.store.conftest import free_port

ACME_NOTES = "Acme Robotics Inc. was founded in 2015 in Austin.\nRevenue for fiscal 2023 was $12.4 million.\n"
XINGHE_NEWS = "# 星河科技\n2023年，公司实现营业收入8,652.30万元，同比增长31.2%。研发投入1,021.5万元。\n"


def write_two_companies(docs: Path) -> None:
    """Acme's notes and 星河科技's news under ``docs`` (a folder per company)."""
    (docs / "Acme").mkdir(parents=True)
    (docs / "星河科技").mkdir(parents=True)
    (docs / "Acme" / "notes.txt").write_text(ACME_NOTES, encoding="utf-8")
    (docs / "星河科技" / "news.md").write_text(XINGHE_NEWS, encoding="utf-8")


def basic_auth(user: str | None, password: str) -> dict[str, str]:
    """The HTTP Basic header of a user (none for an anonymous caller)."""
    if user is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1 while the block runs; yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
