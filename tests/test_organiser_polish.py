"""Organisers (issue 17, items 3 and 4): tracking that tells the truth, and a checker that keeps
the start page's promises. Through the Flask test client, the real database and, at the end, a
real Chromium at phone and laptop size."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from survey import results
from survey.core import surveys as life_cycle
from survey.extensions import db
from survey.models import QuestionnaireVersion, Role, Survey, SurveyStatus, utcnow
from survey.questionnaire.loader import QuestionnaireError, check_text, load_text, warnings_in_text
from survey.results.protection import MAX_NOISE

from .browser import PHONE, axe_violations, live_server, screenshot
from .factories import TINY_TEXT, make_invitations, make_survey, make_user
from .helpers import ROOT, get_page
from .journey import complete, csrf_token, errors_on, post_form
from .staff import browser_sign_in, sign_in

SHIPPED = sorted((ROOT / "questionnaires").glob("*.yaml"))
LAPTOP = {"width": 1280, "height": 900}
ADMIN = "ada@example.org"  # the conftest's `admin`, who can reach surveys of any audience


def _close(app, survey_id: int) -> None:
    with app.app_context():
        life_cycle.close(db.session.get(Survey, survey_id))


def _published_total(app, survey_id: int) -> int | None:
    with app.app_context():
        overview = results.overview(db.session.get(Survey, survey_id))
        return None if overview.suppressed else overview.responses


def _box(html: str, label: str) -> str:
    """Return the text of one headline count box, tags stripped."""
    found = re.search(rf"<dt>{label}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert found, f"no count box {label!r}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 3. tracking that tells the truth ----------------------------------------------------------


def test_the_headline_counts_come_first_and_count_the_open_link_apart_from_invitations(app, admin):
    survey = make_survey(app, "mixed", name="Mixed")
    make_invitations(app, survey, 4)
    for _ in range(3):
        assert complete(app.test_client(), "mixed").status_code == 302
    html = get_page(admin, f"/organise/surveys/{survey.id}")
    text = _text(html)
    assert "3 answers through the open link; 4 personal invitations, 0 used." in text
    assert "Response rate" not in text and "0% of 4" not in text  # never a rate of invitations alone
    assert _box(html, "Sent so far") == "3 responses" and _box(html, "Started").startswith("3 100%")
    # At the top: the counts come before the actions, settings, preview and sharing.
    counts = html.index('id="counts-heading"')
    later = ('class="actions"', ">Settings</h2>", ">Preview</h2>", "Share with members", "By day (UK dates)")
    assert all(counts < html.index(s) for s in later)
    assert "Responses so far" in html and "Final responses" not in html


def test_an_invitation_survey_says_its_answers_reach_the_results_when_it_closes(app, admin):
    survey = make_survey(app, "invited", access="invitation", name="Invited")
    tokens = make_invitations(app, survey, 4)
    member = app.test_client()
    assert member.get(f"/i/{tokens[0]}").status_code == 302
    assert complete(member, "invited").status_code == 302
    html = get_page(admin, f"/organise/surveys/{survey.id}")
    text = _text(html)
    assert "4 invitations, 1 used: this survey has no open link." in text
    assert "through the open link" not in text
    assert _box(html, "In the results") == "None until it closes"
    assert "released to the results once, when it closes" in text
    results_page = _text(get_page(admin, f"/organise/surveys/{survey.id}/results/"))
    assert "released to the results once, when it closes" in results_page and "1 submitted so far" in results_page


def test_after_closing_the_survey_page_and_the_results_page_agree_and_say_why(app, admin):
    survey = make_survey(app, "final", name="Final")
    sent = survey.threshold + MAX_NOISE  # enough that no noise can take the total below the threshold
    for _ in range(sent):
        assert complete(app.test_client(), "final").status_code == 302
    _close(app, survey.id)
    published = _published_total(app, survey.id)
    assert published is not None
    html = get_page(admin, f"/organise/surveys/{survey.id}")
    text = _text(html)
    assert "Final responses" in html and "Responses so far" not in html and "so far" not in text
    assert _box(html, "Sent in total") == f"{sent} responses"
    assert _box(html, "In the results") == f"{published} response{'s' if published != 1 else ''}"
    assert "adjusted slightly to protect members" in text and "less any withdrawn" in text
    results_page = get_page(admin, f"/organise/surveys/{survey.id}/results/")
    assert f"<strong>{published}</strong> responses." in results_page
    if published != sent:  # the perturbation moved the total: the results page says why too
        assert f"{sent} were sent: the results count only answers released to them" in _text(results_page)


def test_an_open_link_survey_says_why_its_results_hold_fewer_while_open(app, admin):
    survey = make_survey(app, "live", name="Live")
    assert complete(app.test_client(), "live").status_code == 302
    html = get_page(admin, f"/organise/surveys/{survey.id}")
    assert _box(html, "In the results") == "None yet"
    text = _text(html)
    assert "in steps of at least 50" in text and "adjusted slightly to protect members" in text


def test_each_status_offers_only_what_it_can_do(app, admin):
    survey = make_survey(app, "states", status=SurveyStatus.DRAFT, name="States")
    draft = get_page(admin, f"/organise/surveys/{survey.id}")
    assert "Not launched yet" in draft and "Share with members" in draft and "counts-heading" not in draft
    with app.app_context():
        found = db.session.get(Survey, survey.id)
        found.status, found.launched_at = SurveyStatus.OPEN, utcnow()
        db.session.commit()
    opened = get_page(admin, f"/organise/surveys/{survey.id}")
    assert "Share with members" in opened and "Members can answer now" in opened
    assert 'data-copy="member-link"' in opened and "js/copy.js" in opened
    _close(app, survey.id)
    closed = get_page(admin, f"/organise/surveys/{survey.id}")
    assert "Share with members" not in closed and "member-link" not in closed and "QR code (PNG)" not in closed
    assert "members can no longer answer" in closed and "Close now" not in closed
    assert "update as answers are released" not in closed  # the live screen shows final results now


def test_the_copy_button_is_hidden_without_javascript_and_no_script_is_inline(app, admin):
    survey = make_survey(app, "copy", name="Copy")
    html = get_page(admin, f"/organise/surveys/{survey.id}")
    link = re.search(r'<input[^>]*id="member-link"[^>]*>', html).group(0)
    assert "readonly" in link and 'value="http://localhost/s/copy"' in link  # selectable text without JavaScript
    button = re.search(r"<button[^>]*data-copy=\"member-link\"[^>]*>", html).group(0)
    assert " hidden" in button and 'type="button"' in button
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # the CSP allows no inline script here
    script = admin.get("/static/js/copy.js")
    assert script.status_code == 200 and b"data-copied" in script.data


def test_no_stale_saved_message_after_publishing(app, admin):
    survey = make_survey(app, "pub", name="Pub")
    for _ in range(6):
        complete(app.test_client(), "pub")
    _close(app, survey.id)
    saved = post_form(admin, f"/organise/surveys/{survey.id}/publication", {"questions": ["group", "region"]})
    assert saved.status_code == 302, errors_on(saved.text)
    preview = get_page(admin, saved.location)
    assert "Saved. This is the page delegates will see." in preview  # said where it is true
    token = csrf_token(preview)
    published = admin.post(f"/organise/surveys/{survey.id}/publish", data={"csrf_token": token})
    assert published.status_code == 302
    page = get_page(admin, published.location)
    assert "Results published." in page and "Saved." not in page


def test_a_message_waiting_from_an_earlier_step_is_dropped_when_the_next_step_is_done(app, admin):
    survey = make_survey(app, "flash", name="Flash")
    token = csrf_token(admin.get(f"/organise/surveys/{survey.id}/close").text)
    with admin.session_transaction() as session:  # left over from a page that never showed it
        session["_flashes"] = [("message", "Saved. This is the page delegates will see.")]
    assert admin.post(f"/organise/surveys/{survey.id}/close", data={"csrf_token": token}).status_code == 302
    page = get_page(admin, f"/organise/surveys/{survey.id}")
    assert "Survey closed." in page and "Saved." not in page


def test_the_survey_list_shows_counts_and_dates_that_match_each_status(app, admin):
    make_survey(app, "a-draft", status=SurveyStatus.DRAFT, name="A draft")
    done = make_survey(app, "b-done", name="B done")
    complete(app.test_client(), "b-done")
    _close(app, done.id)
    listing = _text(get_page(admin, "/organise/"))
    assert re.search(r"B done Closed 1 Closed at \d\d:\d\d on ", listing)
    assert "A draft Draft 0 Not launched" in listing
    assert "No closing time" not in listing


def test_the_sector_hint_offers_all_sectors_only_when_the_list_does(app, organiser):
    made = post_form(organiser, "/organise/surveys/new", {"name": "Probation", "questionnaire": "ai-at-work"})
    settings = get_page(organiser, made.location)
    assert 'value=""' not in settings.split('id="sector"')[1].split("</select>")[0]
    assert 'Leave as "All sectors"' not in settings and "Leave as &#34;All sectors&#34;" not in settings
    new = get_page(organiser, "/organise/surveys/new")
    assert "Probation, spring" not in new  # the example name offers no sector the organiser may lack
    make_user(app, ADMIN, Role.ADMIN)
    other = app.test_client()
    sign_in(other, app, ADMIN)
    made = post_form(other, "/organise/surveys/new", {"name": "Everyone", "questionnaire": "ai-at-work"})
    page = get_page(other, made.location)
    assert "All sectors</option>" in page and (
        "Leave as &#34;All sectors&#34;" in page or 'Leave as "All sectors"' in page
    )


def test_the_survey_page_shows_no_time_finer_than_a_day_about_members(app, admin):
    survey = make_survey(app, "times", name="Times")
    for _ in range(2):
        complete(app.test_client(), "times")
    html = get_page(admin, f"/organise/surveys/{survey.id}")
    assert "last response" not in html.lower()
    days = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">", html)
    assert days and all(not re.search(r"\d\d:\d\d", day) for day in days)  # dates only
    assert not re.findall(r"\d\d:\d\d", _text(html))  # no launch or close time here, so no time at all


# --- 4. the checker keeps the promises ---------------------------------------------------------


def _problems(text: str) -> list[str]:
    return [f"{p.line}: {p.message}" for p in check_text(text, "q.yaml")]


def _line(text: str, fragment: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[: text.index(fragment, start)].count("\n") + 1


def test_an_equality_question_must_be_optional(tmp_path):
    text = TINY_TEXT.replace(
        "      - id: age\n        type: single\n", "      - id: age\n        type: single\n        required: true\n"
    )
    problems = _problems(text)
    assert problems == [
        f"{_line(text, 'required: true', '- id: age')}: section about, question age: equality questions must be "
        "optional, as the start page promises: remove 'required: true'"
    ]


def test_an_equality_question_must_offer_prefer_not_to_say(tmp_path):
    text = TINY_TEXT.replace(
        "          - {code: a31_plus, label: {en: 31 or over, cy: 31 neu hŷn}}\n"
        "          - {code: pnts, label: {en: Prefer not to say, cy: Mae'n well gen i beidio â dweud}}\n",
        "          - {code: a31_plus, label: {en: 31 or over, cy: 31 neu hŷn}}\n",
    ).replace("      - {when: {equals: [age, pnts]}, value: pnts}\n", "")
    (problem,) = _problems(text)
    assert 'question age: equality questions must offer "Prefer not to say"' in problem
    assert "{code: pnts, label: {en: Prefer not to say" in problem


def test_every_question_on_an_equality_page_keeps_the_promise(tmp_path):
    carer = (
        "      - id: carer\n        type: single\n        required: true\n"
        "        text: {en: Do you look after anyone?, cy: Ydych chi'n gofalu am unrhyw un?}\n"
        "        options:\n          - {code: 'no', label: {en: 'No', cy: Nac ydw}}\n"
        "          - {code: 'yes', label: {en: 'Yes', cy: Ydw}}\n"
    )
    text = TINY_TEXT.replace("\nderived:\n", "\n" + carer + "\nderived:\n", 1)
    problems = _problems(text)
    assert len(problems) == 2 and all(
        "question carer" in p and "on a page of equality questions" in p for p in problems
    )
    # The unpaid-carer question as the shipped survey asks it: optional, with "Prefer not to say".
    kept = text.replace(
        "        required: true\n        text: {en: Do you look", "        text: {en: Do you look"
    ).replace(
        "          - {code: 'yes', label: {en: 'Yes', cy: Ydw}}\n",
        "          - {code: 'yes', label: {en: 'Yes', cy: Ydw}}\n"
        "          - {code: prefer_not, label: {en: Prefer not to say, cy: Mae'n well gen i beidio â dweud}}\n",
    )
    assert _problems(kept) == []


def test_prefer_not_to_say_is_always_offered_and_stands_alone(tmp_path):
    support = (
        "      - id: support\n        type: multi\n        text: {en: Which support do you use?, cy: Pa gymorth?}\n"
        "        options:\n          - {code: rep, label: {en: A rep, cy: Cynrychiolydd}}\n"
        "          - {code: pnts, show_if: {equals: [group, health]},"
        " label: {en: Prefer not to say, cy: Mae'n well gen i beidio â dweud}}\n"
    )
    text = TINY_TEXT.replace("\nderived:\n", "\n" + support + "\nderived:\n", 1)
    messages = " | ".join(_problems(text))
    assert '"Prefer not to say" must always be offered: remove its show_if' in messages
    assert "\"Prefer not to say\" must be exclusive: add 'exclusive: true'" in messages
    fixed = text.replace("{code: pnts, show_if: {equals: [group, health]},", "{code: pnts, exclusive: true,")
    assert _problems(fixed) == []


def test_a_number_on_an_equality_page_cannot_keep_the_promise(tmp_path):
    years = "      - id: age_years\n        type: number\n        min: 16\n        max: 99\n"
    years += "        text: {en: Age?, cy: Oed?}\n"
    text = TINY_TEXT.replace("\nderived:\n", "\n" + years + "\nderived:\n", 1)
    (problem,) = _problems(text)
    assert "question age_years" in problem and "a number question cannot" in problem


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_shipped_questionnaires_keep_the_promises(path: Path):
    assert check_text(path.read_text(), str(path)) == []


def test_a_questionnaire_pinned_before_the_rule_still_opens():
    text = TINY_TEXT.replace(
        "      - id: age\n        type: single\n", "      - id: age\n        type: single\n        required: true\n"
    )
    with pytest.raises(QuestionnaireError, match="must be optional"):
        load_text(text, "new upload")
    assert load_text(text, "tiny v1", pinned=True).question("age").required  # a survey made from it still opens


def test_an_upload_that_breaks_the_promise_is_refused_with_the_reason(app, admin):
    text = TINY_TEXT.replace(
        "      - id: age\n        type: single\n", "      - id: age\n        type: single\n        required: true\n"
    )
    page = admin.get("/admin/questionnaires/upload")
    fields = MultiDict(
        {"file": FileStorage(io.BytesIO(text.encode()), "tiny-v2.yaml"), "csrf_token": csrf_token(page.text)}
    )
    boundary, body = encode_multipart(fields)
    response = admin.post(
        "/admin/questionnaires/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400 and "equality questions must be optional" in response.text
    with app.app_context():
        assert db.session.scalars(select(QuestionnaireVersion)).all() == []


def test_a_comma_inside_en_cy_text_is_named_once_with_its_line():
    text = TINY_TEXT.replace(
        "title: {en: Your work, cy: Eich gwaith}", "title: {en: Pay, grading and jobs, cy: Cyflog, graddio}"
    )
    assert _problems(text) == [
        f"{_line(text, 'Pay, grading')}: section work: 'title': a comma inside {{en: …, cy: …}} needs the text in "
        'quotes: write title: {en: "Pay, grading and jobs", cy: "Cyflog, graddio"}'
    ]


def test_a_colon_inside_en_cy_text_names_the_quotes_too():
    text = TINY_TEXT.replace("title: {en: Your work, cy: Eich gwaith}", "title: {en: Your work: pay, cy: Eich gwaith}")
    (problem,) = _problems(text)
    assert problem.startswith(f"{_line(text, 'Your work: pay')}: YAML syntax error")
    assert "text with a ': ' or a comma needs quotes" in problem


# A tiny variant whose first page asks only the service group: a survey for one group skips it.
ALONE = TINY_TEXT.replace(
    "      - id: region\n",
    "  - id: where\n    title: {en: Where you work, cy: Ble}\n    questions:\n      - id: region\n",
    1,
).replace("\nderived:\n", "\naudience:\n  service_group: group\n\nderived:\n", 1)


def test_a_section_intro_lost_in_a_sector_survey_is_a_warning_for_the_file(app):
    (warning,) = warnings_in_text(ALONE, "alone.yaml")
    assert warning.line == _line(ALONE, "intro: {en: About your job.")
    assert warning.message == (
        "section work: warning: this page asks only group, which a survey for one service group answers for its "
        "members, so they skip the page and never see this introduction; move it to the next page"
    )
    assert warnings_in_text(TINY_TEXT, "tiny.yaml") == []
    for path in SHIPPED:  # a shipped file may warn (the CLI prints it) but must load
        assert all(w.message.startswith("section ") for w in warnings_in_text(path.read_text(), path.name))
    result = app.test_cli_runner().invoke(args=["questionnaire", "check"])
    assert result.exit_code == 0, result.output


def test_a_section_intro_lost_in_a_sector_survey_is_a_warning_to_the_organiser(app, admin):
    questionnaire = load_text(ALONE, "alone.yaml")
    health = make_survey(app, "health", questionnaire, status=SurveyStatus.DRAFT, audience={"service_group": "health"})
    everyone = make_survey(app, "everyone", questionnaire, status=SurveyStatus.DRAFT)
    page = _text(get_page(admin, f"/organise/surveys/{health.id}"))
    assert "Members of this survey will not see an introduction" in page
    assert "The page “Your work” asks only what this survey’s audience already answers" in page
    assert "“About your job.”" in page
    launch = _text(get_page(admin, f"/organise/surveys/{health.id}/launch"))
    assert "Members will not see the introduction to “Your work”." in launch
    assert "will not see" not in _text(get_page(admin, f"/organise/surveys/{everyone.id}"))
    assert "will not see" not in _text(get_page(admin, f"/organise/surveys/{everyone.id}/launch"))


def test_the_preview_starts_at_the_start_page_in_either_language(app, admin):
    survey = make_survey(app, "preview-start", status=SurveyStatus.DRAFT, name="Preview start")
    english = get_page(admin, f"/organise/surveys/{survey.id}/preview/en")
    assert "This is the start page members see first" in english and "Tiny test survey</h1>" in english
    assert "Start now" in english and f'action="/organise/surveys/{survey.id}/preview/en"' in english
    welsh = get_page(admin, f"/organise/surveys/{survey.id}/preview/cy")
    assert '<html lang="cy">' in welsh and "Arolwg prawf bach</h1>" in welsh
    switched = admin.get(f"/organise/surveys/{survey.id}/preview/cy?lang=en")
    assert switched.status_code == 302 and switched.location.endswith(f"/surveys/{survey.id}/preview/en")
    started = post_form(admin, f"/organise/surveys/{survey.id}/preview/en", {})
    assert started.status_code == 302 and started.location.endswith("/preview/en/page/work")
    first = get_page(admin, started.location)
    assert f'class="back-link" href="/organise/surveys/{survey.id}/preview/en"' in first


# --- a real browser: the survey page at 390 px and on a laptop --------------------------------


@pytest.mark.browser
def test_the_survey_page_in_a_browser_counts_first_copies_the_link_and_works_without_javascript(app, browser):
    make_user(app, ADMIN, Role.ADMIN)
    survey = make_survey(app, "browser-mixed", name="AI at work – open link")
    make_invitations(app, survey, 4)
    for _ in range(3):
        complete(app.test_client(), "browser-mixed")
    with live_server(app) as server:
        url = f"{server}/organise/surveys/{survey.id}"
        for name, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
            context = browser.new_context(viewport=viewport)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
            page = context.new_page()
            browser_sign_in(page, server, app, ADMIN)
            page.goto(url)
            counts = page.locator("#counts-heading").bounding_box()
            assert counts["y"] + counts["height"] < viewport["height"], name  # on the first screen
            assert "3 answers through the open link; 4 personal invitations, 0 used." in page.inner_text(
                ".counts-summary"
            )
            button = page.locator("button[data-copy=member-link]")
            assert button.is_visible()
            button.click()
            page.wait_for_selector("button[data-copied=true]")
            assert page.evaluate("navigator.clipboard.readText()") == f"{server}/s/browser-mixed"
            assert page.inner_text("[data-copy-status=member-link]") == "Link copied"
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
            assert axe_violations(page) == [], name
            screenshot(page, f"organiser-polish-survey-{name}")
            context.close()
        context = browser.new_context(viewport=PHONE, java_script_enabled=False)
        page = context.new_page()
        browser_sign_in(page, server, app, ADMIN)
        page.goto(url)
        assert not page.locator("button[data-copy=member-link]").is_visible()  # no button that cannot work
        assert page.input_value("#member-link") == f"{server}/s/browser-mixed"  # the link as selectable text
        assert page.locator("#member-link").is_visible()
        assert axe_violations(page, javascript=False) == []
        screenshot(page, "organiser-polish-survey-phone-no-js")
        context.close()
