"""Dispatch: content sniffing, file checks (size, permissions, directories, odd paths), one error type."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from assistant.core.errors import DocumentError, UnsupportedFileType
from assistant.ingest.readers import EXTENSIONS, read_document, supported
from tests.ingest.test_readers_docx import make_docx
from tests.ingest.test_readers_pdf import ROWS, make_pdf, make_table_pdf
from tests.ingest.test_readers_sheet import make_xlsx


def test_supported_by_extension_case_insensitive() -> None:
    for name in (
        "a.pdf",
        "b.PDF",
        "c.docx",
        "d.xlsx",
        "e.csv",
        "f.json",
        "g.jsonl",
        "h.html",
        "i.HTM",
        "j.md",
        "k.txt",
    ):
        assert supported(Path(name)), name
    for name in ("deck.pptx", "old.doc", "noext", "img.png"):
        assert not supported(Path(name)), name


def test_document_fields(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "r.pdf", [["营业收入8,652.30万元"]])
    doc = read_document(path, "星河科技")
    assert (doc.path, doc.doc, doc.company, doc.reader) == (str(path), "r.pdf", "星河科技", "pdf")
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_odd_characters_and_spaces_in_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "公司 资料 (2024) & co"
    folder.mkdir()
    path = make_table_pdf(folder / "年报 (final) #1 — 副本.pdf", ROWS)
    doc = read_document(path, "C")
    assert doc.doc == "年报 (final) #1 — 副本.pdf"
    assert "| 研发投入合计 | 31,572,004.18 | 25,001,200.00 |" in doc.pages[0].text
    broken = folder / "坏 文件 #2.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated")
    with pytest.raises(DocumentError) as info:
        read_document(broken, "C")
    assert str(info.value).startswith(f"{broken}: corrupt or unreadable PDF")
    assert "\n" not in str(info.value)


def test_pdf_named_txt_is_read_as_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(
        make_pdf(tmp_path / "r.pdf", [["研发投入合计 31,572,004.18 元"], ["Page 2 text"]]).read_bytes()
    )
    doc = read_document(path, "C")
    assert doc.reader == "pdf" and [p.number for p in doc.pages] == [1, 2]
    assert doc.pages[0].text == "研发投入合计 31,572,004.18 元"
    assert doc.warnings == ["wrong extension: looks like PDF"]


def test_docx_named_pdf_is_read_as_docx(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(make_docx(tmp_path / "p.docx").read_bytes())
    doc = read_document(path, "C")
    assert doc.reader == "docx" and doc.warnings == ["wrong extension: looks like DOCX"]
    assert "| 研发投入合计 | 31,572,004.18 | 25,001,200.00 |" in doc.pages[0].text


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".xlsx", ".html", ".json", ".csv", ".md"])
def test_zero_byte_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(DocumentError, match=rf"empty\{suffix}: the file is empty"):
        read_document(path, "C")


def test_file_over_the_size_limit_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_pdf(tmp_path / "big.pdf", [["x" * 50]] * 3)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read despite the limit"))
    with pytest.raises(DocumentError, match=r"big\.pdf: file is 0\.00\d+ MB, over the 0\.0001 MB limit"):
        read_document(path, "C", max_bytes=100)


def test_permission_denied_by_the_file_system(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode (see the monkeypatched test below)")
    path = tmp_path / "secret.txt"
    path.write_text("机密")
    path.chmod(0)
    try:
        with pytest.raises(DocumentError, match=r"secret\.txt: permission denied"):
            read_document(path, "C")
    finally:
        path.chmod(0o644)


def test_permission_denied_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("机密")

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(DocumentError, match=r"^.*secret\.txt: permission denied$"):
        read_document(path, "C")


def test_directory_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "looks_like.pdf"
    folder.mkdir()
    with pytest.raises(DocumentError, match=r"looks_like\.pdf: is a directory"):
        read_document(folder, "C")
    with pytest.raises(DocumentError, match=r"gone\.txt: no such file"):
        read_document(tmp_path / "gone.txt", "C")


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"{\\rtf1\\ansi", "an RTF file"),
    ],
)
def test_known_non_documents(tmp_path: Path, head: bytes, reason: str) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(head + bytes(500))
    with pytest.raises(DocumentError, match=rf"report\.docx: {reason}"):
        read_document(path, "C")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "deck.pptx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFileType, match=r"deck\.pptx: unsupported file type '\.pptx'"):
        read_document(path, "C")


def test_damaged_files_only_ever_raise_document_error(tmp_path: Path) -> None:
    """Truncations, byte flips and noise under every extension: a Document or a DocumentError, nothing
    else; and no damaged file breaks the reading of the next one."""
    rng = random.Random(7)
    samples = {
        ".pdf": make_table_pdf(tmp_path / "s.pdf", ROWS).read_bytes(),
        ".docx": make_docx(tmp_path / "s.docx").read_bytes(),
        ".xlsx": make_xlsx(tmp_path / "s.xlsx").read_bytes(),
        ".html": "<html><body><table><tr><td>研发</td></tr></table><p>正文</p></body></html>".encode(),
        ".json": '[{"a": {"b": [1, 2, "三"]}}]'.encode(),
        ".csv": b"a,b\n1,2\n",
    }
    cases = 0
    for suffix, good in samples.items():
        variants = [good[: len(good) * k // 10] for k in range(1, 10)]
        for _ in range(6):
            bad = bytearray(good)
            for _ in range(max(1, len(bad) // 200)):
                bad[rng.randrange(len(bad))] = rng.randrange(256)
            variants.append(bytes(bad))
        variants.append(bytes(rng.randrange(256) for _ in range(3000)))
        for i, data in enumerate(variants):
            path = tmp_path / f"fuzz{i}{suffix}"
            path.write_bytes(data)
            try:
                read_document(path, "C")
            except DocumentError as exc:
                assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
            cases += 1
    assert cases == 6 * 16
    for suffix, good in samples.items():  # no damaged file leaves state behind that breaks the next one
        path = tmp_path / f"good{suffix}"
        path.write_bytes(good)
        assert read_document(path, "C").pages[0].text
    assert set(EXTENSIONS.values()) == {"txt", "md", "pdf", "docx", "html", "xlsx", "csv", "json"}
