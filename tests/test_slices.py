"""Slices: staff scoped to an audience see that audience's slice of a national survey, and nothing more.

A Probation organiser reads a national survey's results as if filtered to Probation: every page,
chart, export and API answer counts only Probation members, with the very numbers an administrator
gets for the same filter; nothing asked for by address reaches beyond the slice; the survey's own
pages and actions are refused; a slice too small to show says so plainly.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from survey.extensions import db
from survey.models import AuditEvent, Role, Survey, SurveyStatus

from .factories import HEALTH, PROBATION, complete_answers, demo_survey, insert_responses, make_survey, make_user
from .helpers import get_page
from .staff import sign_in
from .test_staff_access import _token, fill, staff_rules

WALES = {"region": "cymru_wales"}
SLICE_PAGES = {"dashboards.overview", "dashboards.question", "dashboards.chart"} | {
    "exports.index",
    "exports.survey_xlsx",
    "exports.survey_csv",
    "exports.question",
}
QUESTIONS = ["E3", "C1", "C2", "B2", "C2.a"]


@pytest.fixture
def national(app):
    """A closed national ai-at-work survey (k = 10) with 3,000 synthetic responses."""
    return demo_survey(app, "national", 3000, 7)


@pytest.fixture
def pat(app, national):
    """A test client signed in as an organiser scoped to Probation."""
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    client = app.test_client()
    sign_in(client, app, "pat@example.org")
    return client


def _results(survey, path: str = "") -> str:
    return f"/organise/surveys/{survey.id}/results/{path}"


def _api(client, survey, path: str) -> tuple[dict, int]:
    response = client.get(f"/api/v1/surveys/{survey.slug}" + (f"/{path}" if path else ""))
    return response.get_json(), response.status_code


def _download(client, url: str) -> tuple[str, str]:
    """Read a streamed download whole (and end it, as a server would); return its name and text."""
    response = client.get(url)
    try:
        name = response.headers.get("Content-Disposition", "")
        return name, "" if name.endswith('.xlsx"') else response.get_data(as_text=True).lstrip("\ufeff")
    finally:
        response.close()


def _numbers_of(body: dict) -> dict:
    """The numbers of an API table (its items' too), with the first group's label left out: the
    slice's "Everyone" is the filter's "Probation Service (England and Wales)"."""
    groups = [{**g, "label": ""} if g["code"] is None else g for g in body["groups"]]
    found = {"groups": groups, "cells": body["cells"], "scale": body["scale"], "hidden": body["hidden_groups"]}
    if body.get("items"):
        found["items"] = [_numbers_of(item) for item in body["items"]]
    return found


def _numbers(html: str) -> list[str]:
    """Every number a results page shows: counts, percentages and intervals, in order."""
    body = html[html.index("<main") :]
    return re.findall(r'<span class="val[^"]*">([^<]+)</span>', body)


def test_the_list_offers_the_slice_of_a_national_survey(app, national, pat):
    listing = get_page(pat, "/organise/")
    assert "Your slices of wider surveys" in listing
    assert "Probation Service (England and Wales)</td>" in listing
    assert f'href="/organise/surveys/{national.id}/results/?slice=0"' in listing
    assert f'href="/organise/surveys/{national.id}"' not in listing  # not the survey's own page


def test_a_draft_national_survey_has_no_slice(app):
    make_survey(app, "draft-national", "ai-at-work", status=SurveyStatus.DRAFT)
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    client = app.test_client()
    sign_in(client, app, "pat@example.org")
    assert "Your slices" not in get_page(client, "/organise/")


def test_every_slice_number_is_the_administrators_number_for_the_same_filter(app, admin, national, pat):
    compared = 0
    for question in QUESTIONS:
        for by in ("", "A5", "disabled", "L1"):
            mine, status = _api(pat, national, f"results/{question}?by={by}" if by else f"results/{question}")
            theirs, _ = _api(admin, national, f"results/{question}?A2=probation" + (f"&by={by}" if by else ""))
            assert status == 200, (question, by, mine.get("refused"))
            assert _numbers_of(mine) == _numbers_of(theirs), (question, by)
            compared += 1
    page = get_page(pat, _results(national, "q/C1?by=A5"))
    filtered = get_page(admin, _results(national, "q/C1?by=A5&filter=A2:probation"))
    assert compared == len(QUESTIONS) * 4
    assert _numbers(page) and _numbers(page) == _numbers(filtered)


def test_the_slice_counts_only_probation_members(app, admin, national, pat):
    overview = get_page(pat, _results(national))
    shown = int(re.search(r"([\d,]+)</strong> responses", overview).group(1).replace(",", ""))
    sectors, _ = _api(admin, national, "results/A2")
    probation = next(c for c in sectors["cells"] if c["group"] is None and c["option"] == "probation")
    assert shown == probation["count"] and 10 <= shown < 2000  # the published count of Probation's members
    assert "Slice for Police and justice (police staff, probation, CAFCASS): Probation Service" in overview
    assert "submitted" not in overview and "Submitted by day" not in overview  # no whole-survey tracking
    assert "By service group" not in overview and "By sector" not in overview  # fixed by the slice
    everyone, _ = _api(admin, national, "results/E3")
    mine, _ = _api(pat, national, "results/E3")
    assert mine["groups"][0]["n"] < everyone["groups"][0]["n"]


@pytest.mark.parametrize(
    "query",
    [
        "?filter=A2:adult_social_care",
        "?filter=A1:health",
        "?by=A2",
        "?by=A1",
        "?filter=A2:probation&by=A1",
    ],
)
def test_a_query_beyond_the_slice_is_refused(app, national, pat, query):
    page = get_page(pat, _results(national, f"q/E3{query}"))
    assert "Everyone in this survey is in the same group" in page
    assert _numbers(page) == []
    assert pat.get(_results(national, f"q/E3/chart.json{query}")).status_code == 404


def test_the_api_refuses_or_ignores_anything_beyond_the_slice(app, admin, national, pat):
    for query in ("A2=adult_social_care", "A1=health", "by=A2", "A2=probation"):
        found, status = _api(pat, national, f"results/E3?{query}")
        assert status == 400 and found["refused"], query
    described, _ = _api(pat, national, "")
    assert described["slice"].endswith(": Probation Service (England and Wales)")
    assert {"A1", "A2"}.isdisjoint(d["id"] for d in described["dimensions"])
    ignored, _ = _api(pat, national, "results/E3?slice=7")  # no such slice: the first (only) one
    plain, _ = _api(pat, national, "results/E3")
    assert ignored["cells"] == plain["cells"]
    flags, status = _api(pat, national, "equality")
    assert status == 200 and flags["ready"]
    comments, status = _api(pat, national, "comments/K1")
    assert status == 400 and "never for a smaller or overlapping group" in comments["refused"]
    assert comments["comments"] == []


def test_exports_hold_the_slice_only(app, admin, national, pat):
    exports = f"/organise/surveys/{national.id}/exports"
    name, mine = _download(pat, f"{exports}/q/C1.csv?by=A5")
    assert "national-probation-slice-C1-by-A5.csv" in name
    _, theirs = _download(admin, f"{exports}/q/C1.csv?by=A5&filter=A2:probation")
    rows, filtered = list(csv.reader(io.StringIO(mine))), list(csv.reader(io.StringIO(theirs)))
    assert len(rows) > 5 and [r[-6:] for r in rows[1:]] == [r[-6:] for r in filtered[1:]]
    _, beyond = _download(pat, f"{exports}/q/C1.csv?filter=A1:health")
    assert "Everyone in this survey is in the same group" in beyond
    name, _ = _download(pat, f"{exports}/survey.xlsx")
    assert "national-probation-slice-results.xlsx" in name
    _, whole = _download(pat, f"{exports}/results.csv")
    rows = list(csv.DictReader(io.StringIO(whole)))
    assert len(rows) > 500 and {r["group"] for r in rows} >= {"Everyone"}
    assert not any(r["question"] in ("A1", "A2") for r in rows)  # the questions that pick the slice out
    assert not any(r["breakdown"] in ("A1", "A2") or r["filter"] for r in rows)
    _, everyone = _download(admin, f"{exports}/results.csv")
    sectors = {r["answer"] for r in csv.DictReader(io.StringIO(everyone)) if r["question"] == "A2"}
    assert "Probation Service (England and Wales)" in sectors  # the whole survey's file has every sector
    index = get_page(pat, f"{exports}/")
    assert "The whole slice" in index and "Export every response" not in index


def test_the_surveys_own_pages_and_actions_are_refused(app, national, pat):
    token = _token(pat)  # a CSRF token for the POSTs, so that only the access check can refuse them
    checked = {"allowed": 0, "refused": 0}
    for rule, method in staff_rules(app):
        if "survey_id" not in rule.arguments:
            continue
        url = fill(app, rule, national)
        response = pat.get(url) if method == "GET" else pat.post(url, data={"csrf_token": token})
        if rule.endpoint in SLICE_PAGES and method == "GET":
            assert response.status_code == 200, (rule.rule, response.status_code)
            checked["allowed"] += 1
        else:
            assert response.status_code == 403, (rule.rule, method, response.status_code)
            checked["refused"] += 1
        response.close()
    assert checked["allowed"] == len(SLICE_PAGES) and checked["refused"] > 20
    with app.app_context():
        from survey.extensions import db

        actions = {e.action for e in db.session.query(AuditEvent).all()}
    assert "refused: only a slice of this survey in scope" in actions


def test_a_slice_too_small_to_show_says_so_plainly(app):
    survey = make_survey(app, "few", "ai-at-work", status=SurveyStatus.CLOSED, threshold=10)
    health = [(complete_answers({"A1": "health"}), "en") for _ in range(30)]
    probation = [(complete_answers({"A1": "police_justice", "A2": "probation"}), "en") for _ in range(4)]
    insert_responses(app, survey, health + probation, batch=1)
    make_user(app, "pat@example.org", Role.VIEWER, [PROBATION])
    client = app.test_client()
    sign_in(client, app, "pat@example.org")
    for path in ("", "q/E3", "q/K1"):
        response = client.get(_results(survey, path))
        assert response.status_code == 200
        assert "answered to show results" in response.text
        assert not re.search(r'class="val', response.text)
    found, status = _api(client, survey, "results/E3")
    assert status == 403 and "Too few members" in found["error"] and "cells" not in found


def test_a_service_group_slice_reads_that_groups_comments_as_the_whole_survey_shows_them(app, admin, national):
    make_user(app, "hal@example.org", Role.VIEWER, [HEALTH])
    hal = app.test_client()
    sign_in(hal, app, "hal@example.org")
    mine, status = _api(hal, national, "comments/K1")
    theirs, _ = _api(admin, national, "comments/K1?A1=health")
    assert status == 200 and mine["comments"] and mine["comments"] == theirs["comments"]
    page = get_page(hal, _results(national, "q/K1"))
    assert "Slice for Health" in page and 'name="filter"' not in page  # no further filter offered
    assert hal.get(f"/api/v1/surveys/{national.slug}/comments/K1?A1=health").status_code == 400


def test_several_scopes_give_one_slice_each_chosen_on_the_page(app, admin, national):
    make_user(app, "wyn@example.org", Role.ORGANISER, [PROBATION, WALES])
    wyn = app.test_client()
    sign_in(wyn, app, "wyn@example.org")
    listing = get_page(wyn, "/organise/")
    assert "Probation Service (England and Wales)</td>" in listing and "Cymru/Wales</td>" in listing
    first = get_page(wyn, _results(national))
    assert "Your slices of this survey" in first and "slice for Police and justice" in first
    wales = get_page(wyn, _results(national, "?slice=1"))
    assert "slice for Cymru/Wales" in wales
    again = get_page(wyn, _results(national, "q/C1"))  # the choice is kept for this survey
    theirs = get_page(admin, _results(national, "q/C1?filter=A5:cymru_wales"))
    assert "Slice for Cymru/Wales" in again and _numbers(again) == _numbers(theirs)


def test_a_slice_combines_only_what_the_whole_surveys_filter_to_it_may(app, admin, national):
    make_user(app, "wyn@example.org", Role.VIEWER, [WALES])
    wyn = app.test_client()
    sign_in(wyn, app, "wyn@example.org")
    for by in ("language", "nation", "L9"):  # made from the region's answers, as the slice is
        mine, status = _api(wyn, national, f"results/C1?by={by}")
        theirs, _ = _api(admin, national, f"results/C1?A5=cymru_wales&by={by}")
        assert status == 400 and "same answers as your slice" in mine["refused"] and mine["cells"] == [], by
        assert "made from the same answers" in theirs["refused"]  # the whole survey's filter refuses it too
    page = get_page(wyn, _results(national, "q/C1"))
    offered = re.findall(r'<option value="([^"]*)"', page[page.index('id="by"') : page.index("</select>")])
    assert "A6" in offered and not {"language", "nation", "L9", "A5"} & set(offered)
    overview = get_page(wyn, _results(national))
    assert "By region" not in overview and "By nation" not in overview and "By service group" in overview
    mine, status = _api(wyn, national, "results/C1?by=A1&A6=ft")  # a breakdown and a filter of its own
    assert status == 200 and mine["groups"][0]["n"] and mine["filters"] == {"A6": "ft"}


def test_a_slice_is_compared_with_its_own_audiences_members(app, national):
    with app.app_context():
        from survey.core import membership

        profile = (
            "dimension,group,members,service_group\n"
            "Region,North West,150000,\nRegion,Scotland,150000,\n"
            "Region,North West,51234,Health\nRegion,Scotland,47321,Health\n"
        )
        membership.store_profile("ada@example.org", "Membership system", date(2026, 10, 31), profile.encode(), "p.csv")
    make_user(app, "hal@example.org", Role.VIEWER, [HEALTH])
    hal = app.test_client()
    sign_in(hal, app, "hal@example.org")
    page = get_page(hal, _results(national))
    section = page.split('id="representation"', 1)[1].split("<h2>", 1)[0]
    assert "51,234" in section and "150,000" not in section
    found, status = _api(hal, national, "representation")
    assert status == 200 and found["profile"]["audience_only"] is True
    assert [b["dimension"] for b in found["breakdowns"]] == ["A5"]


def test_a_weighted_surveys_slice_is_weighted_only_when_the_profile_counts_its_audience(app, admin, national):
    from demo.membership import add_membership_profile

    with app.app_context():
        add_membership_profile()
        db.session.get(Survey, national.id).weighted = True
        db.session.commit()
    whole, _ = _api(admin, national, "results/C1")
    assert whole["weighting"] is not None  # the whole survey is weighted to the demo profile
    make_user(app, "lg@example.org", Role.ORGANISER, [{"service_group": "local_gov"}])
    local = app.test_client()
    sign_in(local, app, "lg@example.org")
    mine, status = _api(local, national, "results/C1")
    assert status == 200
    page = get_page(local, _results(national, "q/C1"))
    # The demo profile counts the whole union only, not Local government's members by region, age
    # and sex: the slice is not weighted, and neither its numbers nor its method say it is.
    assert mine["weighting"] is None and "Design effect" not in page
    assert all(c.get("unweighted_percent") is None for c in mine["cells"])
    assert "Design effect" in get_page(admin, _results(national, "q/C1"))
