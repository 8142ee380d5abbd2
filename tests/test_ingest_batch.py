"""A folder of 1,000 files, some bad: every good file stored once, every bad one reported, the run goes on."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest import ingest_paths
from assistant.services import Services


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
                path.write_text(f"公司{c}的第{i}份文件：2023年营业收入为{c * 1000 + i}.5万元。\n", encoding="utf-8")
    report = ingest_paths([root], fake_services.store, fake_services.settings)
    assert len(report.files) == 1000
    failed = {f"{Path(f.path).parent.name}/{Path(f.path).name}": f.error or "" for f in report.files if f.status == "failed"}
    assert set(failed) == set(bad)
    for key, reason in bad.items():
        assert key.split("/")[1] in failed[key] and reason in failed[key], failed[key]
    assert report.count("stored") == 1000 - len(bad)
    assert not report.ok
    assert sum(c.documents for c in fake_services.store.companies()) == 1000 - len(bad)
    # nothing stored changes on a second run; the bad files fail again with the same reasons
    again = ingest_paths([root], fake_services.store, fake_services.settings)
    assert again.count("unchanged") == 1000 - len(bad) and again.count("failed") == len(bad)
