"""Small helpers shared by the tests: where things are, the page-checking `get_page`, and readers
of what is stored (accounts, questionnaire versions, a snapshot's rows)."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.extensions import db
from survey.models import QuestionnaireVersion, User

if TYPE_CHECKING:
    from survey.results.snapshot import Snapshot

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "questionnaires"


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def get_page(client: FlaskClient, url: str, status: int = 200) -> str:
    """Fetch a page, check its status, that it has a title and no duplicate ids; return its HTML."""
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    html = response.get_data(as_text=True)
    parser = _PageParser()
    parser.feed(html)
    assert parser.title.strip(), f"{url} has no <title>"
    duplicates = [i for i, n in parser.ids.items() if n > 1]
    assert not duplicates, f"{url} repeats ids {duplicates}"
    return html


def stored_user(app: Flask, email: str) -> User | None:
    """Return the stored account with this email (detached from the session), or None."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def stored_versions(app: Flask) -> list[QuestionnaireVersion]:
    """Return every stored questionnaire version, oldest first (detached from the session)."""
    with app.app_context():
        versions = list(db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)))
        db.session.expunge_all()
        return versions


def snapshot_rows(snapshot: Snapshot) -> list[tuple]:
    """Return every response as a tuple of its values, sorted (row order in a database is not defined)."""
    texts = {key: dict(zip(*snapshot.text(key)[::2], strict=True)) for key in snapshot.texts}
    columns = [snapshot.categorical[k] for k in sorted(snapshot.categorical)]
    columns += [snapshot.multi[k] for k in sorted(snapshot.multi)]
    columns += [np.nan_to_num(snapshot.numbers[k], nan=-1) for k in sorted(snapshot.numbers)]
    return sorted(
        (*(int(c[row]) for c in columns), *(texts[k].get(row, "") for k in sorted(texts))) for row in range(snapshot.n)
    )
