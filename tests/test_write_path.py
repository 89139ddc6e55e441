"""The member write path's shortcuts give exactly what the long way gives (issue 7).

- clean_answers brings the derived variables up to date after each question instead of
  recomputing all of them: the same cleaned answers as the full recomputation, for random and
  realistic answer sets;
- the parsed questionnaire is cached per process by the pinned text's checksum, never by a row
  id that a new database can reuse, and a member's request never reads the pinned text;
- the survey's state is read on every request, so closing refuses answers at once;
- a submit takes one commit (receipt, draft, pending row and the day's count together), and a
  release batch its own.
"""

from __future__ import annotations

import dataclasses
import html
import random
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, func, select
from werkzeug.datastructures import MultiDict

import demo
from survey.core import day_counts, drafts, member_survey, submissions
from survey.core import surveys as life_cycle
from survey.core.tracking import tracking as tracking_of
from survey.extensions import db
from survey.models import (
    Draft,
    PendingSubmission,
    QuestionnaireVersion,
    Response,
    Survey,
    SurveyDay,
    SurveyStatus,
    utcnow,
)
from survey.questionnaire.answers import (
    READERS,
    PageResult,
    Problem,
    _answered,
    _missing,
    off_page,
    page_values,
    read_page,
)
from survey.questionnaire.loader import load_file
from survey.questionnaire.model import Case, Derived, Option, Question, Questionnaire
from survey.questionnaire.rules import (
    Derivation,
    _clean_question,
    clean_answers,
    is_required,
    question_visible,
    visible_options,
    with_derived,
)

from .factories import TINY, make_survey
from .helpers import get_page
from .journey import TINY_PAGES, answer_pages, complete, csrf_token, start


def submit_form(html: str) -> dict[str, str]:
    """The fields the check-your-answers form sends: its CSRF token and submit key."""
    key = html.split('name="submit_key" value="')[1].split('"')[0]
    return {"csrf_token": csrf_token(html), "submit_key": key}


ROOT = Path(__file__).resolve().parent.parent
AI_AT_WORK = load_file(ROOT / "questionnaires" / "ai-at-work.yaml")


def full_clean(questionnaire: Questionnaire, answers: dict, language: str) -> dict[str, Any]:
    """clean_answers the long way, as it was: every derived variable recomputed before each question."""
    kept: dict[str, Any] = dict(questionnaire.fixed)
    for question in questionnaire.questions:
        values = with_derived(questionnaire, kept, language)
        if question_visible(questionnaire, question, values):
            kept.update(_clean_question(question, answers, values))
    return kept


def _sector_audience(questionnaire: Questionnaire) -> dict[str, str]:
    """A sector survey's audience: the first service group and a sector offered for it."""
    group = questionnaire.question(questionnaire.audience["service_group"]).codes[0]
    values = with_derived(questionnaire, {questionnaire.audience["service_group"]: group}, "en")
    sector = visible_options(questionnaire.question(questionnaire.audience["sector"]), values)[0].code
    return {"service_group": group, "sector": sector}


# A derived variable that reads two others (the shipped files have none yet), and a question
# shown by it: the shortcut must carry a change through derived variables to the rules.
YES_NO = (Option("yes", {"en": "Yes", "cy": "Ie"}), Option("no", {"en": "No", "cy": "Na"}))
YOUNG_IN_WALES = Derived(
    id="young_in_wales",
    label={"en": "Young, in Wales", "cy": "Ifanc, yng Nghymru"},
    values=YES_NO,
    cases=(Case({"all": [{"is": "wales"}, {"is": "young"}]}, "yes"), Case({"not": {"is": "wales"}}, "no")),
)
_LAST = TINY.sections[-1]
TINY_DERIVED_TWICE = dataclasses.replace(
    TINY,
    derived=(*TINY.derived, YOUNG_IN_WALES),
    sections=(
        *TINY.sections[:-1],
        dataclasses.replace(
            _LAST,
            questions=(
                *_LAST.questions,
                Question(
                    id="welsh_youth",
                    type="single",
                    text={"en": "Youth forum?", "cy": "Fforwm ieuenctid?"},
                    section_id=_LAST.id,
                    position=len(_LAST.questions),
                    show_if={"is": "young_in_wales"},
                    options=YES_NO,
                ),
            ),
        ),
    ),
)

QUESTIONNAIRES = {
    "ai-at-work": AI_AT_WORK,
    "ai-at-work for a sector": AI_AT_WORK.for_audience(_sector_audience(AI_AT_WORK)),
    "tiny": TINY,
    "tiny with a derived variable of derived variables": TINY_DERIVED_TWICE,
}


def random_answer(question: Question, rng: random.Random) -> dict[str, Any]:
    """Some answer to a question, valid or not: codes it has, codes it has not, lists, text."""
    codes = [*question.codes, "not-a-code"]
    if question.type == "grid":
        return {f"{question.id}.{item.code}": rng.choice(codes) for item in question.items if rng.random() < 0.8}
    if question.type == "multi":
        answer: Any = rng.sample(codes, rng.randint(0, min(4, len(codes))))
    elif question.type in ("single", "scale"):
        answer = rng.choice(codes)
    elif question.type == "number":
        answer = rng.randint(-5, 100)
    else:
        answer = rng.choice(["", "some words"])
    found = {question.id: answer}
    for option in question.options:
        if option.other and rng.random() < 0.5:
            found[f"{question.id}.{option.code}"] = "written in"
    return found


def random_answers(questionnaire: Questionnaire, rng: random.Random) -> dict[str, Any]:
    share = rng.random()
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if rng.random() < share:
            answers |= random_answer(question, rng)
    return answers


@pytest.mark.parametrize("name", QUESTIONNAIRES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), language=st.sampled_from(["en", "cy"]))
def test_clean_answers_equals_the_full_recomputation_on_random_answers(name, seed, language):
    questionnaire = QUESTIONNAIRES[name]
    answers = random_answers(questionnaire, random.Random(seed))
    assert clean_answers(questionnaire, answers, language) == full_clean(questionnaire, answers, language)


def test_clean_answers_equals_the_full_recomputation_on_realistic_answers():
    for answers, language in demo.answer_sets(AI_AT_WORK, 300, seed=3):
        # Realistic sets, then the same with one answer changed: later answers become hidden.
        changed = dict(answers)
        question = random.Random(len(answers)).choice(AI_AT_WORK.questions)
        changed |= random_answer(question, random.Random(len(changed)))
        for candidate in (answers, changed):
            assert clean_answers(AI_AT_WORK, candidate, language) == full_clean(AI_AT_WORK, candidate, language)
    # The shortcut is taken for the shipped questionnaire, so the comparison above tests it.
    assert Derivation(AI_AT_WORK, {}, "en").plan.incremental


@pytest.mark.parametrize("name", QUESTIONNAIRES)
@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_derived_values_kept_up_to_date_equal_with_derived(name, seed):
    questionnaire = QUESTIONNAIRES[name]
    rng = random.Random(seed)
    derivation = Derivation(questionnaire, {}, rng.choice(["en", "cy"]))
    assert derivation.plan.incremental
    for _ in range(rng.randint(1, 12)):  # answers added, and answers replaced
        derivation.add(random_answer(rng.choice(questionnaire.questions), rng))
        assert derivation.values == with_derived(questionnaire, derivation.answers, derivation.language)


def full_read_page(questionnaire: Questionnaire, section, form, saved: dict, language: str) -> PageResult:
    """read_page the long way, as it was: every derived variable recomputed before each question."""
    earlier = off_page(section, saved)
    answers: dict[str, Any] = {}
    problems: list[Problem] = []
    for question in section.questions:
        values = with_derived(questionnaire, {**earlier, **answers}, language)
        if not question_visible(questionnaire, question, values):
            continue
        result = READERS[question.type](question, form, values)
        answers.update(result.answers)
        problems += result.problems
        missing = is_required(questionnaire, question, values) and not _answered(question, result, values)
        if missing:
            keys = _missing(question, result, values, {p.field for p in result.problems})
            problems += [Problem(key, "required_" + question.type) for key in keys]
    return PageResult(answers, problems)


@pytest.mark.parametrize("name", QUESTIONNAIRES)
@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), language=st.sampled_from(["en", "cy"]))
def test_read_page_equals_the_full_recomputation_on_random_forms(name, seed, language):
    questionnaire = QUESTIONNAIRES[name]
    rng = random.Random(seed)
    saved = random_answers(questionnaire, rng)
    section = rng.choice(questionnaire.sections)
    typed = random_answers(questionnaire, rng)
    form = MultiDict([(key, value) for key, values in page_values(section, typed).items() for value in values])
    got = read_page(questionnaire, section, form, saved, language)
    expected = full_read_page(questionnaire, section, form, saved, language)
    assert (got.answers, got.problems) == (expected.answers, expected.problems)


# --- the pinned questionnaire and the survey row -------------------------------------------------


@contextmanager
def on_engine(app, name: str, record):
    """Call `record` on each of the engine's `name` events meanwhile."""
    with app.app_context():
        engine = db.engine
    event.listen(engine, name, record)
    try:
        yield
    finally:
        event.remove(engine, name, record)


@contextmanager
def statements(app):
    """Collect the SQL statements run meanwhile."""
    seen: list[str] = []
    with on_engine(app, "before_cursor_execute", lambda conn, cursor, statement, *rest: seen.append(statement)):
        yield seen


def test_member_requests_never_read_the_pinned_text(app):
    make_survey(app)
    complete(app.test_client())  # this process has parsed the questionnaire now
    with statements(app) as seen:
        assert complete(app.test_client()).status_code == 302
        client = app.test_client()
        start(client)
        assert client.get("/s/tiny/page/work").status_code == 200
    assert seen and not [s for s in seen if "questionnaire_version.source" in s]


def test_a_new_questionnaire_under_a_reused_id_is_not_mistaken_for_the_old(app):
    make_survey(app)
    client = app.test_client()
    start(client)
    assert TINY.sections[0].title["en"] in get_page(client, "/s/tiny/page/work")  # now cached
    with app.app_context():  # a fresh database, say: the same ids, another questionnaire
        db.session.execute(delete(Draft))
        db.session.execute(delete(SurveyDay))
        version_id = db.session.scalar(select(Survey.questionnaire_version_id))
        db.session.execute(delete(Survey))
        db.session.execute(delete(QuestionnaireVersion))
        other = AI_AT_WORK
        db.session.add(
            QuestionnaireVersion(
                id=version_id, slug=other.id, version=other.version, checksum=other.checksum, source=other.source
            )
        )
        db.session.add(Survey(slug="tiny", questionnaire_version_id=version_id, status=SurveyStatus.OPEN, threshold=5))
        db.session.commit()
    page = html.unescape(get_page(app.test_client(), "/s/tiny"))
    assert other.title["en"] in page and TINY.title["en"] not in page


def test_closing_date_passing_refuses_the_next_page_and_the_submit(app):
    tiny = make_survey(app)
    client = app.test_client()
    assert answer_pages(client).endswith("/check-answers")
    with app.app_context():
        db.session.get(Survey, tiny.id).closes_at = utcnow()
        db.session.commit()
    assert client.get("/s/tiny/page/work").status_code == 410
    assert client.get("/s/tiny/check-answers").status_code == 410
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingSubmission)) == 0


def test_a_closed_survey_refuses_a_submit_already_on_screen(app):
    tiny = make_survey(app)
    client = app.test_client()
    assert answer_pages(client).endswith("/check-answers")
    page = client.get("/s/tiny/check-answers")
    with app.app_context():
        life_cycle.close(db.session.get(Survey, tiny.id))
    sent = client.post("/s/tiny/check-answers", data=submit_form(page.text))
    assert sent.status_code == 410
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingSubmission)) == 0
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


# --- commits ------------------------------------------------------------------------------------


@contextmanager
def commits(app):
    """Count the database commits meanwhile."""
    counted = [0]

    def record(conn):
        counted[0] += 1

    with on_engine(app, "commit", record):
        yield counted


def day(app, survey_id: int) -> tuple[int, int]:
    with app.app_context():
        rows = db.session.scalars(select(SurveyDay).where(SurveyDay.survey_id == survey_id)).all()
        return sum(row.started for row in rows), sum(row.submitted for row in rows)


def test_a_submit_is_one_commit_with_the_days_count_and_a_release_its_own(app, monkeypatch):
    tiny = make_survey(app)  # k = 5, open link
    monkeypatch.setattr(submissions, "live_step", lambda threshold: 2)  # a live release once 4 wait, of 2
    for n in range(1, 6):
        client = app.test_client()
        assert answer_pages(client).endswith("/check-answers")
        page = client.get("/s/tiny/check-answers")
        with commits(app) as counted:
            sent = client.post("/s/tiny/check-answers", data=submit_form(page.text))
        assert sent.status_code == 302 and sent.location.endswith("/thank-you")
        assert counted[0] == (2 if n == 4 else 1)  # the fourth releases, in its own commit
        assert day(app, tiny.id) == (n, n)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 2
        assert db.session.scalar(select(func.count()).select_from(PendingSubmission)) == 3


def test_starting_counts_the_day_in_the_same_commit(app):
    tiny = make_survey(app)
    client = app.test_client()
    page = client.get("/s/tiny")
    with commits(app) as counted:
        assert client.post("/s/tiny/start", data={"csrf_token": csrf_token(page.text)}).status_code == 302
    assert counted[0] == 1 and day(app, tiny.id) == (1, 0)
    start(app.test_client())
    assert day(app, tiny.id) == (2, 0)


def test_a_days_counts_are_spread_over_rows_and_read_as_one_day(app):
    tiny = make_survey(app)  # k = 5
    for _ in range(12):
        complete(app.test_client())
    with app.app_context():
        rows = db.session.scalars(select(SurveyDay).where(SurveyDay.survey_id == tiny.id)).all()
        tracking = tracking_of(db.session.get(Survey, tiny.id))
    assert len({row.day for row in rows}) == 1
    assert len(rows) > 1  # 24 additions, each to one of 16 rows at random: all in one row has odds of 1e-28
    assert {row.shard for row in rows} <= set(range(day_counts.DAY_SHARDS))
    assert (tracking.started, tracking.submitted) == (12, 12) == day(app, tiny.id)
    assert [tuple(d) for d in tracking.days] == [(rows[0].day, 12, 12)]


@contextmanager
def commit_durability(app):
    """Record, at each commit, whether PostgreSQL will wait for it to reach the disk."""
    seen: list[str] = []
    with on_engine(app, "commit", lambda conn: seen.append(conn.exec_driver_sql("SHOW synchronous_commit").scalar())):
        yield seen


@pytest.mark.postgres
def test_drafts_commit_without_waiting_for_the_disk_and_submits_wait(app, monkeypatch):
    make_survey(app, threshold=5)
    monkeypatch.setattr(submissions, "live_step", lambda threshold: 0)  # the submit is followed by a live release
    client = app.test_client()
    with commit_durability(app) as drafts:
        assert answer_pages(client).endswith("/check-answers")
    assert drafts and set(drafts) == {"off"}  # starting and every page save
    page = client.get("/s/tiny/check-answers")
    with commit_durability(app) as submits:
        sent = client.post("/s/tiny/check-answers", data=submit_form(page.text))
    assert sent.location.endswith("/thank-you")
    assert submits == ["on", "on"]  # the submit, then the live release: both wait for the disk


def test_saving_a_page_whose_draft_went_meanwhile_raises_and_writes_nothing(app):
    tiny = make_survey(app)
    client = app.test_client()
    start(client)
    with client.session_transaction() as session:
        secret = session["drafts"]["tiny"]["secret"]
    with app.app_context():
        survey = member_survey.find_survey("tiny")
        state = drafts.load_draft(survey, secret)
        db.session.execute(delete(Draft))  # submitted from another device meanwhile, say
        db.session.commit()
        section = survey.member_questionnaire.sections[0]
        with pytest.raises(LookupError):
            drafts.save_answers(survey, secret, section, TINY_PAGES["work"], "en", saved=state)
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
        assert survey.id == tiny.id
