"""Weighting on every output: the organisers' switch (audited, and saying why when it cannot be
used), the dashboards, the published page and its method box (in both languages), the screen, the
briefing, the API and the exports; and no weighted number for a group the unweighted rules hide."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from demo.membership import add_membership_profile
from survey import results
from survey.core import membership
from survey.extensions import db
from survey.models import AuditEvent, Role, Survey
from survey.results import snapshot_for

from .factories import HEALTH, demo_survey, make_user, publish
from .helpers import get_page
from .journey import csrf_token
from .staff import sign_in


@pytest.fixture
def closed(app):
    """A closed demo survey of 1,500 responses (k = 10)."""
    return demo_survey(app, "weighed", 1500, 23)


def _switch(client, survey_id: int, on: bool):
    page = client.get(f"/organise/surveys/{survey_id}/weighting")
    return client.post(
        f"/organise/surveys/{survey_id}/weighting",
        data={"csrf_token": csrf_token(page.text), "weighted": "on" if on else "off"},
    )


def test_without_a_profile_the_switch_says_why_it_cannot_be_used(app, admin, closed):
    page = get_page(admin, f"/organise/surveys/{closed.id}/weighting")
    assert "No membership profile has been uploaded" in page and "Switch weighting on" not in page
    refused = _switch(admin, closed.id, True)
    assert refused.status_code == 400 and "No membership profile has been uploaded" in refused.text
    with app.app_context():
        assert not db.session.get(Survey, closed.id).weighted
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("%weighting%"))).first() is None


def test_a_sector_survey_without_its_audiences_counts_cannot_be_weighted(app, admin):
    survey = demo_survey(app, "health-weighed", 300, 5, audience=HEALTH)
    with app.app_context():
        add_membership_profile()  # national counts only
    page = get_page(admin, f"/organise/surveys/{survey.id}/weighting")
    assert "has no counts for this survey’s audience" in page and "Switch weighting on" not in page


def test_organisers_switch_weighting_on_and_off_with_an_audit_entry(app, admin, closed):
    with app.app_context():
        add_membership_profile()
    page = get_page(admin, f"/organise/surveys/{closed.id}/weighting")
    assert 'Weighting is <strong id="weighting-state">off</strong>' in page
    assert "Design effect" in page and "Service group, Region, Age, Sex" in page
    assert _switch(admin, closed.id, True).status_code == 302
    page = get_page(admin, f"/organise/surveys/{closed.id}/weighting")
    assert 'Weighting is <strong id="weighting-state">on</strong>' in page and "Switch weighting off" in page
    assert _switch(admin, closed.id, False).status_code == 302
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.survey_id == closed.id).order_by(AuditEvent.id)
        ).all()
        assert not db.session.get(Survey, closed.id).weighted
    assert [a for a in actions if "weighting" in a] == ["switched weighting on", "switched weighting off"]


def test_viewers_see_the_switch_but_cannot_use_it(app, client, closed):
    with app.app_context():
        add_membership_profile()
    make_user(app, "vic@example.org", Role.VIEWER, [{}])  # a national viewer
    assert sign_in(client, app, "vic@example.org").status_code == 302
    page = get_page(client, f"/organise/surveys/{closed.id}/weighting")
    assert "Switch weighting on" not in page
    assert _switch(client, closed.id, True).status_code in (403, 404)


def _weighted(app, survey_id: int) -> None:
    with app.app_context():
        add_membership_profile()
        db.session.get(Survey, survey_id).weighted = True
        db.session.commit()


def test_every_output_shows_the_weighted_percentages(app, admin, client, closed):
    _weighted(app, closed.id)
    with app.app_context():
        survey = db.session.get(Survey, closed.id)
        table = results.question_table(survey, "C1")
        summary = results.survey_weighting(survey)
    everyone = [c for c in table.cells if c.group is None and c.percent is not None]
    assert any(c.percent != c.unweighted_percent for c in everyone)
    shown = everyone[0]
    # The dashboards: the weighted percentage, the effective sample size, and the method.
    page = get_page(admin, f"/organise/surveys/{closed.id}/results/q/C1")
    assert "Effective sample size (weighted)" in page and f"{table.groups[0].effective_n:,}" in page
    assert "<strong>weighted</strong> to the membership profile" in page and f"{summary.design_effect:.2f}" in page
    # The API: the same numbers, with the weighting described.
    body = admin.get("/api/v1/surveys/weighed/results/C1").get_json()
    api = next(c for c in body["cells"] if c["group"] is None and c["option"] == shown.option)
    assert (api["percent"], api["ci_low"], api["ci_high"]) == (shown.percent, shown.ci_low, shown.ci_high)
    assert api["unweighted_percent"] == shown.unweighted_percent
    assert body["weighting"]["design_effect"] == summary.design_effect and body["groups"][0]["effective_n"]
    # The exports: the same percentage, said to be weighted.
    rows = list(csv.DictReader(io.StringIO(admin.get(f"/organise/surveys/{closed.id}/exports/q/C1.csv").text)))
    row = next(
        r for r in rows if r["group_code"] == "" and r["answer_code"] == shown.option and r["measure"] == "answer"
    )
    assert float(row["percent"]) == shown.percent and "weighted to the membership profile" in row["note"]
    # The published page, its method box in both languages, the screen and the briefing.
    publish(app, closed, questions=["C1", "B1"], breakdowns=["A1"], findings=["q:C1"])
    page = get_page(client, "/r/weighed/q/C1")
    assert "Percentages are weighted to the membership" in page and "Service group, Region, Age, Sex" in page
    assert f"{shown.percent:g}%" in page or f"{shown.percent:.0f}%" in page
    welsh = get_page(client, "/r/weighed?lang=cy")
    assert "Mae'r canrannau wedi'u pwysoli i'r aelodaeth" in welsh.replace("&#39;", "'")
    assert "Grŵp gwasanaeth, Rhanbarth, Oedran, Rhyw" in welsh
    assert "Weighted to the membership" in get_page(client, "/r/weighed/screen?lang=en")
    assert "Percentages are weighted to the membership" in get_page(client, "/r/weighed/briefing")


def test_switched_off_nothing_is_weighted(app, admin, closed):
    with app.app_context():
        add_membership_profile()
        survey = db.session.get(Survey, closed.id)
        table = results.question_table(survey, "C1")
        assert results.survey_weighting(survey) is None
    assert table.weighting is None and all(c.unweighted_percent is None for c in table.cells)
    assert "Effective sample size" not in get_page(admin, f"/organise/surveys/{closed.id}/results/q/C1")


@pytest.mark.parametrize(("question", "by"), [("C1", "L8"), ("B1", "ethnic_group"), ("L8", None), ("E3", "A2")])
def test_no_weighted_number_for_a_group_the_unweighted_rules_hide(app, closed, question, by):
    _weighted(app, closed.id)
    with app.app_context():
        survey = db.session.get(Survey, closed.id)
        weighted = results.question_table(survey, question, by)
        survey.weighted = False
        plain = results.question_table(survey, question, by)
        db.session.rollback()
    assert weighted.weighting is not None and plain.weighting is None
    assert [(g.code, g.suppressed, g.n) for g in weighted.groups] == [(g.code, g.suppressed, g.n) for g in plain.groups]
    hidden = 0
    for mine, theirs in zip(weighted.cells, plain.cells, strict=True):
        assert (mine.group, mine.option, mine.count, mine.base) == (
            theirs.group,
            theirs.option,
            theirs.count,
            theirs.base,
        )
        assert mine.suppressed == theirs.suppressed
        if theirs.percent is None:
            hidden += 1
            assert mine.percent is None and mine.ci_low is None and mine.unweighted_percent is None
    for group in weighted.groups:
        assert (group.effective_n is None) == group.suppressed
    assert hidden > 0 or any(g.suppressed for g in plain.groups)  # each query hides something


def test_the_profile_used_is_the_newest(app, closed):
    _weighted(app, closed.id)
    with app.app_context():
        survey = db.session.get(Survey, closed.id)
        first = results.survey_weighting(survey)
        newer = b"dimension,group,members\nRegion,Greater London,500000\nRegion,North West,100000\n"
        membership.store_profile("ada@example.org", "Region only", date(2026, 11, 30), newer, "p.csv")
        snapshot_for(survey).cache.clear()  # the newest profile is looked up again at most every 30 s
        second = results.survey_weighting(survey)
    assert first.dimensions == ["Service group", "Region", "Age", "Sex"]
    assert second.profile == "Region only" and second.dimensions == ["Region"] and second.as_of == "2026-11-30"


def test_a_sector_survey_is_weighted_to_its_audiences_counts(app, admin):
    survey = demo_survey(app, "health-weighed", 600, 5, audience=HEALTH)
    lines = "dimension,group,members,service_group\nService group,Health,430000,\n" + "".join(
        f"{dimension},{group},{members},Health\n"
        for dimension, group, members in [
            ("Region", "North West", 60000), ("Region", "Scotland", 50000), ("Region", "Greater London", 90000),
            ("Age", "16 to 24", 40000), ("Age", "50 to 59", 100000), ("Age", "40 to 49", 90000),
        ]
    )  # fmt: skip
    with app.app_context():
        membership.store_profile("ada@example.org", "Health members", date(2026, 10, 31), lines.encode(), "h.csv")
    assert _switch(admin, survey.id, True).status_code == 302
    with app.app_context():
        found = results.survey_weighting(db.session.get(Survey, survey.id))
    assert found.profile == "Health members" and found.dimensions == ["Region", "Age"]  # service group is fixed
    assert "Region, Age" in get_page(admin, f"/organise/surveys/{survey.id}/weighting")
