"""Dashboards: every question type with a breakdown and a filter, through the real engine and gate."""

from __future__ import annotations

import gzip
import re

import pytest

from survey.models import Role, SurveyStatus

from .factories import HEALTH, PROBATION, demo_survey, make_survey, make_user
from .helpers import get_page
from .staff import sign_in

KINDS = {"single": "E3", "who": "A7", "multi": "B2", "scale": "C1", "grid": "C2", "text": "K1"}


@pytest.fixture
def filled(app):
    """A published ai-at-work survey with 3,000 synthetic responses."""
    return demo_survey(app, "filled", 3000, 7, status=SurveyStatus.PUBLISHED)


def _numbers(html: str) -> list[int]:
    """Every group size on a page: a table's "People who answered" row and a summary's "of N who answered"."""
    found = re.findall(r'<span class="val n">([\d,]+)</span>', html) + re.findall(r"of ([\d,]+) who answered", html)
    return [int(n.replace(",", "")) for n in found]


def test_the_overview_shows_responses_by_sector_and_every_question(app, admin, filled):
    page = get_page(admin, f"/organise/surveys/{filled.id}/results/")
    shown = int(re.search(r"([\d,]+)</strong> responses", page).group(1).replace(",", ""))
    assert abs(shown - 3000) <= 3  # the published count: adjusted by 3 at most
    assert page.count('href="/organise/surveys/') >= 45


QUERIES = ["", "?by=disabled", "?by=L1", "?filter=A5:cymru_wales", "?by=disabled&filter=A1:health", "?by=nope"]


def test_every_question_type_renders_with_breakdowns_and_filters(app, admin, filled):
    for kind, question_id in KINDS.items():
        for query in QUERIES:
            page = get_page(admin, f"/organise/surveys/{filled.id}/results/q/{question_id}{query}")
            assert all(n >= 10 for n in _numbers(page)), (kind, query, "a group below the threshold was shown")
            if kind == "text":
                assert "comment" in page.lower()


def test_the_chart_is_the_same_numbers_as_the_table(app, admin, filled):
    page = get_page(admin, f"/organise/surveys/{filled.id}/results/q/E3?by=disabled")
    chart = admin.get(f"/organise/surveys/{filled.id}/results/q/E3/chart.json?by=disabled").get_json()
    shown = {trace["name"].split(" (n=")[0] for trace in chart["data"]}
    assert shown and all(name in page for name in shown)
    for trace in chart["data"]:
        for value in trace["x"]:
            assert f"{value:.0f}%" in page


def test_the_first_view_is_light_and_never_sends_plotly(app, admin, filled):
    for path in ("", "q/E3?by=disabled", "q/C2"):
        page = admin.get(f"/organise/surveys/{filled.id}/results/{path}")
        assert len(gzip.compress(page.data)) < 60_000, path
        assert "<script" not in page.text.replace('<script src="/static/js/charts.js" defer></script>', "")
    bundle = admin.get("/static/vendor/plotly/plotly-basic-4.1.1.min.js")
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
    page = get_page(viewer, f"/organise/surveys/{survey.id}/results/")
    assert "There are no results yet." in page


def test_comments_are_paged(app, admin, filled):
    def listed(html: str) -> int:
        return html.split('<ul class="comments">')[1].split("</ul>")[0].count("<li")  # <li lang="cy"> too

    first = get_page(admin, f"/organise/surveys/{filled.id}/results/q/K1")
    assert listed(first) == 100 and "Next</a>" in first  # 3,000 members leave more than a page
    second = get_page(admin, f"/organise/surveys/{filled.id}/results/q/K1?page=2")
    assert "Page 2 of" in second and 0 < listed(second) <= 100


def test_a_question_is_one_cross_table_with_groups_as_columns_in_plain_words(app, admin, filled):
    page = get_page(admin, f"/organise/surveys/{filled.id}/results/q/C1?by=disabled")
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
    overview = get_page(admin, f"/organise/surveys/{filled.id}/results/")
    assert "By service group" in overview and "Benjamini" not in overview and "bases" not in overview
    grid = get_page(admin, f"/organise/surveys/{filled.id}/results/q/C2?by=A1")
    assert "<caption>Said “Increased a little” or “Increased a lot”" in grid  # statements side by side first
