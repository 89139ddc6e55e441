"""Invitation emails and reminders sent from the app: through the real job queue (RQ on the real
Redis) to a real SMTP server listening in the test (aiosmtpd), then read as a member would.

The rate limit, the job's turns and its hold on a mailing read `survey.mail.clock`; tests that
check the pace give it a clock of their own that moves only when the limiter waits, so the
pace is counted per minute of that clock, never timed.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey import mail, queue
from survey.config import Config, ConfigError, _mail_settings
from survey.core import mailings, member_lists
from survey.core import surveys as life_cycle
from survey.core.member_lists import MemberListError, read_member_list
from survey.extensions import db
from survey.models import AuditEvent, Invitee, Mailing, Role, Survey, User

from .factories import PROBATION, make_survey, make_user
from .helpers import ROOT, get_page
from .journey import complete, csrf_token
from .servers import free_port

SENDER = "Union surveys <surveys@union.example>"
CLOSES = datetime(2027, 3, 12, 17, 0, tzinfo=UTC)  # 17:00 in London: GMT in March


# --- a real SMTP server, a clock that moves when asked (the organiser: conftest.py) ---------------


@dataclass
class Received:
    """One message as the mail server received it, and the test clock's time when it did."""

    sender: str
    recipients: list[str]
    message: email.message.EmailMessage
    at: float

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    @property
    def link(self) -> str:
        return re.search(r"(http\S+/i/\S+)", self.text).group(1)


@dataclass
class Inbox:
    """What the test's SMTP server received; `on_data` may act before a message is accepted."""

    messages: list[Received] = field(default_factory=list)
    on_data: object = None  # called with the number of the message arriving; returns a reply, or None
    arrivals: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.lock:
            self.arrivals += 1
            number = self.arrivals
        if self.on_data is not None:
            reply = self.on_data(number)
            if reply:
                return reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, mail.clock.time()))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on a free local port, set as the app's mail server."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_STARTTLS": False,
        "SMTP_SSL": False,
        "MAIL_FROM": SENDER,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    inbox.port = port
    yield inbox
    controller.stop()


class FakeClock:
    """A clock that stands still until the code under test waits, then moves by exactly that wait."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))  # whole seconds: the pace's arithmetic stays exact

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    made = FakeClock()
    monkeypatch.setattr(mail, "clock", made)
    return made


@pytest.fixture
def listening(app, redis_url):
    """A job worker registered on the test's queue, as `flask jobs worker` would be."""
    worker = queue.worker(app)
    worker.register_birth()
    yield worker
    worker.register_death()


MEMBERS = [
    ("ann.jones@example.org", "North", "en"),
    ("bryn.evans@example.org", "North", "cy"),
    ("carys.pugh@example.org", "South", "Cymraeg"),
    ("dev.singh@example.org", "South", ""),
    ("eve.hughes@example.org", "West", "English"),
    ("fay.owen@example.org", "West", ""),
]


def members_csv(members=MEMBERS) -> bytes:
    return ("email,segment,language\n" + "".join(f"{e},{s},{lang}\n" for e, s, lang in members)).encode()


def invitation_survey(app: Flask, slug: str = "tiny", **overrides) -> int:
    fields = {"access": "invitation", "audience": PROBATION, "closes_at": CLOSES} | overrides
    return make_survey(app, slug, **fields).id


def page_url(survey_id: int) -> str:
    return f"/organise/surveys/{survey_id}/invitations"


def post(client: FlaskClient, url: str, data: dict | None = None):
    page = client.get("/organise/")
    return client.post(url, data={"csrf_token": csrf_token(page.text), **(data or {})})


def upload(client: FlaskClient, survey_id: int, content: bytes):
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    page = client.get("/organise/")
    boundary, body = encode_multipart(
        {"csrf_token": csrf_token(page.text), "members": FileStorage(io.BytesIO(content), "members.csv", "members")}
    )
    response = client.post(
        f"{page_url(survey_id)}/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302, response.text
    return response


def send(client: FlaskClient, survey_id: int, kind: str):
    """Open the confirm page, then press its Send button."""
    confirm = get_page(client, f"{page_url(survey_id)}/send/{kind}")
    return client.post(f"{page_url(survey_id)}/send/{kind}", data={"csrf_token": csrf_token(confirm)})


def run_worker(app: Flask) -> None:
    """Run the queued jobs, as `flask jobs worker --burst` does, in this process."""
    assert queue.worker(app).work(burst=True)


def status_line(client: FlaskClient, survey_id: int) -> str:
    page = get_page(client, page_url(survey_id))
    section = page.split('id="email"', 1)[1].split("<h2", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).strip()


def audit_details(app: Flask) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.detail) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- the whole round: invitations, a member answers, reminders -----------------------------------


def test_invitations_and_reminders_reach_members_through_the_job_queue(app, organiser, smtp, listening, clock, caplog):
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv())
    page = organiser.get(page_url(survey_id))
    assert "Send invitations" in page.text and "Send a reminder to those who have not answered" in page.text

    confirm = organiser.get(f"{page_url(survey_id)}/send/invitation")
    assert "6 members on the uploaded lists" in confirm.text and "Send 6 invitations" in confirm.text
    assert "Fe&#39;ch gwahoddir" in confirm.text or "Fe'ch gwahoddir" in confirm.text  # the Welsh email too
    with caplog.at_level(logging.DEBUG, logger="survey"), caplog.at_level(logging.DEBUG, logger="rq"):
        response = send(organiser, survey_id, "invitation")
        assert response.status_code == 302
        assert smtp.messages == []  # nothing is sent in the organiser's request
        assert "Sent 0 of 6 invitation emails: waiting for the job worker" in status_line(organiser, survey_id)
        run_worker(app)

    assert sorted(r for m in smtp.messages for r in m.recipients) == sorted(e for e, _, _ in MEMBERS)
    assert "Last sent: 6 of 6 invitation emails" in status_line(organiser, survey_id)
    assert "Send invitations" not in status_line(organiser, survey_id)  # each member had theirs
    links = set()
    for received in smtp.messages:
        message = received.message
        assert received.sender == "surveys@union.example" and message["From"] == SENDER
        assert message["To"] == received.recipients[0]
        assert message["Auto-Submitted"] == "auto-generated"
        # The same link, written out, in both parts; no images, no other address to follow.
        assert received.link in received.html
        assert re.findall(r'href="([^"]+)"', received.html) == [received.link]
        assert "<img" not in received.html and "src=" not in received.html
        links.add(received.link)
    assert len(links) == 6

    welsh = {"bryn.evans@example.org", "carys.pugh@example.org"}
    for received in smtp.messages:
        if received.recipients[0] in welsh:
            assert received.message["Subject"] == "Arolwg prawf bach: eich dolen bersonol"  # the Welsh title
            assert received.message["Content-Language"] == "cy"
            assert "Mae'r arolwg yn cau am 17:00 ar 12 Mawrth 2027." in received.text
            assert '<html lang="cy">' in received.html and received.link.endswith("?lang=cy")
        else:
            assert received.message["Subject"] == "Tiny test survey: your personal link"
            assert "You are invited to take part in “Tiny test survey”." in received.text
            assert "The survey closes at 17:00 on 12 March 2027." in received.text
            assert received.link.endswith("?lang=en")

    # Following a link opens the survey, in the email's language; one member answers with theirs.
    (ann,) = smtp.to("ann.jones@example.org")
    (bryn,) = smtp.to("bryn.evans@example.org")
    member = app.test_client()
    opened = member.get(bryn.link.removeprefix("http://localhost"))
    assert opened.status_code == 302 and opened.location.endswith("/s/tiny")
    start = get_page(member, opened.location)
    assert '<html lang="cy">' in start and "Arolwg prawf bach" in start
    answering = app.test_client()
    assert answering.get(ann.link.removeprefix("http://localhost")).status_code == 302
    assert complete(answering, "tiny").status_code == 302

    # Reminders go to the five whose link is unused, and only to them.
    smtp.messages.clear()
    with caplog.at_level(logging.DEBUG, logger="survey"), caplog.at_level(logging.DEBUG, logger="rq"):
        assert send(organiser, survey_id, "reminder").status_code == 302
        run_worker(app)
    reminded = sorted(r for m in smtp.messages for r in m.recipients)
    assert reminded == sorted(e for e, _, _ in MEMBERS if e != "ann.jones@example.org")
    assert all(m.message["Subject"].startswith(("Reminder: ", "Nodyn atgoffa: ")) for m in smtp.messages)
    assert "Reminders stop once you have answered." in smtp.to("dev.singh@example.org")[0].text
    assert "Last sent: 5 of 5 reminders" in status_line(organiser, survey_id)

    # Neither the log nor the audit trail names a member.
    addresses = [e for e, _, _ in MEMBERS]
    assert not [a for a in addresses if a in caplog.text]
    actions = audit_details(app)
    assert not [a for a in addresses if a in repr(actions)]
    assert ("started sending invitation emails", {"mailing": 1, "count": 6}) in [(a, d) for a, d in actions]
    assert any(a == "finished sending reminders" and d["sent"] == 5 for a, d in actions)


def test_a_reminder_skips_members_who_answer_while_it_is_being_sent(app, organiser, smtp, listening, clock):
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv())
    assert send(organiser, survey_id, "invitation").status_code == 302
    run_worker(app)
    links = {m.recipients[0]: m.link for m in smtp.messages}
    smtp.messages.clear()
    smtp.arrivals = 0

    # The reminder starts for six; two members answer after the first reminder has gone.
    assert send(organiser, survey_id, "reminder").status_code == 302
    answered = []

    def answer_two(number):
        if number == 2:
            left = [a for a in links if a not in {r for m in smtp.messages for r in m.recipients}]
            for address in left[-2:]:
                member = app.test_client()
                member.get(links[address].removeprefix("http://localhost"))
                assert complete(member, "tiny").status_code == 302
                answered.append(address)

    smtp.on_data = answer_two
    run_worker(app)
    got = {r for m in smtp.messages for r in m.recipients}
    assert len(answered) == 2 and not got & set(answered) and len(got) == 4
    line = status_line(organiser, survey_id)
    assert "Last sent: 4 of 6 reminders" in line and "The others had answered before their turn came." in line


# --- resuming, and the pace ----------------------------------------------------------------------


def test_a_worker_killed_half_way_is_carried_on_and_nobody_gets_an_email_twice(
    app,
    database_url,
    organiser,
    smtp,
    listening,
    clock,
    redis_url,
):
    """The real `flask jobs worker` in its own process, killed as the 6th email arrives."""
    members = [(f"member{n:02}@example.org", "North", "") for n in range(12)]
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv(members))
    assert send(organiser, survey_id, "invitation").status_code == 302

    environment = os.environ | {
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SURVEY_ENV": "development",
        "SECRET_KEY": app.config["SECRET_KEY"],  # the links were sealed with the tests' key
        "JOBS_QUEUE": app.config["JOBS_QUEUE"],
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "MAIL_FROM": SENDER,
        "MAIL_PER_MINUTE": "6000",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def kill_at_sixth(number):
        if number == 6:
            worker.send_signal(signal.SIGKILL)
            return "421 Closing"
        return None

    smtp.on_data = kill_at_sixth
    try:
        _, errors = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL, errors
    assert len(smtp.messages) == 5
    smtp.on_data = None

    # The worker held the mailing for a few minutes after its last email; once that has passed the
    # page says it stopped, and the organiser carries on.
    assert "sending…" in status_line(organiser, survey_id)
    clock.now = time.time() + 3600
    line = status_line(organiser, survey_id)
    assert "Sending stopped after 5 of 12 invitation emails. The job worker stopped before it finished." in line
    with app.app_context():
        (mailing_id,) = db.session.scalars(select(Mailing.id)).all()
    assert post(organiser, f"{page_url(survey_id)}/mailings/{mailing_id}/carry-on").status_code == 302
    run_worker(app)

    received = sorted(r for m in smtp.messages for r in m.recipients)
    assert received == sorted(e for e, _, _ in members)  # each member once: five before, seven after
    assert "Last sent: 12 of 12 invitation emails" in status_line(organiser, survey_id)


def test_the_pace_keeps_to_mail_per_minute_and_each_turn_leaves_the_worker_to_others(
    app, organiser, smtp, listening, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_PER_MINUTE", 5)
    members = [(f"member{n:02}@example.org", "North", "") for n in range(12)]
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv(members))
    started = clock.now
    assert send(organiser, survey_id, "invitation").status_code == 302
    turns = []
    real = mailings.send_some
    monkeypatch.setattr(mailings, "send_some", lambda *a: turns.append(1) or real(*a))
    run_worker(app)

    times = sorted(m.at for m in smtp.messages)
    assert len(times) == 12
    per_minute = max(sum(1 for t in times if start <= t < start + 60) for start in times)
    assert per_minute == 5  # never more in any minute of the clock, and the pace is used
    assert times[-1] - started >= 11 * 12  # twelve emails, one every twelve seconds
    assert len(turns) >= 3  # a turn is about a minute: the worker is free for other jobs in between


# --- stopping, closing, Welsh, no job queue ------------------------------------------------------


def test_a_mail_server_that_fails_stops_the_sending_plainly_and_it_carries_on_later(
    app, organiser, smtp, listening, clock
):
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv())
    assert send(organiser, survey_id, "invitation").status_code == 302
    smtp.on_data = lambda number: "421 Too busy, try later" if number == 3 else None
    run_worker(app)
    assert len(smtp.messages) == 2
    line = status_line(organiser, survey_id)
    assert "Sending stopped after 2 of 6 invitation emails. The mail server asked us to try again later" in line
    assert not [e for e, _, _ in MEMBERS if e in line]

    smtp.on_data = lambda number: "550 No such user here" if number == 4 else None
    with app.app_context():
        mailing_id = db.session.scalar(select(Mailing.id))
    assert post(organiser, f"{page_url(survey_id)}/mailings/{mailing_id}/carry-on").status_code == 302
    run_worker(app)
    assert len({r for m in smtp.messages for r in m.recipients}) == 5 == len(smtp.messages)
    line = status_line(organiser, survey_id)
    assert "Last sent: 5 of 6 invitation emails" in line and "The mail server refused 1 address" in line


def test_closing_deletes_the_addresses_and_stops_a_mailing_half_way(app, organiser, smtp, listening, clock):
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv())
    assert send(organiser, survey_id, "invitation").status_code == 302

    def close_at_third(number):
        if number == 3:
            with app.app_context():
                life_cycle.close(db.session.get(Survey, survey_id))
        return None

    smtp.on_data = close_at_third
    run_worker(app)
    assert len(smtp.messages) == 3  # the one in hand when it closed, and no more
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitee)) == 0
        (mailing,) = db.session.scalars(select(Mailing)).all()
        assert mailing.problem == "The survey closed, and its member lists were deleted."
        stored = " ".join(str(getattr(mailing, c.key)) for c in Mailing.__table__.columns if c.key != "created_by")
    assert "@example.org" not in stored
    page = organiser.get(page_url(survey_id))
    assert "Send invitations" not in page.text and "closed" in page.text
    assert post(organiser, f"{page_url(survey_id)}/send/reminder").status_code == 409


def test_a_welsh_email_for_a_survey_whose_list_has_no_language_column(app, organiser, smtp, listening, clock):
    """Without a language column the survey's first language is used; a Welsh-first survey's is Welsh."""
    with app.app_context():
        words = mail.wording("reminder", "cy", "Arolwg", CLOSES)
    assert words.subject == "Nodyn atgoffa: Arolwg"
    assert words.opening[0] == "Mae amser o hyd i gymryd rhan yn “Arolwg”."
    assert "Bydd y nodiadau atgoffa yn dod i ben unwaith y byddwch wedi ateb." in words.after
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, b"email\nann.jones@example.org\n")
    assert send(organiser, survey_id, "invitation").status_code == 302
    run_worker(app)
    (received,) = smtp.messages
    assert received.message["Content-Language"] == "en"  # the tiny questionnaire is English-first


def test_without_a_job_queue_the_page_says_so_and_the_csv_still_works(app, organiser, smtp):
    assert app.config["REDIS_URL"] is None
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv())
    line = status_line(organiser, survey_id)
    assert "needs the job queue (Redis), which is not running here" in line and "CSV" in line
    assert "Send invitations" not in line
    refused = post(organiser, f"{page_url(survey_id)}/send/invitation")
    assert refused.status_code == 409 and "the job worker is not running. Nothing was sent." in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mailing)) == 0
    download = post(organiser, f"{page_url(survey_id)}/not-yet-used")
    assert download.status_code == 200 and download.text.count("@example.org") == 6


def test_without_a_mail_server_the_page_says_so(app, organiser, redis_url, listening):
    survey_id = invitation_survey(app)
    upload(organiser, survey_id, members_csv())
    line = status_line(organiser, survey_id)
    assert "Sending email from here is not set up: an administrator sets SMTP_HOST and MAIL_FROM." in line


# --- the list's language column and the settings -------------------------------------------------


def test_a_members_list_may_give_each_members_language():
    members = read_member_list(b"email,iaith\na@example.org,cy\nb@example.org,English\nc@example.org,\n")
    assert [m.language for m in members] == ["cy", "en", None]
    with pytest.raises(MemberListError) as caught:
        read_member_list(b"email,language\na@example.org,French\n")
    assert caught.value.problems == ["Row 2: the language “French” is not en or cy (English or Welsh)."]


def test_mail_settings_come_from_the_environment(monkeypatch):
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_SSL", "SMTP_STARTTLS", "MAIL_FROM", "MAIL_PER_MINUTE"):
        monkeypatch.delenv(name, raising=False)
    assert _mail_settings()["SMTP_STARTTLS"] is True and _mail_settings()["MAIL_PER_MINUTE"] == Config.MAIL_PER_MINUTE
    monkeypatch.setenv("SMTP_SSL", "true")
    monkeypatch.setenv("MAIL_PER_MINUTE", "30")
    settings = _mail_settings()
    assert (settings["SMTP_SSL"], settings["SMTP_STARTTLS"], settings["MAIL_PER_MINUTE"]) == (True, False, 30)
    monkeypatch.setenv("SMTP_STARTTLS", "yes")
    with pytest.raises(ConfigError, match="both on"):
        _mail_settings()
    monkeypatch.setenv("SMTP_STARTTLS", "no")
    monkeypatch.setenv("MAIL_PER_MINUTE", "0")
    with pytest.raises(ConfigError, match="at least 1"):
        _mail_settings()


def test_the_limiter_spaces_messages_evenly(clock):
    limiter = mail.Limiter(120)
    slots = [limiter.wait() for _ in range(5)]
    assert [round(b - a, 6) for a, b in itertools.pairwise(slots)] == [0.5] * 4
    assert clock.now == slots[-1]  # the clock moved only by the waits


# --- on a phone, in a real browser ---------------------------------------------------------------


@pytest.mark.browser
def test_an_organiser_sends_invitations_from_a_phone(app, browser, smtp, listening, clock):
    from .browser import PHONE, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
    from .staff import browser_sign_in

    make_user(app, "organiser@example.org", Role.ORGANISER, [PROBATION])
    survey_id = invitation_survey(app)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == "organiser@example.org"))
        member_lists.import_members(user, db.session.get(Survey, survey_id), members_csv(), "members.csv")

    def check(page, name):
        assert page.locator("h1").count() == 1, name
        assert axe_violations(page) == [], name
        assert_no_horizontal_scroll(page)
        screenshot(page, f"email-{name}")

    with live_server(app) as server:
        page = browser.new_context(viewport=PHONE).new_page()
        browser_sign_in(page, server, app, "organiser@example.org")
        page.goto(f"{server}{page_url(survey_id)}")
        check(page, "01-invitations")
        page.click("text=Send invitations")
        assert "Send 6 invitations" in page.inner_text("main")
        check(page, "02-confirm")
        page.click("button:has-text('Send 6 invitations')")
        assert "Sent 0 of 6 invitation emails" in page.inner_text("main")
        check(page, "03-waiting")
        run_worker(app)
        page.reload()
        assert "Last sent: 6 of 6 invitation emails" in page.inner_text("main")
        check(page, "04-sent")

        (received,) = smtp.to("bryn.evans@example.org")
        page.set_content(received.html)  # the HTML part, as a phone's mail app shows it
        check(page, "05-email-welsh")
