"""Comment themes: found by the job worker from the demo's planted themes, protected like every
other number, and named, merged and split by organisers (issue 20)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

from demo.answers import answer_sets
from demo.tables import COMMENTS, PLANTED_THEME_OF
from survey import queue
from survey.core import themes as core_themes
from survey.core.results_ready import prepare_results
from survey.core.theming import split_theme, theme_survey
from survey.extensions import db
from survey.models import AuditEvent, CommentTheme, Role, Survey
from survey.results import clustering, forget, snapshot_for
from survey.results.held import held_keys
from survey.results.themes import comments_to_theme
from survey.results.themes import themes as engine_themes

from .factories import PROBATION, commented_survey, insert_responses, make_survey, make_user
from .helpers import get_page
from .journey import csrf_token
from .staff import sign_in

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "docs" / "benchmarks.md"


@pytest.fixture
def no_network(monkeypatch):
    """Theming must run with the network disabled: any connection attempt fails the test."""

    def refused(*args, **kwargs):
        raise AssertionError("theming tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    monkeypatch.setattr(socket, "getaddrinfo", refused)


def _demo_comments(app, n: int, seed: int) -> list[tuple[str, str]]:
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    return [(a["K1"], language) for a, language in answer_sets(questionnaire, n, seed) if "K1" in a]


def test_theming_recovers_the_demos_planted_themes(app, no_network):
    """The adjusted Rand index of the themes found against the planted ones, offline; written to
    docs/benchmarks.md."""
    clustering.model.cache_clear()
    found = [(text, language) for text, language in _demo_comments(app, 8000, seed=7) if text in PLANTED_THEME_OF]
    texts, languages = [t for t, _ in found], [lang for _, lang in found]
    grouping = clustering.themes_of(texts, languages, smallest=10)
    truth = np.array([PLANTED_THEME_OF[t] for t in texts])
    overall = adjusted_rand_score(truth, grouping.labels)
    by_language = {
        lang: adjusted_rand_score(truth[np.array(languages) == lang], grouping.labels[np.array(languages) == lang])
        for lang in ("en", "cy")
    }
    welsh = sum(lang == "cy" for lang in languages)
    rng = np.random.default_rng(7)  # the demo has few Welsh comments: 300 drawn from its Welsh pool
    cy_texts = [COMMENTS["cy"][i] for i in rng.integers(0, len(COMMENTS["cy"]), 300)]
    cy_grouping = clustering.themes_of(cy_texts, ["cy"] * 300, smallest=10)
    cy_score = adjusted_rand_score([PLANTED_THEME_OF[t] for t in cy_texts], cy_grouping.labels)
    line = (
        f"- {len(texts)} demo comments ({welsh} in Welsh), {len(set(truth))} planted themes: adjusted Rand index "
        f"{overall:.2f} overall, {by_language['en']:.2f} English ({grouping.groups} themes found); 300 comments "
        f"from the Welsh pool alone: {cy_score:.2f} ({cy_grouping.groups} themes found; tests/test_themes.py)."
    )
    _write_benchmark(line)
    assert overall >= 0.6, line
    assert by_language["en"] >= 0.7, line
    assert cy_score > 0.2, line  # Welsh is grouped by its words only: weaker, but far from chance


def _write_benchmark(line: str) -> None:
    text = BENCHMARKS.read_text()
    heading = "## Issue 20: themes"
    if heading not in text:
        return
    head, rest = text.split(heading, 1)
    body, sep, tail = rest.partition("\n## ")
    kept = [x for x in body.strip("\n").split("\n") if not x.startswith("- ") or "adjusted Rand index" not in x]
    new_body = "\n".join([*kept, line])
    BENCHMARKS.write_text(head + heading + "\n" + new_body.lstrip("\n") + "\n" + (("\n## " + tail) if sep else ""))


def _themed_survey(app, slug: str, comments: list[tuple[str, str]]) -> Survey:
    texts = [t for t, _ in comments]
    survey = commented_survey(app, slug, texts)
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        forget(current.id)
        theme_survey(current)
    return survey


PLANTED = [
    *[(f"The keystroke monitoring watches everything we type, week {i}.", "en") for i in range(14)],
    *[(f"We need proper training on the new tools, session {i}.", "en") for i in range(14)],
    *[("My manager Dave Price at 07700 900461 tracks our every move on the monitoring screen.", "en")] * 2,
    *[(f"Nobody consulted us about the chatbot, meeting {i}.", "en") for i in range(3)],
]


def test_a_theme_smaller_than_k_is_folded_into_other_and_sizes_are_protected(app):
    survey = _themed_survey(app, "folded", PLANTED)
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        found = core_themes.themes(current, "ai_detail")
        assert found.themed and not found.refused
        for theme in found.themes:
            assert theme.size >= current.threshold
            assert not any("dave" in k or "price" in k or "07700" in k for k in theme.keywords)
            for quote in theme.quotes:  # never a comment held back for review
                assert "07700" not in quote
        assert all(t.size >= 5 for t in found.themes)
        shown = sum(t.size for t in found.themes) + (found.other.size if found.other else 0)
        assert abs(shown - len(PLANTED)) <= 3 * (len(found.themes) + 1)  # published counts: noise only


def test_keywords_are_words_of_at_least_k_comments(app):
    survey = _themed_survey(app, "keywords", PLANTED)
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        texts = [t.lower() for t, _ in PLANTED]
        for theme in core_themes.themes(current, "ai_detail").themes:
            for word in theme.keywords:
                assert sum(word in re.findall(r"[\w'’-]+", t) for t in texts) >= current.threshold, word


def test_organisers_rename_merge_and_split_themes_and_each_is_audited(app):
    survey = _themed_survey(app, "edits", PLANTED)
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        first = core_themes.themes(current, "ai_detail")
        ids = [t.id for t in first.themes]
        assert len(ids) >= 2
        core_themes.rename(current, "ai_detail", ids[0], "Being watched", "Cael ein gwylio")
        assert core_themes.themes(current, "ai_detail").themes[0].name in {"Being watched", first.themes[1].name}
        welsh = core_themes.themes(current, "ai_detail", language="cy")
        assert "Cael ein gwylio" in [t.name for t in welsh.themes]
        core_themes.merge(current, "ai_detail", ids[:2], into=ids[0])
        merged = core_themes.themes(current, "ai_detail")
        assert ids[1] not in [t.id for t in merged.themes]
        big = next(t for t in merged.themes if t.id == ids[0])
        assert big.name == "Being watched" and big.size >= 20
        new = split_theme(current, "ai_detail", ids[0])
        assert new is not None
        after = {t.id for t in core_themes.themes(current, "ai_detail").themes}
        assert {ids[0], new} <= after
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.survey_id == current.id)))
        assert {"named a comment theme", "merged comment themes", "split a comment theme"} <= actions
        with pytest.raises(core_themes.ThemeError):
            core_themes.rename(current, "ai_detail", ids[1], "Merged away")


def test_new_comments_join_the_nearest_existing_theme(app):
    survey = _themed_survey(app, "later", PLANTED)
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        before = db.session.scalar(select(db.func.count(CommentTheme.id)).where(CommentTheme.survey_id == current.id))
        later = [
            (
                {
                    "group": "police_justice",
                    "sector": "probation",
                    "uses_ai": "yes",
                    "ai_detail": "The monitoring software watches everything we type.",
                },
                "en",
            )
        ] * 3
    insert_responses(app, survey, later, batch=2)
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        forget(current.id)
        assert theme_survey(current)["ai_detail"] == 3
        after = db.session.scalar(select(db.func.count(CommentTheme.id)).where(CommentTheme.survey_id == current.id))
        assert after == before


def test_too_few_comments_are_not_themed(app):
    survey = make_survey(app, "few")
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        assert all(v == 0 for v in theme_survey(current).values())


def test_the_themes_page_shows_themes_and_an_organiser_names_and_merges_them(app, client):
    survey = _themed_survey(app, "page", PLANTED)
    make_user(app, "org@example.org", Role.ORGANISER, [PROBATION])
    sign_in(client, app, "org@example.org")
    page = get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")
    assert "keywords:" in page and "07700" not in page and "Dave" not in page
    ids = list(dict.fromkeys(re.findall(r'name="theme" value="(\d+)"', page)))
    token = csrf_token(page)
    client.post(
        f"/organise/surveys/{survey.id}/results/themes/name",
        data={"csrf_token": token, "q": "ai_detail", "theme": ids[0], "name_en": "Being watched", "name_cy": ""},
    )
    page = get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")
    assert "Being watched" in page
    client.post(
        f"/organise/surveys/{survey.id}/results/themes/merge",
        data={"csrf_token": csrf_token(page), "q": "ai_detail", "selected": ids[:2], "into": ids[0]},
    )
    page = get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")
    assert f'id="theme-{ids[1]}"' not in page and "Being watched" in page


def test_the_api_published_page_briefing_and_export_show_protected_themes(app, client):
    survey = _themed_survey(app, "shown", PLANTED)
    api = app.test_client().get(f"/api/v1/surveys/{survey.slug}/themes/ai_detail")
    assert api.status_code == 200
    body = api.get_json()
    assert body["themed"] and len(body["themes"]) >= 2
    assert all(t["size"] >= 5 and len(t["quotes"]) <= 1 for t in body["themes"])
    assert "07700" not in api.get_data(as_text=True) and "Dave" not in api.get_data(as_text=True)
    refused = app.test_client().get(f"/api/v1/surveys/{survey.slug}/themes/ai_detail?group=police_justice&age=16_24")
    assert refused.status_code in (400, 404)
    page = get_page(app.test_client(), f"/r/{survey.slug}/q/ai_detail")
    assert "Main themes" in page and "07700" not in page.split("Main themes")[1].split("</section>")[0]
    welsh = get_page(app.test_client(), f"/r/{survey.slug}/q/ai_detail?lang=cy")
    assert "Prif themâu" in welsh
    briefing = get_page(app.test_client(), f"/r/{survey.slug}/briefing")
    assert "Main themes" in briefing
    make_user(app, "org@example.org", Role.ORGANISER, [PROBATION])
    sign_in(client, app, "org@example.org")
    exported = client.get(f"/organise/surveys/{survey.id}/exports/themes.csv").get_data(as_text=True)
    assert exported.lstrip("\ufeff").startswith("question,question_text,theme,comments,keywords,quote,note")
    assert "07700" not in exported and "ai_detail" in exported


def _assigned(app, survey, groups: dict[str, int]) -> dict[str, tuple[int, float]]:
    """An assignment made by hand: each comment (by its text's first word) to a theme."""
    with app.app_context():
        found = comments_to_theme(db.session.get(Survey, survey.id), "ai_detail")
    return {response: (groups[text.split()[0]], 1.0) for response, text, _ in found}


def test_a_small_theme_is_folded_into_other_and_marked_words_are_never_keywords(app):
    texts = (
        [f"Monitoring cameras everywhere, shift {i}." for i in range(12)]
        + [f"Training sessions cancelled again, week {i}." for i in range(12)]
        + ["Rota software ignores caring duties."] * 3
        + ["Email dave.price@example.org about monitoring cameras."] * 6
    )
    survey = commented_survey(app, "folding", texts)
    assignment = _assigned(app, survey, {"Monitoring": 1, "Training": 2, "Rota": 3, "Email": 4})
    names = dict.fromkeys((1, 2, 3, 4), (None, None, "en"))
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        found = engine_themes(current, "ai_detail", assignment, names, decisions={})
        sizes = {t.id: t.size for t in found.themes}
        assert 3 not in sizes  # three comments: under k = 5, counted in Other
        assert {1, 2} <= set(sizes)
        every_keyword = {w for t in found.themes for w in t.keywords} | set(found.other.keywords if found.other else [])
        assert not every_keyword & {"dave", "price", "example", "org"}, every_keyword
        assert "rota" not in every_keyword  # in 3 comments only
        email_theme = next((t for t in found.themes if t.id == 4), None)
        if email_theme is not None:  # held back for review: never quoted
            assert email_theme.quotes == []
        for theme in found.themes:
            assert all("dave.price" not in q for q in theme.quotes)
        # approved in review: then it may be quoted
        decisions = {r: True for r, _ in held_keys(snapshot_for(current), "ai_detail").values()}
        approved = engine_themes(current, "ai_detail", assignment, names, decisions=decisions)
        quoted = [q for t in approved.themes for q in t.quotes]
        assert any("dave.price" in q for q in quoted) or all(t.id != 4 for t in approved.themes)


def test_prepare_results_themes_the_comments(app):
    survey = commented_survey(app, "prepared", [t for t, _ in PLANTED])
    with app.app_context():
        done = prepare_results(survey.id)
    assert done["themed"]["ai_detail"] == len(PLANTED)
    with app.app_context():
        assert core_themes.themes(db.session.get(Survey, survey.id), "ai_detail").themes


def test_a_split_without_a_job_queue_splits_nothing_and_says_so(app, client):
    survey = _themed_survey(app, "nosplit", PLANTED)
    make_user(app, "org@example.org", Role.ORGANISER, [PROBATION])
    sign_in(client, app, "org@example.org")
    page = get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")
    theme = re.findall(r'name="theme" value="(\d+)"', page)[0]
    client.post(
        f"/organise/surveys/{survey.id}/results/themes/split",
        data={"csrf_token": csrf_token(page), "q": "ai_detail", "theme": theme},
    )
    assert "no worker is set up" in get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")


def test_viewers_see_themes_but_cannot_change_them(app, client):
    survey = _themed_survey(app, "viewer", PLANTED)
    make_user(app, "vic@example.org", Role.VIEWER, [PROBATION])
    sign_in(client, app, "vic@example.org")
    page = get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")
    assert "keywords:" in page and "Save the name" not in page
    response = client.post(
        f"/organise/surveys/{survey.id}/results/themes/name",
        data={"csrf_token": csrf_token(page), "q": "ai_detail", "theme": "1", "name_en": "Mine"},
    )
    assert response.status_code in (403, 404)


def test_an_organisers_split_is_done_by_the_job_worker(app, client, redis_url):
    survey = _themed_survey(app, "split", PLANTED)
    make_user(app, "org@example.org", Role.ORGANISER, [PROBATION])
    sign_in(client, app, "org@example.org")
    page = get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")
    before = list(dict.fromkeys(re.findall(r'name="theme" value="(\d+)"', page)))
    with app.app_context():
        stored = db.session.scalars(select(CommentTheme.id).where(CommentTheme.survey_id == survey.id)).all()
    client.post(
        f"/organise/surveys/{survey.id}/results/themes/split",
        data={"csrf_token": csrf_token(page), "q": "ai_detail", "theme": before[0]},
    )
    assert "will be split in two" in get_page(client, f"/organise/surveys/{survey.id}/results/themes?q=ai_detail")
    with app.app_context():
        assert queue.worker(app).work(burst=True)
        themes_now = db.session.scalars(select(CommentTheme.id).where(CommentTheme.survey_id == survey.id)).all()
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.survey_id == survey.id)))
    assert len(themes_now) == len(stored) + 1
    assert {"asked to split a comment theme", "split a comment theme"} <= actions
