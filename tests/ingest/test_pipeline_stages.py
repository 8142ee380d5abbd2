"""The overlapping stages of an ingest run: reading goes on while earlier files are embedded and written, what
is between the stages stays bounded, vectors made ahead are the ones stored, and an abandoned run stops
its stages and gives the store its embeddings back."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import assistant.ingest.pipeline as pipeline
from assistant.core.services import Services
from assistant.ingest import stages
from assistant.ingest.pipeline import ingest_paths
from assistant.ingest.stages import Budget, VectorCache


def _files(root: Path, companies: int, per_company: int) -> None:
    for c in range(companies):
        folder = root / f"Co{c}"
        folder.mkdir(parents=True)
        for i in range(per_company):
            (folder / f"n{i:03d}.txt").write_text(f"Co{c} note {i}: revenue {c * 1000 + i} thousand.\n")


def test_files_are_read_while_earlier_ones_are_written(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "inbox", 1, 12)
    monkeypatch.setattr(pipeline, "WRITE_GROUP_FILES", 3)
    store = fake_services.store
    events: list[tuple[str, float, float]] = []
    original_read = pipeline.read_document
    original_write = store.write_documents

    def reading(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        out = original_read(*args, **kwargs)
        events.append(("read", t, time.perf_counter()))
        return out

    def writing(writes: list[Any]) -> list[int]:
        t = time.perf_counter()
        time.sleep(0.15)  # a slow store
        out = original_write(writes)
        events.append(("write", t, time.perf_counter()))
        return out

    monkeypatch.setattr(pipeline, "read_document", reading)
    store.write_documents = writing  # type: ignore[method-assign]
    report = ingest_paths([tmp_path / "inbox"], store, fake_services.settings)
    assert report.count("stored") == 12
    writes = [(a, b) for kind, a, b in events if kind == "write"]
    reads = [(a, b) for kind, a, b in events if kind == "read"]
    assert len(writes) == 4
    # reading went on during the writes: some file was read while a group was being written
    assert any(w0 < r0 < w1 for w0, w1 in writes for r0, _ in reads)
    assert [f.doc for f in report.files] == [f"n{i:03d}.txt" for i in range(12)]  # in the order found


def test_what_is_between_the_stages_stays_bounded(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "inbox", 2, 30)
    monkeypatch.setattr(pipeline, "WRITE_GROUP_FILES", 4)
    monkeypatch.setattr(pipeline, "AHEAD_GROUPS", 1)
    store = fake_services.store
    read, written = [0], [0]
    ahead: list[int] = []
    original_read = pipeline.read_document
    original_write = store.write_documents

    def reading(*args: Any, **kwargs: Any) -> Any:
        out = original_read(*args, **kwargs)
        read[0] += 1
        ahead.append(read[0] - written[0])
        return out

    def writing(writes: list[Any]) -> list[int]:
        time.sleep(0.02)
        out = original_write(writes)
        written[0] += len(writes)
        return out

    monkeypatch.setattr(pipeline, "read_document", reading)
    store.write_documents = writing  # type: ignore[method-assign]
    report = ingest_paths([tmp_path / "inbox"], store, fake_services.settings)
    assert report.count("stored") == 60
    # at most: the group being filled (4), the budget between the stages (4), one in the embedding stage's
    # hands, the one being read
    assert max(ahead) <= 4 + 4 + 2, ahead
    assert max(ahead) > 4  # and the reader did run ahead of the writer


def test_vectors_made_ahead_are_the_ones_stored(fake_services: Services, tmp_path: Path) -> None:
    _files(tmp_path / "inbox", 2, 10)
    store = fake_services.store
    real = store.embeddings
    seen: list[tuple[int, int]] = []
    original_write = store.write_documents

    def writing(writes: list[Any]) -> list[int]:
        cache = store.embeddings
        assert isinstance(cache, VectorCache) and cache.inner is real
        before = cache.misses
        out = original_write(writes)
        seen.append((cache.hits, cache.misses - before))
        return out

    store.write_documents = writing  # type: ignore[method-assign]
    report = ingest_paths([tmp_path / "inbox"], store, fake_services.settings)
    assert report.count("stored") == 20
    assert seen and all(misses == 0 for _, misses in seen)  # the store embedded nothing itself
    assert seen[-1][0] == 20  # every chunk's vector came from the embedding stage
    assert store.embeddings is real  # given back after the run
    assert all("embed" in f.timings for f in report.files)
    got = store.collection.get(include=["embeddings", "documents"])
    texts = got["documents"] or []
    vectors = real.embed_documents(list(texts))
    for stored, fresh in zip(got["embeddings"], vectors, strict=True):  # type: ignore[arg-type]
        assert list(stored) == pytest.approx(fresh, abs=1e-6)


def test_a_failing_embedding_stage_leaves_the_embedding_to_the_store(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "inbox", 1, 5)

    def broken(*args: Any, **kwargs: Any) -> set[str]:
        raise RuntimeError("ledger busy")

    monkeypatch.setattr(stages, "store_has", broken)
    report = ingest_paths([tmp_path / "inbox"], fake_services.store, fake_services.settings)
    assert report.count("stored") == 5 and fake_services.store.chunk_count() == 5


def test_an_error_in_the_writer_stops_the_stages(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "inbox", 1, 40)
    monkeypatch.setattr(pipeline, "WRITE_GROUP_FILES", 2)
    store = fake_services.store
    real = store.embeddings
    before = threading.active_count()

    def on_file(entry: Any) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the progress bar is drawn

    with pytest.raises(KeyboardInterrupt):
        ingest_paths([tmp_path / "inbox"], store, fake_services.settings, on_file=on_file)
    assert store.embeddings is real
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before  # the reading and embedding threads ended


def test_a_folder_that_cannot_be_listed_is_an_error_after_the_files_before_it(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "inbox", 1, 3)
    real = pipeline.discover
    monkeypatch.setattr(pipeline, "discover", lambda paths, company: _then_fail(real(paths, company)))
    with pytest.raises(PermissionError, match="cannot list"):
        ingest_paths([tmp_path / "inbox"], fake_services.store, fake_services.settings)
    assert len(fake_services.store.documents()) == 3  # the files found before it were stored


def _then_fail(found: Any) -> Any:
    yield from found
    raise PermissionError("cannot list inbox/more")


def test_a_company_told_from_the_text_knows_the_names_taught_before_it(
    fake_services: Services, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a_report.txt").write_text(
        "杭州星河智能科技股份有限公司 2023年年度报告\n公司名称：杭州星河智能科技股份有限公司\n"
        "英文名称：Hangzhou Xinghe Intelligent Technology Co., Ltd.\n2023年营业收入为1.2亿元。\n",
        encoding="utf-8",
    )
    (inbox / "b_letter.txt").write_text(
        "Hangzhou Xinghe Intelligent Technology Co., Ltd.\nLetter to shareholders: revenue grew 20% in 2023.\n",
        encoding="utf-8",
    )
    report = ingest_paths(
        [inbox / "a_report.txt", inbox / "b_letter.txt"], fake_services.store, fake_services.settings
    )
    assert [f.status for f in report.files] == ["stored", "stored"], [f.error for f in report.files]
    assert [f.company for f in report.files] == ["星河智能", "星河智能"]


def test_the_budget_lets_a_file_larger_than_itself_pass_alone() -> None:
    budget = Budget(files=2, chunks=10)
    stop = threading.Event()
    assert budget.try_take(50)  # nothing else between the stages
    assert not budget.try_take(1)
    budget.give(50)
    assert budget.try_take(6) and budget.try_take(4) and not budget.try_take(0)  # two files at most
    budget.give(6)
    assert not budget.try_take(7)  # 4 + 7 > 10 chunks
    freed = threading.Timer(0.1, budget.give, args=(4,))
    freed.start()
    budget.take(7, stop)  # waits until the writer gives back
    assert budget.used_files == 1 and budget.used_chunks == 7


def test_the_vector_cache_holds_a_text_while_an_item_needs_it() -> None:
    from assistant.models.embeddings import FakeEmbeddings

    cache = VectorCache(FakeEmbeddings())
    assert cache.missing(["a", "b", "a"]) == {"a": 2, "b": 1}  # two items need "a"
    cache.add({"a": 2, "b": 1}, [[1.0], [2.0]])
    assert cache.missing(["a", "c"]) == {"c": 1}  # a third item needs "a": held three times now
    cache.drop(["a", "b"])
    cache.drop(["a"])
    assert len(cache) == 1 and cache.embed_documents(["a"]) == [[1.0]]  # the third still holds it
    cache.drop(["a"])
    assert len(cache) == 0 and cache.embed_documents(["a"]) != [[1.0]]  # computed by the model again


def test_a_documents_facts_are_read_while_its_chunks_are_embedded(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "inbox", 1, 1)
    store = fake_services.store
    spans: dict[str, tuple[float, float]] = {}
    original_facts = pipeline.read_facts
    original_embed = store.embeddings.embed_documents

    def facts(*args: Any) -> Any:
        t = time.perf_counter()
        time.sleep(0.3)
        out = original_facts(*args)
        spans["facts"] = (t, time.perf_counter())
        return out

    def embedding(texts: list[str]) -> list[list[float]]:
        t = time.perf_counter()
        time.sleep(0.3)
        out = original_embed(texts)
        spans.setdefault("embed", (t, time.perf_counter()))
        return out

    monkeypatch.setattr(pipeline, "read_facts", facts)
    store.embeddings.embed_documents = embedding  # type: ignore[method-assign]
    report = ingest_paths([tmp_path / "inbox"], store, fake_services.settings)
    assert report.count("stored") == 1 and "facts" in report.files[0].timings
    (f0, f1), (e0, e1) = spans["facts"], spans["embed"]
    assert f0 < e1 and e0 < f1  # the two overlapped
