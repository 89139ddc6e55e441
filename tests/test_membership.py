"""The membership profile: uploading counts of members (checked, all or nothing), and who answered
against the membership on the dashboards and the API, under the overview's small-group rule."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from survey import results
from survey.core import membership
from survey.extensions import db
from survey.models import AuditEvent, MembershipCount, MembershipProfile, Role, Survey, SurveyStatus

from .factories import HEALTH, PROBATION, demo_survey, make_user, publish
from .helpers import get_page
from .journey import csrf_token
from .staff import sign_in

GOOD = """dimension,group,members
Service group,Health,430000
A1,local_gov,560000
Rhanbarth,Cymru/Wales,88000
Region,Greater London,143000
Region,Northern Ireland,53000
Age,16 to 24,91000
"""


def _upload(client, text: str, name: str = "Membership system", as_of: str = "2026-10-31", filename="profile.csv"):
    page = client.get("/admin/membership")
    fields = MultiDict(
        {
            "csrf_token": csrf_token(page.text),
            "name": name,
            "as_of": as_of,
            "file": FileStorage(io.BytesIO(text.encode()), filename),
        }
    )
    boundary, body = encode_multipart(fields)
    return client.post("/admin/membership", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _store(app, text: str, as_of: date = date(2026, 10, 31), name: str = "Membership system") -> None:
    with app.app_context():
        membership.store_profile("ada@example.org", name, as_of, text.encode(), "profile.csv")


def _stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MembershipCount)) or 0


# --- reading a file ------------------------------------------------------------------------------


def test_a_profile_names_breakdowns_and_groups_by_id_code_or_english_or_welsh_label(app_context):
    counts = membership.read_profile(GOOD.encode())
    found = {(c.dimension, c.code): c.members for c in counts}
    assert found == {
        ("A1", "health"): 430000,
        ("A1", "local_gov"): 560000,
        ("A5", "cymru_wales"): 88000,
        ("A5", "greater_london"): 143000,
        ("A5", "northern_ireland"): 53000,
        ("L1", "16_24"): 91000,
    }
    semicolons = "\ufeffDimension;Group;Members\nRegion;Cymru/Wales;1 200\n"  # Excel's ; and a byte-order mark
    [count] = membership.read_profile(semicolons.encode())
    assert (count.dimension, count.code, count.members, count.audience) == ("A5", "cymru_wales", 1200, "")


def test_counts_for_one_audience_are_kept_with_it(app_context):
    text = "dimension,group,members,service_group\nRegion,Cymru/Wales,9000,Health\nRegion,Cymru/Wales,88000,\n"
    counts = membership.read_profile(text.encode())
    assert [c.audience for c in counts] == ["service_group=health", ""]


def _problems(text: str | bytes) -> list[str]:
    with pytest.raises(membership.ProfileError) as raised:
        membership.read_profile(text.encode() if isinstance(text, str) else text)
    return raised.value.problems


def test_every_problem_is_named_with_its_line(app_context):
    problems = _problems(
        "dimension,group,members\n"
        "Shoe size,Large,10\n"  # 2: unknown dimension
        "Region,Atlantis,10\n"  # 3: unknown group
        "Region,Wales,12.5\n"  # 4: a group by a wrong name and not a whole number
        "Region,Scotland,-4\n"  # 5: negative
        "Region,Scotland,\n"  # 6: missing
        "Region,Cymru/Wales,100\n"  # 7
        "A5,cymru_wales,100\n"  # 8: the same group again
        "Region,Eastern,100,\n"
    )
    assert problems == [
        "Line 2: “Shoe size” is not a breakdown of the ai-at-work questionnaire.",
        "Line 3: “Atlantis” is not a group of Region.",
        "Line 4: “Wales” is not a group of Region.",
        "Line 4: “12.5” is not a whole number of members.",
        "Line 5: the number of members (-4) is negative.",
        "Line 6: the number of members is missing.",
        "Line 8 repeats line 7 (Region: Cymru/Wales): keep one.",
    ]
    assert _problems("dimension,members\nRegion,5\n") == [
        "Line 1: the column group is missing (found: dimension, members)."
    ]
    assert _problems("dimension,group,members\n") == ["The file has column names but no counts."]
    assert _problems("dimension,group,members,sector\nRegion,Eastern,5,Probation\n") == [
        "Line 2: Choose the service group as well as the sector."
    ]
    assert "not saved as UTF-8" in _problems("dimension,group,members\nRegion,Eastern,5\n".encode("utf-16"))[0]


# --- the administrators' page --------------------------------------------------------------------


def test_an_administrator_uploads_a_profile_and_it_is_listed_audited_and_used(app, admin):
    response = _upload(admin, GOOD)
    assert response.status_code == 302, response.text
    page = get_page(admin, "/admin/membership")
    assert "Membership system" in page and "31 October 2026" in page and "Yes: results use it" in page
    assert "Service group, Region, Age" in page
    assert _stored(app) == 6
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "uploaded membership profile")).one()
        assert event.actor == "ada@example.org" and event.detail["counts"] == 6
    _upload(admin, GOOD, name="Older extract", as_of="2026-01-31")
    with app.app_context():
        assert membership.latest_profile().name == "Membership system"  # the newest count date, not the newest upload


def test_a_file_with_problems_stores_nothing_and_says_which_lines(app, admin):
    response = _upload(admin, GOOD + "Region,Atlantis,5\nRegion,Eastern,many\n")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was stored" in page
    assert "Line 8: “Atlantis” is not a group of Region." in page
    assert "Line 9: “many” is not a whole number of members." in page
    assert _stored(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MembershipProfile)) == 0
    missing = _upload(admin, GOOD, name="", as_of="")
    assert missing.status_code == 400 and "Enter where the counts come from" in missing.text
    assert "Enter the date the members were counted" in missing.text


def test_a_profile_uploaded_by_mistake_is_deleted_with_its_counts_and_the_newest_left_is_used(app, admin):
    _store(app, GOOD, as_of=date(2026, 1, 31), name="January extract")
    _store(app, GOOD + "Region,Eastern,12\n", as_of=date(2026, 11, 30), name="Wrong file")
    with app.app_context():
        wrong = membership.latest_profile()
        assert wrong.name == "Wrong file"
        wrong_id = wrong.id
    page = get_page(admin, "/admin/membership")
    response = admin.post(f"/admin/membership/{wrong_id}/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    page = get_page(admin, "/admin/membership")
    assert "Deleted the membership profile “Wrong file” counted on 30 November 2026." in page
    assert "Wrong file" not in page.split("counted on 30 November 2026.", 1)[1]  # not listed any more
    assert _stored(app) == 6  # the January extract's counts only
    with app.app_context():
        assert membership.latest_profile().name == "January extract"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deleted membership profile")).one()
        assert event.actor == "ada@example.org" and event.detail["name"] == "Wrong file"
    assert admin.post(f"/admin/membership/{wrong_id}/delete", data={"csrf_token": csrf_token(page)}).status_code == 404


def test_only_administrators_see_or_upload_profiles(app, organiser):
    assert organiser.get("/admin/membership").status_code in (403, 404)
    assert organiser.post("/admin/membership").status_code in (400, 403, 404)
    assert _stored(app) == 0
    _store(app, GOOD)
    with app.app_context():
        profile_id = membership.latest_profile().id
    assert organiser.post(f"/admin/membership/{profile_id}/delete").status_code in (400, 403, 404)
    assert _stored(app) == 6


# --- who answered, against the membership -------------------------------------------------------


@pytest.fixture
def small(app):
    """A closed ai-at-work survey with 300 synthetic responses and k = 30: health and local government
    (about 100 each) are shown, energy and water (about 9 each) never are."""
    return demo_survey(app, "small", 300, 3, threshold=30)


def _section(page: str) -> str:
    return page.split('id="representation"', 1)[1].split("<h2>", 1)[0]


def test_the_dashboard_compares_respondents_with_members_hiding_what_the_overview_hides(app, admin, small):
    _store(app, GOOD + "Service group,Energy,40000\nService group,wet,45000\nSex,Female,9\n")
    page = get_page(admin, f"/organise/surveys/{small.id}/results/")
    section = _section(page)
    with app.app_context():
        survey = db.session.get(Survey, small.id)
        found = results.overview(survey)
        compared = results.representation(survey, membership.membership_for(survey))
    published = {g.code: g for g in next(b for b in found.breakdowns if b.dimension == "A1").groups}
    assert "Membership system" in section and "31 October 2026" in section
    by_group = next(b for b in compared.breakdowns if b.dimension == "A1")
    assert [g.suppressed for g in by_group.groups] == [False, False, True, True]  # health, local gov, wet, energy
    for group in by_group.groups:
        shown = published[group.code]
        row = re.search(rf"<th scope=\"row\">{re.escape(group.label)}</th>(.*?)</tr>", section, re.S).group(1)
        assert group.suppressed == shown.suppressed
        if shown.suppressed:
            assert group.respondents is None and group.response_rate is None and group.respondent_share is None
            assert "Not shown (small group)" in row
        else:
            assert group.respondents == shown.n  # the overview's published count, nothing else
            assert group.response_rate == round(100 * shown.n / group.members, 2)
            assert group.respondent_share == round(100 * shown.n / found.responses, 1)
            assert f"{shown.n:,}" in row
        assert f"{group.members:,}" in row  # members are the union's own counts: always shown
    assert "A group is shown only when it has at least 30 members" in section
    assert "for weighting only: Age, Sex" in section
    assert "16 to 24" not in section and "Female" not in section  # protected: never compared group by group


def test_without_a_profile_administrators_are_pointed_to_the_upload(app, admin, small):
    section = _section(get_page(admin, f"/organise/surveys/{small.id}/results/"))
    assert "No membership profile has been uploaded" in section and 'href="/admin/membership"' in section


def test_a_sector_survey_is_compared_with_its_audience_members_only(app, admin):
    survey = demo_survey(app, "health-only", 400, 5, audience=HEALTH)
    _store(
        app,
        "dimension,group,members,service_group\n"
        "Region,North West,150000,\nRegion,Scotland,150000,\nService group,Health,430000,\n"
        "Region,North West,51234,Health\nRegion,Scotland,47321,Health\n",
    )
    section = _section(get_page(admin, f"/organise/surveys/{survey.id}/results/"))
    assert "51,234" in section and "47,321" in section and "150,000" not in section
    assert "for this survey's audience only" in section
    _store(app, "dimension,group,members\nRegion,North West,150000\n", as_of=date(2026, 11, 30), name="National only")
    section = _section(get_page(admin, f"/organise/surveys/{survey.id}/results/"))
    assert "150,000" not in section  # national counts are never compared with a sector survey


def test_the_api_gives_only_published_breakdowns_to_the_public(app, client, small):
    _store(app, GOOD)
    with app.app_context():
        db.session.get(Survey, small.id).status = SurveyStatus.CLOSED
        db.session.commit()
    assert client.get("/api/v1/surveys/small/representation").status_code == 404  # not published yet
    publish(app, small, questions=["C1"], breakdowns=["A5"])
    body = client.get("/api/v1/surveys/small/representation").get_json()
    assert body["profile"] == {"name": "Membership system", "as_of": "2026-10-31", "audience_only": False}
    assert [b["dimension"] for b in body["breakdowns"]] == ["A5"]
    assert body["weighting_only"] == ["Age"]
    for group in body["breakdowns"][0]["groups"]:
        if group["suppressed"]:
            assert group["respondents"] is None and group["response_rate"] is None
    make_user(app, "ada@example.org", Role.ADMIN)
    assert sign_in(client, app, "ada@example.org").status_code == 302
    staff = client.get("/api/v1/surveys/small/representation").get_json()
    assert [b["dimension"] for b in staff["breakdowns"]] == ["A1", "A5"]


def test_organisers_see_the_comparison_only_for_their_own_surveys(app, client, small):
    _store(app, GOOD)
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    assert sign_in(client, app, "pat@example.org").status_code == 302
    # A national survey: only Probation's slice (ADR 0029), here too small to show anything at k = 30.
    national = get_page(client, f"/organise/surveys/{small.id}/results/")
    assert "answered to show results" in national and 'id="representation"' not in national
    assert "51,234" not in national and "560,000" not in national
    assert client.get("/api/v1/surveys/small/representation").status_code == 403
    theirs = demo_survey(app, "probation-only", 200, 9, audience=PROBATION)
    section = _section(get_page(client, f"/organise/surveys/{theirs.id}/results/"))
    assert "has no counts for this survey's audience" in section  # a profile, but without Probation's counts
    assert "51,234" not in section and "Upload a profile" not in section
