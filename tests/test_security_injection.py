"""C3: SQL injection fuzz. Hostile strings (quotes, comments, UNION, stacked statements, NUL bytes,
lone surrogates, very long text) go through every member form field, invitation tokens, resume
codes, every kind of address part, the query strings of the dashboards, the API's filters and the
audit log, and the staff sign-in. Every answer must be a sane status (never a 500), no database
error may surface in a page, and the database must be intact afterwards: the same tables with the
same rows. A static check forbids SQL built from strings anywhere in survey/.
"""

from __future__ import annotations

import ast
import re
import urllib.parse

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.extensions import db
from survey.models import Role, SurveyStatus

from .factories import (
    HELD_COMMENTS,
    PASSWORD,
    PLAIN_COMMENTS,
    commented_survey,
    demo_survey,
    invited_survey,
    make_survey,
    make_user,
)
from .helpers import ROOT, get_page
from .journey import TINY_PAGES, csrf_token, start
from .staff import sign_in

PAYLOADS = [
    "'",
    '"',
    "' OR '1'='1",
    "' OR 1=1--",
    '" OR ""="',
    "1' OR '1'='1' /*",
    "admin'--",
    "1; DROP TABLE response;--",
    "'; DELETE FROM survey; --",
    "'); DROP TABLE invitation; --",
    "1' UNION SELECT email, password_hash FROM app_user--",
    "' UNION ALL SELECT NULL,NULL,NULL--",
    "1 AND (SELECT 1 FROM pg_sleep(3))",
    "'||(SELECT pg_sleep(3))||'",
    "1)) OR ((1=1",
    "$$; DROP TABLE survey; $$",
    "/**/OR/**/1=1",
    "\\'; DROP TABLE draft; --",
    "%27%20OR%201%3D1",
    "a\x00b",
    "\x00",
    "\ud800",  # a lone surrogate: cannot be encoded as UTF-8
    "\u202e' OR 1=1 --",
    "x" * 20_000,
    "' OR 1=1 --" * 500,
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "[]",
    "{}",
    "null",
    "é'ü\"ß`;",
]
# A shorter list with one of each kind, for the many places where every payload adds little.
CORE = [
    "' OR 1=1--",
    "1; DROP TABLE response;--",
    "1' UNION SELECT email, password_hash FROM app_user--",
    "'||(SELECT pg_sleep(3))||'",
    "$$; DROP TABLE survey; $$",
    "a\x00b",
    "\ud800",
    "\u202e' OR 1=1 --",
    "x" * 20_000,
    "99999999999999999999999999",
    "-1",
    "é'ü\"ß`;",
]
SQL_ERRORS = ("Traceback", "sqlalchemy", "psycopg", "sqlite3", "syntax error", "OperationalError", "ProgrammingError")
SANE = {200, 301, 302, 303, 308, 400, 403, 404, 405, 409, 410, 413, 414, 429}


def quote(payload: str) -> str:
    """Percent-encode a payload for use in a path or query; a lone surrogate becomes raw bytes."""
    raw = payload.encode("utf-8", "surrogatepass")
    return urllib.parse.quote(raw, safe="")


def post(client, url: str, data: dict):
    """POST a form as a browser would encode it, even with payloads that are not valid Unicode."""
    body = urllib.parse.urlencode(data, doseq=True, quote_via=lambda text, *args: quote(text))
    return client.post(url, data=body.encode(), content_type="application/x-www-form-urlencoded")


def sane(response, where: str) -> None:
    """A hostile request gets an ordinary answer: no 500 and no database error in the page."""
    assert response.status_code in SANE, (where, response.status_code)
    body = response.get_data().decode("utf-8", "replace")  # an .xlsx download is not text
    leaked = [word for word in SQL_ERRORS if word in body]
    assert not leaked, (where, leaked)


def database_state(app: Flask) -> dict[str, int]:
    """Every table and its row count (the session table aside: signing in adds a row)."""
    with app.app_context():
        names = sa.inspect(db.engine).get_table_names()
        return {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            for name in sorted(names)
            if name != "staff_session"
        }


@pytest.fixture
def world(app):
    """An open survey, an invitation survey, a published survey with results, and an administrator."""
    make_survey(app, "tiny")
    tokens = invited_survey(app, 2)
    published = demo_survey(app, "pub", 400, 3, status=SurveyStatus.PUBLISHED)
    make_user(app, "ada@example.org", Role.ADMIN)
    return {"published": published.id, "tokens": tokens}


FREE_TEXT = {"ai_detail", "sector.other", "team", "years", "submit_key", "csrf_token"}


def test_every_member_form_field_takes_hostile_strings_without_harm(app, client, world):
    """Each field of each page in turn holds each payload; then the member still finishes once."""
    location = start(client, "tiny")
    before = database_state(app)
    for section_id, valid in TINY_PAGES.items():
        assert location.endswith(f"/page/{section_id}"), location
        fields = [*valid, "sector.other", "action", "language", "csrf_token", "submit_key", "' OR 1=1 --"]
        for field in dict.fromkeys(fields):
            page = get_page(client, location)
            token = csrf_token(page)  # one token serves the whole session, as in a browser
            for payload in PAYLOADS if field in FREE_TEXT else CORE:
                data = {"csrf_token": token, **valid, field: payload}
                if field == "monitoring":
                    data[field] = ["cctv", payload]
                sane(post(client, location, data), f"{section_id}.{field}={payload[:30]!r}")
        # The member's real answers still go through, and the journey carries on.
        page = client.get(location)
        response = client.post(location, data={"csrf_token": csrf_token(page.text), **valid})
        assert response.status_code == 302, section_id
        location = response.location
    assert location.endswith("/check-answers")
    for payload in PAYLOADS:  # a hostile submit key is just a key: the first one submits
        page = client.get("/s/tiny/check-answers")
        if page.status_code != 200:
            break
        sane(post(client, location, {"csrf_token": csrf_token(page.text), "submit_key": payload}), payload[:30])
    assert client.get("/s/tiny/thank-you").status_code == 200
    after = database_state(app)
    # Exactly the member's own draft became one pending response (with its submit key's receipt).
    grew = {name: before[name] + 1 for name in ("pending_submission", "submission_receipt")}
    # The day's count of submits lands on one of its rows at random: perhaps a new one.
    counted = after["survey_day"] - before["survey_day"]
    assert counted in (0, 1)
    assert after == before | grew | {"draft": before["draft"] - 1, "survey_day": before["survey_day"] + counted}
    with app.app_context():
        pending = db.session.execute(sa.text("SELECT answers FROM pending_submission")).scalar_one()
    assert "' OR" not in str(pending) and "DROP" not in str(pending)  # the valid answers were kept


ADDRESSES = [
    "/i/{p}",
    "/s/{p}",
    "/s/{p}/start",
    "/s/tiny/page/{p}",
    "/s/tiny/resume/{p}",
    "/s/{p}/resume/AAAAA-AAAAA-AAAAA-AAAAA-AAAAA",
    "/s/tiny/thank-you?lang={p}",
    "/?lang={p}",
    "/api/v1/surveys/{p}",
    "/api/v1/surveys/pub/results/{p}",
    "/api/v1/surveys/pub/comments/{p}",
    "/api/v1/surveys/{p}/equality",
    "/organise/surveys/{p}",
    "/organise/surveys/{published}/results/q/{p}",
    "/organise/surveys/{published}/results/q/{p}/chart.json",
    "/organise/surveys/{published}/preview/{p}",
    "/organise/surveys/{published}/qr.{p}",
    "/admin/questionnaires/files/{p}",
    "/admin/users/{p}",
    "/static/{p}",
    "/s/{p}/withdraw",
    "/r/{p}",
    "/r/{p}/briefing",
    "/r/pub/q/{p}",
    "/r/pub/q/{p}/chart.json",
    "/organise/surveys/{published}/exports/q/{p}.csv",
    "/organise/surveys/{published}/exports/{p}.csv",
]


def test_hostile_tokens_codes_and_address_parts_are_refused_plainly(app, client, world):
    sign_in(client, app, "ada@example.org")
    stranger = app.test_client()
    before = database_state(app)
    for payload in CORE:
        for address in ADDRESSES:
            url = address.format(p=quote(payload), published=world["published"])
            for who in (client, stranger):
                response = post(who, url, {}) if url.endswith("/start") else who.get(url)
                sane(response, url[:120])
    token = csrf_token(stranger.get("/s/tiny/resume").text)  # one token serves the whole session
    for payload in CORE:  # the withdrawal code and the published results' access code
        for confirm in ("", "yes"):
            data = {"csrf_token": token, "code": payload, "confirm": confirm}
            sane(post(stranger, "/s/tiny/withdraw", data), f"withdraw {payload[:30]!r}")
        sane(post(stranger, "/r/pub/code", {"csrf_token": token, "code": payload}), f"code {payload[:30]!r}")
    for payload in PAYLOADS:  # tokens and resume codes get every payload
        for url in (f"/i/{quote(payload)}", f"/s/tiny/resume/{quote(payload)}"):
            sane(stranger.get(url), url[:120])
        page = stranger.get("/s/tiny/resume")
        response = post(stranger, "/s/tiny/resume", {"csrf_token": csrf_token(page.text), "code": payload})
        sane(response, f"resume code {payload[:30]!r}")
        assert response.status_code == 400
    assert database_state(app) == before
    for token in world["tokens"]:  # the real invitations still work
        assert app.test_client().get(f"/i/{token}").status_code == 302


QUERIES = [
    # The dashboards: ?by=<dimension>, ?filter=<dimension>:<code>, ?page=<n>
    "/organise/surveys/{published}/results/?by={p}",
    "/organise/surveys/{published}/results/q/E3?by={p}",
    "/organise/surveys/{published}/results/q/E3?filter={p}",
    "/organise/surveys/{published}/results/q/E3?filter=A5:{p}",
    "/organise/surveys/{published}/results/q/E3?filter={p}:{p}&by={p}",
    "/organise/surveys/{published}/results/q/C2?by=A5&filter=disabled:{p}",
    "/organise/surveys/{published}/results/q/K1?filter={p}&page={p}",
    "/organise/surveys/{published}/results/q/E3/chart.json?by={p}&filter={p}",
    # The API: ?by=, ?lang= and any other argument is a filter, with hostile names and values
    "/api/v1/surveys/pub/results/E3?by={p}",
    "/api/v1/surveys/pub/results/E3?{p}={p}",
    "/api/v1/surveys/pub/results/E3?A5={p}&by=A5",
    "/api/v1/surveys/pub/results/C2?by=disabled&{p}=1&lang={p}",
    "/api/v1/surveys/pub/comments/K1?{p}={p}",
    "/api/v1/surveys/pub/equality?lang={p}",
    "/api/v1/surveys/pub?lang={p}",
    # Exports, comment review and the published pages take the same arguments
    "/organise/surveys/{published}/exports/q/E3.csv?by={p}&filter={p}",
    "/organise/surveys/{published}/exports/q/E3.xlsx?by=A5&filter=A5:{p}",
    "/organise/surveys/{published}/results/review?page={p}&question={p}",
    "/r/pub?{p}={p}",
    "/r/pub/q/E3?by={p}&filter={p}",
    "/r/pub/screen?slide={p}",
    "/r/pub/code?next={p}",
    # Staff lists
    "/admin/audit?survey={p}&actor={p}&page={p}",
    "/admin/audit?actor={p}",
    "/organise/?status={p}&page={p}",
    "/admin/users?page={p}&q={p}",
]


def test_hostile_query_strings_on_dashboards_api_and_audit_log(app, client, world):
    sign_in(client, app, "ada@example.org")
    before = database_state(app)
    audit_before = before["audit_event"]
    for payload in CORE:
        for query in QUERIES:
            url = query.format(p=quote(payload), published=world["published"])
            sane(client.get(url), url[:120])
    after = database_state(app)
    assert after == before | {"audit_event": audit_before}
    # The results themselves are unchanged by all that: the same gated numbers come back.
    assert client.get("/api/v1/surveys/pub/results/E3?by=A5").status_code == 200


def test_hostile_staff_sign_in_changes_nothing_and_the_real_account_still_works(app, client, world):
    before = database_state(app)
    attempts = [(payload, payload) for payload in CORE] + [(f"{p}@example.org", "x") for p in CORE[:3]]
    attempts += [("ada@example.org' --", "x"), ("ada@example.org", "' OR 1=1--"), ("' OR email LIKE '%", "x")]
    for email, password in attempts:
        page = client.get("/staff/sign-in")
        data = {"csrf_token": csrf_token(page.text), "email": email, "password": password}
        response = post(client, "/staff/sign-in", data)
        sane(response, f"sign-in {email[:30]!r}")
        assert response.status_code in (400, 413, 429), response.status_code
    after = database_state(app)
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }
    with app.app_context():
        from survey.models import User

        ada = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
        # Only the one attempt with her own address and a wrong password counted against her.
        assert ada.failed_logins == 1 and ada.locked_until is None
    # The one-time code step with a hostile code, then the real sign-in.
    page = client.get("/staff/sign-in")
    client.post(
        "/staff/sign-in", data={"csrf_token": csrf_token(page.text), "email": "ada@example.org", "password": PASSWORD}
    )
    for payload in PAYLOADS[:8]:  # with the wrong password above, fewer than the ten failures that lock
        page = client.get("/staff/sign-in/code")
        if page.status_code != 200:
            break
        sane(post(client, "/staff/sign-in/code", {"csrf_token": csrf_token(page.text), "code": payload}), payload[:30])
    fresh = app.test_client()
    assert sign_in(fresh, app, "ada@example.org").status_code == 302
    assert fresh.get("/admin/users").status_code == 200


SQLISH = st.sampled_from(["'", '"', "--", "/*", "*/", ";", " OR 1=1", " UNION SELECT ", "\x00", "\\", "%", "_", "$$"])
HOSTILE = st.lists(st.one_of(SQLISH, st.text(max_size=12)), max_size=8).map("".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE)
def test_generated_hostile_strings_through_the_main_doors(app, world, text):
    """Hypothesis mixes SQL fragments with arbitrary Unicode, through slug, token, code and filter."""
    client = app.test_client()
    before = database_state(app)
    p = quote(text)
    for url in (f"/s/{p}", f"/i/{p}", f"/s/tiny/resume/{p}", f"/api/v1/surveys/pub/results/E3?A5={p}&{p}=1"):
        sane(client.get(url), url[:120])
    page = client.get("/s/tiny/resume")
    sane(post(client, "/s/tiny/resume", {"csrf_token": csrf_token(page.text), "code": text}), "resume")
    after = database_state(app)
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }


# --- the static check: no SQL built from strings ------------------------------------------------


def _string_built_sql(source: str, name: str) -> list[str]:
    """Return each place in a file where SQL text is made from anything but one literal string:
    SQLAlchemy's text() or a driver's execute() given an f-string, a sum, .format() or a variable."""
    tree = ast.parse(source, filename=name)
    modules, texts = {"sqlalchemy"}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "sqlalchemy"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            texts |= {a.asname or a.name for a in node.names if a.name in {"text", "literal_column"}}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func, first = node.func, node.args[0]
        if isinstance(func, ast.Name):
            is_sql = func.id in texts
        elif isinstance(func, ast.Attribute):
            from_module = isinstance(func.value, ast.Name) and func.value.id in modules
            is_sql = (func.attr in {"text", "literal_column"} and from_module) or func.attr in {
                "exec_driver_sql",
                "executescript",
            }
            # A driver's cursor.execute("..."): flag only SQL that is visibly built from pieces.
            if func.attr in {"execute", "executemany"} and (isinstance(first, ast.JoinedStr | ast.BinOp)):
                is_sql = True
        else:
            is_sql = False
        if is_sql and not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            found.append(f"{name} {ast.unparse(node)[:100]}")
    return found


# Text SQL that is put together from constant pieces only, never from input, and why each is safe.
REVIEWED = {
    # The driver's placeholder (? or %s) goes in; the survey id is bound.
    "demo/database.py cursor.execute(f'SELECT MAX(batch) FROM response WHERE survey_id = {placeholder}', (survey_id,))",
    # A constant query with an optional constant "AND batch > :after"; every value is bound.
    "survey/results/read.py text(query)",
}


def test_no_sql_is_built_from_strings():
    found = [
        line
        for path in sorted([*(ROOT / "survey").rglob("*.py"), *(ROOT / "demo").rglob("*.py")])
        for line in _string_built_sql(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert [f for f in found if f not in REVIEWED] == []


def test_the_static_check_catches_string_built_sql():
    hostile = """
import sqlalchemy as sa
from sqlalchemy import text as t
db.session.execute(sa.text(f"SELECT * FROM survey WHERE slug = '{slug}'"))
db.session.execute(t("SELECT * FROM survey WHERE slug = '%s'" % slug))
cursor.execute("DELETE FROM draft WHERE id = " + draft_id)
connection.exec_driver_sql(query)
db.session.execute(sa.text("SELECT 1"))
db.session.execute(select(Survey).where(Survey.slug == slug))
"""
    assert len(_string_built_sql(hostile, "x.py")) == 4


# --- C1: markup in members' comments, on every staff page that shows them ------------------------

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>", "javascript:alert(1)"]


def scripts_are_ours(response) -> None:
    """Every <script> on a page is ours: from /static/, or inline with this response's nonce."""
    nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"]).group(1)
    for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
        assert re.search(r'src="/static/', tag) or f'nonce="{nonce}"' in tag, tag


def test_markup_in_comments_is_text_on_results_review_api_and_export_pages(app, client):
    hostile = [f"{payload} {plain}" for payload, plain in zip(XSS * 4, PLAIN_COMMENTS, strict=False)]
    survey = commented_survey(
        app, "marked", hostile + PLAIN_COMMENTS[len(hostile) :] + [f"{XSS[1]} {HELD_COMMENTS[0]}", *HELD_COMMENTS[1:]]
    )
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "ada@example.org")
    pages = [
        f"/organise/surveys/{survey.id}/results/q/ai_detail",
        f"/organise/surveys/{survey.id}/results/review?q=ai_detail",
        f"/organise/surveys/{survey.id}/results/review?q=ai_detail&show=all",
        f"/organise/surveys/{survey.id}/results/",
        f"/organise/surveys/{survey.id}/exports/",
    ]
    shown = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        for payload in XSS[:3]:
            assert payload not in body, (url, payload)
        assert 'href="javascript:' not in body and "onerror=alert" not in body.replace("onerror=alert(1)&gt;", "")
        shown += body.count("&lt;script&gt;alert(1)&lt;/script&gt;") + body.count("\\u003cscript\\u003e")
        if response.mimetype == "text/html":
            scripts_are_ours(response)
    assert shown > 0  # the comments were really there, as text
    # The API gives the text exactly, as JSON that no browser will read as a page.
    api = client.get("/api/v1/surveys/marked/comments/ai_detail")
    assert api.mimetype == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"
    assert hostile[0] in [c if isinstance(c, str) else c.get("text") for c in api.get_json()["comments"]]
    exported = client.get(f"/organise/surveys/{survey.id}/exports/comments.csv")
    assert exported.status_code == 200 and exported.headers["Content-Disposition"].startswith("attachment")
    assert exported.mimetype != "text/html"
