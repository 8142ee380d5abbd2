from pathlib import Path

import pytest

from assistant.core.errors import DocumentError, UnsupportedFileType
from assistant.ingest.readers import read_document


def _pdf(path: Path, pages: list[str]) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), invariant=1)
    for text in pages:
        c.setFont("STSong-Light", 11)
        c.drawString(50, 800, text)
        c.showPage()
    c.save()
    return path


def test_pdf_pages_are_one_based(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "r.pdf", ["第一页 营业收入8,652.30万元", "Page two: 14 invention patents"])
    doc = read_document(path, "C")
    assert [p.number for p in doc.pages] == [1, 2]
    assert "8,652.30万元" in doc.pages[0].text
    assert "14 invention patents" in doc.pages[1].text
    assert doc.reader == "pdf" and doc.doc == "r.pdf" and len(doc.sha256) == 64


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16"])
def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "n.txt"
    path.write_bytes("研发人员58人，占比32.4%。".encode(encoding))
    assert read_document(path, "C").pages[0].text.strip() == "研发人员58人，占比32.4%。"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DocumentError, match=r"empty\.txt: the file is empty"):
        read_document(path, "C")


def test_binary_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DocumentError, match="blob.txt: binary data"):
        read_document(path, "C")


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.7\n garbage garbage")
    with pytest.raises(DocumentError, match="bad.pdf"):
        read_document(path, "C")


def test_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"\x01\x02\x03 junk \x00\x00" * 50)
    with pytest.raises(DocumentError, match="fake.pdf: not a PDF"):
        read_document(path, "C")


def test_text_named_pdf_is_read_as_text(tmp_path: Path) -> None:
    # Content decides: a .pdf that holds plain text is read as text, with a warning.
    path = tmp_path / "fake.pdf"
    path.write_text("hello 你好")
    doc = read_document(path, "C")
    assert doc.reader == "txt" and doc.pages[0].text == "hello 你好"
    assert doc.warnings == ["wrong extension: looks like text"]


def test_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "deck.pptx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFileType, match=r"deck\.pptx: unsupported file type '\.pptx'"):
        read_document(path, "C")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 5000)
    with pytest.raises(DocumentError, match="over the"):
        read_document(path, "C", max_bytes=1000)
