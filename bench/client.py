"""A small HTTP/1.1 client for the load generator: one keep-alive connection per simulated member.

Plain http.client, a cookie jar of name=value pairs, and a distinct X-Forwarded-For address per
member (the server trusts one proxy, PROXY_COUNT=1, as behind nginx), so the per-visitor rate
limits count each member on their own, as in production.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMIT_KEY = re.compile(r'name="submit_key" value="([^"]+)"')


@dataclass
class Sample:
    """One request: what kind, when it was due and sent, how long it took, and its status."""

    kind: str
    latency: float  # seconds from the intended start (open loop) or the send (closed loop) to the end
    status: int  # 0 when the request failed without an HTTP answer


class Counter:
    """Submits that reached the thank-you page, across every phase and thread."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


SUBMITTED = Counter()


class Failed(Exception):
    """A request answered with something other than what the journey expects."""


@dataclass
class Client:
    """One member: one connection, cookies, an address."""

    host: str
    port: int
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    connection: http.client.HTTPConnection | None = None
    keep: list[tuple[str, str, bytes]] | None = None  # (kind, path, body) of each answer, when set
    timeout: float = 60

    def request(self, kind: str, method: str, path: str, body: str | None = None, due: float | None = None):
        """Send one request; return (status, headers, text). Records a Sample."""
        headers = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Behind a TLS proxy (X-Forwarded-Proto: https) Flask-WTF checks that a form comes
            # from the same site, as a browser's Referer says.
            headers["Referer"] = f"https://{self.host}:{self.port}{path}"
        started = time.perf_counter()
        for attempt in (0, 1):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                raw = response.read()
                text = raw.decode(errors="replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed between requests: open a new one, once.
                self.close()
                if attempt:
                    self.samples.append(Sample(kind, time.perf_counter() - (due or started), 0))
                    raise
            except OSError:
                self.close()
                self.samples.append(Sample(kind, time.perf_counter() - (due or started), 0))
                raise
        self.samples.append(Sample(kind, time.perf_counter() - (due if due is not None else started), response.status))
        if self.keep is not None:
            self.keep.append((kind, path, raw))
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookie_value = rest.split(";", 1)[0]
            if cookie_value and "Max-Age=0" not in value and "1970" not in value:
                self.cookies[name.strip()] = cookie_value
            else:
                self.cookies.pop(name.strip(), None)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, response.headers, text

    def get(self, kind: str, path: str, expect: int = 200, due: float | None = None) -> str:
        status, _, text = self.request(kind, "GET", path, due=due)
        if status != expect:
            raise Failed(f"GET {path}: {status}")
        return text

    def post(self, kind: str, path: str, fields: list[tuple[str, str]], expect: int = 302) -> str:
        status, headers, text = self.request(kind, "POST", path, urlencode(fields))
        if status != expect:
            raise Failed(f"POST {path}: {status}")
        return urlsplit(headers.get("Location", "")).path if expect == 302 else text

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def csrf(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise Failed("no CSRF token on the page")
    return match.group(1)


def journey(client: Client, slug: str, pages: dict[str, list[tuple[str, str]]], due: float | None = None) -> int:
    """Walk one member through every page: start, each page GET + POST, check answers, submit, thank you.

    `pages` maps a section id to the form fields for it (without the CSRF token). The server
    decides which page comes next (skip logic); a page the member has no answers for is posted
    empty. Returns how many pages were answered.
    """
    html = client.get("start", f"/s/{slug}", due=due)
    location = client.post("begin", f"/s/{slug}/start", [("csrf_token", csrf(html))])
    answered = 0
    while "/page/" in location:
        section = location.rsplit("/", 1)[1]
        html = client.get("page_get", location)
        location = client.post("page_post", location, [("csrf_token", csrf(html)), *pages.get(section, [])])
        answered += 1
        if answered > 50:
            raise Failed("the journey does not end")
    if not location.endswith("/check-answers"):
        raise Failed(f"after the pages: {location}")
    submit(client, slug)
    return answered


def submit(client: Client, slug: str) -> None:
    """Check answers, send them, and see the thank-you page."""
    html = client.get("check_get", f"/s/{slug}/check-answers")
    key = SUBMIT_KEY.search(html)
    fields = [("csrf_token", csrf(html)), ("submit_key", key.group(1) if key else "")]
    location = client.post("submit", f"/s/{slug}/check-answers", fields)
    if not location.endswith("/thank-you"):
        raise Failed(f"submit led to {location}")
    SUBMITTED.add()
    client.get("thank_you", location)
