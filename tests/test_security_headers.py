"""Security headers on every response: pages, errors, JSON and static files (issue 8, C6)."""

from __future__ import annotations

import re

import pytest

from survey.models import Survey

PAGES = ["/", "/healthz", "/s/tiny", "/staff/sign-in", "/no-such-page", "/organise/", "/api/v1/surveys/tiny"]


def _policy(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


@pytest.mark.parametrize("path", [*PAGES, "/static/css/app.css", "/static/js/charts.js"])
def test_every_response_carries_the_headers(client, tiny, path):
    response = client.get(path)
    policy = _policy(response)
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert re.fullmatch(r"'self' 'nonce-[\w-]{20,}'", policy["script-src"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # development over plain HTTP


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_never_stored(client, tiny, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_are_cached_and_vendor_files_forever(client):
    assert client.get("/static/css/app.css").headers["Cache-Control"] == "public, max-age=3600"
    vendor = client.get("/static/vendor/plotly/plotly-basic-4.1.1.min.js")
    assert vendor.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    vendor.close()


def test_each_response_gets_a_fresh_nonce(client):
    first, second = (_policy(client.get("/"))["script-src"] for _ in range(2))
    assert first != second


def test_a_server_error_page_still_gets_the_headers(app, client, monkeypatch):
    def boom():
        raise RuntimeError("boom")

    monkeypatch.setattr(Survey, "open_link_surveys_open_now", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500 and "Content-Security-Policy" in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_https_gets_strict_transport_security(client):
    response = client.get("/", base_url="https://survey.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
