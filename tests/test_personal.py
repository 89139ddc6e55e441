"""Finding personal data in comments (survey/results/personal.py), measured on a labelled set of
372 comments about AI at work, in English and Welsh (tests/data/personal_comments.jsonl), written
for these tests: 312 before the detector (100 of them, "held-out", not used to tune it), and 60
more ("held-out-2") after it was frozen. Figures: docs/benchmarks.md, "Issue 20: detection"."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

import pytest

from survey.results import personal
from survey.results.held import marked_parts, may_identify
from survey.results.personal import KINDS, find_personal, language_of

from .factories import PLAIN_COMMENTS, commented_survey
from .helpers import get_page

LABELLED = Path(__file__).parent / "data" / "personal_comments.jsonl"
ROWS = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]


def figures(rows: list[dict]) -> dict[str, tuple[float, float, int]]:
    """Return recall, precision and how many labelled, at the comment level ("all") and by kind."""
    counts: Counter = Counter()
    for row in rows:
        found = {span.kind for span in find_personal(row["text"], row["language"])}
        wanted = set(row["kinds"])
        for kind in ("all", *KINDS):
            got, want = (bool(found), bool(wanted)) if kind == "all" else (kind in found, kind in wanted)
            counts[kind, got, want] += 1
    result = {}
    for kind in ("all", *KINDS):
        tp, fp, fn = counts[kind, True, True], counts[kind, True, False], counts[kind, False, True]
        result[kind] = (tp / max(1, tp + fn), tp / max(1, tp + fp), tp + fn)
    return result


def test_the_labelled_set_is_big_enough_and_has_both_languages_and_a_held_out_part():
    assert len(ROWS) >= 300 and sum(row["split"] == "held-out-2" for row in ROWS) == 60
    assert sum(row["language"] == "cy" for row in ROWS) >= 60
    assert sum(row["split"] == "held-out" for row in ROWS) == 100
    assert 0.3 < sum(bool(row["kinds"]) for row in ROWS) / len(ROWS) < 0.7  # plenty of hard negatives
    for row in ROWS:  # every labelled part is in its comment, with a known kind
        assert all(part["text"] in row["text"] and part["kind"] in KINDS for part in row["parts"])


@pytest.mark.parametrize("split", ["tune", "held-out", "held-out-2", "cy", "all"])
def test_detection_finds_nearly_every_comment_that_may_identify_someone(split):
    rows = [r for r in ROWS if split == "all" or r["split"] == split or r["language"] == split]
    result = figures(rows)
    print(
        f"\n{split} ({len(rows)} comments): "
        + "; ".join(f"{k} recall {r:.1%} precision {p:.1%} (of {n})" for k, (r, p, n) in result.items())
    )
    recall, precision, _ = result["all"]
    assert recall >= 0.95 and precision >= 0.80


def test_each_kind_is_found_and_marked_for_review():
    text = "Ask Dr Patel on Ward 7, j dot smith at gmail dot com, 07700 900 461, UN-12345, CF10 3NQ."
    kinds = [span.kind for span in find_personal(text, "en")]
    assert kinds == ["name", "workplace", "email", "phone", "number", "address"]
    parts, found = marked_parts(text)
    assert ("Dr Patel", "name") in parts and ("j dot smith at gmail dot com", "email") in parts
    assert ("Ask ", None) in parts and "".join(part for part, _ in parts) == text
    assert found[:3] == ["a name", "a workplace", "an email address"]
    welsh = "Fi yw'r unig fenyw ddu yn yr ystafell reoli ym Mangor, felly dyna ni."
    parts, found = marked_parts(welsh)
    assert parts[0] == ("Fi yw'r unig fenyw ddu yn yr ystafell reoli ym Mangor", "singling-out + workplace")
    assert found == ["a description that singles someone out", "a workplace"]


@pytest.mark.parametrize(
    "text",
    [
        "Copilot saves me 3 days a week, says the NHS.",
        "In May and June the Chief Executive promised AI would help.",
        "The only thing the AI does well is spell checking.",
        "Yr unig beth mae'r AI yn ei wneud yw gwirio sillafu.",
        "Over 10,000 cases; £24,500 salary; 37.5 hours; 24/7; since 2023.",
        "Mae'r ap yn gofyn am ein lleoliad. Pam?",
        "Aneurin Bevan and Hywel Dda health boards use different tools.",
    ],
)
def test_hard_negatives_are_not_held_back(text):
    assert find_personal(text, language_of(text)) == [] and not may_identify(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My supervisor Mrs Thompson-Blake reads every message.", "name"),
        ("The manager, Ms K. Williams, says it's mandatory.", "name"),
        ("Mae Nia Wyn o'r adran gyllid yn gwybod popeth.", "name"),
        ("email: dai_jones at btinternet.com", "email"),
        ("E-bost: meinir.lloyd@cyngor.cymru", "email"),
        ("I'm on extension 4421 at County Hall.", "phone"),
        ("Member no UN/123456.", "number"),
        ("My NI is AB123456C.", "number"),
        ("Rwy'n byw yn 7 Lôn Las, Llangefni LL77 7AA.", "address"),
        ("Ask for Bronwen at the Aberaeron library.", "workplace"),
        ("I'm the only male receptionist in the whole health board.", "singling-out"),
        ("Yr unig athro Cymraeg yn yr ysgol ydw i.", "singling-out"),
    ],
)
def test_forms_outside_the_labelled_set_are_found(text, kind):
    assert kind in {span.kind for span in find_personal(text, language_of(text))}


def test_the_language_is_guessed_from_small_words():
    assert language_of("Mae'r sgwrsfot yn rhoi cyngor anghywir am dreth y cyngor.") == "cy"
    assert language_of("The chatbot gives wrong advice about council tax.") == "en"


def test_detection_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    personal.gazetteer.cache_clear()
    assert [s.kind for s in find_personal("Sarah from payroll: 07700 900 461", "en")] == ["name", "phone"]


def test_the_review_page_marks_each_part_with_its_kind(app, organiser):
    held = [
        "Sarah from payroll checks the AI logs every morning.",
        "Fi yw'r unig nyrs Gymraeg ar Ward 7, felly peidiwch â chyhoeddi hwn.",
        "Write to j.smith (at) unison (dot) org about the rota tool.",
    ]
    assert not any(may_identify(t) for t in PLAIN_COMMENTS)
    survey = commented_survey(app, "kinds", PLAIN_COMMENTS + held)
    dashboard = get_page(organiser, f"/organise/surveys/{survey.id}/results/q/ai_detail")
    assert "3 comments held back" in dashboard and "Sarah" not in dashboard
    page = get_page(organiser, f"/organise/surveys/{survey.id}/results/review?q=ai_detail")
    assert '<mark data-kind="name">Sarah</mark> from payroll' in page
    assert '<mark data-kind="singling-out + workplace">Fi yw&#39;r unig nyrs Gymraeg ar Ward 7</mark>' in page
    assert '<mark data-kind="email">j.smith (at) unison (dot) org</mark>' in page
    assert "Contains a name." in page and "Contains a description that singles someone out, a workplace." in page
