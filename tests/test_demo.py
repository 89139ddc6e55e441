"""Synthetic demo responses: `flask demo --responses N --seed S` (the demo package)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from demo import BASE_COLUMNS, DAYS, PLANTED, planted_shares
from demo.database import response_columns
from survey.extensions import db
from survey.models import Response, StoredSnapshot, Survey, SurveyDay, utcnow
from survey.questionnaire.answers import on_page, page_values, read_page
from survey.questionnaire.loader import load_file
from survey.questionnaire.rules import clean_answers, section_visible, with_derived
from survey.results import cache, npz
from survey.results import read as reading
from survey.results import snapshot as snapshots

from .helpers import ROOT, get_page, snapshot_rows

QUESTIONNAIRE = load_file(ROOT / "questionnaires" / "ai-at-work.yaml")


def _demo(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _stored(app) -> list[tuple[str, dict, str]]:
    """Return (id, answers, language) of every response, as the database hands them back."""
    with app.app_context():
        rows = db.session.execute(select(Response.id, Response.answers, Response.language)).all()
    return [(str(id_), answers, language) for id_, answers, language in rows]


def _batches(app) -> set[int] | None:
    """Return the release batch numbers stored, or None while responses have none."""
    if "batch" not in Response.__table__.columns:
        return None
    with app.app_context():
        return set(db.session.scalars(select(Response.__table__.c.batch).distinct()))


def _sorted_answers(rows: list[tuple[str, dict, str]]) -> list[str]:
    return sorted(json.dumps([answers, language], sort_keys=True) for _, answers, language in rows)


def _problems_on_member_pages(answers: dict, language: str) -> list:
    """Type the answers into the member's pages one by one; return what the page reader refuses."""
    problems = []
    for section in QUESTIONNAIRE.sections:
        if not section_visible(section, with_derived(QUESTIONNAIRE, answers, language)):
            assert not any(on_page(section, key) for key in answers), section.id
            continue
        form = MultiDict([(key, v) for key, values in page_values(section, answers).items() for v in values])
        result = read_page(QUESTIONNAIRE, section, form, answers, language)
        problems += result.problems
        if result.answers != {key: value for key, value in answers.items() if on_page(section, key)}:
            problems.append((section.id, "answers changed"))
    return problems


def test_demo_adds_exactly_n_valid_released_responses_and_daily_counts(app):
    output = _demo(app, "--responses", "500", "--seed", "1")
    assert "Added 500 synthetic responses to ai-at-work-results-demo (seed 1) in " in output
    assert "http://127.0.0.1:5000/s/ai-at-work-demo" in output and "demo-viewer@example.org / " in output

    rows = _stored(app)
    assert len(rows) == 500 and len({id_ for id_, _, _ in rows}) == 500
    for _, answers, language in rows:
        assert clean_answers(QUESTIONNAIRE, answers, language) == answers
        assert not _problems_on_member_pages(answers, language)
    languages = [language for _, _, language in rows]
    assert set(languages) <= {"en", "cy"} and languages.count("en") > 450

    with app.app_context():
        open_demo = db.session.scalar(select(Survey).where(Survey.slug == "ai-at-work-demo"))
        assert open_demo.status == "open"  # still answerable for `make run`
        survey = db.session.scalar(select(Survey).where(Survey.slug == "ai-at-work-results-demo"))
        assert survey.status == "published"  # its results are the dashboards' demo
        versions = set(db.session.scalars(select(Response.questionnaire_version_id)))
        assert versions == {survey.questionnaire_version_id}
        assert _batches(app) in ({1}, None)  # one chunk, one release batch (None: no batch numbers yet)
        days = db.session.scalars(select(SurveyDay).where(SurveyDay.survey_id == survey.id)).all()
    assert sum(day.submitted for day in days) == 500
    assert all(day.started >= day.submitted for day in days)
    today = utcnow().date()
    assert all(0 <= (today - day.day).days <= DAYS for day in days) and len(days) > 10


@pytest.mark.postgres
def test_demo_leaves_the_planner_statistics_of_the_responses_fresh(app):
    _demo(app, "--responses", "400", "--seed", "3")
    with app.app_context():
        estimate = db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'response'"))
    assert estimate == 400  # analysed after the bulk load (a never-analysed table reads -1)


def test_demo_stores_the_results_snapshot_so_no_worker_parses_every_response(app, monkeypatch):
    _demo(app, "--responses", "300", "--seed", "2")
    _demo(app, "--responses", "200", "--seed", "3")  # a second load brings the stored copy up to date
    reads: list = []
    read = reading.responses

    def spy(survey_id, after, upto):
        reads.append(after)
        return read(survey_id, after, upto)

    monkeypatch.setattr(reading, "responses", spy)
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "ai-at-work-results-demo"))
        stored = db.session.get(StoredSnapshot, survey.id)
        last = db.session.scalar(select(func.max(Response.batch)).where(Response.survey_id == survey.id))
        assert (stored.n, stored.batch) == (500, last)
        loaded = npz.load(survey.questionnaire, stored.data, stored.batch)
        scratch = snapshots.build(survey.questionnaire, [(a, lang, rid) for rid, a, lang in _stored(app)])
        assert snapshot_rows(loaded) == snapshot_rows(scratch)
        cache.forget(survey.id)  # as a newly started worker
        assert cache.snapshot_for(survey).n == 500 and reads == [last]  # nothing read but what is newer


def test_if_empty_fills_the_results_demo_once(app):
    _demo(app, "--responses", "200", "--seed", "3", "--if-empty")
    again = _demo(app, "--responses", "200", "--seed", "3", "--if-empty")
    assert "already has 200 responses" in again and len(_stored(app)) == 200


def test_the_demo_viewer_can_sign_in_and_see_the_results(app):
    from .staff import sign_in

    output = _demo(app, "--responses", "200", "--seed", "3")
    password = output.split("demo-viewer@example.org / ")[1].split()[0]
    client = app.test_client()
    assert sign_in(client, app, "demo-viewer@example.org", password).status_code == 302
    listing = get_page(client, "/organise/")
    assert "Demo: " in listing and "Make a new survey" not in listing


def test_same_seed_same_answers_with_fresh_random_ids(app):
    _demo(app, "--responses", "300", "--seed", "7")
    first = _stored(app)
    with app.app_context():
        db.session.execute(Response.__table__.delete())
        db.session.commit()
    _demo(app, "--responses", "300", "--seed", "7")
    again = _stored(app)
    assert _sorted_answers(first) == _sorted_answers(again)
    assert not {id_ for id_, _, _ in first} & {id_ for id_, _, _ in again}
    assert {id_[14] for id_, _, _ in again} == {"4"}  # version-4 UUIDs: the digit after the second dash

    _demo(app, "--responses", "300", "--seed", "8")
    other = [row for row in _stored(app) if row[0] not in {id_ for id_, _, _ in again}]
    assert _sorted_answers(other) != _sorted_answers(again)
    assert _batches(app) in ({1, 2}, None)  # each run numbers its batches after the last


def test_planted_differences_show_in_a_plain_recomputation(app):
    _demo(app, "--responses", "5000", "--seed", "1")
    sets = [(answers, language) for _, answers, language in _stored(app)]
    gaps = {}
    for planted in PLANTED:
        group, everyone_else, n_group, n_else = planted_shares(planted, QUESTIONNAIRE, sets)
        assert n_group >= 100 and n_else >= 100, planted
        gaps[planted.answer] = 100 * (group - everyone_else)
    assert gaps["D2.c"] >= 8  # disabled members: monitoring has increased
    for planted in PLANTED:
        assert gaps[planted.answer] >= planted.points / 2, (planted, gaps)


def test_planted_differences_name_real_dimensions_questions_and_codes():
    dimensions = {dimension.id: dimension for dimension in QUESTIONNAIRE.dimensions}
    for planted in PLANTED:
        dimension = dimensions[planted.dimension]
        assert dimension.protected and planted.group in {value.code for value in dimension.values}
        question = QUESTIONNAIRE.question(planted.answer.split(".")[0])
        assert planted.answer in question.answer_keys()
        assert set(planted.codes) < set(question.codes)


def test_demo_without_responses_only_creates_or_refreshes_the_survey(app):
    for _ in range(2):
        output = _demo(app)
        assert "Added" not in output and "http://127.0.0.1:5000/s/ai-at-work-demo" in output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 1
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert db.session.scalar(select(func.count()).select_from(SurveyDay)) == 0


def test_columns_follow_the_response_table_and_refuse_one_they_cannot_fill():
    def table(*extra: sa.Column) -> sa.Table:
        return sa.Table("response", sa.MetaData(), *(sa.Column(name, sa.String) for name in BASE_COLUMNS), *extra)

    assert response_columns(table()) == BASE_COLUMNS
    assert response_columns(table(sa.Column("batch", sa.Integer, nullable=False))) == (*BASE_COLUMNS, "batch")
    assert response_columns(table(sa.Column("note", sa.String, nullable=True))) == BASE_COLUMNS
    with pytest.raises(RuntimeError, match=r"response\.weight is new"):
        response_columns(table(sa.Column("weight", sa.Integer, nullable=False)))


@pytest.mark.parametrize("responses", ["-1", "many"])
def test_demo_refuses_a_bad_count(app, responses):
    result = app.test_cli_runner().invoke(args=["demo", "--responses", responses])
    assert result.exit_code != 0
