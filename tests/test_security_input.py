"""A3, A4, C4: hostile Unicode in members' answers, and a submit forced past missing pages.

A3: emoji, right-to-left overrides, thousands of combining marks, NUL and other control
characters, and bytes that are not UTF-8 are stored and shown exactly (escaped) or refused with
a message next to the question; lengths count characters, not bytes; nothing is ever a 500.
A4: a POST straight to the submit with pages missing is sent to the first missing page and
stores nothing. C4: a PNG named .yaml and filenames that climb directories are refused or kept
as names only: nothing is ever written to disk.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import PendingSubmission, Response, Role

from .factories import TINY_TEXT, make_user
from .helpers import ROOT, get_page, stored_versions
from .journey import TINY_PAGES, answer_pages, csrf_token, errors_on, post_form, start, submit
from .staff import sign_in, upload_questionnaire


def stored(app) -> dict:
    with app.app_context():
        return db.session.scalar(select(PendingSubmission)).answers


@pytest.mark.parametrize(
    "text",
    [
        "Rota app 👩‍⚕️🏥 — ça marche",
        "\u202eevil.exe\u202c and \u200bzero width",
        "😀" * 200,  # 200 characters (800 bytes): within a 200-character limit
        "e" + "\u0301" * 198 + "!",  # combining marks, 200 characters
        "עברית and العربية",
    ],
    ids=["emoji", "rtl-override", "200-emoji", "combining", "rtl-scripts"],
)
def test_unusual_but_valid_text_is_stored_and_shown_exactly(app, client, tiny, text):
    pages = dict(TINY_PAGES, sector=dict(TINY_PAGES["sector"], ai_detail=text))
    answer_pages(client, pages=pages)
    check = get_page(client, "/s/tiny/check-answers")
    assert text.replace("\u202e", "").replace("\u202c", "")[:10] in check.replace("\u202e", "").replace("\u202c", "")
    assert submit(client).location.endswith("/thank-you")
    assert stored(app)["ai_detail"] == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("e" + "\u0301" * 10_000, "Use 200 characters or fewer"),
        ("😀" * 201, "Use 200 characters or fewer"),
        ("a\x00b", "Remove the unusual characters"),
        ("line\x1bescape", "Remove the unusual characters"),
    ],
    ids=["10000-combining", "201-emoji", "nul", "escape"],
)
def test_hostile_text_is_refused_next_to_the_question(app, client, tiny, text, message):
    answer_pages(client, pages={"work": TINY_PAGES["work"]})
    response = post_form(client, "/s/tiny/page/sector", dict(TINY_PAGES["sector"], ai_detail=text))
    assert response.status_code == 200 and any(message in e for e in errors_on(response.text))
    assert 'href="#q-ai_detail"' in response.text  # the message leads to the question


def test_bytes_that_are_not_utf8_never_cause_a_500(app, client, tiny):
    answer_pages(client, pages={"work": TINY_PAGES["work"]})
    page = client.get("/s/tiny/page/sector")
    body = f"csrf_token={csrf_token(page.text)}&sector=acute&uses_ai=yes&ai_detail=%ED%A0%80%FF%FEok".encode()
    response = client.post("/s/tiny/page/sector", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:  # decoded with replacement characters: no lone surrogate is kept
        post_form(client, "/s/tiny/page/views", TINY_PAGES["views"])
        post_form(client, "/s/tiny/page/about", TINY_PAGES["about"])
        submit(client)
        kept = stored(app)["ai_detail"]
        assert kept.endswith("ok") and not re.search(r"[\ud800-\udfff]", kept)


def test_a_submit_forced_past_missing_pages_goes_to_the_first_one_and_stores_nothing(app, client, tiny):
    location = start(client)
    post_form(client, location, TINY_PAGES["work"])
    page = client.get("/s/tiny/page/sector")  # a token from a page the member really has
    forced = client.post("/s/tiny/check-answers", data={"csrf_token": csrf_token(page.text), "submit_key": "x" * 32})
    assert forced.status_code == 302 and forced.location.endswith("/s/tiny/page/sector")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingSubmission)) == 0
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


# --- C4: questionnaire uploads that are not what they say ----------------------------------------

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\x00" * 64


def test_a_png_named_yaml_and_path_tricks_in_filenames_write_nothing_anywhere(app, tmp_path):
    client = app.test_client()
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "ada@example.org")
    names = {"app.py", "evil.yaml", "passwd.yaml", "x.yaml", "actually_a_png.yaml"}

    def written() -> set[str]:  # every file by those names in the project, beside it and in temp
        trees = [p for p in ROOT.iterdir() if p.is_dir() and p.name not in {".venv", ".git"}] + [tmp_path.parent]
        found = {f for tree in trees for f in tree.rglob("*") if f.name in names}
        found |= {f for folder in (ROOT, ROOT.parent, Path("/etc")) for f in folder.iterdir() if f.name in names}
        return {str(f) for f in found} | {str(f) for f in (ROOT / "questionnaires").iterdir()}

    before = written()
    png = upload_questionnaire(client, PNG, "actually_a_png.yaml")
    assert png.status_code == 400 and "not UTF-8" in png.text and "actually_a_png.yaml" in png.text
    for name in ("../../app.py", "../../questionnaires/evil.yaml", "/etc/passwd.yaml", "..\\..\\x.yaml"):
        response = upload_questionnaire(client, TINY_TEXT.replace("id: tiny", "id: tiny-evil", 1), name)
        assert response.status_code in (302, 400), (name, response.status_code)
    assert written() == before
    assert len(stored_versions(app)) <= 1  # the same text is stored once, in the database only
