"""The first web page, served for real on a local port and driven over HTTP with gradio_client."""

from __future__ import annotations

from pathlib import Path

from gradio_client import Client

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.serve.web import AUTO, build_app


def test_chat_answers_with_source_file(fake_services: Services, docs: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    app = build_app(fake_services)
    app.queue().launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(app.local_url, verbose=False)
        history, box, sources = client.predict("星河科技2023年营业收入是多少？", AUTO, [], api_name="/ask")
        assert box == ""
        assert history[0]["role"] == "user" and history[-1]["role"] == "assistant"
        assert "8,652.30万元" in str(history[-1]["content"])
        assert "news.md" in sources and "星河科技" in sources and "8,652.30万元" in sources
        assert "computed" in sources  # a figure: read from the facts

        # A follow-up in the same browser session keeps the company and is rewritten to stand alone.
        history, _, sources = client.predict("那2019年呢？", AUTO, history, api_name="/ask")
        assert "星河科技2019年营业收入是多少？" in sources
        assert "文档中没有找到" in str(history[-1]["content"])

        history, _, sources = client.predict(
            "星河科技2019年营业收入是多少？", "星河科技", [], api_name="/ask"
        )
        assert "文档中没有找到" in str(history[-1]["content"])
        assert "Not in the documents" in sources
    finally:
        app.close()


class FakeAccess:
    """Signs everyone in as an RM who may see Acme only, and keeps the audit records."""

    def __init__(self) -> None:
        from assistant.serve.auth import Principal

        self.user = Principal("rita", "rm", frozenset({"Acme"}))
        self.records: list[tuple[str, str | None]] = []

    def principal(self, request: object):
        return self.user

    def record(
        self, request: object, action: str, company: str | None = None, status: int = 200, **details: object
    ) -> None:
        self.records.append((action, company, status))

    def add_file(self, request: object, path: Path, name: str) -> str:
        return f"/ui/download/{name}"


def test_portfolio_profile_upload_and_audit_through_the_web_app(
    fake_services: Services, docs: Path, tmp_path: Path
) -> None:
    from gradio_client import handle_file

    ingest_paths([docs], fake_services.store, fake_services.settings)
    access = FakeAccess()
    app = build_app(fake_services, access=access)
    app.queue().launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(app.local_url, verbose=False)
        history, _, sources = client.predict("星河科技2023年营业收入是多少？", AUTO, [], api_name="/ask")
        assert "8,652.30" not in str(history[-1]["content"]) and "星河科技" not in sources
        frame, *_ = client.predict("星河科技", api_name="/profile")
        assert "not in your portfolio" in frame and "8,652.30" not in frame  # as the REST API answers
        frame, links = client.predict("Acme", api_name="/profile")
        assert "Acme" in frame and "/ui/download/profile.json" in links
        note = tmp_path / "visit_notes.txt"
        note.write_text(
            "Acme visit notes: the CFO said 2024 orders reached $3.1 million.\n", encoding="utf-8"
        )
        report, listing = client.predict([handle_file(str(note))], "Acme", api_name="/upload")
        assert report["data"][0][:2] == ["visit_notes.txt", "stored"]
        assert "visit_notes.txt" in [row[0] for row in listing["data"]]
        report, _ = client.predict([handle_file(str(note))], "星河科技", api_name="/upload")
        assert report["data"][0][1] == "failed" and "not in your portfolio" in report["data"][0][3]
        # every action is audited, refused ones with their status (an outside company looks unknown: 404)
        assert [(a, s) for a, _, s in access.records if a != "companies" and a != "documents"] == [
            ("ask", 200),
            ("profile_view", 403),
            ("profile_view", 200),
            ("upload", 200),
            ("upload", 403),
        ]
    finally:
        app.close()


def test_a_batch_job_started_from_the_web_app_writes_its_outputs(
    fake_services: Services, docs: Path, tmp_path: Path
) -> None:
    from assistant.serve.web import BatchJob

    ingest_paths([docs], fake_services.store, fake_services.settings)
    job = BatchJob(total=2, out=tmp_path / "batch")
    job.run(fake_services, ["Acme", "星河科技"])
    assert job.finished and job.error is None and job.done == 2
    assert (tmp_path / "batch" / "profiles.jsonl").read_text(encoding="utf-8").count("\n") == 2
    assert "Acme" in (tmp_path / "batch" / "summary.csv").read_text(encoding="utf-8-sig")


def test_the_sources_panel_names_a_refusals_reason() -> None:
    from assistant.core.records import Answer
    from assistant.serve.web.render import render_sources

    refused = Answer(
        question="星河科技2019年营业收入是多少？", answer="文档中没有找到这个问题的答案", insufficient_evidence=True,
        model="fake", latency_s=0.1, path="insufficient_evidence", company="星河科技",
        reason="period_not_covered", covered_periods=["2022", "2023"],
    )  # fmt: skip
    shown = render_sources(refused)
    assert "class='reason period_not_covered'" in shown and "文档未覆盖所问年度 (2022–2023)" in shown
    answered = Answer(question="q", answer="a [1]", insufficient_evidence=False, model="fake", latency_s=0.1)
    assert "reason" not in render_sources(answered) and "verdict verified" in render_sources(answered)
