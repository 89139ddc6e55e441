"""E1, E2: PostgreSQL goes away mid-journey. The member sees a plain page, loses nothing they
typed or saved, and finishes once it is back, with exactly one response stored."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from survey import create_app
from survey.config import TestConfig
from survey.extensions import db
from survey.models import PendingSubmission, Response

from .factories import make_survey
from .journey import TINY_PAGES, csrf_token, errors_on, post_form, start
from .outage import Relay

pytestmark = pytest.mark.postgres


@pytest.fixture
def relayed(app: Flask, database_url: str) -> Iterator[tuple[Flask, Relay]]:
    """A second app on the same PostgreSQL database, reached through a relay the test can cut."""
    url = make_url(database_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    other = create_app(
        TestConfig, {"SQLALCHEMY_DATABASE_URI": through, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}}
    )
    yield other, relay
    with other.app_context():
        db.engine.dispose()
    relay.close()


def _resend(client, page) -> object:
    """Press "Try again" on the unavailable page: post back exactly the fields it kept."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))
    return client.post(action, data=data)


def _count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_page_sent_while_the_database_is_down_is_kept_and_saved_when_it_is_back(app, relayed):
    other, relay = relayed
    make_survey(app, "tiny")
    member = other.test_client()
    first = start(member, "tiny")
    assert post_form(member, first, TINY_PAGES["work"]).status_code == 302
    page = member.get("/s/tiny/page/sector")
    relay.cut()
    down = member.post("/s/tiny/page/sector", data={"csrf_token": csrf_token(page.text), **TINY_PAGES["sector"]})
    assert down.status_code == 503 and "Try again" in down.text
    assert 'value="Rotas"' in down.text and 'value="cctv"' in down.text  # what they typed is on the page
    relay.restore()
    again = _resend(member, down)
    assert again.status_code == 302 and again.location.endswith("/page/views"), errors_on(again.text)
    for section_id in ("views", "about"):
        assert post_form(member, f"/s/tiny/page/{section_id}", TINY_PAGES[section_id]).status_code == 302
    assert post_form(member, "/s/tiny/check-answers", {}).location.endswith("/thank-you")
    assert _count(app, Response) + _count(app, PendingSubmission) == 1


def test_a_submit_while_the_database_is_down_counts_once_when_it_is_back(app, relayed):
    other, relay = relayed
    make_survey(app, "tiny")
    member = other.test_client()
    location = start(member, "tiny")
    for data in TINY_PAGES.values():
        location = post_form(member, location, data).location
    check = member.get("/s/tiny/check-answers")
    key = re.search(r'name="submit_key" value="([^"]+)"', check.text).group(1)
    relay.cut()
    down = member.post("/s/tiny/check-answers", data={"csrf_token": csrf_token(check.text), "submit_key": key})
    assert down.status_code == 503 and key in down.text
    relay.restore()
    assert _resend(member, down).location.endswith("/thank-you")
    assert _resend(member, down).location.endswith("/thank-you")  # pressed twice: still one response
    assert _count(app, Response) + _count(app, PendingSubmission) == 1
