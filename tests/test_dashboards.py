"""Dashboards: every question type with a breakdown and a filter, through the real engine and gate."""

from __future__ import annotations

import gzip
import re

import pytest

from survey import demo
from survey.extensions import db
from survey.models import Role, Survey, SurveyStatus

from .journey import make_survey
from .staff import HEALTH, PROBATION, make_user, sign_in

KINDS = {"single": "E3", "who": "A7", "multi": "B2", "scale": "C1", "grid": "C2", "text": "K1"}


@pytest.fixture
def filled(app):
    """A published ai-at-work survey with 3,000 synthetic responses."""
    survey = make_survey(
        app, "filled", app.extensions["questionnaires"]["ai-at-work"], status=SurveyStatus.PUBLISHED, threshold=10
    )
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), 3000, 7)
    return survey


@pytest.fixture
def staff(app, client):
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "ada@example.org")
    return client


def _numbers(html: str) -> list[int]:
    """Every group size on a page: a table's "People who answered" row and a summary's "of N who answered"."""
    found = re.findall(r'<span class="val n">([\d,]+)</span>', html) + re.findall(r"of ([\d,]+) who answered", html)
    return [int(n.replace(",", "")) for n in found]


def test_the_overview_shows_responses_by_sector_and_every_question(app, staff, filled):
    page = staff.get(f"/organise/surveys/{filled.id}/results/")
    assert page.status_code == 200
    shown = int(re.search(r"([\d,]+)</strong> responses", page.text).group(1).replace(",", ""))
    assert abs(shown - 3000) <= 3  # the published count: adjusted by 3 at most
    assert page.text.count('href="/organise/surveys/') >= 45


QUERIES = ["", "?by=disabled", "?by=L1", "?filter=A5:cymru_wales", "?by=disabled&filter=A1:health", "?by=nope"]


def test_every_question_type_renders_with_breakdowns_and_filters(app, staff, filled):
    for kind, question_id in KINDS.items():
        for query in QUERIES:
            page = staff.get(f"/organise/surveys/{filled.id}/results/q/{question_id}{query}")
            assert page.status_code == 200, (kind, query, page.status_code)
            assert all(n >= 10 for n in _numbers(page.text)), (kind, query, "a group below the threshold was shown")
            if kind == "text":
                assert "comment" in page.text.lower()


def test_the_chart_is_the_same_numbers_as_the_table(app, staff, filled):
    page = staff.get(f"/organise/surveys/{filled.id}/results/q/E3?by=disabled").text
    chart = staff.get(f"/organise/surveys/{filled.id}/results/q/E3/chart.json?by=disabled").get_json()
    shown = {trace["name"].split(" (n=")[0] for trace in chart["data"]}
    assert shown and all(name in page for name in shown)
    for trace in chart["data"]:
        for value in trace["x"]:
            assert f"{value:.0f}%" in page


def test_the_first_view_is_light_and_never_sends_plotly(app, staff, filled):
    for path in ("", "q/E3?by=disabled", "q/C2"):
        page = staff.get(f"/organise/surveys/{filled.id}/results/{path}")
        assert len(gzip.compress(page.data)) < 60_000, path
        assert "<script" not in page.text.replace('<script src="/static/js/charts.js" defer></script>', "")
    bundle = staff.get("/static/vendor/plotly/plotly-basic-4.1.1.min.js")
    assert len(gzip.compress(bundle.data)) < 400_000
    bundle.close()


def test_results_follow_scope_and_role(app, client):
    survey = make_survey(
        app, "probation", app.extensions["questionnaires"]["ai-at-work"], status=SurveyStatus.OPEN, audience=PROBATION
    )
    make_user(app, "hal@example.org", scopes=[HEALTH])
    sign_in(client, app, "hal@example.org")
    assert client.get(f"/organise/surveys/{survey.id}/results/").status_code == 404
    assert client.get(f"/organise/surveys/{survey.id}/results/q/E3/chart.json").status_code == 404
    viewer = app.test_client()
    make_user(app, "vic@example.org", Role.VIEWER, [PROBATION])
    sign_in(viewer, app, "vic@example.org")
    page = viewer.get(f"/organise/surveys/{survey.id}/results/")
    assert page.status_code == 200 and "There are no results yet." in page.text


def test_comments_are_paged(app, staff, filled):
    def listed(html: str) -> int:
        return html.split('<ul class="comments">')[1].split("</ul>")[0].count("<li")  # <li lang="cy"> too

    first = staff.get(f"/organise/surveys/{filled.id}/results/q/K1").text
    assert listed(first) == 100 and "Next</a>" in first  # 3,000 members leave more than a page
    second = staff.get(f"/organise/surveys/{filled.id}/results/q/K1?page=2").text
    assert "Page 2 of" in second and 0 < listed(second) <= 100


def test_a_question_is_one_cross_table_with_groups_as_columns_in_plain_words(app, staff, filled):
    page = staff.get(f"/organise/surveys/{filled.id}/results/q/C1?by=disabled").text
    table = page[page.index('class="table cross') : page.index("</table>")]
    columns = re.findall(r'<th scope="col" role="columnheader" class="num">(.*?)</th>', table)
    assert columns[0] == "Everyone" and "Disabled" in columns and "Not disabled" in columns
    assert page.count('class="table cross') == 1  # groups side by side, not one table per group
    rows = re.findall(r'<th scope="row" role="rowheader">(.*?)</th>', table)
    assert rows[:3] == ["People who answered", "Decreased a lot", "Decreased a little"]  # answers as rows
    assert "Said “Increased a little” or “Increased a lot” (leaving out “Don&#39;t know”)" in rows
    assert all(n >= 10 for n in _numbers(page)) and len(_numbers(page)) >= len(columns)
    assert '<option value="disabled" selected>By disability (protected characteristic)</option>' in page
    assert '<option value="A5">By region</option>' in page and '<option value="">Everyone</option>' in page
    assert "± shows the range the true figure is likely to be in." in page
    for jargon in ("positive", "(base ", "Benjamini", "(protected)"):
        assert jargon not in page, jargon
    overview = staff.get(f"/organise/surveys/{filled.id}/results/").text
    assert "By service group" in overview and "Benjamini" not in overview and "bases" not in overview
    grid = staff.get(f"/organise/surveys/{filled.id}/results/q/C2?by=A1").text
    assert "<caption>Said “Increased a little” or “Increased a lot”" in grid  # statements side by side first
