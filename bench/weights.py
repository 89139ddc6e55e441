"""Page weight of each page type, raw and gzipped, as the running server sends them.

Each page is counted with the stylesheets and scripts it links (a phone's first view has none
cached); "later page" is the HTML alone (the stylesheet is cached by then). Gzip at level 6 (what
nginx `gzip_comp_level 6` or Caddy's `encode gzip` send; Flask itself does not compress).
"""

from __future__ import annotations

import gzip
import re

from .client import Client, csrf, journey

ASSETS = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')
SCRIPT_TAGS = re.compile(r"<script\b")
DATA_ATTR_LIBRARY = re.compile(r'data-(?:library|plotly)="([^"]+)"')
DATA_ATTR_FIGURE = re.compile(r'data-(?:figure|src|url)="([^"]+)"')


def size(body: bytes) -> tuple[int, int]:
    return len(body), len(gzip.compress(body, 6))


def _assets(client: Client, html: str) -> list[tuple[str, int, int]]:
    found = []
    for path in dict.fromkeys(ASSETS.findall(html)):
        status, _, _ = client.request("asset", "GET", path)
        body = client.keep[-1][2] if client.keep else b""
        if status == 200:
            found.append((path, *size(body)))
    return found


def _entry(name: str, html: bytes, assets: list[tuple[str, int, int]], note: str = "") -> dict:
    raw, zipped = size(html)
    return {
        "page": name,
        "html_raw": raw,
        "html_gzip": zipped,
        "assets": [{"path": p, "raw": r, "gzip": z} for p, r, z in assets],
        "total_raw": raw + sum(r for _, r, _ in assets),
        "total_gzip": zipped + sum(z for _, _, z in assets),
        "script_tags": len(SCRIPT_TAGS.findall(html.decode(errors="replace"))),
        "note": note,
    }


def member_pages(client: Client, slug: str, pages: dict) -> list[dict]:
    """First page (start page + its stylesheet), a later question page, thank you."""
    client.keep = []
    journey(client, slug, pages)
    kept = client.keep
    start = next(body for kind, _, body in kept if kind == "start")
    page_bodies = [(path, body) for kind, path, body in kept if kind == "page_get"]
    first_question = page_bodies[0][1]
    later = max(page_bodies[1:], key=lambda pb: len(pb[1]))
    thanks = next(body for kind, _, body in kept if kind == "thank_you")
    out = [
        _entry("member first page (start page + CSS)", start, _assets(client, start.decode())),
        _entry("member first question page", first_question, [], "stylesheet cached"),
        _entry(f"member later page (largest: {later[0].rsplit('/', 1)[1]})", later[1], [], "stylesheet cached"),
        _entry("thank you", thanks, [], "stylesheet cached"),
    ]
    client.keep = None
    return out


def sign_in(client: Client, email: str, password: str) -> None:
    """Sign the demo viewer in as a person would: the password, then the two-factor set-up page,
    whose key goes into an authenticator app (here pyotp) for the code."""
    import pyotp

    html = client.get("staff", "/staff/sign-in")
    client.post("staff", "/staff/sign-in", [("csrf_token", csrf(html)), ("email", email), ("password", password)])
    html = client.get("staff", "/staff/sign-in/two-factor")
    key = html.split('<code class="secret">')[1].split("</code>")[0]
    code = pyotp.TOTP(re.sub(r"\s", "", key)).now()
    client.post("staff", "/staff/sign-in/two-factor", [("csrf_token", csrf(html)), ("code", code)])


def dashboard_pages(client: Client, survey_id: int, question: str, by: str) -> list[dict]:
    """Dashboard first view (overview + CSS + scripts), and a question page with its chart opened."""
    client.keep = []
    base = f"/organise/surveys/{survey_id}/results"
    overview = client.get("dash_overview", f"{base}/").encode()
    first = _entry("dashboard first view (overview + CSS + scripts)", overview, _assets(client, overview.decode()))
    question_html = client.get("dash_question", f"{base}/q/{question}?by={by}")
    assets = _assets(client, question_html)
    library = DATA_ATTR_LIBRARY.search(question_html)
    if library and library.group(1) not in {a[0] for a in assets}:
        status, _, _ = client.request("asset", "GET", library.group(1))
        if status == 200:
            assets.append((library.group(1), *size(client.keep[-1][2])))
    status, _, _ = client.request("chart", "GET", f"{base}/q/{question}/chart.json?by={by}")
    if status == 200:
        assets.append((f"q/{question}/chart.json?by={by}", *size(client.keep[-1][2])))
    chart = _entry(
        f"dashboard question {question} by {by} with the interactive chart opened",
        question_html.encode(),
        assets,
        "HTML + CSS + charts.js + Plotly basic bundle + the figure JSON",
    )
    client.keep = None
    return [first, chart]
