"""Rate limits: sign-in, invitations, resume codes and submissions; friendly 429; no raw addresses kept."""

from __future__ import annotations

from survey.config import Config
from survey.web.limits import limiter

from .factories import make_survey, make_user
from .journey import complete, csrf_token

OFFICE = {"REMOTE_ADDR": "203.0.113.7"}


def _sign_in_attempt(client):
    page = client.get("/staff/sign-in", environ_base=OFFICE)
    return client.post(
        "/staff/sign-in",
        data={"csrf_token": csrf_token(page.text), "email": "pat@example.org", "password": "wrong"},
        environ_base=OFFICE,
    )


def test_too_many_sign_ins_get_a_friendly_429(app, client, limits):
    limits["RATE_SIGN_IN"] = "3 per minute"
    make_user(app, "pat@example.org")
    assert [_sign_in_attempt(client).status_code for _ in range(3)] == [400, 400, 400]
    refused = _sign_in_attempt(client)
    assert refused.status_code == 429 and "Please wait a minute" in refused.text
    elsewhere = app.test_client().get("/staff/sign-in", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert elsewhere.status_code == 200


def test_resume_codes_cannot_be_guessed_quickly(app, client, limits):
    limits["RATE_RESUME"] = "5 per minute"
    make_survey(app, "tiny")
    codes = [
        client.get(f"/s/tiny/resume/AAAAA-AAAAA-AAAAA-AAAAA-AAAA{i}", environ_base=OFFICE).status_code for i in range(6)
    ]
    assert codes[-1] == 429 and 429 not in codes[:5]


def test_invitation_lookups_are_limited(app, client, limits):
    limits["RATE_INVITATION"] = "5 per minute"
    statuses = [client.get(f"/i/not-a-real-token-{i}", environ_base=OFFICE).status_code for i in range(6)]
    assert statuses == [404] * 5 + [429]


def test_the_limiter_never_keeps_a_raw_address(app, client, limits):
    limits["RATE_INVITATION"] = "5 per minute"
    client.get("/i/whatever", environ_base=OFFICE)
    kept = " ".join(map(str, limiter.storage.storage.keys()))
    assert kept and OFFICE["REMOTE_ADDR"] not in kept


def test_fifty_members_behind_one_office_address_can_all_take_part(app, limits):
    for name in ("RATE_INVITATION", "RATE_RESUME", "RATE_SUBMIT", "RATE_SIGN_IN"):
        limits[name] = getattr(Config, name)  # the production limits
    make_survey(app, "tiny")
    for _ in range(50):
        member = app.test_client()
        member.environ_base.update(OFFICE)
        assert complete(member, "tiny").status_code == 302
