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

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.config import TestConfig
from survey.extensions import db
from survey.models import Invitation, PendingSubmission, Response, Survey, UnusedInvitation
from survey.responses import service

from .journey import TINY_PAGES, make_survey

pytestmark = pytest.mark.postgres

MEMBERS = int(os.environ.get("SPIKE_MEMBERS", "2000"))
CLIENT_THREADS = int(os.environ.get("SPIKE_CLIENTS", "24"))
ROOT = Path(__file__).resolve().parent.parent


def spike_app():
    """The app gunicorn serves: the test settings (generous rate limits) on TEST_DATABASE_URL."""
    return create_app(TestConfig)


@dataclass
class Phone:
    """One member's phone: a kept-alive connection, the session cookie, and a record of timings."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timings: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(form, doseq=True) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had closed: a phone simply reconnects.
                self.connection.close()
                if attempt == 2:
                    raise
        self.timings.append(time.perf_counter() - started)
        self.statuses[response.status] += 1
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        location = urllib.parse.urlsplit(response.headers.get("Location", "")).path
        return response.status, location, text

    def close(self) -> None:
        self.connection.close()


def fields(html: str) -> dict[str, str]:
    found = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)}
    key = re.search(r'name="submit_key" value="([^"]+)"', html)
    if key:
        found["submit_key"] = key.group(1)
    return found


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


def workers(master: int) -> list[int]:
    """The worker processes gunicorn's master has started."""
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str, workers: int, *options: str, app: str = "tests.test_spike:spike_app()", **environ: str
) -> Iterator[tuple[int, subprocess.Popen, list[str]]]:
    """Run gunicorn with the project's own gunicorn.conf.py on a free port, serving `app` (with these
    extra environment variables). Yield its port, the master process and the lines it writes to stderr."""
    port = free_port()
    env = os.environ | environ
    env |= {"TEST_DATABASE_URL": database_url, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", *options]
    process = subprocess.Popen(
        [*command, app],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    reader.start()
    try:
        wait_for(port, process, errors)
        yield port, process, errors
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
        process.stderr.close()


def wait_for(port: int, process: subprocess.Popen, errors: list[str]) -> None:
    """Wait until the server answers its health check (a worker is up), at most 30 seconds."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "".join(errors)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("gunicorn did not start: " + "".join(errors))


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
        tokens = service.create_invitations(db.session.get(Survey, survey.id), MEMBERS)
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
        used = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(service.used_condition()))
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
