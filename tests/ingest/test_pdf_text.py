"""The fast path of pypdf text extraction (``readers/pdf_text``) gives pypdf's own result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdf
import pytest
from pypdf.generic import ContentStream

from assistant.ingest.readers import pdf_text

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT.parent / "shared" / "devset"  # read in place, never copied; skipped when absent
PDFS = sorted((ROOT / "corpus").rglob("*.pdf")) + sorted((ROOT / "tests" / "data").rglob("*.pdf"))


def _shape(value: Any) -> Any:
    """A value with its pypdf type, recursively (1 == 1.0 and b"a" != "a" must not hide a difference)."""
    if isinstance(value, list):
        return (type(value).__name__, [_shape(v) for v in value])
    return (type(value).__name__, value)


def _pypdf_text_operations(data: bytes, encoding: Any) -> list[Any]:
    stream = ContentStream(None, None, encoding)
    stream.set_data(data)
    return [
        (_shape(list(operands)), operator)
        for operands, operator in stream.operations
        if operator in pdf_text.TEXT_OPERATORS
    ]


def _ours(data: bytes, encoding: Any) -> list[Any]:
    return [(_shape(operands), operator) for operands, operator in pdf_text.text_operations(data, encoding)]


SAME = [
    b"BT /F1 12 Tf 72 712 Td (Hello, world) Tj ET",
    b"q 1 0 0 1 0 0 cm BT /F1 9.5 Tf 1 0 0 1 277.49 790.2 Tm [<03EE03EC> -120 <03EE>] TJ ET Q",
    b"/Artifact <</Attached [/Top]/Type/Pagination>> BDC q 0 g 1 2 3 4 re W* n Q EMC",
    b"/P <</MCID 3>> BDC BT /F2 10 Tf (a) Tj T* (b) ' 1 2 (c) \" ET EMC",
    b"BT (esc\\) \\(aped\\n\\101) Tj (line\\\ncontinued) Tj ET",  # escapes: pypdf's own reader builds them
    b"BT <48 65 6C\n6C 6F> Tj <ABC> Tj <> Tj ET",  # whitespace in hex, odd length, empty
    b"BT /F#231 12 Tf /\xe5\xad\x97 1 Tf /\xd7\xd6 2 Tf ET",  # # escape, UTF-8 name, GBK name
    b"BT 12 TL 1 2 TD 100 Tz 0.5 Tc 1.5 Tw -.5 +3 Td ET /Im1 Do",
    b"[3 2] 0 d 0.1 0.2 0.3 rg 1 0 0 RG /GS1 gs 1 w 0 J 10 10 m 20 20 l S",
    b"\r\n  \x00BT\r\n/F1 1 Tf\r\n(x) Tj\r\nET\r\n  12 13",  # NUL as whitespace, operands left at the end
    b"BT (with % percent and [brackets] and <angles>) Tj ET",
    b"",
    b"1 0 0 1 0 0 cm 0.1.2 Tc ET",  # a malformed number pypdf reads as one token
]

FALLBACK = [
    b"BT (nested (parens) here) Tj ET",  # nested parentheses: pypdf's reader
    b"q BI /W 2 /H 1 /BPC 8 /CS /G ID \x00\xff EI Q BT (a) Tj ET",  # inline image
    b"BT % a comment\n(a) Tj ET",
    b"/P <</A <</B 1>> >> BDC BT (a) Tj ET EMC",  # nested dictionary
    b"BT [(a) true] TJ ET",  # a boolean in an array
    b"BT /F1 12 Tf (a) Tj ET 1 0 R",
    b"BT { (a) Tj ET",
]


@pytest.mark.parametrize("data", SAME)
@pytest.mark.parametrize("encoding", [None, "bytes"])
def test_text_operations_are_pypdf_s(data: bytes, encoding: Any) -> None:
    assert _ours(data, encoding) == _pypdf_text_operations(data, encoding)


@pytest.mark.parametrize("data", FALLBACK)
def test_what_the_pattern_does_not_cover_is_left_to_pypdf(data: bytes) -> None:
    with pytest.raises(pdf_text._Fallback):
        pdf_text.text_operations(data, "bytes")


def _texts(path: Path, fast: bool) -> list[str]:
    reader = pypdf.PdfReader(path)
    with pdf_text.fast_text(fast):
        return [page.extract_text() for page in reader.pages]


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_text_is_identical(path: Path) -> None:
    assert _texts(path, True) == _texts(path, False)


def test_devset_annual_report_text_is_identical() -> None:
    pdfs = sorted((DEVSET / "docs").glob("*.pdf"))
    if not pdfs:
        pytest.skip("../shared/devset is absent")
    for path in pdfs:
        slow, fast = _texts(path, False), _texts(path, True)
        assert len(fast) == len(slow) > 100
        assert [i for i, (a, b) in enumerate(zip(slow, fast, strict=True), 1) if a != b] == []


def test_fonts_are_built_once_per_pdf_inside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    original = pdf_text._ORIGINAL_FONT

    def counting(cls: Any, resource: Any) -> Any:
        built.append(id(resource))
        return original(cls, resource)

    monkeypatch.setattr(pdf_text, "_ORIGINAL_FONT", counting)
    path = ROOT / "corpus" / "栖云智算" / "annual_report_2023.pdf"
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) > 1
    with pdf_text.fast_text():
        for page in reader.pages:
            page.extract_text()
    assert built and len(built) == len(set(built))  # each font object once
    inside = len(built)
    for page in pypdf.PdfReader(path).pages:  # outside the block: pypdf as usual, a font per page
        page.extract_text()
    assert len(built) - inside > inside


def test_the_block_is_left_clean() -> None:
    with pdf_text.fast_text():
        assert pdf_text._STATE.active and pdf_text._STATE.fonts == {}
    assert not getattr(pdf_text._STATE, "active", False) and pdf_text._STATE.fonts is None
