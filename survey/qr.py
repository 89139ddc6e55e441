"""QR codes of links, for the poster, the print shop and the conference screen (no web here)."""

from __future__ import annotations

import io

import segno
from markupsafe import escape

QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules
PNG_MIN_WIDTH = 1200  # pixels: sharp when printed at A4 width
SVG_SCALE = 10


def qr_svg(link: str, title: str, *, standalone: bool) -> str:
    """Return a QR code of a link as SVG: a file to download, or an element to put in a page."""
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(
        buffer,
        kind="svg",
        border=QR_BORDER,
        title=title,
        xmldecl=standalone,
        omitsize=not standalone,  # in a page, CSS sizes it
        scale=SVG_SCALE if standalone else 1,
        svgclass=None if standalone else "poster-qr",
        lineclass=None,
    )
    svg = buffer.getvalue().decode()
    return svg if standalone else svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)


def qr_png(link: str) -> bytes:
    """Return a QR code of a link as a PNG at least PNG_MIN_WIDTH pixels wide, for print."""
    qr = segno.make(link, error="m", micro=False)
    width = qr.symbol_size(scale=1, border=QR_BORDER)[0]
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", border=QR_BORDER, scale=-(-PNG_MIN_WIDTH // width))
    return buffer.getvalue()
