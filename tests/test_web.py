"""The first web page, served for real on a local port and driven over HTTP with gradio_client."""

from __future__ import annotations

from pathlib import Path

from gradio_client import Client

from assistant.ingest import ingest_paths
from assistant.services import Services
from assistant.web import AUTO, build_app


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
        assert "verified" in sources

        # A follow-up in the same browser session keeps the company and is rewritten to stand alone.
        history, _, sources = client.predict("那2019年呢？", AUTO, history, api_name="/ask")
        assert "星河科技2019年营业收入是多少？" in sources
        assert "文档中没有找到" in str(history[-1]["content"])

        history, _, sources = client.predict("星河科技2019年营业收入是多少？", "星河科技", [], api_name="/ask")
        assert "文档中没有找到" in str(history[-1]["content"])
        assert "Not in the documents" in sources
    finally:
        app.close()
