"""Reading the conference screen's slides (/r/<slug>/screen, the live screen) from their HTML."""

from __future__ import annotations

import html as htmllib
import re

from flask.testing import FlaskClient

from .helpers import get_page


def _text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def title(page: str) -> str:
    """Return a slide's title without its "Live poll:" and "(continued)"."""
    found = re.search(r'<h1 class="slide-title">(.*?)</h1>', page, re.S).group(1)
    found = re.sub(r'<span class="slide-(kicker|part)">.*?</span>', "", found)
    return _text(found)


def bars(page: str) -> list[tuple[str, str]]:
    """Return a slide's bars as (label, percentage shown)."""
    return [
        (_text(label), _text(value))
        for label, value in re.findall(
            r'<span class="bar-label">(.*?)</span>\s*<span class="bar-value value">(.*?)</span>', page, re.S
        )
    ]


def ranked(page: str) -> list[tuple[str, str, str]]:
    """Return a ranked slide's rows as (statement, left side shown, right side shown)."""
    rows = []
    for row in re.findall(r'<li class="ranked-row[^"]*"[^>]*>(.*?)</li>', page, re.S):
        label = _text(re.search(r'<span class="ranked-label">(.*?)</span>', row, re.S).group(1))
        values = re.findall(r'<span class="value">([^<]*)<', row)
        rows.append((label, values[0], values[1]))
    return rows


def visible_text(page: str) -> str:
    """Return what a slide says, without its markup (and without the hidden QR code title)."""
    body = page[page.index("<body") :]
    body = re.sub(r"<svg.*?</svg>", "", body, flags=re.S)
    return _text(body)


def slides_of(client: FlaskClient, base: str, query: str = "") -> list[str]:
    """Return every slide of a screen, from ?slide=1 to its count."""
    first = get_page(client, f"{base}?slide=1{query}")
    total = int(re.search(r'<p class="controls-count">1 / (\d+)</p>', first).group(1))
    return [first] + [get_page(client, f"{base}?slide={n}{query}") for n in range(2, total + 1)]
