"""Distribution: the QR code and poster of the open link, and single-use invitations
(made in batches, uploaded member lists, downloads for mail-merge and reminders)."""

from __future__ import annotations

import csv
import io
import re
import struct
import zlib
from datetime import UTC, datetime

import pytest
import segno
from cryptography.fernet import InvalidToken
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from survey import spreadsheets
from survey.core import invitations
from survey.core import surveys as life_cycle
from survey.core.codes import sha256
from survey.core.member_lists import MemberListError, read_member_list
from survey.extensions import db
from survey.models import AuditEvent, Invitation, InvitationBatch, Invitee, Role, Survey

from .factories import HEALTH, PROBATION, make_survey, make_user
from .helpers import get_page
from .journey import complete, csrf_token
from .staff import sign_in

MEMBER_LINK = "http://localhost/s/tiny"


# --- fixtures and helpers ------------------------------------------------------------------------


def open_link_survey(app: Flask, **overrides) -> int:
    """Store an open-link survey for probation and return its id."""
    return make_survey(app, audience=PROBATION, **overrides).id


def invitation_survey(app: Flask, status: str = "open") -> int:
    """Store an invitation-only survey for probation and return its id."""
    return make_survey(app, status=status, access="invitation", audience=PROBATION).id


def page_url(survey_id: int) -> str:
    return f"/organise/surveys/{survey_id}/invitations"


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST to a URL with a CSRF token from a staff page."""
    page = client.get("/organise/")
    return client.post(url, data={"csrf_token": csrf_token(page.text), **(data or {})}, **kwargs)


def upload(client: FlaskClient, survey_id: int, content: bytes | str, filename: str = "members.csv"):
    """Upload a members list through the form."""
    data = content.encode() if isinstance(content, str) else content
    page = client.get("/organise/")
    # Encoded here, in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        {"csrf_token": csrf_token(page.text), "members": FileStorage(io.BytesIO(data), filename, "members")}
    )
    return client.post(
        f"{page_url(survey_id)}/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def make_links(client: FlaskClient, survey_id: int, count: int | str, segment: str = ""):
    """Make links through the form."""
    return post(client, f"{page_url(survey_id)}/links", {"count": str(count), "segment": segment})


def batch_ids(app: Flask, survey_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(InvitationBatch.id).where(InvitationBatch.survey_id == survey_id).order_by(InvitationBatch.id)
            )
        )


def read_csv(response) -> list[dict[str, str]]:
    """Return a downloaded CSV's rows, checking the header and byte-order mark."""
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffemail,segment,link\r\n")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def download_batch(client: FlaskClient, survey_id: int, batch_id: int):
    return post(client, f"{page_url(survey_id)}/{batch_id}/download")


def download_not_yet_used(client: FlaskClient, survey_id: int):
    return post(client, f"{page_url(survey_id)}/not-yet-used")


def counts(app: Flask) -> tuple[int, int, int]:
    """Return how many batches, invitations and invitees are stored."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(m)) for m in (InvitationBatch, Invitation, Invitee)
        )


def audit_actions(app: Flask) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.detail) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def png_modules(data: bytes) -> list[list[int]]:
    """Decode a 1-bit greyscale PNG (as segno writes it) into rows of pixels, 1 for dark."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, *_ = header
    assert (depth, colour) == (1, 0), "expected 1-bit greyscale"
    raw = zlib.decompress(idat)
    stride = (width + 7) // 8
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]
        previous = unfilter(kind, line, previous)
        rows.append([0 if previous[x // 8] >> (7 - x % 8) & 1 else 1 for x in range(width)])
    return rows


def unfilter(kind: int, line: bytes, above: bytes) -> bytes:
    """Undo a PNG row filter (one byte per pixel group at bit depth 1)."""
    out = bytearray()
    for i, value in enumerate(line):
        left, up, corner = (out[i - 1] if i else 0), above[i], (above[i - 1] if i else 0)
        if kind == 4:
            estimate = left + up - corner
            nearest = min(
                (abs(estimate - left), 0, left), (abs(estimate - up), 1, up), (abs(estimate - corner), 2, corner)
            )
            predictor = nearest[2]
        else:
            predictor = [0, left, up, (left + up) // 2][kind]
        out.append((value + predictor) % 256)
    return bytes(out)


# --- QR code and poster --------------------------------------------------------------------------


def test_qr_svg_downloads_the_member_link(app, organiser):
    survey_id = open_link_survey(app)
    response = organiser.get(f"/organise/surveys/{survey_id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == "attachment; filename=tiny-qr.svg"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<?xml") and "<svg" in svg
    assert f"<title>QR code for {MEMBER_LINK}</title>" in svg
    expected = io.BytesIO()
    segno.make(MEMBER_LINK, error="m", micro=False).save(expected, kind="svg", border=4)
    path = re.search(r' d="([^"]+)"', expected.getvalue().decode()).group(1)
    assert f' d="{path}"' in svg, "the SVG's modules are those of the member link"


def test_qr_png_is_large_enough_to_print_and_encodes_the_member_link(app, organiser):
    survey_id = open_link_survey(app)
    response = organiser.get(f"/organise/surveys/{survey_id}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=tiny-qr.png"
    data = response.data
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width == height >= 1000
    pixels = png_modules(data)
    matrix = segno.make(MEMBER_LINK, error="m", micro=False).matrix
    modules = len(matrix) + 8  # with the quiet zone of 4 modules on each side
    scale = width // modules
    assert scale * modules == width
    sampled = [
        [pixels[(y + 4) * scale + scale // 2][(x + 4) * scale + scale // 2] for x in range(len(matrix))]
        for y in range(len(matrix))
    ]
    assert sampled == [list(row) for row in matrix]
    assert all(pixels[y][x] == 0 for y in range(4 * scale) for x in range(0, width, scale)), "quiet zone is light"


def test_invitation_only_surveys_have_no_qr_code_or_poster(app, organiser):
    survey_id = invitation_survey(app)
    for path in ("qr.svg", "qr.png", "poster"):
        assert organiser.get(f"/organise/surveys/{survey_id}/{path}").status_code == 404


def test_poster_shows_title_link_time_promise_and_closing_date(app, organiser):
    closes = datetime(2027, 6, 30, 16, 0, tzinfo=UTC)
    survey_id = open_link_survey(app, closes_at=closes)
    html = get_page(organiser, f"/organise/surveys/{survey_id}/poster")
    assert "css/poster.css" in html
    assert '<h1 class="poster-title" id="poster-title">Tiny test survey</h1>' in html
    assert '<p class="poster-title-cy" lang="cy">Arolwg prawf bach</p>' in html
    assert f'<p class="poster-link">{MEMBER_LINK}</p>' in html
    assert "About 2 minutes" in html and "Tua 2 munud" in html
    assert "Closes at 17:00 on 30 June 2027" in html and "Yn cau am 17:00 ar 30 Mehefin 2027" in html
    assert "Your answers are anonymous" in html
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="img"' in svg and f'aria-label="QR code for {MEMBER_LINK}"' in svg
    assert f"<title>QR code for {MEMBER_LINK}</title>" in html


def test_poster_without_closing_date(app, organiser):
    survey_id = open_link_survey(app)
    html = get_page(organiser, f"/organise/surveys/{survey_id}/poster")
    assert "Closes at" not in html


def test_survey_page_offers_link_qr_and_poster_or_invitations(app, organiser):
    open_id = open_link_survey(app)
    html = get_page(organiser, f"/organise/surveys/{open_id}")
    assert f'value="{MEMBER_LINK}"' in html
    for path in ("poster", "qr.svg", "qr.png"):
        assert f'href="/organise/surveys/{open_id}/{path}"' in html
    invited_id = make_survey(app, "other", status="open", access="invitation", audience=PROBATION).id
    assert make_links(organiser, invited_id, 3).status_code == 302
    html = get_page(organiser, f"/organise/surveys/{invited_id}")
    assert f'href="/organise/surveys/{invited_id}/invitations"' in html
    assert "3 invitations made so far" in html
    assert "qr.svg" not in html


def test_invitations_on_an_open_link_survey_say_anyone_can_answer(app, organiser):
    survey_id = open_link_survey(app)
    html = get_page(organiser, page_url(survey_id))
    assert "This survey has an open link: anyone with it can answer" in html
    assert "Upload a members list" in html


# --- making links --------------------------------------------------------------------------------


def test_made_links_download_as_unique_working_links(app, organiser):
    survey_id = invitation_survey(app)
    response = make_links(organiser, survey_id, 5, segment="Paper – North")
    assert response.status_code == 302 and response.location.endswith(page_url(survey_id))
    html = get_page(organiser, page_url(survey_id))
    assert "5 links made" in html and "Download links (CSV)" in html
    (batch_id,) = batch_ids(app, survey_id)

    rows = read_csv(download_batch(organiser, survey_id, batch_id))
    assert len(rows) == 5
    assert {r["email"] for r in rows} == {""} and {r["segment"] for r in rows} == {"Paper – North"}
    links = [r["link"] for r in rows]
    assert len(set(links)) == 5
    tokens = [link.removeprefix("http://localhost/i/") for link in links]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)
    with app.app_context():
        stored = set(db.session.scalars(select(Invitation.token_hash).where(Invitation.batch_id == batch_id)))
        sealed = list(db.session.scalars(select(Invitee.sealed_token)))
    assert stored == {sha256(t) for t in tokens}
    assert not any(t.encode() in s for t in tokens for s in sealed), "tokens are stored sealed, never in clear"

    member = app.test_client()
    opened = member.get(f"/i/{tokens[0]}")
    assert opened.status_code == 302 and opened.location.endswith("/s/tiny")

    actions = audit_actions(app)
    assert ("made invitation links", {"batch": batch_id, "count": 5, "segment": "Paper – North"}) in actions
    assert ("downloaded invitation links", {"batch": batch_id, "count": 5}) in actions


@pytest.mark.parametrize("count", ["0", "100001", "", "many"])
def test_link_count_must_be_from_1_to_100000(app, organiser, count):
    survey_id = invitation_survey(app)
    response = make_links(organiser, survey_id, count)
    assert response.status_code == 400
    assert "Error: Invitations" in response.text
    assert counts(app) == (0, 0, 0)


def test_draft_surveys_can_have_links_made(app, organiser):
    survey_id = invitation_survey(app, status="draft")
    assert make_links(organiser, survey_id, 3).status_code == 302
    assert counts(app) == (1, 3, 3)


# --- uploading a members list --------------------------------------------------------------------

MEMBERS = (
    "\ufeffEmail,Name,Branch\r\n"
    "a.jones@example.org,Alys Jones,North\r\n"
    "B.Singh@example.org,Bal Singh,South\r\n"
    "c.okafor@example.org,Chi Okafor,\r\n"
    ",,\r\n"
)


def test_upload_makes_one_link_per_member_with_segments(app, organiser):
    survey_id = invitation_survey(app)
    response = upload(organiser, survey_id, MEMBERS, "probation members.csv")
    assert response.status_code == 302, response.text
    html = get_page(organiser, page_url(survey_id))
    assert "3 members imported" in html and "Members list: probation members.csv" in html
    assert counts(app) == (1, 3, 3)

    (batch_id,) = batch_ids(app, survey_id)
    rows = read_csv(download_batch(organiser, survey_id, batch_id))
    assert sorted((r["email"], r["segment"]) for r in rows) == [
        ("B.Singh@example.org", "South"),
        ("a.jones@example.org", "North"),
        ("c.okafor@example.org", ""),
    ]
    assert all(r["link"].startswith("http://localhost/i/") for r in rows)
    with app.app_context():
        segments = dict(db.session.execute(select(Invitation.segment, func.count()).group_by(Invitation.segment)).all())
    assert segments == {"North": 1, "South": 1, None: 1}
    assert (
        "uploaded members list",
        {"batch": batch_id, "count": 3, "segments": 2, "filename": "probation members.csv"},
    ) in audit_actions(app)
    mine = [detail for action, detail in audit_actions(app) if "invitation" in action or "members" in action]
    assert mine and not any("example.org" in str(detail) for detail in mine), "no email address in the audit log"


def test_upload_accepts_semicolons_and_a_segment_column(app, organiser):
    survey_id = invitation_survey(app)
    response = upload(organiser, survey_id, "segment;EMAIL\nWest;d@example.org\n")
    assert response.status_code == 302
    (batch_id,) = batch_ids(app, survey_id)
    rows = read_csv(download_batch(organiser, survey_id, batch_id))
    assert [(r["email"], r["segment"]) for r in rows] == [("d@example.org", "West")]


BAD_LISTS = {
    "latin-1": ("email\nrené@example.org\n".encode("latin-1"), "not saved as UTF-8 text"),
    "utf-16": ("email\na@example.org\n".encode("utf-16"), "not saved as UTF-8 text"),
    "utf-16 without a BOM": ("email\na@example.org\n".encode("utf-16-le"), "not saved as UTF-8 text"),
    "a workbook": (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook"),
    "blank": (b"", "The file is empty"),
    "blank lines": (b"\r\n\r\n", "The file is empty"),
    "no email column": (b"name,segment\nAlys,North\n", "There is no email column. The first row must name the columns"),
    "only a header": (b"email,segment\n", "The file has column names but no members"),
    "an invalid email": (b"email\na@example.org\n\nnot-an-email\n", "Row 4: “not-an-email” is not an email address"),
    "a missing email": (b"email,segment\na@example.org,North\n,South\n", "Row 3: the email address is missing"),
    "a duplicate": (
        b"email\nA@Example.org\nb@example.org\na@example.ORG\n",
        "Rows 2 and 4 have the same email address",
    ),
    "two email columns": (b"email,email\na@example.org,b@example.org\n", "Two columns are called email"),
    "branch and sector": (b"email,branch,sector\na@example.org,N,S\n", "There are both branch and sector columns"),
    "a long segment": (b"email,segment\na@example.org," + b"x" * 101 + b"\n", "Row 2: the segment is longer than 100"),
}


@pytest.mark.parametrize("case", BAD_LISTS)
def test_a_bad_list_imports_nothing_and_says_why(app, organiser, case):
    content, message = BAD_LISTS[case]
    survey_id = invitation_survey(app)
    response = upload(organiser, survey_id, content)
    assert response.status_code == 400
    assert message in response.text.replace("&#34;", '"')
    assert "Nothing was imported" in response.text
    assert counts(app) == (0, 0, 0)


def test_too_many_members_imports_nothing(app, organiser):
    survey_id = invitation_survey(app)
    content = "email\n" + "".join(f"m{i}@example.org\n" for i in range(100_001))
    response = upload(organiser, survey_id, content)
    assert response.status_code == 400
    assert "The file has 100,001 members. Upload at most 100,000 at a time" in response.text
    assert counts(app) == (0, 0, 0)


def test_many_problems_are_listed_twenty_at_a_time(app, organiser):
    survey_id = invitation_survey(app)
    content = "email\n" + "".join(f"member {i}\n" for i in range(25))
    response = upload(organiser, survey_id, content)
    assert response.status_code == 400
    assert response.text.count('<li><a href="#members">Row ') == 20
    assert "Row 21:" in response.text and "Row 22:" not in response.text
    assert "And 5 more problems not listed here." in response.text


def test_a_member_already_invited_is_refused(app, organiser):
    survey_id = invitation_survey(app)
    assert upload(organiser, survey_id, "email\na@example.org\n").status_code == 302
    response = upload(organiser, survey_id, "email\nb@example.org\nA@EXAMPLE.ORG\n")
    assert response.status_code == 400
    assert "Row 3: A@EXAMPLE.ORG has already been invited to this survey" in response.text
    assert counts(app) == (1, 1, 1)


def test_no_file_chosen(app, organiser):
    survey_id = invitation_survey(app)
    response = post(organiser, f"{page_url(survey_id)}/upload", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV file of members" in response.text


def test_an_upload_over_10_mb_is_refused_with_413(app, organiser):
    survey_id = invitation_survey(app)
    content = b"email,notes\n" + b"a@example.org," + b"x" * (11 * 1024 * 1024) + b"\n"
    response = upload(organiser, survey_id, content)
    assert response.status_code == 413
    assert "The file is larger than 10 MB" in response.text
    assert counts(app) == (0, 0, 0)


def test_an_upload_over_the_app_wide_1_mb_limit_is_fine(app, organiser):
    survey_id = invitation_survey(app)
    notes = "n" * 2200
    content = "email,notes\n" + "".join(f"m{i}@example.org,{notes}\n" for i in range(1000))
    assert len(content) > 2 * 1024 * 1024 > app.config["MAX_CONTENT_LENGTH"]
    assert upload(organiser, survey_id, content).status_code == 302
    assert counts(app) == (1, 1000, 1000)


def test_an_upload_needs_a_valid_csrf_token(app, organiser):
    survey_id = invitation_survey(app)
    response = organiser.post(
        f"{page_url(survey_id)}/upload",
        data={"csrf_token": "forged", "members": (io.BytesIO(b"email\na@example.org\n"), "m.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert counts(app) == (0, 0, 0)


def test_formulas_in_a_list_come_out_inert(app, organiser):
    survey_id = invitation_survey(app)
    content = (
        "email,segment\n"
        'a@example.org,"=HYPERLINK(""http://evil.example"",""x"")"\n'
        "b@example.org,+44\n"
        "c@example.org,-1+1\n"
        "d@example.org,@SUM(A1)\n"
        "e@example.org,North\n"
    )
    assert upload(organiser, survey_id, content).status_code == 302
    (batch_id,) = batch_ids(app, survey_id)
    segments = {r["email"]: r["segment"] for r in read_csv(download_batch(organiser, survey_id, batch_id))}
    assert segments == {
        "a@example.org": '\'=HYPERLINK("http://evil.example","x")',
        "b@example.org": "'+44",
        "c@example.org": "'-1+1",
        "d@example.org": "'@SUM(A1)",
        "e@example.org": "North",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        ("http://x/i/abc", "http://x/i/abc"),
    ],
)
def test_inert(value, expected):
    assert spreadsheets.inert(value) == expected


def test_row_numbers_count_the_header_as_row_1_and_blank_rows():
    with pytest.raises(MemberListError) as raised:
        read_member_list(b"email\r\na@example.org\r\n\r\nbad\r\n")
    assert raised.value.problems == ["Row 4: “bad” is not an email address."]


def test_a_quoted_cell_may_hold_a_line_break():
    members = read_member_list(b'email,segment\na@example.org,"North\nbranch"\nb@example.org,South\n')
    assert [(m.row, m.segment) for m in members] == [(2, "North\nbranch"), (3, "South")]


# --- reminders -----------------------------------------------------------------------------------


def test_not_yet_used_list_shrinks_when_a_member_answers(app, organiser):
    survey_id = invitation_survey(app)
    assert upload(organiser, survey_id, "email,segment\na@example.org,North\nb@example.org,South\n").status_code == 302
    assert make_links(organiser, survey_id, 2).status_code == 302
    assert "2 members have not answered yet" in get_page(organiser, page_url(survey_id))

    rows = read_csv(download_not_yet_used(organiser, survey_id))
    assert sorted(r["email"] for r in rows) == ["a@example.org", "b@example.org"], "only members on uploaded lists"
    first = next(r for r in rows if r["email"] == "a@example.org")

    member = app.test_client()
    opened = member.get(first["link"].removeprefix("http://localhost"))
    assert opened.status_code == 302 and opened.location.endswith("/s/tiny")
    assert complete(member).status_code == 302

    rows = read_csv(download_not_yet_used(organiser, survey_id))
    assert [(r["email"], r["segment"]) for r in rows] == [("b@example.org", "South")]
    html = get_page(organiser, page_url(survey_id))
    assert "1 member has not answered yet" in html
    assert ("downloaded not-yet-used list", {"count": 1}) in audit_actions(app)


# --- who may see what ----------------------------------------------------------------------------


def routes(app: Flask, organiser: FlaskClient) -> list[tuple[str, str]]:
    """Return every distribution route as (method, URL), with real surveys and a real batch."""
    open_id = open_link_survey(app)
    invited_id = make_survey(app, "other", status="open", access="invitation", audience=PROBATION).id
    assert make_links(organiser, invited_id, 1).status_code == 302
    (batch_id,) = batch_ids(app, invited_id)
    return [
        ("GET", f"/organise/surveys/{open_id}/qr.svg"),
        ("GET", f"/organise/surveys/{open_id}/qr.png"),
        ("GET", f"/organise/surveys/{open_id}/poster"),
        ("GET", page_url(invited_id)),
        ("POST", f"{page_url(invited_id)}/links"),
        ("POST", f"{page_url(invited_id)}/upload"),
        ("POST", f"{page_url(invited_id)}/{batch_id}/download"),
        ("POST", f"{page_url(invited_id)}/not-yet-used"),
    ]


def fetch(client: FlaskClient, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return post(client, url, {"count": "1", "members": (io.BytesIO(b"email\nz@example.org\n"), "m.csv")})


def test_every_route_is_only_for_managers_within_scope(app, organiser):
    every = routes(app, organiser)
    before = counts(app)
    viewer = app.test_client()
    make_user(app, "viewer@example.org", Role.VIEWER, [PROBATION])
    assert sign_in(viewer, app, "viewer@example.org").status_code == 302
    elsewhere = app.test_client()
    make_user(app, "health@example.org", Role.ORGANISER, [HEALTH])
    assert sign_in(elsewhere, app, "health@example.org").status_code == 302
    anonymous = app.test_client()
    for method, url in every:
        assert fetch(viewer, method, url).status_code == 403, (method, url)
        assert fetch(elsewhere, method, url).status_code == 404, (method, url)
        if method == "GET":
            assert anonymous.get(url).status_code == 302, url
    assert counts(app) == before
    assert not any(a.startswith("downloaded") for a, _ in audit_actions(app))


def test_an_administrator_may_use_every_route(app, client):
    organiser = app.test_client()
    make_user(app, "organiser@example.org", Role.ORGANISER, [PROBATION])
    sign_in(organiser, app, "organiser@example.org")
    every = routes(app, organiser)
    make_user(app, "admin@example.org", Role.ADMIN)
    assert sign_in(client, app, "admin@example.org").status_code == 302
    for method, url in every:
        assert fetch(client, method, url).status_code in (200, 302), (method, url)


def test_a_batch_of_another_survey_is_not_found(app, organiser):
    first = invitation_survey(app)
    second = make_survey(app, "other", status="open", access="invitation", audience=PROBATION).id
    assert make_links(organiser, first, 1).status_code == 302
    (batch_id,) = batch_ids(app, first)
    assert download_batch(organiser, second, batch_id).status_code == 404


# --- after the survey closes ---------------------------------------------------------------------


def test_closing_deletes_identities_and_refuses_downloads(app, organiser):
    survey_id = invitation_survey(app)
    assert upload(organiser, survey_id, MEMBERS).status_code == 302
    (batch_id,) = batch_ids(app, survey_id)
    with app.app_context():
        life_cycle.close(db.session.get(Survey, survey_id))
    assert counts(app) == (1, 3, 0)

    html = get_page(organiser, page_url(survey_id))
    assert "The uploaded member lists – email addresses and their links – were deleted" in html
    assert "<form" not in html.split("</header>")[1], "no downloads, no new invitations"
    for response in (
        download_batch(organiser, survey_id, batch_id),
        download_not_yet_used(organiser, survey_id),
        make_links(organiser, survey_id, 1),
        upload(organiser, survey_id, "email\nnew@example.org\n"),
    ):
        assert response.status_code == 409
        assert "This survey has closed" in response.text
    assert counts(app) == (1, 3, 0)


# --- sealing -------------------------------------------------------------------------------------


def test_tokens_are_sealed_with_a_key_from_the_secret(app):
    with app.app_context():
        sealed = invitations.seal("a-token")
        assert b"a-token" not in sealed
        assert invitations.unseal(sealed) == "a-token"
        app.config["SECRET_KEY"], kept = "another-secret-key-that-is-long-enough", app.config["SECRET_KEY"]
        try:
            with pytest.raises(InvalidToken):
                invitations.unseal(sealed)
        finally:
            app.config["SECRET_KEY"] = kept


def test_links_from_before_a_secret_change_are_refused_plainly(app, organiser):
    survey_id = invitation_survey(app)
    assert make_links(organiser, survey_id, 1).status_code == 302
    (batch_id,) = batch_ids(app, survey_id)
    with app.app_context():
        invitee = db.session.scalar(select(Invitee))
        invitee.sealed_token = b"gAAAAAB" + b"x" * 80
        db.session.commit()
    response = download_batch(organiser, survey_id, batch_id)
    assert response.status_code == 409
    assert "secret key has changed" in response.text


def test_the_closing_date_shown_is_in_uk_time(app, organiser):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    survey_id = open_link_survey(app, closes_at=datetime(2027, 6, 30, 23, 30, tzinfo=UTC))
    html = get_page(organiser, f"/organise/surveys/{survey_id}/poster")
    assert "Closes at 00:30 on 1 July 2027" in html and "Yn cau am 00:30 ar 1 Gorffennaf 2027" in html
