"""E4, E6: a process dies under a request.

E4: a gunicorn worker is killed (SIGKILL) while a member's page is on its way. The member gets
no answer for that request, reloads, and carries on from the last page saved; the request that
died stored nothing, and in the end exactly one response is stored. E6: an export fails part-way
(a full disk, a dying process): the download is sent in chunks with an end mark, so a file cut
short is never taken for a whole one; a retry gives the whole file.
"""

from __future__ import annotations

import csv
import http.client
import io
import os
import re
import signal
import socket
import threading
import time
import urllib.parse

import pytest
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from survey.extensions import db
from survey.models import Draft, PendingSubmission, Response, Survey

from .factories import make_survey
from .journey import TINY_PAGES
from .servers import Phone, fields, gunicorn, wait_for, workers


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_worker_killed_mid_request_loses_nothing_saved_and_stores_nothing_half_done(app, database_url):
    make_survey(app, "tiny")
    with gunicorn(database_url, 1, "-k", "sync") as (port, master, errors):
        phone = Phone(port)
        _, _, html = phone.request("GET", "/s/tiny")
        _, location, _ = phone.request("POST", "/s/tiny/start", fields(html))
        _, _, html = phone.request("GET", location)
        status, location, _ = phone.request("POST", location, fields(html) | TINY_PAGES["work"])
        assert (status, location) == (302, "/s/tiny/page/sector")
        _, _, html = phone.request("GET", location)
        saved = drafts(app)

        # The next page is on its way (half its body sent) when the worker is killed.
        body = urllib.parse.urlencode(fields(html) | TINY_PAGES["sector"], doseq=True).encode()
        cookie = "; ".join(f"{k}={v}" for k, v in phone.cookies.items())
        (worker,) = set(workers(master.pid))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"POST /s/tiny/page/sector HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body[: len(body) // 2]
            )
            time.sleep(0.5)  # the worker is reading the body
            os.kill(worker, signal.SIGKILL)
            try:
                answer = sock.recv(65536)
            except ConnectionResetError:
                answer = b""
        assert not answer.startswith(b"HTTP/1.1 2") and not answer.startswith(b"HTTP/1.1 3")
        assert drafts(app) == saved  # the request that died stored nothing

        wait_for(port, master, errors)  # the master has started a new worker
        assert set(workers(master.pid)) - {worker}
        phone.connection.close()  # the member reloads: a new connection, the same cookie
        status, location, _ = phone.request("GET", "/s/tiny/check-answers")
        assert (status, location) == (302, "/s/tiny/page/sector")  # carries on where they were
        _, _, html = phone.request("GET", "/s/tiny/page/work")
        assert re.search(r'value="health" id="[^"]+" checked', html)  # the saved page is intact
        location = "/s/tiny/page/sector"
        for section_id in ("sector", "views", "about"):
            assert location == f"/s/tiny/page/{section_id}", location
            _, _, html = phone.request("GET", location)
            status, location, _ = phone.request("POST", location, fields(html) | TINY_PAGES[section_id])
            assert status == 302
        _, _, html = phone.request("GET", location)
        status, location, _ = phone.request("POST", location, fields(html))
        assert (status, location) == (302, "/s/tiny/thank-you")
        phone.close()
    assert count(app, Draft) == 0 and count(app, PendingSubmission) + count(app, Response) == 1


def drafts(app) -> list[bytes]:
    with app.app_context():
        return sorted(d.content for d in db.session.scalars(select(Draft)))


# --- E6: an export that fails part-way ------------------------------------------------------------


class Http11(WSGIRequestHandler):
    """Answer in HTTP/1.1, as gunicorn does: a streamed file goes out in chunks, with an end mark."""

    protocol_version = "HTTP/1.1"


def test_an_export_that_fails_part_way_never_looks_complete_and_a_retry_is_whole(app, monkeypatch):
    import demo
    from survey.exports import views as exports

    from .factories import PASSWORD, PROBATION, make_user
    from .staff import fresh_code

    survey = make_survey(
        app, "exported", app.extensions["questionnaires"]["ai-at-work"], status="published", audience=PROBATION
    )
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), 300, 5)
    make_user(app, "pat@example.org", scopes=[PROBATION])
    whole = exports.csv_chunks

    def failing(header, rows, *args, **kwargs):
        for number, chunk in enumerate(whole(header, rows, 1, **kwargs)):
            if number == 3:
                raise OSError(28, "No space left on device")  # the disk fills, or the process dies
            yield chunk

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Http11)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        phone = Phone(server.server_port)
        _, _, html = phone.request("GET", "/staff/sign-in")
        form = fields(html) | {"email": "pat@example.org", "password": PASSWORD}
        assert phone.request("POST", "/staff/sign-in", form)[0] == 302
        _, _, html = phone.request("GET", "/staff/sign-in/code")
        form = fields(html) | {"code": fresh_code(app, "pat@example.org")}
        assert phone.request("POST", "/staff/sign-in/code", form)[0] == 302
        url = f"/organise/surveys/{survey.id}/exports/q/E3.csv?by=A5"

        monkeypatch.setattr(exports, "csv_chunks", failing)
        with pytest.raises(http.client.IncompleteRead):  # the client knows the file is cut short
            phone.request("GET", url)
        phone.connection.close()

        monkeypatch.setattr(exports, "csv_chunks", whole)
        status, _, text = phone.request("GET", url)
        phone.close()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert status == 200
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) > 4 and all(len(row) == len(rows[0]) for row in rows)  # the retry is whole
