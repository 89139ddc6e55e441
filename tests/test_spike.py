"""F3: a conference-day spike. 2,000 invited members go through the whole journey at once against
a real gunicorn server (two worker processes, threads in each) on PostgreSQL: open the link, start,
answer four pages, check, submit. Some press Send twice; some open their link on a second phone
and try to submit again. Afterwards nothing is lost and nothing is duplicated: every invitation
was used exactly once, pending plus released responses equal the completed journeys, and each
member's own answers are there exactly once.

Timings are printed for the record (docs/benchmarks.md), never asserted. SPIKE_MEMBERS changes
the number of members (default 2,000).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey.core import invitations
from survey.extensions import db
from survey.models import Invitation, PendingSubmission, Response, Survey, UnusedInvitation

from .factories import make_survey
from .journey import TINY_PAGES
from .servers import Phone, fields, gunicorn, workers

pytestmark = pytest.mark.postgres

MEMBERS = int(os.environ.get("SPIKE_MEMBERS", "2000"))
CLIENT_THREADS = int(os.environ.get("SPIKE_CLIENTS", "24"))


def journey(port: int, number: int, token: str) -> tuple[str, Phone]:
    """One member's whole journey; return how it ended and the phone (for its timings).

    Every member opens their link, reads the start page, starts, sends each page, checks their
    answers and sends them. One in ten also loads each page before sending it and the thank-you
    page after (the others send each page with the form token they already hold, as a phone
    whose pages came from its cache would): the reads cost time but store nothing.
    """
    phone = Phone(port)
    reads = number % 10 == 0
    try:
        status, location, _ = phone.request("GET", f"/i/{token}")
        assert (status, location) == (302, "/s/spike"), (status, location)
        status, _, html = phone.request("GET", "/s/spike")
        assert status == 200, status
        form = fields(html)
        status, location, _ = phone.request("POST", "/s/spike/start", form)
        answers = dict(TINY_PAGES, views=dict(TINY_PAGES["views"], team=f"member-{number:05d}"))
        for section_id, data in answers.items():
            assert location == f"/s/spike/page/{section_id}", (number, status, location)
            if reads:
                status, _, html = phone.request("GET", location)
                assert status == 200, (number, section_id, status)
                form = fields(html)
            status, location, _ = phone.request("POST", location, form | data)
            assert status == 302, (number, section_id, status)
        assert location == "/s/spike/check-answers", location
        status, _, html = phone.request("GET", location)
        form = fields(html)
        if number % 20 == 0:  # a second phone opens the same link before the first sends: it may start afresh
            other = Phone(port)
            other.request("GET", f"/i/{token}")
            _, _, other_html = other.request("GET", "/s/spike")
            assert "Start now" in other_html, number  # never the first phone's saved answers
        status, location, _ = phone.request("POST", "/s/spike/check-answers", form)
        assert (status, location) == (302, "/s/spike/thank-you"), (number, status, location)
        if number % 10 == 5:  # a double tap on Send
            again = phone.request("POST", "/s/spike/check-answers", form)
            assert again[:2] == (302, "/s/spike/thank-you"), (number, again[:2])
        if number % 20 == 0:
            late = other.request("POST", "/s/spike/start", fields(other_html))
            assert late[0] == 409 and "already been used" in late[2], (number, late[0])
            phone.statuses.update(other.statuses)
            other.close()
        if reads:
            status, _, html = phone.request("GET", "/s/spike/thank-you")
            assert status == 200 and "your answers have been saved" in html, status
        return "done", phone
    except AssertionError as problem:
        return f"failed: {problem}", phone
    finally:
        phone.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def server(app, database_url):
    """Two workers of eight threads each (SPIKE_WORKERS and SPIKE_THREADS change them)."""
    workers = int(os.environ.get("SPIKE_WORKERS", "2"))
    options = ("-k", "gthread", "--threads", os.environ.get("SPIKE_THREADS", "8"), "--keep-alive", "30")
    with gunicorn(database_url, workers, *options) as (port, master, errors):
        yield port, master, errors


def test_two_thousand_members_at_once_lose_nothing_and_duplicate_nothing(app, server):
    port, master, server_errors = server
    survey = make_survey(app, "spike", access="invitation", threshold=10)
    with app.app_context():
        tokens = invitations.create_invitations(db.session.get(Survey, survey.id), MEMBERS)
    started, client_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        outcomes = list(pool.map(journey, [port] * MEMBERS, range(MEMBERS), tokens))
    elapsed = time.perf_counter() - started

    failures = [outcome for outcome, _ in outcomes if outcome != "done"]
    assert failures == [], failures[:5]
    statuses = sum((phone.statuses for _, phone in outcomes), Counter())
    assert not [code for code in statuses if code >= 500], statuses
    assert not [line for line in server_errors if "Traceback" in line or "ERROR" in line], server_errors[-20:]

    with app.app_context():
        used = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(invitations.used_condition()))
        unused = db.session.scalar(sa.select(sa.func.count()).select_from(UnusedInvitation))
        released = [r.answers["team"] for r in db.session.scalars(sa.select(Response))]
        pending = [p.answers["team"] for p in db.session.scalars(sa.select(PendingSubmission))]
    assert used == MEMBERS and unused == 0
    assert sorted(pending) == [f"member-{n:05d}" for n in range(MEMBERS)]  # each once, none lost
    assert released == []  # an invitation survey releases its answers once, at close

    server_cpu = sum(cpu_seconds(pid) for pid in workers(master.pid))
    client_cpu = time.process_time() - client_started
    timings = sorted(t for _, phone in outcomes for t in phone.timings)
    p95 = timings[int(len(timings) * 0.95)]
    print(
        f"\nF3 spike: {MEMBERS} members, {len(timings)} requests in {elapsed:.1f} s "
        f"({len(timings) / elapsed:.0f}/s), p50 {timings[len(timings) // 2] * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms; statuses {dict(statuses)}; "
        f"CPU: server workers {server_cpu:.0f} s, test's clients {client_cpu:.0f} s"
    )
