"""A folder of 1,000 files, some bad: every good file stored once, every bad one reported, the run goes on."""

from __future__ import annotations

from pathlib import Path

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths


def test_thousand_files_with_some_bad(fake_services: Services, tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    bad: dict[str, str] = {}
    for c in range(4):
        folder = root / f"公司{c}"
        folder.mkdir(parents=True)
        for i in range(250):
            name = f"doc {i:03d}.txt"
            path = folder / name
            if i % 50 == 7:
                path.write_bytes(b"")
                bad[f"{folder.name}/{name}"] = "the file is empty"
            elif i % 50 == 19:
                path.with_suffix(".pdf").write_bytes(b"%PDF-1.4\n%broken")
                bad[f"{folder.name}/{path.with_suffix('.pdf').name}"] = "PDF"
            elif i % 50 == 33:
                path.write_bytes(bytes(range(256)) * 8)
                bad[f"{folder.name}/{name}"] = "binary"
            else:
                path.write_text(
                    f"公司{c}的第{i}份文件：2023年营业收入为{c * 1000 + i}.5万元。\n", encoding="utf-8"
                )
    report = ingest_paths([root], fake_services.store, fake_services.settings)
    assert len(report.files) == 1000
    failed = {
        f"{Path(f.path).parent.name}/{Path(f.path).name}": f.error or ""
        for f in report.files
        if f.status == "failed"
    }
    assert set(failed) == set(bad)
    for key, reason in bad.items():
        assert key.split("/")[1] in failed[key] and reason in failed[key], failed[key]
    assert report.count("stored") == 1000 - len(bad)
    assert not report.ok
    assert sum(c.documents for c in fake_services.store.companies()) == 1000 - len(bad)
    # nothing stored changes on a second run; the bad files fail again with the same reasons
    again = ingest_paths([root], fake_services.store, fake_services.settings)
    assert again.count("unchanged") == 1000 - len(bad) and again.count("failed") == len(bad)


def _small_files(root: Path, companies: int, per_company: int) -> None:
    for c in range(companies):
        folder = root / f"Co{c}"
        folder.mkdir(parents=True)
        for i in range(per_company):
            (folder / f"n{i:03d}.txt").write_text(f"Co{c} note {i}: revenue {c * 1000 + i} thousand.\n")


def test_small_files_are_written_in_groups(fake_services: Services, tmp_path: Path) -> None:
    import assistant.ingest.pipeline as ingest

    root = tmp_path / "inbox"
    _small_files(root, 3, 50)
    store = fake_services.store
    calls: list[int] = []
    upsert = store.collection.upsert

    def counting(**kw: object) -> None:
        calls.append(len(kw["ids"]))  # type: ignore[arg-type]
        upsert(**kw)  # type: ignore[arg-type]

    store.collection.upsert = counting  # type: ignore[method-assign]
    report = ingest_paths([root], store, fake_services.settings)
    assert report.count("stored") == 150 and sum(calls) == 150
    assert len(calls) == -(-150 // ingest.WRITE_GROUP_FILES) < 150  # one Chroma call per group, not per file
    assert all(f.timings["store"] > 0 and f.new_vectors == 1 for f in report.files)
    assert len(store.documents()) == 150


def test_a_group_that_fails_is_written_file_by_file(fake_services: Services, tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    _small_files(root, 1, 20)
    store = fake_services.store
    original = store.write_documents

    def refusing(writes: list) -> list[int]:  # type: ignore[type-arg]
        if any(w.document.doc == "n007.txt" for w in writes):
            raise RuntimeError("disk full")
        return original(writes)

    store.write_documents = refusing  # type: ignore[method-assign]
    report = ingest_paths([root], store, fake_services.settings)
    failed = [f for f in report.files if f.status == "failed"]
    assert [Path(f.path).name for f in failed] == ["n007.txt"]
    assert "n007.txt" in (failed[0].error or "") and "disk full" in (failed[0].error or "")
    assert report.count("stored") == 19 and len(store.documents()) == 19


def test_a_copy_waiting_in_the_same_group_is_a_duplicate(fake_services: Services, tmp_path: Path) -> None:
    root = tmp_path / "inbox" / "Acme"
    root.mkdir(parents=True)
    (root / "a.txt").write_text("Acme Robotics Inc. revenue 2023: $12.4 million.\n")
    (root / "b.txt").write_text("Acme Robotics Inc. revenue 2023: $12.4 million.\n")
    report = ingest_paths([root.parent], fake_services.store, fake_services.settings)
    assert [f.status for f in report.files] == ["stored", "duplicate"]
    assert "Acme/a.txt" in (report.files[1].error or "")


def test_the_same_document_twice_in_one_run_keeps_the_later(fake_services: Services, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "memo.txt").write_text("Acme memo, first version: 10 employees.\n")
    (two / "memo.txt").write_text("Acme memo, second version: 12 employees.\n")
    report = ingest_paths([one, two], fake_services.store, fake_services.settings, company="Acme")
    assert [f.status for f in report.files] == ["stored", "stored"]
    texts = fake_services.store.collection.get(include=["documents"])["documents"] or []
    assert texts == ["Acme memo, second version: 12 employees."]
