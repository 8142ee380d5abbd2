"""The web app's handlers as named functions of an explicit context, called directly (no server)."""

from __future__ import annotations

import inspect
import time
from pathlib import Path

import gradio as gr
from gradio.utils import get_type_hints

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.serve.actions import portal_of
from assistant.serve.auth import Principal
from assistant.serve.web import BatchJob, WebContext
from assistant.serve.web.batch import batch_status, start_batch
from assistant.serve.web.chat import respond
from assistant.serve.web.context import bound
from assistant.serve.web.documents import delete, list_documents
from assistant.serve.web.profiles import show_profile


class RitaAccess:
    """Signs everyone in as an RM who may see Acme only, and keeps the audit records."""

    def __init__(self) -> None:
        self.user = Principal("rita", "rm", frozenset({"Acme"}))
        self.records: list[tuple[str, str | None, int]] = []

    def principal(self, request: object) -> Principal:
        return self.user

    def record(
        self, request: object, action: str, company: str | None = None, status: int = 200, **details: object
    ) -> None:
        self.records.append((action, company, status))

    def add_file(self, request: object, path: Path, name: str) -> str:
        return f"/ui/download/{name}"


def _context(services: Services) -> tuple[WebContext, RitaAccess]:
    access = RitaAccess()
    return WebContext(services, access, portal_of(services)), access


def test_a_bound_handler_shows_gradio_its_inputs_and_asks_for_the_request(fake_services: Services) -> None:
    ctx, _ = _context(fake_services)
    handler = bound(ctx, show_profile)
    assert list(inspect.signature(handler).parameters) == ["company", "request"]
    assert get_type_hints(handler)["request"] is gr.Request
    assert handler.__name__ == "show_profile"  # the event's name in the gate's audit entry
    assert inspect.isgeneratorfunction(bound(ctx, respond))  # streamed
    assert list(inspect.signature(bound(ctx, respond)).parameters)[:5] == [
        "question",
        "company",
        "history",
        "state",
        "shown",
    ]


def test_handlers_act_through_the_portal_and_audit_refusals(fake_services: Services, docs: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    ctx, access = _context(fake_services)
    message, listing = delete(ctx, "星河科技", "news.md", None)  # type: ignore[arg-type]
    assert message.startswith("⚠") and listing == []
    assert [row[0] for row in list_documents(ctx, "Acme", None)] == ["notes.txt"]  # type: ignore[arg-type]
    frame, links = show_profile(ctx, "星河科技", None)  # type: ignore[arg-type]
    assert "not in your portfolio" in frame and links == ""
    assert [(a, s) for a, _, s in access.records if a in ("delete", "profile_view")] == [
        ("delete", 403),
        ("profile_view", 403),
    ]


def test_one_batch_job_per_user_at_a_time(fake_services: Services, docs: Path, tmp_path: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    ctx, access = _context(fake_services)
    assert batch_status(ctx, None) == ("no job yet / 尚无任务", "")  # type: ignore[arg-type]
    ctx.jobs["rita"] = running = BatchJob(total=1, out=tmp_path)
    assert "still running" in start_batch(ctx, None)  # type: ignore[arg-type]
    running.finished = True
    assert start_batch(ctx, None).startswith("started: 1 companies")  # type: ignore[arg-type]
    job = ctx.jobs["rita"]
    deadline = time.monotonic() + 60
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.05)
    state, links = batch_status(ctx, None)  # type: ignore[arg-type]
    assert state == "1/1 companies done / 已完成"
    assert "profiles.jsonl" in links and "summary.csv" in links
    assert [s for a, _, s in access.records if a == "batch_start"] == [400, 200]
