"""Printed documents (referral letters, the paper prompt sheets): HTML rendered to PDF by WeasyPrint
with the DejaVu fonts. A document loads nothing from the network or the disk: its stylesheet is
inlined by the template, and any other URL is refused."""

from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"


def stylesheet(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"printed documents load no external resource ({url[:40]})")


def pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf(pdf_identifier=False)
