"""PDF rule texts: the text of every page, split into paragraphs, with pypdf."""

from __future__ import annotations

import io
import re

from core.errors import ExtractError
from core.model import Block, Document
from core.text import article_key, squash_printable

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|(?=\n\s*(?:第[一二三四五六七八九十百千零〇\d]+条|Article\s+\d+|§))")


def extract_pdf(body: bytes, url: str) -> Document:
    """Blocks of a PDF's text. Pure; raises ExtractError for bytes that are not a readable PDF."""
    if not body.lstrip().startswith(b"%PDF"):
        raise ExtractError("the body is not a PDF (no %PDF header)")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str(reader.metadata.title or "") if reader.metadata else ""
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise ExtractError(f"unreadable PDF: {exc}") from exc
    text = "\n\n".join(pages)
    paragraphs = (squash_printable(p) for p in _PARAGRAPH_BREAK.split(text))
    blocks = [Block(text=t, key=article_key(t)) for t in paragraphs if t]
    return Document(kind="pdf", url=url, title=squash_printable(title), blocks=blocks)
