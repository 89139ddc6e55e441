"""Published results: an organiser chooses, previews and publishes; delegates read the page (no
sign-in), in English or Welsh, only after the embargo, with the access code when one is set;
withdrawal takes it down; every number agrees with the API and none comes from a small group."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from markupsafe import escape
from sqlalchemy import select

import demo
from survey import results
from survey.extensions import db
from survey.models import AuditEvent, Publication, Role, Survey, SurveyStatus
from survey.web.limits import limiter

from .factories import (
    consultation_answers,
    demo_survey,
    insert_responses,
    make_survey,
    make_user,
    probation_consultation,
)
from .helpers import get_page
from .journey import csrf_token
from .staff import sign_in

QUESTIONS = ["B1", "C1", "C2", "D2", "E3", "B2", "I1", "K1"]
BREAKDOWNS = ["A1", "disabled", "L2", "age_group"]


@pytest.fixture
def closed(app):
    """A closed ai-at-work survey with 2,000 synthetic responses, k = 10."""
    return demo_survey(app, "closed", 2000, 5)


@pytest.fixture
def staff(app):
    make_user(app, "ada@example.org", Role.ADMIN)
    client = app.test_client()
    sign_in(client, app, "ada@example.org")
    return client


def choose(staff, survey, questions=QUESTIONS, breakdowns=BREAKDOWNS, **fields):
    """Post the publication form as an organiser would."""
    form = get_page(staff, f"/organise/surveys/{survey.id}/publication")
    data = {"csrf_token": csrf_token(form), "questions": questions, "breakdowns": breakdowns, **fields}
    return staff.post(f"/organise/surveys/{survey.id}/publication", data=data)


def publish(staff, survey):
    page = staff.get(f"/organise/surveys/{survey.id}/publication/preview")
    return staff.post(f"/organise/surveys/{survey.id}/publish", data={"csrf_token": csrf_token(page.text)})


def actions(app, survey) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.survey_id == survey.id)
            .order_by(AuditEvent.id)
        )
        return [(a, d) for a, d in rows]


def _numbers(html: str) -> list[int]:
    """Every group size shown on a page: a table's "People who answered" row (and any "base N")."""
    found = re.findall(r'<span class="val n">([\d,]+)</span>', html) + re.findall(r"[Bb]ase ([\d,]+)", html)
    return [int(n.replace(",", "")) for n in found]


def _counts(html: str) -> list[int]:
    """Every count of people in a table cell on a page."""
    return [int(n.replace(",", "")) for n in re.findall(r'<td[^>]*class="num"[^>]*>([\d,]+)</td>', html)]


def test_choose_preview_publish_change_and_every_step_in_the_audit_log(app, client, staff, closed):
    assert client.get("/r/closed").status_code == 404  # nothing public before publishing
    saved = choose(staff, closed)
    assert saved.status_code == 302 and saved.location.endswith(f"/organise/surveys/{closed.id}/publication/preview")
    preview = get_page(staff, f"/organise/surveys/{closed.id}/publication/preview")
    assert "Preview." in preview and "Headline findings" in preview
    assert client.get("/r/closed").status_code == 404  # a preview is not a publication

    assert publish(staff, closed).status_code == 302
    page = get_page(client, "/r/closed")
    assert "Preview." not in page and "Headline findings" in page
    assert "How these results were made" in page and "shows the range the true figure is likely to be in" in page
    assert "Benjamini" not in page and "Wilson" not in page  # the method in plain words
    # The public page shows what the preview showed, question for question.
    assert _article_ids(page) == _article_ids(preview)

    # Only the chosen questions: a question not chosen is on neither the page nor its own address.
    assert "Which UNISON region do you work in?" not in page
    assert client.get("/r/closed/q/A5").status_code == 404
    assert client.get("/r/closed/q/C1?by=L8").status_code == 404  # religion was not published
    assert client.get("/r/closed/q/C1?by=disabled").status_code == 200

    choose(staff, closed, questions=[*QUESTIONS, "A5"])
    assert client.get("/r/closed/q/A5").status_code == 200  # a change to a live publication is live

    logged = actions(app, closed)
    assert [a for a, _ in logged] == ["chose what to publish", "published results", "changed published results"]
    published = dict(logged)["published results"]
    assert published["version"] == 1 and published["questions"] == sorted(QUESTIONS, key=_order(app))
    assert published["breakdowns"] == BREAKDOWNS and published["access_code"] is False
    assert dict(logged)["changed published results"]["version"] == 2


def _order(app):
    ids = [q.id for q in app.extensions["questionnaires"]["ai-at-work"].questions]
    return ids.index


def _article_ids(html: str) -> list[str]:
    return re.findall(r'href="/r/closed/q/(\w+)"', html)


def test_the_embargo_hides_everything_until_its_time_typed_in_uk_time(app, client, staff, closed):
    choose(staff, closed, embargo_until="2099-07-01T10:00")  # BST: 09:00 UTC
    with app.app_context():
        stored = db.session.scalar(select(Publication).where(Publication.survey_id == closed.id))
        assert stored.embargo_until.replace(tzinfo=UTC) == datetime(2099, 7, 1, 9, 0, tzinfo=UTC)
    publish(staff, closed)
    for path in ("/r/closed", "/r/closed/q/C1", "/r/closed/screen", "/r/closed/briefing", "/r/closed/q/C1/chart.json"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/surveys/closed").status_code == 404
    assert client.get("/api/v1/surveys/closed/results/C1").status_code == 404
    assert staff.get(f"/organise/surveys/{closed.id}/publication/preview").status_code == 200  # staff still preview

    past = (datetime.now(UTC) - timedelta(hours=1)).astimezone(_london()).strftime("%Y-%m-%dT%H:%M")
    choose(staff, closed, embargo_until=past)
    assert client.get("/r/closed").status_code == 200
    assert client.get("/api/v1/surveys/closed/results/C1").status_code == 200


def _london():
    from survey.models import LONDON

    return LONDON


def test_an_access_code_is_asked_for_stored_as_a_hash_and_never_logged(app, client, staff, closed):
    choose(staff, closed, access_code="Hall 7 Delegates")
    publish(staff, closed)
    with app.app_context():
        stored = db.session.scalar(select(Publication).where(Publication.survey_id == closed.id))
        assert stored.code_hash and "hall" not in stored.code_hash.lower() and stored.code_hash.startswith("$argon2")
    assert all("hall" not in str(detail).lower() for _, detail in actions(app, closed))

    asked = client.get("/r/closed/q/C1")
    assert asked.status_code == 302 and "/r/closed/code" in asked.location
    assert client.get("/api/v1/surveys/closed").status_code == 404  # the API needs the code too
    form = get_page(client, "/r/closed/code?next=/r/closed/q/C1")
    wrong = client.post("/r/closed/code?next=/r/closed/q/C1", data={"csrf_token": csrf_token(form), "code": "guess"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.text
    right = client.post(
        "/r/closed/code?next=/r/closed/q/C1", data={"csrf_token": csrf_token(form), "code": "hall7delegates"}
    )
    assert right.status_code == 302 and right.location.endswith("/r/closed/q/C1")
    assert client.get("/r/closed/q/C1").status_code == 200
    assert client.get("/api/v1/surveys/closed").status_code == 200  # the same browser, code given
    assert app.test_client().get("/r/closed").status_code == 302  # another browser still needs it

    choose(staff, closed, access_code="a-new-code-1")  # a new code locks out the old one
    assert client.get("/r/closed").status_code == 302
    choose(staff, closed, remove_code="y")
    assert app.test_client().get("/r/closed").status_code == 200


def test_guessing_access_codes_is_rate_limited(app, client, staff, closed, monkeypatch):
    choose(staff, closed, access_code="conference-2026")
    publish(staff, closed)
    monkeypatch.setitem(app.config, "RATE_PUBLISHED_CODE", "3 per minute")
    limiter.reset()
    form = get_page(client, "/r/closed/code")
    codes = [client.post("/r/closed/code", data={"csrf_token": csrf_token(form), "code": "x"}).status_code]
    codes += [client.post("/r/closed/code", data={"csrf_token": csrf_token(form), "code": "y"}).status_code]
    codes += [client.post("/r/closed/code", data={"csrf_token": csrf_token(form), "code": "z"}).status_code]
    codes += [
        client.post("/r/closed/code", data={"csrf_token": csrf_token(form), "code": "conference-2026"}).status_code
    ]
    limiter.reset()
    assert codes == [400, 400, 400, 429]


def test_withdrawal_takes_the_page_and_the_api_down(app, client, staff, closed):
    choose(staff, closed)
    publish(staff, closed)
    assert client.get("/r/closed").status_code == 200
    page = staff.get(f"/organise/surveys/{closed.id}")
    withdrawn = staff.post(f"/organise/surveys/{closed.id}/withdraw", data={"csrf_token": csrf_token(page.text)})
    assert withdrawn.status_code == 302
    for path in ("/r/closed", "/r/closed/q/C1", "/r/closed/screen", "/r/closed/briefing"):
        gone = client.get(path)
        assert gone.status_code == 410 and "withdrawn" in gone.text, path
    assert client.get("/api/v1/surveys/closed/results/C1").status_code == 404
    assert [a for a, _ in actions(app, closed)][-1] == "withdrew published results"
    with app.app_context():
        assert db.session.get(Survey, closed.id).status == SurveyStatus.CLOSED
    publish(staff, closed)  # and it can be published again, as a new version
    assert client.get("/r/closed").status_code == 200
    assert actions(app, closed)[-1][1]["version"] == 2


def test_the_page_shows_nothing_below_the_threshold_and_agrees_with_the_api(app, client, staff, closed):
    choose(staff, closed)
    publish(staff, closed)
    page = get_page(client, "/r/closed")  # everyone's shares only: the groups are on each question's page
    assert _numbers(page) == [] and not {1, 2} & set(_counts(page))
    for path in ("/r/closed/q/C1?by=disabled", "/r/closed/q/E3?by=age_group", "/r/closed/q/B2?by=A1"):
        html = get_page(client, path)
        shown = _numbers(html)
        assert shown and all(n >= 10 for n in shown), path  # no group smaller than k
        assert not {1, 2} & set(_counts(html)), path  # small counts are never published as themselves
    html = get_page(client, "/r/closed/q/E3?by=disabled")
    api = client.get("/api/v1/surveys/closed/results/E3?by=disabled").get_json()
    shown = _cross_table(html)
    for group in api["groups"]:
        if group["suppressed"]:
            assert group["n"] is None and escape(group["label"]) not in shown["People who answered"]
            assert (
                "Not shown (small group): " in html
                and escape(group["label"]) in html.split("Not shown (small group): ")[1]
            )
            continue
        assert shown["People who answered"][escape(group["label"])] == f"{group['n']:,}"
    labels = {escape(g["code"] or ""): escape(g["label"]) for g in api["groups"]}
    for cell in api["cells"]:
        if not cell["suppressed"] and cell["percent"] is not None:
            answer = _answer(app, "E3", cell["option"])
            assert shown[answer][labels[escape(cell["group"] or "")]] == f"{cell['percent']:.0f}%"
    chart = client.get("/r/closed/q/E3/chart.json?by=disabled").get_json()
    for trace in chart["data"]:
        assert all(f"{value:.0f}%" in html for value in trace["x"])


def _answer(app, question_id: str, code: str) -> str:
    """Return an answer's English label as a page shows it (escaped)."""
    question = app.extensions["questionnaires"]["ai-at-work"].question(question_id)
    return escape(next(o.label["en"] for o in question.choices if o.code == code))


def _cross_table(html: str) -> dict[str, dict[str, str]]:
    """Read a page's first cross-table: {row label: {column (group) label: what the cell shows}}."""
    table = html[html.index('class="table cross') : html.index("</table>")]
    columns = re.findall(r'<th scope="col" role="columnheader" class="num">(.*?)</th>', table)
    rows = {}
    for row in re.findall(r'<tr role="row"[^>]*><th scope="row" role="rowheader">(.*?)</th>(.*?)</tr>', table, re.S):
        label, cells = row
        found = re.findall(r'data-group="(.*?)"><span class="val[^"]*">(?:<span class="pc">)?([^<]*)<', cells)
        assert [group for group, _ in found] == columns, label  # every row has every group, in column order
        rows[label] = dict(found)
    return rows


def test_the_public_api_serves_only_what_is_published(app, client, staff, closed):
    choose(staff, closed)
    publish(staff, closed)
    described = client.get("/api/v1/surveys/closed").get_json()
    assert [q["id"] for q in described["questions"]] == sorted(QUESTIONS, key=_order(app))
    assert sorted(d["id"] for d in described["dimensions"]) == sorted(BREAKDOWNS)
    assert client.get("/api/v1/surveys/closed/results/A5").status_code == 404
    assert client.get("/api/v1/surveys/closed/results/C1?by=L8").status_code == 404
    assert client.get("/api/v1/surveys/closed/results/C1?A5=cymru_wales").status_code == 404
    assert client.get("/api/v1/surveys/closed/results/C2.a?by=disabled").status_code == 200
    flags = client.get("/api/v1/surveys/closed/equality").get_json()["flags"]
    assert all(f["question"].split(".")[0] in QUESTIONS and f["dimension"] in BREAKDOWNS for f in flags)
    # Staff in scope still read everything.
    assert staff.get("/api/v1/surveys/closed/results/A5").status_code == 200


def test_the_page_in_welsh(app, client, staff, closed):
    choose(staff, closed)
    publish(staff, closed)
    html = get_page(client, "/r/closed?lang=cy")
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    assert '<html lang="cy">' in html
    assert "Y prif ganfyddiadau" in html and "Sut y lluniwyd y canlyniadau hyn" in html
    assert questionnaire.question("C1").text["cy"] in html
    assert "Headline findings" not in html and "answered “" not in html
    question = get_page(client, "/r/closed/q/C1?by=disabled")  # the session keeps the language
    assert "Mae ± yn dangos" in question and "Fesul: Anabledd" in question
    chart = client.get("/r/closed/q/C1/chart.json?by=disabled").get_json()
    assert chart["layout"]["xaxis"]["title"]["text"] == "% o'r rhai a atebodd"


def test_headline_findings_come_first_and_exclude_who_members_are(app, client, staff, closed):
    choose(staff, closed, questions=[*QUESTIONS, "L2"])
    publish(staff, closed)
    html = get_page(client, "/r/closed")
    headline = html[html.index('id="headline-title"') : html.index('class="method-box"')]
    assert headline.count("<li>") >= 3
    assert "What is your sex?" not in headline.split("Where some groups")[0]  # a breakdown, not a finding
    assert html.index("Headline findings") < html.index('id="topic-')


def test_the_briefing_and_the_screen(app, client, staff, closed):
    choose(staff, closed, breakdowns=[*BREAKDOWNS, "A2"], questions=[*QUESTIONS])
    publish(staff, closed)
    html = get_page(client, "/r/closed")
    sectors = re.findall(r'/r/closed/briefing\?sector=(\w+)"', html)
    assert sectors
    briefing = get_page(client, f"/r/closed/briefing?sector={sectors[0]}")
    assert "Negotiators' briefing" in briefing and "Reference closed v1" in briefing
    assert "How these results were made" in briefing and "What members wrote" in briefing
    # Whose views, with the engine's published count of the sector (never below the threshold),
    # and no statistics words: each share is "of the members who answered".
    assert int(re.search(r"The views of ([\d,]+) members", briefing).group(1).replace(",", "")) >= 10
    assert not re.search(r"\b[Bb]ase\b", briefing)
    assert client.get("/r/closed/briefing?sector=nowhere").status_code == 404
    screen = get_page(client, "/r/closed/screen")  # the slides themselves: tests/test_screen.py
    assert 'data-next="/r/closed/screen?slide=2"' in screen and "<svg" in screen
    assert '<a class="control" id="next" href="/r/closed/screen?slide=2" rel="next">' in screen  # no JavaScript needed
    assert screen.count("<script") == 1 and '<script src="/static/js/screen.js" defer></script>' in screen  # strict CSP


def test_organiser_chosen_findings_are_what_the_screen_cycles_through(app, client, staff, closed):
    form = get_page(staff, f"/organise/surveys/{closed.id}/publication")
    keys = re.findall(r'name="findings" id="finding-\d+" value="([^"]+)"', form)
    mine = [key for key in keys if key.split(":")[1].split(".")[0] in QUESTIONS]
    assert len(mine) > 3 and len(keys) > len(mine)
    choose(staff, closed, findings=[mine[2], mine[3], keys[0]])  # keys[0] is about a question not published
    publish(staff, closed)
    # A slide for each chosen finding's question, in the chosen order (a long one goes on over two).
    count = int(re.search(r'controls-count">1 / (\d+)<', get_page(client, "/r/closed/screen")).group(1))
    pages = [get_page(client, f"/r/closed/screen?slide={n}") for n in range(1, count + 1)]
    titles = [unescape(re.search(r'<h1 class="slide-title">([^<]*)', p).group(1)).strip() for p in pages]
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    chosen = [questionnaire.question(key.split(":")[1].split(".")[0]).text["en"] for key in (mine[2], mine[3])]
    assert list(dict.fromkeys(titles)) == list(dict.fromkeys(chosen))
    assert 'href="/r/closed/screen?slide=1" rel="next"' in pages[-1]  # and round again


def test_publishing_needs_a_closed_survey_and_an_organiser(app, client, staff):
    survey = make_survey(app, "open", app.extensions["questionnaires"]["ai-at-work"], status=SurveyStatus.OPEN)
    response = choose(staff, survey)
    assert response.status_code == 400 and "once the survey has closed" in response.text
    assert client.get(f"/organise/surveys/{survey.id}/publication").status_code in (302, 401, 403)


def test_the_live_poll_screen_is_for_staff_with_a_qr_code_to_take_part(app, client, staff):
    # The synthetic responses exist for ai-at-work only; the screen is the same for the pulse poll.
    live = app.extensions["questionnaires"]["ai-at-work"]
    survey = make_survey(app, "pulse", live, status=SurveyStatus.OPEN, threshold=10)
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), 500, 2)
    assert client.get(f"/organise/surveys/{survey.id}/live-screen").status_code in (302, 401, 403)
    assert client.get("/r/pulse/screen").status_code == 404  # an open survey is not published
    screen = get_page(staff, f"/organise/surveys/{survey.id}/live-screen")
    assert "Live poll" in screen and "<svg" in screen
    assert '<span class="join-path">s/<wbr>pulse</span>' in screen  # a short link
    assert f"/organise/surveys/{survey.id}/live-screen?slide=2" in screen
    assert re.search(r'class="bar-value value">\d+%', screen)  # large labelled bars: tests/test_screen.py
    assert not _numbers(screen)  # and no bases


def test_a_sector_surveys_briefing_names_its_sector_not_all_members(app, client, staff):
    audience = {"service_group": "police_justice", "sector": "probation"}
    survey = make_survey(
        app,
        "probation",
        app.extensions["questionnaires"]["ai-at-work"],
        status=SurveyStatus.CLOSED,
        threshold=10,
        audience=audience,
    )
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), 1000, 7)
    choose(staff, survey)
    publish(staff, survey)
    briefing = get_page(client, "/r/probation/briefing")
    heading = re.search(r"<h1>(.*?)</h1>", briefing, re.S).group(1)
    assert heading == "Probation Service (England and Wales)"  # the sector's name; its service group above
    assert "Police and justice (police staff, probation, CAFCASS)" in briefing[: briefing.index("<h1>")]
    assert "All members" not in briefing
    welsh = get_page(client, "/r/probation/briefing?lang=cy")
    assert "Y Gwasanaeth Prawf (Cymru a Lloegr)" in re.search(r"<h1>(.*?)</h1>", welsh, re.S).group(1)


def test_the_page_is_one_screen_of_headlines_then_topics_folded_in_plain_words(app, client, staff, closed):
    choose(staff, closed)
    publish(staff, closed)
    html = get_page(client, "/r/closed")
    figures = html[html.index('class="figures"') : html.index("</ul>", html.index('class="figures"'))]
    assert figures.count("<li>") == 5 and 'class="figure">' in figures  # the five largest, number first
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    wanted = [s.id for s in questionnaire.sections if {q.id for q in s.questions} & set(QUESTIONS)]
    assert re.findall(r'<details class="topic" id="topic-(\w+)">', html) == wanted  # one folded line a topic
    assert '<details class="topic" open' not in html
    assert html.index('id="topic-') > html.index("Where some groups are affected more")
    # Answers in their own words, each with its share of everyone: "Increased a lot 30%".
    api = client.get("/api/v1/surveys/closed/results/C1").get_json()
    a_lot = next(c for c in api["cells"] if escape("Increased a lot") == _answer(app, "C1", c["option"]))
    assert f"Increased a lot <strong>{a_lot['percent']:.0f}%</strong>" in html
    for jargon in ("positive", "base ", "Base", "Benjamini", "Wilson", "k = "):
        assert jargon not in html, jargon
    assert "Numbers are adjusted slightly to protect members, so they may not add up exactly." in html


def test_a_question_page_shows_the_groups_side_by_side_chosen_from_a_short_select(app, client, staff, closed):
    choose(staff, closed)
    publish(staff, closed)
    html = get_page(client, "/r/closed/q/C1?by=disabled")
    form = html[html.index('<form method="get" class="show-by"') : html.index("</form>")]
    options = re.findall(r'<option value="(\w*)"( selected)?>(.*?)</option>', form)
    assert sorted(value for value, _, _ in options) == sorted(["", *BREAKDOWNS])  # only what was published
    assert ("disabled", " selected", "By disability") in options and ("", "", "Everyone") in options
    assert ("age_group", "", "By age group") in options
    assert "<nav" not in html.split("<h1>")[1]  # no list of breakdown links before the data
    # One table, the groups as its columns, each number the API's (the published, adjusted one).
    api = client.get("/api/v1/surveys/closed/results/C1?by=disabled").get_json()
    shown = _cross_table(html)
    columns = [escape(g["label"]) for g in api["groups"] if not g["suppressed"]]
    assert list(shown["People who answered"]) == columns and len(columns) >= 3
    assert html.count('class="table cross') == 1
    for cell in api["cells"]:
        group = next(g for g in api["groups"] if g["code"] == cell["group"])
        if group["suppressed"]:
            continue
        assert shown[_answer(app, "C1", cell["option"])][escape(group["label"])] == f"{cell['percent']:.0f}%"
    together = next(label for label in shown if label.startswith("Said"))
    assert "“Increased a little” or “Increased a lot”" in together and "(leaving out “Don&#39;t know”)" in together
    for summary in api["scale"]:
        group = next(g for g in api["groups"] if g["code"] == summary["group"])
        if not group["suppressed"]:
            assert shown[together][escape(group["label"])] == f"{summary['positive_percent']:.0f}%"
    assert "± shows the range the true figure is likely to be in." in html
    # Without a breakdown: everyone only, still one table.
    alone = _cross_table(get_page(client, "/r/closed/q/C1"))
    assert list(alone["People who answered"]) == ["Everyone"]
    assert client.get("/r/closed/q/C1?by=L8").status_code == 404  # not published: not offered, not served


def test_the_home_page_lists_published_results_in_both_languages(app, client, staff, closed):
    home = get_page(client, "/")
    assert "Results" in home and "No results have been published yet." in home
    assert "/r/closed" not in home
    choose(staff, closed)
    publish(staff, closed)
    later = make_survey(
        app, "embargoed", app.extensions["questionnaires"]["ai-at-work"], status=SurveyStatus.CLOSED, threshold=10
    )
    choose(staff, later, embargo_until="2099-07-01T10:00")
    publish(staff, later)  # published, but not until 2099: not listed, as its address says nothing either

    home = get_page(client, "/")
    results = home[home.index('id="results-title"') :]
    assert '<a href="/r/closed">AI at work: members&#39; survey</a>' in results
    assert "/r/embargoed" not in home and "No results have been published yet." not in home
    assert home.index('id="open-title"') < home.index('id="results-title"')  # beside the surveys open now
    assert get_page(client, results.split('href="')[1].split('"')[0]).count("Headline findings") == 1

    welsh = get_page(client, "/?lang=cy")
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    assert "Arolygon a chanlyniadau" in welsh and "Canlyniadau" in welsh and "Cyhoeddwyd" in welsh
    assert f'<a href="/r/closed">{escape(questionnaire.title["cy"])}</a>' in welsh

    choose(staff, closed, access_code="Hall 7 Delegates")  # a code: still listed, its page asks for it
    other = app.test_client()
    listed = get_page(other, "/")
    assert '<a href="/r/closed">' in listed and "access code you were given" in listed
    assert other.get("/r/closed").status_code == 302

    page = staff.get(f"/organise/surveys/{closed.id}")
    staff.post(f"/organise/surveys/{closed.id}/withdraw", data={"csrf_token": csrf_token(page.text)})
    assert "/r/closed" not in get_page(client, "/")  # withdrawn: gone from the list


def test_a_consultation_page_says_each_demands_support_and_the_regions_side_by_side(app, client):
    import random

    from survey.core import publication as publishing
    from survey.questionnaire.loader import load_file

    from .helpers import FIXTURES

    survey = make_survey(
        app, "demands", load_file(FIXTURES / "consultation-results.yaml"), status=SurveyStatus.CLOSED, threshold=10
    )
    rng = random.Random(16)
    answers = [(consultation_answers(rng), "en") for _ in range(240)]
    insert_responses(app, survey, answers, batch=1)
    with app.test_request_context():
        found = db.session.get(Survey, survey.id)
        choice = publishing.PublicationChoice(["D1", "D2"], ["region"], [], None, None)
        publishing.save_publication(found, choice)
        publishing.publish(found)

    html = get_page(client, "/r/demands")
    api = client.get("/api/v1/surveys/demands/results/D1.pay").get_json()
    support = next(c for c in api["cells"] if c["group"] is None and c["option"] == "support")
    line = re.search(r"A pay rise above inflation</p>\s*<p class=\"line-answers\">(.*?)</p>", html).group(1)
    assert line.startswith(f'<span class="part">Support <strong>{support["percent"]:.0f}%</strong>')
    assert "positive" not in html and "base " not in html

    question = get_page(client, "/r/demands/q/D1?by=region")
    caption = question[question.index("<caption>") : question.index("</caption>")]
    assert "The statements in order of net support" in caption  # the demands ranked, region by region
    with app.app_context():
        ranked = results.ranked(db.session.get(Survey, survey.id), "D1", by="region")
    rows = re.findall(r'<th scope="row" role="rowheader">(\d)\. (.*?)[<\n]', question)
    assert [(int(n), label.strip()) for n, label in rows] == [(r.rank, r.label) for r in ranked.rows]
    row = re.search(r"A pay rise above inflation(.*?)</tr>", question, re.S).group(1)
    for group, cell in zip(ranked.groups, ranked.rows[0].cells, strict=True):
        if not group.suppressed:  # each region's net support, its support and its opposition
            net = f"+{cell.net:.0f}" if round(cell.net) > 0 else f"−{-cell.net:.0f}" if round(cell.net) < 0 else "0"
            assert f'data-group="{group.label}"><span class="val"><span class="pc">{net}</span>' in row
            assert f"{cell.support.percent:.0f}% support, {cell.oppose.percent:.0f}% oppose" in row
    assert get_page(client, "/r/demands/q/D2?by=region").count('class="table cross') == 1


def test_a_sector_surveys_default_publication_leaves_out_what_its_audience_fixes(app, client, staff):
    """A Probation survey does not ask members their service group or sector (C1, C2): everyone's
    answer is the same, so they are neither published by default ("Police and justice 100%") nor
    offered as breakdowns."""
    from survey.core.publication import default_publication

    survey = probation_consultation(app, "probation-default", publish=False)
    with app.app_context():
        release = default_publication(db.session.get(Survey, survey.id))
    assert "C1" not in release.questions and "C2" not in release.questions
    assert {"C3", "D1", "D2", "L1"} <= set(release.questions) and "D1_why" not in release.questions
    assert not {"C1", "C2"} & set(release.breakdowns) and "C3" in release.breakdowns
    form = get_page(staff, f"/organise/surveys/{survey.id}/publication")
    assert 'id="breakdown-C1"' not in form and 'id="breakdown-C2"' not in form and 'id="breakdown-C3"' in form
    assert 'id="question-C1" value="C1" checked' not in form and 'id="question-C3" value="C3" checked' in form

    publish(staff, survey)  # without choosing: the default
    page = get_page(client, "/r/probation-default")
    assert "Which UNISON service group" not in page and "Where do you work?" not in page
    assert "As far as you know, is AI used where you work?" in page
    assert client.get("/api/v1/surveys/probation-default/results/C1").status_code == 404
    assert client.get("/api/v1/surveys/probation-default/results/C3").status_code == 200
