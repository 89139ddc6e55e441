"""Real servers for the tests that need whole processes: gunicorn with the project's own
gunicorn.conf.py on a free port, and a Phone that talks plain HTTP to it as a member's phone would."""

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from survey import create_app
from survey.config import TestConfig

from .helpers import ROOT


def served_app():
    """The app gunicorn serves unless told otherwise: the test settings (generous rate limits) on
    TEST_DATABASE_URL."""
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
    """The hidden fields a page's form sends back: its CSRF token, and its submit key if it has one."""
    found = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)}
    key = re.search(r'name="submit_key" value="([^"]+)"', html)
    if key:
        found["submit_key"] = key.group(1)
    return found


def workers(master: int) -> list[int]:
    """The worker processes gunicorn's master has started."""
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def free_port() -> int:
    """A loopback port nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str, workers: int, *options: str, app: str = "tests.servers:served_app()", **environ: str
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
