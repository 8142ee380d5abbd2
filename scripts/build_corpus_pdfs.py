#!/usr/bin/env python3
"""Build the sample-corpus PDFs from their text sources, reproducibly.

Sources live in ``corpus/_src/<Company>/<doc>.txt``; each is rendered to
``corpus/<Company>/<doc>.pdf``.  In a source, a line that is exactly
``<<<PAGE>>>`` starts a new page, so page numbers are deterministic (a section
that does not fit on one page spills onto extra pages and a warning is
printed; the committed sources are written so that this never happens).

Chinese sources (any CJK character in the file) use reportlab's built-in CID
font ``STSong-Light`` (no font file needed); English sources use Helvetica.
The canvas is created with ``invariant=1`` and page compression off, so the
output is byte-for-byte reproducible for a given reportlab version.

Usage:
    python scripts/build_corpus_pdfs.py          # (re)write every PDF
    python scripts/build_corpus_pdfs.py --check  # exit 1 if a committed PDF differs
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SRC = CORPUS / "_src"
PAGE_MARK = "<<<PAGE>>>"

CJK_FONT = "STSong-Light"
EN_FONT = "Helvetica"
FONT_SIZE = 11.0
TITLE_SIZE = 13.0
LEADING = 15.5
MARGIN_X = 56.0
MARGIN_TOP = 64.0
MARGIN_BOTTOM = 72.0
FOOTER_Y = 36.0
PAGE_W, PAGE_H = A4
TEXT_W = PAGE_W - 2 * MARGIN_X
MAX_LINES = int((PAGE_H - MARGIN_TOP - MARGIN_BOTTOM) // LEADING)  # 45

# Printable-ASCII runs are kept together (numbers, English words); anything
# else (CJK characters, full-width punctuation) may be broken after.
_TOKEN = re.compile(r"[\x21-\x7e]+|\s+|.")


def _register_fonts() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def wrap_line(line: str, font: str, size: float, width: float) -> list[str]:
    """Wrap one source line to ``width`` points; an empty line stays empty."""
    if not line.strip():
        return [""]
    out: list[str] = []
    cur = ""
    for tok in _TOKEN.findall(line):
        cand = cur + tok
        if pdfmetrics.stringWidth(cand, font, size) <= width:
            cur = cand
            continue
        if tok.isspace():  # break at the space, drop it
            out.append(cur.rstrip())
            cur = ""
            continue
        if cur.strip():
            out.append(cur.rstrip())
            cur = ""
        # the token alone may still be too wide: split it per character
        for ch in tok:
            if pdfmetrics.stringWidth(cur + ch, font, size) <= width:
                cur += ch
            else:
                out.append(cur)
                cur = ch
    out.append(cur.rstrip())
    return out


def split_pages(text: str) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    for raw in text.splitlines():
        if raw.strip() == PAGE_MARK:
            pages.append([])
        else:
            pages[-1].append(raw.rstrip())
    # trim blank lines at both ends of each page
    trimmed = []
    for lines in pages:
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        trimmed.append(lines)
    return trimmed


def render(src: Path) -> tuple[bytes, list[str]]:
    """Render a source file; return the PDF bytes and a list of warnings."""
    _register_fonts()
    text = src.read_text(encoding="utf-8")
    zh = _is_cjk(text)
    font = CJK_FONT if zh else EN_FONT
    warnings: list[str] = []

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), src.stem)
    c.setTitle(first)
    c.setAuthor("Fictional sample corpus")
    c.setSubject(f"{src.parent.name}/{src.stem}")
    c.setCreator("scripts/build_corpus_pdfs.py")

    page_no = 0

    def footer() -> None:
        label = f"\u2014 {page_no} \u2014" if zh else f"Page {page_no}"
        c.setFont(font, 9)
        c.drawCentredString(PAGE_W / 2, FOOTER_Y, label)

    is_title = True
    for sec_idx, lines in enumerate(split_pages(text), start=1):
        page_no += 1
        y = PAGE_H - MARGIN_TOP
        used = 0
        for line in lines:
            size = TITLE_SIZE if (is_title and line.strip()) else FONT_SIZE
            indent_str = line[: len(line) - len(line.lstrip(" "))]
            indent = pdfmetrics.stringWidth(indent_str, font, size)
            for piece in wrap_line(line.strip(), font, size, TEXT_W - indent):
                if used >= MAX_LINES:
                    warnings.append(f"{src}: section {sec_idx} overflows onto an extra page")
                    footer()
                    c.showPage()
                    page_no += 1
                    y = PAGE_H - MARGIN_TOP
                    used = 0
                if piece:
                    c.setFont(font, size)
                    c.drawString(MARGIN_X + indent, y, piece)
                y -= LEADING
                used += 1
            if line.strip():
                is_title = False
        footer()
        c.showPage()
    c.save()
    return buf.getvalue(), warnings


def targets() -> list[tuple[Path, Path]]:
    pairs = []
    for src in sorted(SRC.glob("*/*.txt")):
        pairs.append((src, CORPUS / src.parent.name / (src.stem + ".pdf")))
    return pairs


def main(argv: list[str]) -> int:
    check = "--check" in argv[1:]
    unknown = [a for a in argv[1:] if a != "--check"]
    if unknown:
        print(f"usage: {Path(argv[0]).name} [--check]", file=sys.stderr)
        return 2
    stale = 0
    for src, out in targets():
        data, warnings = render(src)
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        rel = out.relative_to(ROOT)
        if check:
            if not out.exists():
                print(f"missing: {rel}")
                stale += 1
            elif out.read_bytes() != data:
                print(f"differs: {rel}")
                stale += 1
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.exists() and out.read_bytes() == data:
                print(f"unchanged: {rel}")
            else:
                out.write_bytes(data)
                print(f"wrote: {rel}")
    if check:
        if stale:
            print(f"{stale} PDF(s) out of date; run scripts/build_corpus_pdfs.py")
            return 1
        print("all corpus PDFs up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
