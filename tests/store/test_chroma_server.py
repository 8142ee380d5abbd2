"""The store against a real Chroma server (``chroma run`` in a subprocess, see conftest): ingest, search, ask,
delete, a run killed between the server's write and the ledger's commit, ``store copy``, TLS and a token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import chromadb
import numpy as np
import pytest

from assistant.answer.retrieve import hybrid_search
from assistant.cli.main import main
from assistant.core.errors import AssistantError, ConfigError, InputError
from assistant.core.records import Chunk
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.store.index import Store
from assistant.store.ledger import Ledger
from assistant.store.remote import ChromaServer, connect
from assistant.store.transfer import copy_store
from tests.store.conftest import RunningChroma, TlsProxy, free_port

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    ("What was revenue in fiscal 2023?", "Acme"),
    ("How many invention patents does Acme hold?", "Acme"),
    ("2023年营业收入是多少？", "星河科技"),
    ("研发投入", "星河科技"),
]


def _settings(store: Path, server: RunningChroma | None) -> Settings:
    """Fake models; the vectors embedded (``server`` None, whatever the environment says) or on ``server``."""
    fake = Settings(store=store, llm_backend="fake", embedding_backend="fake", min_relevance=0.05)
    if server is None:
        return fake.model_copy(update={"store_backend": "chroma"})
    return fake.model_copy(
        update={"store_backend": "chroma-http", "chroma_host": server.host, "chroma_port": server.port}
    )


@pytest.fixture
def remote(chroma_server: RunningChroma, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of a new store on the server; the same in the environment (for the CLI and subprocesses)."""
    monkeypatch.setenv("ASSISTANT_STORE_BACKEND", "chroma-http")
    monkeypatch.setenv("ASSISTANT_CHROMA_HOST", chroma_server.host)
    monkeypatch.setenv("ASSISTANT_CHROMA_PORT", str(chroma_server.port))
    return _settings(tmp_path / "store", chroma_server)


def _consistent(store: Store) -> set[str]:
    """Every vector on the server has a source row and a keyword row, and the other way round; nothing pending.
    Returns the ids."""
    with store.ledger.tx() as db:
        live = {r[0] for r in db.execute("SELECT DISTINCT chunk_id FROM sources")}
        keyword_ids = sorted(r[0] for r in db.execute("SELECT chunk_id FROM keywords"))
        pending = db.execute("SELECT COUNT(*) FROM documents WHERE status!='stored'").fetchone()[0]
    ids = store.collection.get(include=[])["ids"]
    assert sorted(ids) == sorted(live) == keyword_ids
    assert pending == 0
    return set(ids)


def _server_collections(server: RunningChroma) -> dict[str, int]:
    client = chromadb.HttpClient(host=server.host, port=server.port)
    return {c.name: c.count() for c in client.list_collections()}


def _answers(services: Services) -> list[tuple[str, bool, list[tuple[str, int | None, str]]]]:
    out = []
    for question, company in QUESTIONS:
        a = services.answerer.ask(question, company)
        out.append((a.answer, a.insufficient_evidence, [(c.doc, c.page, c.chunk_id) for c in a.citations]))
    return out


def _searches(store: Store) -> list[list[tuple[Chunk, float]]]:
    """Hybrid and dense results (passage with its company, document, page and text; score) of a few queries."""
    out = []
    for question, company in QUESTIONS:
        for within in (company, None):
            out.append([(e.chunk, e.score) for e in hybrid_search(store, question, within, k=5)])
            out.append([(e.chunk, e.score) for e in store.query(question, within, k=5)])
    return out


def test_ingest_search_ask_delete_on_the_server(
    remote: Settings, chroma_server: RunningChroma, docs: Path, tmp_path: Path
) -> None:
    services = Services(remote)
    store = services.store
    assert store.server is not None and store.collection.name.startswith("chunks-fake-")
    report = ingest_paths([docs], store, remote)
    assert [f.status for f in report.files] == ["stored", "stored"]
    ids = _consistent(store)
    # the vectors are on the server, in this store's collection; nothing embedded in the store directory
    assert _server_collections(chroma_server)[store.collection.name] == len(ids) > 0
    assert not (remote.store / "chroma").exists() and (remote.store / "ledger.sqlite3").is_file()

    hit = hybrid_search(store, "营业收入 2023", "星河科技", k=3)[0]
    assert hit.chunk.doc == "news.md" and "8,652.30万元" in hit.chunk.text
    dense = store.query("Revenue for fiscal 2023", "Acme", k=1)[0]
    assert dense.chunk.doc == "notes.txt" and dense.score > 0.2

    answer = services.answerer.ask("What was revenue in fiscal 2023?", "Acme")
    assert not answer.insufficient_evidence and answer.path == "computed"
    assert answer.citations[0].doc == "notes.txt" and "12.4" in answer.answer

    # the same documents in an embedded store answer and rank exactly alike
    embedded = Services(_settings(tmp_path / "embedded", None))
    ingest_paths([docs], embedded.store, embedded.settings)
    assert _answers(embedded) == _answers(services)
    assert _searches(embedded.store) == _searches(store)

    # delete: gone from the ledger, the keyword index and the server
    assert store.delete_document("Acme", "notes.txt") == 1
    left = _consistent(store)
    assert len(left) < len(ids) and [c.company for c in store.companies()] == ["星河科技"]
    assert store.query("Revenue for fiscal 2023", "Acme", k=3) == []
    assert store.ledger.keyword_search(["acme", "revenue"], "Acme", 10) == []

    # a second process (here: a new Store) finds the store as it was left
    again = Services(remote).store
    assert again.recovered == [] and again.collection.name == store.collection.name
    assert _consistent(again) == left


def test_the_cli_uses_the_server_named_in_the_environment(
    remote: Settings, chroma_server: RunningChroma, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = ["--store", str(remote.store), "--llm", "fake", "--embeddings", "fake"]
    assert main([*run, "ingest", str(docs), "--json"]) == 0
    assert [f["status"] for f in json.loads(capsys.readouterr().out)["files"]] == ["stored", "stored"]
    assert main([*run, "search", "研发投入", "--company", "星河科技", "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["doc"] == "news.md"
    assert main([*run, "delete", "--company", "星河科技", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": ["星河科技/news.md"]}
    name = Services(remote).store.collection.name
    assert _server_collections(chroma_server)[name] == len(Services(remote).store.company_texts("Acme")) > 0


_KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
settings = Settings(store=Path(sys.argv[1]), llm_backend="fake", embedding_backend="fake")  # server: environment
store = Services(settings).store
upsert = store.collection.upsert
def dying_upsert(**kwargs):
    if sys.argv[3] == "after":
        upsert(**kwargs)  # on the server now; the ledger's commit never comes
    print("killed", sys.argv[3], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
store.collection.upsert = dying_upsert
ingest_paths([Path(sys.argv[2])], store, settings)
print("not killed", flush=True)
"""


@pytest.mark.parametrize("moment", ["before", "after"])
def test_killed_between_the_server_write_and_the_ledger_commit_then_recovered(
    remote: Settings, docs: Path, moment: str
) -> None:
    services = Services(remote)
    ingest_paths([docs], services.store, remote)
    _consistent(services.store)
    with services.store.ledger.tx() as db:
        news = {r[0] for r in db.execute("SELECT chunk_id FROM sources WHERE doc='news.md'")}
    notes = docs / "Acme" / "notes.txt"
    notes.write_text(notes.read_text() + "Acme signed a supply agreement with Northwind Logistics in 2024.\n")

    proc = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT, str(remote.store), str(docs), moment],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == -signal.SIGKILL and f"killed {moment}" in proc.stdout, proc.stderr[-2000:]

    # the next opening repairs what the dead run left: the changed document is in neither the ledger nor
    # the server (its old version was being replaced), the other one untouched
    probe = Services(remote).store
    assert probe.recovered == [("Acme", "notes.txt")]
    assert _consistent(probe) == news and probe.documents() == [("星河科技", "news.md")]

    report = ingest_paths([docs], probe, remote)
    assert {f.doc: f.status for f in report.files} == {"notes.txt": "stored", "news.md": "unchanged"}
    _consistent(probe)
    hit = hybrid_search(probe, "Northwind supply agreement", "Acme", k=1)[0]
    assert hit.chunk.doc == "notes.txt" and "Northwind" in hit.chunk.text
    with probe.ledger.tx() as db:
        assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2


def test_the_dead_run_left_vectors_on_the_server_that_recover_removes(
    remote: Settings, chroma_server: RunningChroma, docs: Path
) -> None:
    """The state between the two steps, seen before any store opens it again: ``recover()`` is what fixes it."""
    subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT, str(remote.store), str(docs), "after"],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    with Ledger(remote.store / "ledger.sqlite3").tx() as db:
        pending = db.execute("SELECT COUNT(*) FROM documents WHERE status='pending'").fetchone()[0]
        sources = db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
    on_server = [n for n, count in _server_collections(chroma_server).items() if count]
    assert pending == 2 and sources == 0
    store = Services(remote).store
    assert store.collection.name in on_server  # vectors without sources were there …
    assert sorted(store.recovered) == [("Acme", "notes.txt"), ("星河科技", "news.md")]
    assert _consistent(store) == set() and store.chunk_count() == 0  # … and are gone


def test_a_failed_server_write_is_undone_at_once(remote: Settings, docs: Path) -> None:
    import httpx

    store = Services(remote).store
    upsert = store.collection.upsert

    def failing(**kwargs: object) -> None:
        upsert(**kwargs)  # type: ignore[arg-type]
        raise httpx.ReadTimeout("the server stopped answering")

    store.collection.upsert = failing  # type: ignore[method-assign]
    report = ingest_paths([docs], store, remote)
    assert {f.status for f in report.files} == {"failed"} and "ReadTimeout" in (report.files[0].error or "")
    assert _consistent(store) == set() and store.documents() == []  # in neither, without reopening
    store.collection.upsert = upsert  # type: ignore[method-assign]
    assert {f.status for f in ingest_paths([docs], store, remote).files} == {"stored"}
    assert _consistent(store)


def test_a_delete_the_server_failed_is_finished_by_the_next_write(remote: Settings, docs: Path) -> None:
    import httpx

    store = Services(remote).store
    ingest_paths([docs], store, remote)
    delete = store.collection.delete

    def unreachable(**kwargs: object) -> None:
        raise httpx.ConnectError("the server went away")

    store.collection.delete = unreachable  # type: ignore[method-assign]
    with pytest.raises(httpx.ConnectError):
        store.delete_document("Acme", "notes.txt")
    assert store.documents() == [("星河科技", "news.md")]  # the ledger let it go; its vectors are still there
    with store.ledger.tx() as db:
        assert store.chunk_count() > db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
    store.collection.delete = delete  # type: ignore[method-assign]
    (docs / "星河科技" / "visit.md").write_text("2024年3月走访：星河科技新建产线投产。\n")
    ingest_paths([docs / "星河科技"], store, remote, company="星河科技")  # repairs before it writes
    assert {c.doc for c in store.company_texts("星河科技")} == {"news.md", "visit.md"}
    assert store.company_texts("Acme") == [] and _consistent(store)


def test_store_copy_round_trips_with_identical_search_results(
    chroma_server: RunningChroma, tmp_path: Path, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for c in range(3):  # enough passages for several batches
        (docs / f"Co{c}").mkdir()
        for d in range(4):
            (docs / f"Co{c}" / f"report{d}.txt").write_text(
                "\n".join(
                    f"Co{c} report {d} line {i}: 2023年营业收入{c * 100 + d * 10 + i}万元。"
                    for i in range(40)
                )
            )
    (docs / "Acme" / "financials.md").write_text(  # a table: its rows are embedded without the bars
        "# Financials\n\n| Item | 2023 | 2022 |\n|---|---|---|\n| Revenue | 12,400 | 9,100 |\n"
        "| Research and development | 2,100 | 1,650 |\n"
    )
    source = Services(_settings(tmp_path / "embedded", None))
    ingest_paths([docs], source.store, source.settings)
    count = source.store.chunk_count()
    assert count > 20

    target = tmp_path / "on-server"
    args = ["--embeddings", "fake", "store", "copy", "--from", str(source.settings.store)]
    assert main([*args, "--to", chroma_server.url, "--to-store", str(target), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["collections"].values()) == [count] and report["documents"] == 15

    assert source.store.ledger.get_meta("chroma_store_id") is None  # the source is only read
    copy = Services(_settings(target, chroma_server))
    assert copy.store.recovered == [] and copy.store.refreshed == 0  # nothing re-embedded on opening either
    assert copy.store.collection.name in report["collections"]
    assert _consistent(copy.store) == set(source.store.collection.get(include=[])["ids"])
    assert copy.store.companies() == source.store.companies()
    assert copy.store.document_hashes() == source.store.document_hashes()
    assert copy.store.facts("Acme") == source.store.facts("Acme")
    assert _searches(copy.store) == _searches(source.store)
    assert _answers(copy) == _answers(source)
    a = source.store.collection.get(ids=["x"] + sorted(_consistent(copy.store))[:5], include=["embeddings"])
    b = copy.store.collection.get(ids=a["ids"], include=["embeddings"])
    # the very vectors: float32 as stored (the server answers in JSON, read back as float64)
    same = np.asarray(a["embeddings"], dtype=np.float32) == np.asarray(b["embeddings"], dtype=np.float32)
    assert a["ids"] == b["ids"] and len(a["ids"]) == 5 and same.all()

    # copying into a store directory that holds a store is refused; so is copying a store onto itself
    assert main([*args, "--to", chroma_server.url, "--to-store", str(target)]) == 2
    assert "holds a store already" in capsys.readouterr().err
    assert main(["--store", str(source.settings.store), *args[2:], "--to", chroma_server.url]) == 2
    assert "needs a store directory of its own" in capsys.readouterr().err


def test_an_interrupted_copy_is_refused_until_it_is_finished(
    chroma_server: RunningChroma, tmp_path: Path, docs: Path
) -> None:
    source = Services(_settings(tmp_path / "embedded", None))
    ingest_paths([docs], source.store, source.settings)
    server, target = ChromaServer(port=chroma_server.port), tmp_path / "copy"

    def interrupt(n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_store(source.settings.store, target, server, batch=1, on_batch=interrupt)
    with pytest.raises(AssistantError, match="unfinished copy .* run `assistant store copy"):
        _ = Services(_settings(target, chroma_server)).store
    report = copy_store(source.settings.store, target, server, batch=1)
    assert list(report.collections.values()) == [source.store.chunk_count()]
    store = Services(_settings(target, chroma_server)).store
    assert _searches(store) == _searches(source.store)


def test_stores_that_do_not_belong_to_the_server_are_refused(
    chroma_server: RunningChroma, tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded = Services(_settings(tmp_path / "s", None))
    ingest_paths([docs], embedded.store, embedded.settings)
    with pytest.raises(
        ConfigError, match="embedded Chroma, not on the server .*`assistant store copy --from"
    ):
        _ = Services(_settings(tmp_path / "s", chroma_server)).store

    on_server = Services(_settings(tmp_path / "r", chroma_server))
    ingest_paths([docs], on_server.store, on_server.settings)
    with pytest.raises(ConfigError, match="keeps its vectors on a Chroma server .* ASSISTANT_STORE_BACKEND"):
        _ = Services(_settings(tmp_path / "r", None)).store  # never opened as an empty embedded store
    assert not (tmp_path / "r" / "chroma").exists()

    nobody = ChromaServer(port=free_port())
    with pytest.raises(ConfigError, match=f"cannot reach the Chroma server at {nobody.url}.*chroma run"):
        _ = Store(tmp_path / "t", embedded.embeddings, "fake", server=nobody)
    monkeypatch.setenv("ASSISTANT_STORE_BACKEND", "chroma-http")
    monkeypatch.setenv("ASSISTANT_CHROMA_PORT", str(nobody.port))
    assert main(["--store", str(tmp_path / "t"), "--embeddings", "fake", "companies"]) == 2

    with pytest.raises(InputError, match="not a Chroma server address"):
        ChromaServer().at("ftp://127.0.0.1:8000")
    assert (
        ChromaServer(token="t").at("https://chroma.bank.internal:9443").url
        == "https://chroma.bank.internal:9443"
    )


def test_two_store_directories_on_one_server_never_touch_each_other(
    chroma_server: RunningChroma, tmp_path: Path, docs: Path
) -> None:
    one = Services(_settings(tmp_path / "one", chroma_server))
    two = Services(_settings(tmp_path / "two", chroma_server))
    ingest_paths([docs / "Acme"], one.store, one.settings, company="Acme")
    ingest_paths([docs / "星河科技"], two.store, two.settings, company="星河科技")
    assert one.store.collection.name != two.store.collection.name
    assert Services(one.settings).store.recovered == []  # its recover() leaves the other's vectors alone
    assert [c.company for c in Services(two.settings).store.companies()] == ["星河科技"]
    assert {e.chunk.company for e in two.store.query("revenue 营业收入", None, k=10)} == {"星河科技"}
    assert _consistent(one.store) and _consistent(two.store)


def test_tls_and_token_through_a_proxy(tls_proxy: TlsProxy, tmp_path: Path, docs: Path) -> None:
    base = {"store_backend": "chroma-http", "chroma_port": tls_proxy.port, "chroma_ssl": True}
    settings = _settings(tmp_path / "s", None).model_copy(
        update={**base, "chroma_ca_bundle": tls_proxy.ca_file, "chroma_token": tls_proxy.token}
    )
    services = Services(settings)
    ingest_paths([docs], services.store, settings)
    assert hybrid_search(services.store, "营业收入 2023", "星河科技", k=1)[0].chunk.doc == "news.md"
    assert tls_proxy.refused == []
    session = services.store._client._server._session  # type: ignore[attr-defined]
    assert session.timeout.read == settings.chroma_timeout_s  # never the client's default of waiting for ever

    with pytest.raises(ConfigError, match="cannot reach the Chroma server"):  # a wrong token
        connect(ChromaServer(port=tls_proxy.port, ssl=True, ca_bundle=str(tls_proxy.ca_file), token="wrong"))
    assert tls_proxy.refused
    with pytest.raises(ConfigError, match="cannot reach"):  # a certificate no CA of ours signed
        connect(ChromaServer(port=tls_proxy.port, ssl=True, token=tls_proxy.token))


def test_the_environment_chooses_the_backend_of_this_folders_tests(fake_services: Services) -> None:
    """ASSISTANT_STORE_BACKEND=chroma-http runs the store tests against a server (conftest); else embedded."""
    if os.environ.get("ASSISTANT_STORE_BACKEND") == "chroma-http":
        server = fake_services.store.server
        assert server is not None and server.port == int(os.environ["ASSISTANT_CHROMA_PORT"])
        assert not (fake_services.settings.store / "chroma").exists()
    else:
        assert fake_services.store.server is None and (fake_services.settings.store / "chroma").is_dir()


def test_a_store_opened_during_a_write_waits_instead_of_undoing_it(remote: Settings, docs: Path) -> None:
    """A second process (serve --workers, a batch worker) opening the store mid-write must not take the write's
    pending rows and fresh vectors for a dead run's: it waits for the write lock."""
    import threading

    writer = Services(remote).store
    upsert, written, release = writer.collection.upsert, threading.Event(), threading.Event()

    def slow_upsert(**kwargs: object) -> None:
        upsert(**kwargs)  # type: ignore[arg-type]
        written.set()  # on the server, the ledger still pending
        assert release.wait(30)

    writer.collection.upsert = slow_upsert  # type: ignore[method-assign]
    ingest = threading.Thread(target=ingest_paths, args=([docs], writer, remote))
    ingest.start()
    assert written.wait(30) and writer.ledger.pending()
    opened: list[Store] = []
    opener = threading.Thread(target=lambda: opened.append(Services(remote).store))
    opener.start()
    opener.join(timeout=1.5)
    assert opener.is_alive() and not opened  # waiting for the writer
    release.set()
    ingest.join(timeout=30)
    opener.join(timeout=30)
    assert opened and opened[0].recovered == []
    assert len(_consistent(opened[0])) > 0 and len(opened[0].documents()) == 2
