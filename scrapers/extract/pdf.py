"""PDF rule texts: the text of every page, split into paragraphs, with pypdf."""

from __future__ import annotations

import io
import logging
import re

from rulewatch.core.errors import ExtractError
from rulewatch.core.model import Block, Document
from rulewatch.core.text import article_key, squash_printable

# pypdf logs every oddity of a broken file as a warning; the ExtractError below says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)
MAX_PDF_PAGES = 500  # pages read of one PDF (a rule runs to tens; a hostile file to millions)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|(?=\n\s*(?:第[一二三四五六七八九十百千零〇\d]+条|Article\s+\d+|§))")


def extract_pdf(body: bytes, url: str) -> Document:
    """Blocks of a PDF's text. Pure; raises ExtractError for bytes that are not a readable PDF."""
    if not body.lstrip().startswith(b"%PDF"):
        raise ExtractError("the body is not a PDF (no %PDF header)")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            raise ExtractError("the PDF is encrypted: its text cannot be read without its password")
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
        title = str(reader.metadata.title or "") if reader.metadata else ""
    # A parser of untrusted files fails in many ways on a hostile or broken one (pypdf's own errors and
    # limits, and the built-in errors its parsing of garbage raises); each is an unreadable PDF.
    except (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise ExtractError(f"unreadable PDF: {type(exc).__name__}: {str(exc)[:200]}") from exc
    text = "\n\n".join(pages)
    paragraphs = (squash_printable(p) for p in _PARAGRAPH_BREAK.split(text))
    blocks = [Block(text=t, key=article_key(t)) for t in paragraphs if t]
    return Document(kind="pdf", url=url, title=squash_printable(title), blocks=blocks)
