"""Administrators' pages: accounts, questionnaire uploads and the audit log."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.core import audit
from survey.extensions import db
from survey.models import AuditEvent, Role, StaffSession, Survey, User, utcnow

from .factories import HEALTH, PASSWORD, PROBATION, TINY_TEXT, make_survey, make_user
from .helpers import get_page, stored_user, stored_versions
from .journey import csrf_token, errors_on, post_form
from .staff import sign_in, upload_questionnaire

ADMIN = "ada@example.org"  # the conftest's `admin`


def _events(app: Flask, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        events = list(db.session.scalars(query))
        db.session.expunge_all()
        return events


def _post(client: FlaskClient, url: str, data: dict | None = None):
    """Press a button on the admin pages: POST with the CSRF token of a staff page."""
    token = csrf_token(client.get("/admin/users").text)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _shown_password(client: FlaskClient, location: str) -> str:
    page = get_page(client, location)
    match = re.search(r'id="temporary-password">([^<]+)<', page)
    assert match, "no temporary password on the page"
    return match.group(1)


def _new_account(client: FlaskClient, email: str, role: str = "organiser", scopes: list[dict] | None = None, **extra):
    data = {"email": email, "name": "Pat Organiser", "role": role, **extra}
    for index, scope in enumerate(scopes or []):
        data |= {f"scopes-{index}-{key}": code for key, code in scope.items()}
    return post_form(client, "/admin/users/new", data)


def _edit(client: FlaskClient, user: User, **changes):
    data = {"name": user.name, "role": user.role, **changes}
    if data.pop("active", user.active):
        data["active"] = "y"
    for index, scope in enumerate(data.pop("scopes", user.scopes)):
        data |= {f"scopes-{index}-{key}": code for key, code in scope.items()}
    return post_form(client, f"/admin/users/{user.id}", data)


# --- who may use the admin pages -----------------------------------------------------------------


def _admin_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield rule, method


def _address(app: Flask, rule) -> str:
    values = {"user_id": 1, "version_id": 1, "questionnaire_id": "ai-at-work", "profile_id": 1}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def test_every_admin_view_is_for_administrators_only(app):
    views = {endpoint: view for endpoint, view in app.view_functions.items() if endpoint.startswith("admin.")}
    assert len(views) >= 12
    assert {endpoint: view.allowed_roles for endpoint, view in views.items()} == {
        endpoint: frozenset({Role.ADMIN}) for endpoint in views
    }


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.VIEWER])
def test_organisers_and_viewers_get_403_on_every_admin_page(app, client, role):
    make_user(app, "pat@example.org", role, [PROBATION])
    sign_in(client, app, "pat@example.org")
    token = csrf_token(client.get("/organise/").text)
    tried = 0
    for rule, method in _admin_rules(app):
        url = _address(app, rule)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, (rule.rule, method, response.status_code)
        tried += 1
    assert tried >= 14
    assert "/admin/" not in get_page(client, "/organise/")  # no admin links in the navigation


def test_strangers_are_sent_to_sign_in(app, client):
    for rule, method in _admin_rules(app):
        if method == "GET":
            response = client.get(_address(app, rule))
            assert response.status_code == 302 and "/staff/sign-in" in response.location, rule.rule


def test_every_admin_page_has_a_title_and_unique_ids(app, admin):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    pat = stored_user(app, "pat@example.org")
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{pat.id}", "/admin/questionnaires"):
        get_page(admin, url)
    get_page(admin, "/admin/questionnaires/upload")
    get_page(admin, "/admin/questionnaires/files/ai-at-work")
    get_page(admin, "/admin/audit")


# --- accounts ----------------------------------------------------------------------------------


def test_the_accounts_list_shows_roles_scopes_and_sign_in_state(app, admin):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION, {"region": "cymru_wales"}], totp=False)
    make_user(app, "vic@example.org", Role.VIEWER, [HEALTH])
    with app.app_context():
        vic = db.session.scalar(select(User).where(User.email == "vic@example.org"))
        vic.locked_until = utcnow() + timedelta(minutes=10)
        db.session.commit()
    page = get_page(admin, "/admin/users")
    assert "Police and justice (police staff, probation, CAFCASS): Probation Service" in page
    assert "Cymru/Wales" in page and "Health" in page
    assert "Locked" in page and "Everything" in page
    assert page.count(">On<") == 2 and page.count(">Off<") == 1  # Pat sets it up at the next sign-in


def test_an_admin_adds_an_organiser_who_signs_in_with_the_temporary_password(app, admin):
    response = _new_account(admin, "Pat@Example.org", scopes=[PROBATION])
    assert response.status_code == 302, errors_on(response.text)
    password = _shown_password(admin, response.location)
    assert len(password) >= 12

    again = get_page(admin, response.location)  # shown once only
    assert password not in again and "shown once" in again
    assert admin.get(response.location).headers["Cache-Control"] == "no-store"

    pat = stored_user(app, "pat@example.org")
    assert pat.role == Role.ORGANISER and pat.scopes == [PROBATION] and pat.must_change_password

    organiser = app.test_client()
    assert sign_in(organiser, app, "pat@example.org", password).status_code == 302
    forced = organiser.get("/organise/")
    assert forced.status_code == 302 and forced.location.endswith("/staff/password")

    [event] = _events(app, "created account")
    assert event.actor == ADMIN
    assert event.detail == {"account": "pat@example.org", "role": "organiser", "scopes": [PROBATION]}
    assert all(password not in repr(e.detail) for e in _events(app))


def test_a_new_account_is_checked(app, admin):
    make_user(app, "taken@example.org", Role.VIEWER, [HEALTH])
    cases = [
        ({"email": "taken@example.org", "scopes": [HEALTH]}, "already an account with this email"),
        ({"email": "not-an-email", "scopes": [HEALTH]}, "Enter an email address"),
        ({"email": "pat@example.org", "scopes": []}, "at least one service group, sector or region"),
        (
            {"email": "pat@example.org", "scopes": [{"service_group": "health", "sector": "probation"}]},
            "That sector is not part of the chosen service group.",
        ),
        ({"email": "pat@example.org", "scopes": [{"sector": "probation"}]}, "Choose the service group as well"),
        ({"email": "pat@example.org", "scopes": [{"region": "atlantis"}]}, "'atlantis' is not a region"),
        ({"email": "pat@example.org", "scopes": [HEALTH], "role": "overlord"}, "Not a valid choice"),
    ]
    for fields, message in cases:
        response = _new_account(admin, fields.pop("email"), **fields)
        assert response.status_code == 400, message
        assert message in html.unescape(response.text), (message, errors_on(response.text))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert _events(app, "created account") == []


def test_a_new_administrator_needs_no_scopes_and_blank_rows_are_ignored(app, admin):
    response = _new_account(admin, "bob@example.org", role="admin", scopes=[PROBATION])
    assert response.status_code == 302
    assert stored_user(app, "bob@example.org").scopes == []
    response = _new_account(admin, "vic@example.org", role="viewer", scopes=[{}, {"region": "cymru_wales"}, {}])
    assert response.status_code == 302
    assert stored_user(app, "vic@example.org").scopes == [{"region": "cymru_wales"}]


def test_editing_an_account_changes_its_role_and_scopes(app, admin):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    pat = stored_user(app, "pat@example.org")
    page = get_page(admin, f"/admin/users/{pat.id}")
    assert '<option selected value="probation">' in page
    response = _edit(admin, pat, name="Pat Viewer", role="viewer", scopes=[PROBATION, HEALTH])
    assert response.status_code == 302, errors_on(response.text)
    pat = stored_user(app, "pat@example.org")
    assert (pat.name, pat.role, pat.scopes, pat.active) == ("Pat Viewer", "viewer", [PROBATION, HEALTH], True)
    [event] = _events(app, "changed account")
    assert event.detail == {
        "account": "pat@example.org",
        "name": "Pat Viewer",
        "role": "viewer",
        "scopes": [PROBATION, HEALTH],
    }


def test_an_account_with_many_scopes_gets_a_row_for_each_and_one_more(app, admin):
    scopes = [{"region": code} for code in ("cymru_wales", "eastern", "london", "north_west")]
    make_user(app, "pat@example.org", Role.ORGANISER, scopes)
    page = get_page(admin, f"/admin/users/{stored_user(app, 'pat@example.org').id}")
    assert "Audience 5" in page and "Audience 6" not in page


def test_deactivating_an_account_signs_it_out_and_keeps_it_out(app, admin):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    organiser = app.test_client()
    sign_in(organiser, app, "pat@example.org")
    assert organiser.get("/organise/").status_code == 200

    response = _edit(admin, stored_user(app, "pat@example.org"), active=False)
    assert response.status_code == 302, errors_on(response.text)
    assert stored_user(app, "pat@example.org").active is False
    shut_out = organiser.get("/organise/")
    assert shut_out.status_code == 302 and "/staff/sign-in" in shut_out.location
    assert "Email or password is not right" in sign_in(app.test_client(), app, "pat@example.org").text
    assert "Deactivated" in get_page(admin, "/admin/users")
    assert _events(app, "changed account")[0].detail == {"account": "pat@example.org", "active": False}


def test_an_admin_cannot_demote_or_deactivate_themself(app, admin):
    me = stored_user(app, ADMIN)
    demote = _edit(admin, me, role="organiser", scopes=[PROBATION])
    assert demote.status_code == 400 and "cannot remove your own administrator role" in demote.text
    deactivate = _edit(admin, me, active=False)
    assert deactivate.status_code == 400 and "cannot deactivate your own account" in deactivate.text
    me = stored_user(app, ADMIN)
    assert me.role == Role.ADMIN and me.active
    assert admin.get("/admin/users").status_code == 200
    assert _events(app, "changed account") == []


def test_resetting_a_password_unlocks_and_signs_the_user_out(app, admin):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    organiser = app.test_client()
    sign_in(organiser, app, "pat@example.org")
    with app.app_context():
        pat = db.session.scalar(select(User).where(User.email == "pat@example.org"))
        pat.locked_until, pat.failed_logins = utcnow() + timedelta(minutes=20), 4
        db.session.commit()
    pat = stored_user(app, "pat@example.org")
    assert "Locked until" in get_page(admin, f"/admin/users/{pat.id}")

    response = _post(admin, f"/admin/users/{pat.id}/reset-password")
    assert response.status_code == 302
    password = _shown_password(admin, response.location)

    pat = stored_user(app, "pat@example.org")
    assert pat.locked_until is None and pat.failed_logins == 0 and pat.must_change_password
    old = organiser.get("/organise/")
    assert old.status_code == 302 and "/staff/sign-in" in old.location
    fresh = app.test_client()
    assert sign_in(fresh, app, "pat@example.org", password).status_code == 302
    assert fresh.get("/organise/").location.endswith("/staff/password")
    [event] = _events(app, "reset password")
    assert event.actor == ADMIN and event.detail == {"account": "pat@example.org"}
    assert all(password not in repr(e.detail) for e in _events(app))


def test_an_admin_cannot_reset_their_own_password_or_two_factor_here(app, admin):
    me = stored_user(app, ADMIN)
    for action in ("reset-password", "reset-two-factor"):
        response = _post(admin, f"/admin/users/{me.id}/{action}")
        assert response.status_code == 302 and response.location.endswith(f"/admin/users/{me.id}")
        assert "Ask another administrator" in get_page(admin, response.location)
    me = stored_user(app, ADMIN)
    assert me.totp_secret and not me.must_change_password
    assert admin.get("/admin/users").status_code == 200


def test_unlocking_an_account(app, admin):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    with app.app_context():
        pat = db.session.scalar(select(User).where(User.email == "pat@example.org"))
        pat.locked_until, pat.failed_logins = utcnow() + timedelta(minutes=20), 2
        db.session.commit()
        pat_id = pat.id
    response = _post(admin, f"/admin/users/{pat_id}/unlock")
    assert response.status_code == 302
    pat = stored_user(app, "pat@example.org")
    assert pat.locked_until is None and pat.failed_logins == 0
    assert sign_in(app.test_client(), app, "pat@example.org").status_code == 302
    assert _events(app, "unlocked account")[0].detail == {"account": "pat@example.org"}


def test_resetting_two_factor_makes_an_admin_set_it_up_again(app, admin):
    make_user(app, "bob@example.org", Role.ADMIN)
    other = app.test_client()
    sign_in(other, app, "bob@example.org")
    assert other.get("/admin/users").status_code == 200
    bob = stored_user(app, "bob@example.org")
    response = _post(admin, f"/admin/users/{bob.id}/reset-two-factor")
    assert response.status_code == 302
    assert stored_user(app, "bob@example.org").totp_secret is None
    assert "/staff/sign-in" in other.get("/admin/users").location  # signed out everywhere
    password = post_form(other, "/staff/sign-in", {"email": "bob@example.org", "password": PASSWORD})
    assert password.location.endswith("/staff/sign-in/two-factor")  # the password alone, then set-up:
    assert "/staff/sign-in" in other.get("/admin/users").location  # and nothing before it is done
    assert sign_in(other, app, "bob@example.org").status_code == 302  # through the set-up page
    assert other.get("/admin/users").status_code == 200 and stored_user(app, "bob@example.org").totp_secret
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(StaffSession.user_id == bob.id)) == 1
    assert _events(app, "reset two-factor sign-in")[0].detail == {"account": "bob@example.org"}


def test_an_unknown_account_is_not_found(app, admin):
    assert admin.get("/admin/users/9999").status_code == 404
    assert _post(admin, "/admin/users/9999/unlock").status_code == 404


# --- questionnaire uploads ----------------------------------------------------------------------


def _available(app: Flask) -> dict:
    from survey.core.surveys import available_questionnaires

    with app.app_context():
        return available_questionnaires()


def test_a_valid_upload_is_reviewed_then_approved_for_organisers(app, admin):
    response = upload_questionnaire(admin, TINY_TEXT)
    assert response.status_code == 302, response.text
    [version] = stored_versions(app)
    assert (version.slug, version.origin, version.approved) == ("tiny", "upload", False)
    assert response.location.endswith(f"/admin/questionnaires/uploads/{version.id}")
    assert f"upload-{version.id}" not in _available(app)

    review = get_page(admin, response.location)
    for text in (
        "Tiny test survey",
        "Arolwg prawf bach",  # the Welsh title beside the English
        "Which service group are you in?",
        "Ym mha grŵp gwasanaeth ydych chi?",
        "Strongly disagree",
        "Anghytuno&#39;n gryf",
        "Police and justice",
        "Waiting for approval",
        "Derived variables",
        "Dimensions",
    ):
        assert text in review, text
    assert "Approve for use" in review and "Discard" in review
    assert "Waiting for approval" in get_page(admin, "/admin/questionnaires")

    approved = _post(admin, f"/admin/questionnaires/uploads/{version.id}/approve")
    assert approved.status_code == 302
    assert stored_versions(app)[0].approved is True
    assert _available(app)[f"upload-{version.id}"].title["en"] == "Tiny test survey"
    assert "Approve for use" not in get_page(admin, response.location)

    assert [e.action for e in _events(app)][-2:] == ["uploaded questionnaire", "approved questionnaire"]
    uploaded = _events(app, "uploaded questionnaire")[0]
    assert uploaded.detail["file"] == "tiny-v2.yaml" and uploaded.detail["questionnaire"] == "tiny"
    assert "source" not in uploaded.detail


def test_an_approved_upload_can_be_chosen_for_a_new_survey(app, admin):
    upload_questionnaire(admin, TINY_TEXT)
    [version] = stored_versions(app)
    _post(admin, f"/admin/questionnaires/uploads/{version.id}/approve")
    page = get_page(admin, "/organise/surveys/new")
    assert f'value="upload-{version.id}"' in page and "Tiny test survey (version 1)" in page


def test_the_same_upload_twice_is_stored_once(app, admin):
    first = upload_questionnaire(admin, TINY_TEXT)
    second = upload_questionnaire(admin, TINY_TEXT, "copy.yml")
    assert second.status_code == 302 and second.location == first.location
    assert "uploaded before" in get_page(admin, second.location)
    assert len(stored_versions(app)) == 1
    assert len(_events(app, "uploaded questionnaire")) == 1


def test_an_upload_the_same_as_a_file_already_pinned_says_so(app, admin):
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    make_survey(app, "pinned", questionnaire)
    response = upload_questionnaire(admin, questionnaire.source, "ai-at-work.yaml")
    assert response.status_code == 302 and response.location.endswith("/admin/questionnaires")
    assert "already stored, from the questionnaires/ folder" in get_page(admin, response.location)
    assert [v.origin for v in stored_versions(app)] == ["file"]


def test_an_upload_with_the_id_of_a_file_is_kept_apart_and_flagged(app, admin):
    text = app.extensions["questionnaires"]["conference-pulse"].source
    response = upload_questionnaire(admin, text.replace("version: ", "version: 9", 1), "pulse.yaml")
    assert response.status_code == 302, response.text
    assert "A questionnaire file with the same id is in questionnaires/" in get_page(admin, response.location)
    assert app.extensions["questionnaires"]["conference-pulse"].version != 9  # the file is untouched


def test_an_invalid_upload_lists_every_problem_and_stores_nothing(app, admin):
    bad = TINY_TEXT.replace("cy: Eich gwaith}", "cy: ''}").replace("{code: email,", "{code: cctv,")
    response = upload_questionnaire(admin, bad, "bad.yaml")
    assert response.status_code == 400
    rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td><td>([^<]*)</td></tr>", response.text)
    assert len(rows) == 2
    assert {row[0] for row in rows} == {"bad.yaml"}
    lines = [line for line, text in enumerate(bad.splitlines(), 1) if "cy: ''}" in text or "{code: cctv," in text]
    assert sorted(int(row[1]) for row in rows) == sorted(lines[:1] + lines[-1:])
    assert any("has no Welsh (cy) text" in row[2] for row in rows)
    assert any("duplicate option code" in row[2] for row in rows)
    assert "Nothing was stored" in response.text
    assert stored_versions(app) == [] and [e.action for e in _events(app)] == ["signed in"]


def test_upload_problems_are_shown_escaped(app, admin):
    evil = TINY_TEXT.replace("id: tiny", "id: <script>alert(1)</script>", 1)
    evil = evil.replace("title: {en: Tiny test survey", "title: {en: '<script>alert(2)</script>'", 1)
    response = upload_questionnaire(admin, evil, "<img src=x onerror=alert(3)>.yaml")
    assert response.status_code == 400
    assert "<script>" not in response.text and "<img" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text and "is not a valid id" in response.text
    assert "&lt;img src=x onerror=alert(3)&gt;.yaml" in response.text
    assert stored_versions(app) == []


def test_an_approved_upload_with_markup_in_it_is_reviewed_escaped(app, admin):
    marked = TINY_TEXT.replace("title: {en: Tiny test survey", "title: {en: '<script>alert(2)</script>'", 1)
    response = upload_questionnaire(admin, marked)
    review = get_page(admin, response.location)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in review and "<script>" not in review


def test_uploads_that_are_not_questionnaires_are_refused_plainly(app, admin):
    cases = [
        ("members.csv", TINY_TEXT.encode(), "choose a questionnaire file ending .yaml or .yml"),
        ("latin1.yaml", "title: caf\xe9".encode("latin-1"), "file is not UTF-8 text"),
        ("syntax.yaml", b"format: 1\nid: [x\n", "YAML syntax error"),
        ("list.yaml", b"- a\n- b\n", "the file must be a YAML mapping"),
        ("huge.yaml", b"#" * 1_000_001, "file is larger than 1000000 bytes"),
    ]
    for filename, data, message in cases:
        response = upload_questionnaire(admin, data, filename)
        assert response.status_code == 400, filename
        assert message in response.text, filename
        assert filename in response.text
    assert stored_versions(app) == []


def test_an_upload_without_a_file_asks_for_one(app, admin):
    page = admin.get("/admin/questionnaires/upload")
    response = admin.post("/admin/questionnaires/upload", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 400 and "Choose a questionnaire file to upload" in response.text


def test_an_oversized_upload_gets_a_clear_413(app, admin, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_LIMIT", 2 * 1024 * 1024)
    response = upload_questionnaire(admin, b"#" * (2 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "That file is too large: a questionnaire file must be smaller than 2 MB." in response.text
    assert 'name="csrf_token"' in response.text  # the form is offered again
    assert stored_versions(app) == []


def test_an_upload_needs_a_csrf_token(app, admin):
    response = upload_questionnaire(admin, TINY_TEXT, token=False)
    assert response.status_code == 400 and "expired" in response.text and stored_versions(app) == []


def test_discarding_an_upload(app, admin):
    response = upload_questionnaire(admin, TINY_TEXT)
    [version] = stored_versions(app)
    discarded = _post(admin, f"/admin/questionnaires/uploads/{version.id}/discard")
    assert discarded.status_code == 302 and discarded.location.endswith("/admin/questionnaires")
    assert stored_versions(app) == []
    assert admin.get(response.location).status_code == 404
    assert _events(app, "discarded questionnaire")[0].detail["questionnaire"] == "tiny"


def test_an_upload_a_survey_uses_cannot_be_discarded(app, admin):
    upload_questionnaire(admin, TINY_TEXT)
    [version] = stored_versions(app)
    _post(admin, f"/admin/questionnaires/uploads/{version.id}/approve")
    with app.app_context():
        db.session.add(Survey(slug="uses-upload", questionnaire_version_id=version.id))
        db.session.commit()
    refused = _post(admin, f"/admin/questionnaires/uploads/{version.id}/discard")
    assert refused.status_code == 302
    assert "cannot be discarded: 1 survey" in get_page(admin, refused.location)
    assert len(stored_versions(app)) == 1


def test_files_cannot_be_approved_or_discarded_as_uploads(app, admin):
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    survey = make_survey(app, "pinned", questionnaire)
    version_id = survey.questionnaire_version_id
    assert admin.get(f"/admin/questionnaires/uploads/{version_id}").status_code == 404
    assert _post(admin, f"/admin/questionnaires/uploads/{version_id}/discard").status_code == 404
    assert admin.get("/admin/questionnaires/files/nothing-here").status_code == 404


def test_the_questionnaires_page_lists_files_and_uploads(app, admin):
    upload_questionnaire(admin, TINY_TEXT)
    page = get_page(admin, "/admin/questionnaires")
    assert "/admin/questionnaires/files/ai-at-work" in page and "/admin/questionnaires/files/conference-pulse" in page
    assert "tiny version 1" in page
    review = get_page(admin, "/admin/questionnaires/files/ai-at-work")
    assert "file in questionnaires/" in review and "Approve for use" not in review


# --- the audit log -----------------------------------------------------------------------------


def _fill_log(app: Flask, count: int, survey_id: int | None = None) -> None:
    with app.app_context():
        survey = db.session.get(Survey, survey_id) if survey_id else None
        for n in range(count):
            actor = "pat@example.org" if n % 2 else "vic@example.org"
            audit.record(f"action {n}", survey if n % 3 == 0 else None, actor=actor, number=n, scopes=[PROBATION])
        db.session.commit()


def test_the_audit_log_pages_newest_first(app, admin):
    with app.app_context():
        db.session.execute(AuditEvent.__table__.delete())  # leave out the admin's own sign-in
        db.session.commit()
    _fill_log(app, 60)
    first = get_page(admin, "/admin/audit")
    actions = re.findall(r"<td>(action \d+)</td>", first)
    assert len(actions) == 50 and actions[0] == "action 59" and actions[-1] == "action 10"
    assert "Page 1 of 2" in first and "Older entries" in first and "Newer entries" not in first
    second = get_page(admin, "/admin/audit?page=2")
    assert re.findall(r"<td>(action \d+)</td>", second) == [f"action {n}" for n in range(9, -1, -1)]
    assert "Newer entries" in second and "Older entries" not in second
    assert "number: 7" in second and "scopes: service group police_justice, sector probation" in second
    assert len(re.findall(r"<td>(action \d+)</td>", get_page(admin, "/admin/audit?page=99"))) == 10
    assert get_page(admin, "/admin/audit?page=nonsense")


def test_the_audit_log_filters_by_survey_and_by_actor(app, admin):
    survey = make_survey(app, "tiny", name="Tiny spring survey")
    _fill_log(app, 12, survey.id)
    mine = get_page(admin, f"/admin/audit?survey={survey.id}")
    assert re.findall(r"<td>(action \d+)</td>", mine) == ["action 9", "action 6", "action 3", "action 0"]
    assert f'href="/organise/surveys/{survey.id}">Tiny spring survey</a>' in mine
    pat = get_page(admin, "/admin/audit?actor=PAT@example.org")
    assert re.findall(r"<td>(action \d+)</td>", pat) == [f"action {n}" for n in (11, 9, 7, 5, 3, 1)]
    both = get_page(admin, f"/admin/audit?actor=pat@example.org&survey={survey.id}")
    assert re.findall(r"<td>(action \d+)</td>", both) == ["action 9", "action 3"]
    assert "Show everything" in both


def test_the_audit_log_keeps_filters_across_pages(app, admin):
    _fill_log(app, 120)
    page = get_page(admin, "/admin/audit?actor=pat@example.org")
    assert "/admin/audit?page=2&amp;actor=pat@example.org" in page


def test_the_audit_log_records_admin_actions_with_the_admin_as_actor(app, admin):
    _new_account(admin, "pat@example.org", scopes=[PROBATION])
    page = get_page(admin, f"/admin/audit?actor={ADMIN}")
    assert "created account" in page and "account: pat@example.org" in page
    assert "scopes: service group police_justice, sector probation" in page
