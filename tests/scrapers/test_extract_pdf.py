"""PDF: text extracted with pypdf into article blocks; bytes that are not a PDF are an error."""

from __future__ import annotations

import pytest

from rulewatch.core.errors import ExtractError
from rulewatch.scrapers.extract import extract


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with Helvetica text lines (built by hand, offsets computed)."""
    content = "BT /F1 11 Tf 50 750 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_becomes_article_blocks() -> None:
    pdf = make_pdf(["Article 1 Banks shall report security incidents within two hours.",
                    "Article 2 Vendors shall disclose source code on request."])
    doc = extract(pdf, "application/pdf", "https://regulator.example/rule.pdf")
    assert doc.kind == "pdf"
    assert [b.key for b in doc.blocks] == ["Article 1", "Article 2"]
    assert "two hours" in doc.blocks[0].text


@pytest.mark.parametrize("body", [b"%PDF-1.4\nthis is not really a pdf", b"<html>not a pdf</html>"])
def test_bytes_that_are_not_a_pdf(body: bytes) -> None:
    with pytest.raises(ExtractError):
        extract(body, "application/pdf", "https://regulator.example/rule.pdf")


def test_encrypted_truncated_and_hostile_pdfs_are_extract_errors() -> None:
    """Issue 19, finding 20: pypdf's errors and limits were raw tracebacks."""
    import io

    from pypdf import PdfWriter

    from rulewatch.core.errors import ExtractError
    from rulewatch.scrapers.extract import extract

    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret", algorithm="RC4-40")
    out = io.BytesIO()
    writer.write(out)
    encrypted = out.getvalue()
    with pytest.raises(ExtractError, match="encrypted"):
        extract(encrypted, "application/pdf", "https://x.example/rule.pdf")
    for broken in (encrypted[: len(encrypted) // 2], b"%PDF-1.7\n" + b"1 0 obj << /Kids [" * 5000):
        with pytest.raises(ExtractError, match="unreadable PDF"):
            extract(broken, "application/pdf", "https://x.example/rule.pdf")
