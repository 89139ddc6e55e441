"""Small helpers shared by the tests."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from flask.testing import FlaskClient

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
