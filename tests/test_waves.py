"""Waves (issue 19): a survey compared with its earlier wave, from both waves' published counts.

The demo's earlier wave (demo/waves.py) holds the same members' answers with two planted changes
(C1 up 12 points, G2 down 8) and C3 reworded; everything else must read "no clear change".
"""

from __future__ import annotations

import math
import re

import pytest
from flask import Flask

import demo
from survey import results
from survey.extensions import db
from survey.models import AuditEvent, Response, Role, Survey, SurveyStatus
from survey.questionnaire.loader import load_text
from survey.results import waves as engine
from survey.results.tables import Cell, Group, OptionInfo, ScaleSummary, Table

from .factories import AI_AT_WORK, TINY, demo_survey, make_survey, make_user, publish
from .helpers import get_page
from .staff import sign_in

Z = 1.959963984540054


def _wilson(count: int, base: int) -> tuple[float, float]:
    """Wilson's interval, written out again here so that the test does not trust the engine's."""
    p = count / base
    centre = (p + Z * Z / (2 * base)) / (1 + Z * Z / base)
    half = Z * math.sqrt(p * (1 - p) / base + Z * Z / (4 * base * base)) / (1 + Z * Z / base)
    return (0.0 if count == 0 else centre - half), (1.0 if count == base else centre + half)


def _newcombe(count: int, base: int, count0: int, base0: int) -> tuple[float, float]:
    p, p0 = count / base, count0 / base0
    (low, high), (low0, high0) = _wilson(count, base), _wilson(count0, base0)
    d = p - p0
    return 100 * (d - math.sqrt((p - low) ** 2 + (high0 - p0) ** 2)), 100 * (
        d + math.sqrt((high - p) ** 2 + (p0 - low0) ** 2)
    )


@pytest.fixture
def waves(app: Flask) -> Survey:
    """A closed ai-at-work survey of 3,000 synthetic responses, a wave of the demo's earlier wave."""
    survey = demo_survey(app, "later", 3000, 11)
    with app.app_context():
        assert demo.add_earlier_wave(db.session.get(Survey, survey.id)) is not None
    return survey


def _true_share(app: Flask, slug: str, key: str, codes: tuple[str, ...]) -> float:
    """Return the TRUE share of `codes` among the answers on the scale (for the planted difference only)."""
    with app.app_context():
        survey = db.session.scalar(db.select(Survey).where(Survey.slug == slug))
        rows = [
            r.answers.get(key) for r in db.session.scalars(db.select(Response).where(Response.survey_id == survey.id))
        ]
    on_scale = [a for a in rows if a is not None and a != "dk"]
    return 100 * sum(a in codes for a in on_scale) / len(on_scale)


def test_planted_changes_are_found_with_intervals_that_hold_them(app, waves):
    with app.app_context():
        survey = db.session.get(Survey, waves.id)
        found = results.wave_changes(survey)
        assert found is not None and found.earlier_label == "2025"
        for planted in demo.PLANTED_CHANGES:
            change = next(c for c in found.question(planted.answer).changes if c.option == engine.POSITIVE)
            truth = _true_share(app, "later", planted.answer, planted.codes) - _true_share(
                app, "later-2025", planted.answer, planted.codes
            )
            assert abs(truth - planted.points) < 0.6  # planted as said (each chunk rounds to a whole answer)
            assert change.clear and change.direction == ("up" if planted.points > 0 else "down")
            assert change.ci_low <= truth <= change.ci_high
            assert change.ci_low <= planted.points <= change.ci_high


def test_unchanged_questions_say_no_clear_change_and_reworded_are_not_compared(app, waves):
    with app.app_context():
        found = results.wave_changes(db.session.get(Survey, waves.id))
        planted = {p.answer for p in demo.PLANTED_CHANGES}
        clear = {q.question for q in found.questions for c in q.changes if c.clear}
        assert clear == planted  # nothing else reads as a change
        reworded = found.question(demo.REWORDED)
        assert not reworded.compared and reworded.reason == engine.WORDING and not reworded.changes
        compared = [q for q in found.questions if q.compared]
        assert len(compared) > 40  # every other countable question was compared
        assert found.question("K1") is None  # free text is never counted
        assert found.question("A6") is not None
        survey = db.session.get(Survey, waves.id)
        through = [q.id for q in survey.questionnaire.questions if q.id in {"L1", "L5", "L6", "A5"}]
        for key in through:  # reported through the breakdowns made from it: never on its own, so not here
            refused = results.question_table(survey, key).refused or ""
            assert (found.question(key) is None) == refused.startswith("This question is reported through")
        assert any(found.question(k) is None for k in through)


def test_numbers_come_from_both_waves_published_counts(app, waves):
    with app.app_context():
        survey = db.session.get(Survey, waves.id)
        earlier = survey.previous_survey
        found = results.wave_changes(survey)
        for key in ("C1", "G2", "B1", "C2.a"):
            now, then = results.question_table(survey, key), results.question_table(earlier, key)
            for change in found.question(key).changes:
                if change.option == engine.POSITIVE:
                    a = next(s for s in now.scale if s.group is None)
                    b = next(s for s in then.scale if s.group is None)
                    counts = (a.positive_count, a.base, b.positive_count, b.base)
                    percents = (a.positive_percent, b.positive_percent)
                else:
                    a = next(c for c in now.cells if c.group is None and c.option == change.option)
                    b = next(c for c in then.cells if c.group is None and c.option == change.option)
                    counts = (min(a.count, a.base), a.base, min(b.count, b.base), b.base)
                    percents = (a.percent, b.percent)
                assert (change.count, change.base, change.earlier_count, change.earlier_base) == counts
                assert (change.percent, change.earlier_percent) == percents
                low, high = _newcombe(*counts)
                assert change.ci_low == pytest.approx(low, abs=0.051) and change.ci_high == pytest.approx(
                    high, abs=0.051
                )


def _table(groups: list[Group], cells: list[Cell], scale: list[ScaleSummary] | None = None) -> Table:
    table = Table("Q", "single", "Q?", "en", "g", {}, 10, options=[OptionInfo("a", "A"), OptionInfo("b", "B")])
    table.groups, table.cells, table.scale = groups, cells, scale or []
    return table


def test_a_group_or_answer_hidden_in_either_wave_is_not_compared():
    shown = [Group(None, "Everyone", 100, False), Group("x", "X", 50, False), Group("y", "Y", 40, False)]
    hidden = [Group(None, "Everyone", 100, False), Group("x", "X", None, True), Group("y", "Y", 40, False)]

    def cells(suppress: set[tuple]) -> list[Cell]:
        out = []
        for g, n in ((None, 100), ("x", 50), ("y", 40)):
            for o in ("a", "b"):
                gone = (g, o) in suppress
                out.append(Cell(g, o, o, None if gone else n // 2, None if gone else 50.0, 40.0, 60.0, n, gone))
        return out

    later = _table(shown, cells(set()))
    earlier = _table(hidden, cells({("x", "a"), ("x", "b"), ("y", "b")}))
    found = engine.table_changes(later, earlier)
    assert {(c.group, c.option) for c in found} == {(None, "a"), (None, "b"), ("y", "a")}
    assert {(c.group, c.option) for c in engine.table_changes(earlier, later)} == {(None, "a"), (None, "b"), ("y", "a")}


def test_identity_needs_the_same_codes_and_words_in_both_languages():
    source = AI_AT_WORK.source
    welsh = AI_AT_WORK.question("C1").text["cy"]
    reworded = load_text(source.replace(welsh, welsh + " (eleni)", 1), "cy changed")
    assert engine.identity_problem(AI_AT_WORK, reworded, "C1") == engine.WORDING
    label = "Yes, and it was enough"
    relabelled = load_text(source.replace(label, "Yes, and enough", 1), "label changed")
    assert engine.identity_problem(AI_AT_WORK, relabelled, "G1") == engine.WORDING
    recoded = load_text(source.replace("code: yes_enough", "code: yes_plenty", 1), "code changed")
    assert engine.identity_problem(AI_AT_WORK, recoded, "G1") == engine.ANSWERS
    assert engine.identity_problem(AI_AT_WORK, AI_AT_WORK, "G1") is None
    assert engine.identity_problem(AI_AT_WORK, AI_AT_WORK, "C2.a") is None
    assert engine.identity_problem(AI_AT_WORK, TINY, "G1") == engine.NOT_ASKED


def test_clear_needs_more_than_the_adjustment_of_counts():
    # 6 of 30 against 0 of 30: a Newcombe interval leaves out 0, but moving each count by 3 does not hold.
    small = engine.change(None, "a", "A", (6, 30, 20.0), (0, 30, 0.0))
    engine.decide([small])
    assert small.ci_low > 0 and not small.clear
    large = engine.change(None, "a", "A", (520, 1000, 52.0), (400, 1000, 40.0))
    engine.decide([large])
    assert large.clear and large.direction == "up" and large.points == 12.0


def test_pages_and_the_api_carry_the_changes(app, client, waves):
    publish(app, waves)
    page = get_page(client, "/r/later")
    up = re.search(r"up (\d+) points since 2025 \(from (\d+)% to (\d+)%\)", page)
    assert up and 10 <= int(up.group(1)) <= 14 and int(up.group(3)) - int(up.group(2)) == int(up.group(1))
    assert re.search(r"down \d+ points since 2025", page)
    assert "No clear change since 2025" in page or "no clear change since 2025" in page
    assert "Not compared because the wording or the answers changed" in page
    welsh = get_page(client, "/r/later?lang=cy")
    assert "Ers 2025" in welsh and re.search(r"wedi codi \d+ pwynt ers 2025", welsh)
    briefing = get_page(client, "/r/later/briefing?lang=en")
    assert "Since 2025" in briefing and re.search(r"up \d+ points since 2025", briefing)
    with app.app_context():  # a sector's briefing: that sector's members in both waves
        a2 = next(b for b in results.overview(db.session.get(Survey, waves.id)).breakdowns if b.dimension == "A2")
        largest = max((g for g in a2.groups if not g.suppressed), key=lambda g: g.n)
    sector = get_page(client, f"/r/later/briefing?sector={largest.code}&lang=en")
    assert "Since 2025" in sector
    assert re.search(r"(up|down) \d+ points? since 2025|No clear change since 2025", sector)
    with app.app_context():
        mine = results.wave_changes(db.session.get(Survey, waves.id), "en", {"A2": largest.code})
        everyone = results.wave_changes(db.session.get(Survey, waves.id), "en")
        assert mine.filters == {"A2": largest.code}
        assert mine.question("C1").changes[0].base < everyone.question("C1").changes[0].base
    body = client.get("/api/v1/surveys/later/changes").get_json()
    assert body["earlier"]["label"] == "2025"
    c1 = next(q for q in body["questions"] if q["question"] == "C1")
    positive = next(c for c in c1["changes"] if c["option"] == "positive")
    assert positive["clear"] and positive["ci_low"] <= 12 <= positive["ci_high"]
    assert any(w.startswith("“Increased a little” or “Increased a lot”: up") for w in c1["words"])
    c3 = next(q for q in body["questions"] if q["question"] == "C3")
    assert c3["compared"] is False and c3["reason"] == "wording" and "wording changed" in c3["words"][0]


def test_dashboards_show_the_changes(app, client, waves):
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "ada@example.org")
    overview = get_page(client, f"/organise/surveys/{waves.id}/results/")
    assert "Compared with 2025 on" in overview and "1 answers clearly up" not in overview
    page = get_page(client, f"/organise/surveys/{waves.id}/results/q/C1")
    section = re.search(r'<section class="waves".*?</section>', page, re.S).group(0)
    assert re.search(r"<strong>Up (\d+) points</strong> <span class=\"base\">\(\+[\d.]+ to \+[\d.]+ points\)", section)
    assert "No clear change" in section  # C1's other answers moved less, or not at all
    by = get_page(client, f"/organise/surveys/{waves.id}/results/q/C1?by=A1")
    by_section = re.search(r'<section class="waves".*?</section>', by, re.S).group(0)
    assert by_section.count("<tr>") > section.count("<tr>")  # each group of the breakdown too
    assert "Health: “Increased a little” or “Increased a lot”" in by_section
    reworded = get_page(client, f"/organise/surveys/{waves.id}/results/q/C3")
    assert "not compared with 2025: the wording changed" in reworded.lower()


def test_an_organiser_marks_a_wave_and_it_is_audited(app, client):
    later = make_survey(app, "this-year", "ai-at-work", status=SurveyStatus.CLOSED, name="This year")
    earlier = make_survey(app, "last-year", "ai-at-work", status=SurveyStatus.CLOSED, name="Last year")
    still_open = make_survey(app, "open-one", "ai-at-work", name="Still open")
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "ada@example.org")
    form = get_page(client, f"/organise/surveys/{later.id}/wave")
    offered = re.findall(r"<option [^>]*>([^<]+)</option>", form)
    assert "Last year (closed)" in offered and not any("Still open" in o for o in offered)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    refused = client.post(
        f"/organise/surveys/{later.id}/wave", data={"csrf_token": token, "earlier": str(still_open.id)}
    )
    assert refused.status_code == 400
    done = client.post(f"/organise/surveys/{later.id}/wave", data={"csrf_token": token, "earlier": str(earlier.id)})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Survey, later.id).previous_survey_id == earlier.id
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "marked as a wave"))
        assert event.survey_id == later.id and event.detail["earlier"] == "last-year"
    # And back: a survey cannot be a wave of one of its own later waves.
    form = get_page(client, f"/organise/surveys/{earlier.id}/wave")
    offered = re.findall(r"<option [^>]*>([^<]+)</option>", form)
    assert offered == ["None: do not compare with an earlier survey"]  # not itself, nor its own later wave


def test_flask_demo_stores_the_earlier_wave_once_when_asked(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--responses", "300", "--seed", "2", "--earlier-wave"])
    assert "Stored an earlier wave" in first.output, first.output
    again = runner.invoke(args=["demo", "--responses", "300", "--seed", "2", "--if-empty", "--earlier-wave"])
    assert again.exit_code == 0 and "Stored an earlier wave" not in again.output
    with app.app_context():
        results_demo = db.session.scalar(db.select(Survey).where(Survey.slug == app.config["DEMO_RESULTS_SLUG"]))
        earlier = results_demo.previous_survey
        assert earlier.slug.endswith("-2025") and earlier.status == SurveyStatus.CLOSED
        count = db.select(db.func.count()).select_from(Response)
        assert db.session.scalar(count.where(Response.survey_id == earlier.id)) == 300
        assert earlier.questionnaire.question("C3").text["en"] != results_demo.questionnaire.question("C3").text["en"]


def test_a_slice_is_compared_with_the_same_slice_of_the_earlier_wave(app, waves):
    from survey.results.slices import SurveySlice

    with app.app_context():
        survey = db.session.get(Survey, waves.id)
        sliced = results.wave_changes(SurveySlice(survey, {"service_group": "local_gov"}, "Local government"))
        filtered = results.wave_changes(survey, filters={"A1": "local_gov"})
        whole = results.wave_changes(survey)
        assert sliced is not None and filtered is not None and whole is not None

        def numbers(found):
            return {
                (q.question, c.group, c.option): (c.earlier_count, c.earlier_base, c.count, c.base)
                for q in found.questions
                for c in q.changes
            }

        mine = numbers(sliced)
        assert mine and mine == {key: value for key, value in numbers(filtered).items() if key in mine}
        assert mine != {key: value for key, value in numbers(whole).items() if key in mine}  # not the whole union


def test_a_weighted_wave_is_compared_by_the_percentages_its_pages_show(app, waves):
    from demo.membership import add_membership_profile

    with app.app_context():
        add_membership_profile()
        survey = db.session.get(Survey, waves.id)
        survey.weighted = True
        db.session.commit()
        survey = db.session.get(Survey, waves.id)
        table = results.question_table(survey, "C1")
        assert table.groups[0].effective_n is not None  # weighted: the pages show weighted percentages
        found = results.wave_changes(survey)
        change = next(c for c in found.question("C1").changes if c.option == engine.POSITIVE)
        (summary,) = [s for s in table.scale if s.group is None]
        assert change.percent == summary.positive_percent != summary.unweighted_positive_percent
        assert change.base < summary.base  # the interval and the test at the effective sample size
        assert change.ci_low <= change.points <= change.ci_high
