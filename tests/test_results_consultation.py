"""Consultation results: draft statements ranked by net support, priorities by how often chosen,
every count the published count of a plain recount, through the engine, the API, exports and the
staff dashboard (docs/results.md, "Consultations")."""

from __future__ import annotations

import csv
import io
import random
import re
import uuid
from itertools import pairwise

import pytest

from survey.extensions import db
from survey.models import Role, Survey, SurveyStatus
from survey.results import flags, npz, question_table, ranked, ranked_of, table_of
from survey.results import snapshot as snapshots
from survey.results.consultation import CLOSE, NET_CLOSE
from survey.results.protection import published_count, shown
from survey.results.read import responses as snapshot_rows
from survey.results.stats import net_interval, wilson

from .factories import (
    ANSWERS,
    CAMPAIGNS,
    CONSULTATION,
    PRIORITIES,
    STATEMENTS,
    consultation_answers,
    insert_responses,
    make_survey,
    make_user,
)
from .helpers import get_page

_slugs = iter(range(10**9))


def _survey(app, answer_sets: list[dict], threshold: int = 5, **overrides) -> Survey:
    fields = {"status": SurveyStatus.CLOSED, "threshold": threshold} | overrides
    survey = make_survey(app, f"consult-{next(_slugs)}", CONSULTATION, **fields)
    insert_responses(app, survey, [(answers, "en") for answers in answer_sets], batch=1)
    return survey


def _stored(survey) -> tuple[list[dict], list[int]]:
    """Return the released answers and record keys, as stored (no engine involved)."""
    records = [r for chunk in snapshot_rows(survey.id, None, 10**9) for r in chunk]
    return [r[0] for r in records], [r[3] for r in records]


def _published(members: list[int], keys: list[int]) -> int:
    """The published count of a set of responses, worked out the plain way."""
    return published_count(len(members), sum(keys[i] for i in members))


def _in(answers: dict, by: str | None, code: str | None) -> bool:
    if by is None or code is None:
        return True
    if code == "_none":
        return by not in answers
    return answers.get(by) == code


# --- the snapshot's columns ---------------------------------------------------------------------


def test_statements_are_one_column_each_and_priorities_a_bit_set_plus_one_column_per_rank():
    answers = [
        {"D1.pay": "support", "D1.office": "unsure", "D2": ["safety", "pay"], "D3": ["leave", "hours"]},
        {"D1.pay": "oppose", "D2": ["pay", "training"]},
        {},
    ]
    snapshot = snapshots.build(CONSULTATION, [(a, "en", uuid.uuid4()) for a in answers])
    layout = snapshot.layout
    assert layout.categorical["D1.pay"] == ANSWERS and "D1" not in layout.categorical
    assert layout.multi["D2"] == PRIORITIES and layout.multi["D3"] == CAMPAIGNS
    assert layout.ranks == {"D2.1": ("D2", 0), "D2.2": ("D2", 1)}  # ranked: first and second choices
    assert "D3.1" not in layout.categorical  # "choose exactly 2" has no order
    assert snapshot.categorical["D1.pay"].tolist() == [0, 1, -1]
    assert snapshot.categorical["D1.office"].tolist() == [2, -1, -1]
    assert snapshot.categorical["D2.1"].tolist() == [2, 0, -1]  # safety, pay, no answer
    assert snapshot.categorical["D2.2"].tolist() == [0, 3, -1]
    assert snapshot.multi["D2"].tolist() == [0b0101, 0b1001, 0]
    assert snapshot.multi["D3"].tolist() == [0b011, 0, 0]
    # The stored copy keeps them (the rank positions too).
    again = npz.load(CONSULTATION, npz.dump(snapshot), snapshot.batch)
    assert again.categorical["D2.2"].tolist() == [0, 3, -1]


# --- the net support interval -------------------------------------------------------------------


def test_net_support_interval_is_twice_wilson_less_one_when_no_one_is_unsure():
    for support, base in ((25, 25), (18, 25), (3, 40), (0, 12)):
        low, high = net_interval(support, base - support, base)
        w_low, w_high = wilson(support, base)
        assert low == pytest.approx(2 * w_low - 1) and high == pytest.approx(2 * w_high - 1)


def test_net_support_interval_holds_the_net_and_stays_within_the_scale():
    for support, oppose, base in ((24, 0, 25), (0, 0, 10), (10, 10, 30), (60, 25, 100), (27, 3, 25), (3, 0, 25)):
        low, high = net_interval(support, oppose, base)
        net = (min(support, base) - min(oppose, base)) / base
        assert -1 <= low <= min(net, 1) <= high <= 1 and high - low > 0, (support, oppose, base, low, high)
    low, high = net_interval(10, 10, 30)  # as much support as opposition: symmetric about 0
    assert low == pytest.approx(-high)
    # Near-unanimous support in a small group is not certainty (a Wald interval would say +96 to +96 here).
    low, high = net_interval(24, 0, 25)
    assert 0.75 < low < 0.85 and high > 0.99


def test_net_support_interval_covers_about_95_in_100():
    rng = random.Random(5)
    for shares, base in (((0.9, 0.05), 25), ((0.5, 0.3), 40), ((0.3, 0.3), 60)):
        truth = shares[0] - shares[1]
        hits = 0
        for _ in range(2000):
            draws = rng.choices(ANSWERS, [shares[0], shares[1], 1 - sum(shares)], k=base)
            low, high = net_interval(draws.count("support"), draws.count("oppose"), base)
            hits += low <= truth <= high
        assert 0.92 <= hits / 2000 <= 0.98, (shares, base, hits)


# --- every published number against a plain recount ---------------------------------------------


QUERIES = [(None, {}), ("region", {}), ("disabled", {}), (None, {"region": "north"}), ("disabled", {"region": "north"})]


@pytest.mark.parametrize("seed", [1, 2])
def test_statements_numbers_are_the_plain_recount_perturbed_and_ranked_by_net_support(app, seed):
    rng = random.Random(seed)
    survey = _survey(app, [consultation_answers(rng) for _ in range(160)], threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        values, keys = _stored(current)
        for by, filters in QUERIES:
            found = ranked(current, "D1", by, filters)
            assert found.refused is None and found.type == "statements"
            _check_statements(found, values, keys, by, filters)
            table = question_table(current, "D1", by, filters)
            assert table.ranked is found and table.summary == found.summary


def _check_statements(found, values, keys, by, filters) -> None:
    population = [i for i, v in enumerate(values) if all(v.get(d) == c for d, c in filters.items())]
    for group_index, group in enumerate(found.groups):
        members = [i for i in population if _in(values[i], by, group.code)]
        answered = [i for i in members if any(f"D1.{s}" in values[i] for s in STATEMENTS)]
        if group.suppressed:
            assert not shown(len(answered), _published(answered, keys), found.threshold if group.code else 5)
            assert group.n is None and all(row.cells[group_index].suppressed for row in found.rows)
            continue
        assert group.n == _published(answered, keys)
        for row in found.rows:
            cell = row.cells[group_index]
            assert row.key == f"D1.{row.code}" and cell.group == group.code
            who = [i for i in members if row.key in values[i]]
            if cell.suppressed:  # this statement's group is small, as counted or published
                assert not shown(len(who), _published(who, keys), found.threshold if group.code else 5)
                continue
            assert cell.base == _published(who, keys)
            counts = {}
            for answer in ANSWERS:
                gave = [i for i in who if values[i][row.key] == answer]
                share = getattr(cell, answer)
                counts[answer] = _published(gave, keys)
                assert share.count == counts[answer], (row.key, group.code, answer)
                assert share.percent == round(100 * min(share.count, cell.base) / cell.base, 1)
                low, high = wilson(min(share.count, cell.base), cell.base)
                assert (share.ci_low, share.ci_high) == (round(100 * low, 1), round(100 * high, 1))
            s, o = min(counts["support"], cell.base), min(counts["oppose"], cell.base)
            assert cell.net == round(100 * (s - o) / cell.base, 1)
            low, high = net_interval(s, o, cell.base)
            assert (cell.net_low, cell.net_high) == (round(100 * low, 1), round(100 * high, 1))
    # Ranked by net support among everyone (or the filter's group); rows not shown come last.
    shown_rows = [r for r in found.rows if r.rank is not None]
    assert [r.rank for r in shown_rows] == list(range(1, len(shown_rows) + 1))
    assert [r.cells[0].net for r in shown_rows] == sorted((r.cells[0].net for r in shown_rows), reverse=True)
    for above, row in pairwise(shown_rows):
        margin = 100 * NET_CLOSE / min(above.cells[0].base, row.cells[0].base)
        assert row.close == (above.cells[0].net - row.cells[0].net <= margin)


def test_priorities_numbers_are_the_plain_recount_perturbed_and_ranked_by_how_often_chosen(app):
    rng = random.Random(3)
    survey = _survey(app, [consultation_answers(rng) for _ in range(150)], threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        values, keys = _stored(current)
        for by, filters in QUERIES:
            for question, codes in (("D2", PRIORITIES), ("D3", CAMPAIGNS)):
                found = ranked(current, question, by, filters)
                assert found.type == "priorities" and found.refused is None
                assert (found.rank, found.choose) == ((2, None) if question == "D2" else (None, 2))
                population = [i for i, v in enumerate(values) if all(v.get(d) == c for d, c in filters.items())]
                for g, group in enumerate(found.groups):
                    who = [i for i in population if _in(values[i], by, group.code) and question in values[i]]
                    if group.suppressed:
                        assert not shown(len(who), _published(who, keys), found.threshold if group.code else 5)
                        continue
                    assert group.n == _published(who, keys)
                    for row in found.rows:
                        cell = row.cells[g]
                        chose = [i for i in who if row.code in values[i][question]]
                        assert cell.base == group.n and cell.chosen.count == _published(chose, keys)
                        assert cell.chosen.percent == round(100 * min(cell.chosen.count, group.n) / group.n, 1)
                        if question == "D2":
                            first = [i for i in who if values[i][question][0] == row.code]
                            assert cell.first.count == _published(first, keys)
                        else:
                            assert cell.first is None
                ranks = [r for r in found.rows if r.rank is not None]
                counts = [r.cells[0].chosen.count for r in ranks]
                assert counts == sorted(counts, reverse=True) and len(ranks) == len(codes)
                for above, row in pairwise(ranks):
                    assert row.close == (above.cells[0].chosen.count - row.cells[0].chosen.count <= CLOSE)


def test_the_same_set_of_responses_gets_the_same_number_wherever_it_appears(app):
    rng = random.Random(4)
    survey = _survey(app, [consultation_answers(rng) for _ in range(120)], threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        by_region = ranked(current, "D1", "region")
        for g, group in enumerate(by_region.groups[1:], start=1):
            if group.suppressed:
                continue
            alone = ranked(current, "D1", filters={"region": group.code})
            assert alone.groups[0].n == group.n
            for row in by_region.rows:
                mine = next(r for r in alone.rows if r.code == row.code)
                assert mine.cells[0].support == row.cells[g].support and mine.cells[0].net == row.cells[g].net
                # ... and as the statement's own table shows it
                table = question_table(current, row.key, "region")
                cell = next(c for c in table.cells if c.group == group.code and c.option == "support")
                assert cell.count == row.cells[g].support.count
        # First choices are the rank-position table's counts; "in the top 2" the question's own cells.
        priorities = ranked(current, "D2")
        firsts = question_table(current, "D2.1")
        table = question_table(current, "D2")
        for row in priorities.rows:
            assert row.cells[0].first.count == next(c.count for c in firsts.cells if c.option == row.code)
            assert row.cells[0].chosen.count == next(c.count for c in table.cells if c.option == row.code)
        assert firsts.text.endswith("(choice 1)") and firsts.type == "rank"


def test_small_groups_are_not_shown_and_nothing_else_is_hidden(app):
    rng = random.Random(6)
    # Wales is rare (about 1 in 30): too small to show at k = 5 among 90 members.
    answer_sets = [consultation_answers(rng, (("north", 15), ("south", 14), ("wales", 1))) for _ in range(90)]
    survey = _survey(app, answer_sets, threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        found = ranked(current, "D1", "region")
        wales = next(i for i, g in enumerate(found.groups) if g.code == "wales")
        assert found.groups[wales].suppressed and found.groups[wales].n is None
        assert found.hidden_groups and "at least 5 members" in found.notes[0]
        for row in found.rows:
            assert row.cells[wales].suppressed and row.cells[wales].net is None and row.cells[wales].support is None
            for cell in (c for i, c in enumerate(row.cells) if i != wales):
                assert not cell.suppressed and None not in (cell.support, cell.oppose, cell.unsure, cell.net)
        # A protected characteristic: its groups need 10 members, whatever k is.
        disabled = ranked(current, "D1", "disabled")
        assert disabled.threshold == 10
        for group in disabled.groups[1:]:
            assert group.suppressed or group.n >= 10
        # A filter's group too small to show: nothing at all, and a plain sentence why.
        alone = ranked(current, "D1", filters={"region": "wales"})
        assert alone.refused and alone.rows == [] and "too small" in alone.refused
    # Too few answers altogether: nothing, and why.
    few = snapshots.build(CONSULTATION, [(consultation_answers(rng), "en", uuid.uuid4()) for _ in range(3)])
    for question in ("D1", "D2"):
        found = ranked_of(few, 5, question)
        assert (
            found.rows == []
            and found.refused == "Results are shown once at least 5 people have answered this question."
        )


def test_a_25_member_consultation_with_near_unanimous_support_shows_each_demands_share(app):
    answer_sets = []
    for i in range(25):
        answer_sets.append(
            {
                "region": "north",
                "D1.pay": "support",
                "D1.caseloads": "support" if i else "unsure",
                "D1.office": "support" if i > 1 else "oppose",
                "D1.cameras": "oppose" if i < 20 else "support",
                "D2": ["pay", "workload"] if i < 22 else ["safety", "pay"],
                "D3": ["hours", "leave"],
            }
        )
    survey = _survey(app, answer_sets, threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        values, keys = _stored(current)
        found = ranked(current, "D1")
        assert not found.refused and found.groups[0].n == _published(list(range(25)), keys)
        by_code = {row.code: row for row in found.rows}
        for code in STATEMENTS:
            cell = by_code[code].cells[0]
            assert not cell.suppressed and cell.support is not None and cell.net is not None
            gave = [i for i, v in enumerate(values) if v[f"D1.{code}"] == "support"]
            assert cell.support.count == _published(gave, keys)
        # Everyone supports it: its support and its base are the same 25 people, so the same number.
        assert by_code["pay"].cells[0].support.percent == 100.0
        assert by_code["cameras"].rank == 4 and by_code["cameras"].cells[0].net < 0
        # 25 members: two nets up to 12 members apart could be either way in truth, so named together.
        assert found.summary.startswith("Most support: “") and "too close to tell apart" in found.summary
        assert "“A pay rise above inflation” (net +100)" in found.summary
        priorities = ranked(current, "D2")
        pay = next(row for row in priorities.rows if row.code == "pay")
        assert pay.cells[0].chosen.percent == 100.0  # chosen by all: the same people as the base
        # 25 and 22 members may be published either way round: Pay is first, or marked too close to it.
        assert pay.rank == 1 or (pay.rank == 2 and pay.close)
        most = priorities.summary.split(";")[0]
        assert most.startswith("Most often in the top 2: ") and "“Pay” (100%)" in most


def test_summaries_say_what_the_published_numbers_say():
    rng = random.Random(8)
    records = []
    for _ in range(300):
        answers = consultation_answers(rng)
        answers["D1.cameras"] = "oppose"  # every statement opposed by a mile but one
        records.append((answers, "en", uuid.uuid4()))
    snapshot = snapshots.build(CONSULTATION, records)
    found = ranked_of(snapshot, 5, "D1")
    best = found.rows[0]
    assert best.code == "pay" and not found.rows[1].close  # a clear leader in 300
    assert found.summary == f"Most support: “A pay rise above inflation” (net +{round(best.cells[0].net)})."
    filtered = ranked_of(snapshot, 5, "D1", filters={"region": "north"})
    assert filtered.summary.startswith("Most support among members in “North”: ")
    # Everyone against everything: the summary does not speak of support.
    against = snapshots.build(
        CONSULTATION, [({f"D1.{s}": "oppose" for s in STATEMENTS}, "en", uuid.uuid4()) for _ in range(40)]
    )
    assert ranked_of(against, 5, "D1").summary.startswith("Every statement had more opposition than support")
    # A statement's own table has a one-line summary with its net support.
    item = table_of(snapshot, 5, "D1.pay")
    assert item.type == "statement" and "net support +" in item.summary and item.scale == []


def test_statements_are_flagged_on_support_like_grid_rows_and_priorities_are_not():
    rng = random.Random(11)
    records = []
    for _ in range(1200):
        answers = consultation_answers(rng)
        answers["disabled"] = "yes" if rng.random() < 0.3 else "no"
        support = 0.35 if answers["disabled"] == "yes" else 0.7  # planted: disabled members support less
        answers["D1.office"] = "support" if rng.random() < support else rng.choice(["oppose", "unsure"])
        records.append((answers, "en", uuid.uuid4()))
    snapshot = snapshots.build(CONSULTATION, records)
    found = flags.equality_flags_of(snapshot, 10)
    office = [f for f in found if f.question == "D1.office"]
    assert office and office[0].dimension == "disabled" and office[0].outcome_codes == ["support"]
    assert "“Support”" in office[0].sentence and "A pay rise" not in office[0].sentence
    table = table_of(snapshot, 10, "D1.office", by="disabled")
    group = next(g for g in table.groups if g.code == office[0].group)
    support = next(c for c in table.cells if c.group == group.code and c.option == "support")
    assert office[0].base == group.n and round(100 * support.count / group.n, 1) == office[0].percent
    assert not [f for f in found if f.question in ("D2", "D3")]


# --- the API, exports and the dashboard ----------------------------------------------------------


@pytest.fixture
def consulted(app):
    rng = random.Random(12)
    return _survey(app, [consultation_answers(rng) for _ in range(200)], threshold=5, status=SurveyStatus.PUBLISHED)


def test_the_api_gives_the_ranked_results_with_the_engines_numbers(app, client, consulted):
    described = client.get(f"/api/v1/surveys/{consulted.slug}").get_json()
    d1 = next(q for q in described["questions"] if q["id"] == "D1")
    d2 = next(q for q in described["questions"] if q["id"] == "D2")
    assert d1["type"] == "statements" and [o["code"] for o in d1["options"]] == list(ANSWERS)
    assert [i["code"] for i in d1["items"]] == list(STATEMENTS)
    assert (d2["type"], d2["rank"], d2["choose"]) == ("priorities", 2, None)
    for question in ("D1", "D2", "D3"):
        body = client.get(f"/api/v1/surveys/{consulted.slug}/results/{question}?by=region").get_json()
        with app.app_context():
            expected = ranked(db.session.merge(consulted), question, "region")
        assert body["ranked"]["summary"] == expected.summary
        assert [r["code"] for r in body["ranked"]["rows"]] == [r.code for r in expected.rows]
        for row, mine in zip(body["ranked"]["rows"], expected.rows, strict=True):
            for cell, own in zip(row["cells"], mine.cells, strict=True):
                for measure in ("support", "oppose", "unsure", "chosen", "first"):
                    share = getattr(own, measure)
                    assert cell[measure] == (None if share is None else share.__dict__)
                assert (cell["net"], cell["net_low"], cell["net_high"]) == (own.net, own.net_low, own.net_high)
    # A statement, and first choices, are answer keys of their own.
    pay = client.get(f"/api/v1/surveys/{consulted.slug}/results/D1.pay").get_json()
    assert pay["type"] == "statement" and {c["option"] for c in pay["cells"]} == set(ANSWERS)
    first = client.get(f"/api/v1/surveys/{consulted.slug}/results/D2.1").get_json()
    assert first["type"] == "rank" and {c["option"] for c in first["cells"]} == set(PRIORITIES)
    assert client.get(f"/api/v1/surveys/{consulted.slug}/results/D2.3").status_code == 404


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"), newline="")))


def test_exports_hold_the_same_published_numbers_in_rank_order(app, admin, consulted):
    rows = _csv(admin.get(f"/organise/surveys/{consulted.id}/exports/q/D1.csv?by=region"))
    with app.app_context():
        current = db.session.merge(consulted)
        statements = ranked(current, "D1", "region")
        priorities = ranked(current, "D2")
        campaigns = ranked(current, "D3")
    assert list(dict.fromkeys(r["question"] for r in rows)) == [row.key for row in statements.rows]
    for row in statements.rows:
        for group, cell in zip(statements.groups, row.cells, strict=True):
            mine = [r for r in rows if r["question"] == row.key and r["group_code"] == (group.code or "")]
            if cell.suppressed:
                assert [r["group_n"] for r in mine] == ["not shown"]
                continue
            measures = {(r["measure"], r["answer_code"]): r for r in mine}
            for answer in ANSWERS:
                found = measures[("answer", answer)]
                assert int(found["count"]) == getattr(cell, answer).count
                assert float(found["percent"]) == getattr(cell, answer).percent and int(found["base"]) == cell.base
            net = measures[("net_support", "support-oppose")]
            assert (float(net["value"]), float(net["ci_low"]), float(net["ci_high"])) == (
                cell.net,
                cell.net_low,
                cell.net_high,
            )
    rows = _csv(admin.get(f"/organise/surveys/{consulted.id}/exports/q/D2.csv"))
    firsts = [r for r in rows if r["measure"] == "first_choice"]
    chosen = [r for r in rows if r["measure"] == "chosen"]
    assert [r["answer_code"] for r in chosen] == [row.code for row in priorities.rows]
    for row, first, top in zip(priorities.rows, firsts, chosen, strict=True):
        assert int(first["count"]) == row.cells[0].first.count and int(top["count"]) == row.cells[0].chosen.count
        assert "top 2" in top["note"]
    rows = _csv(admin.get(f"/organise/surveys/{consulted.id}/exports/q/D3.csv"))
    assert {r["measure"] for r in rows} == {"chosen"} and len(rows) == len(campaigns.rows)
    # The whole-survey file has them too.
    everything = _csv(admin.get(f"/organise/surveys/{consulted.id}/exports/results.csv"))
    assert {"net_support", "first_choice", "chosen"} <= {r["measure"] for r in everything}


def test_the_response_level_export_joins_priorities_in_rank_order(app, admin, consulted):
    page = admin.get(f"/organise/surveys/{consulted.id}/exports/responses")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    rows = _csv(admin.post(f"/organise/surveys/{consulted.id}/exports/responses", data={"csrf_token": token}))
    assert {"D1.pay", "D1.cameras", "D2", "D3"} <= set(rows[0])
    with app.app_context():
        values, _ = _stored(db.session.merge(consulted))
    assert sorted(r["D2"] for r in rows) == sorted(";".join(v["D2"]) if "D2" in v else "" for v in values)
    assert sorted(r["D1.pay"] for r in rows) == sorted(v.get("D1.pay", "") for v in values)


def test_the_staff_question_page_shows_the_ranked_demands_and_their_numbers(app, admin, consulted):
    with app.app_context():
        current = db.session.merge(consulted)
        statements = ranked(current, "D1")
        priorities = ranked(current, "D2")
        by_region = ranked(current, "D1", "region")
    html = get_page(admin, f"/organise/surveys/{consulted.id}/results/q/D1")
    assert statements.summary.replace("“", "&#8220;") in html or statements.summary in html
    positions = [html.index(f"{row.rank}. {row.label}") for row in statements.rows]
    assert positions == sorted(positions)  # in rank order
    for row in statements.rows:
        cell = row.cells[0]
        assert f'data-group="Support"><span class="val"><span class="pc">{cell.support.percent:.0f}%</span>' in html
        assert f'<span class="pc">{_signed(cell.net)}</span>' in html
    page = get_page(admin, f"/organise/surveys/{consulted.id}/results/q/D1?by=region")
    for group in by_region.groups:
        assert group.suppressed or f'data-group="{group.label}"><span class="val n">{group.n:,}</span>' in page
        for row in by_region.rows:
            cell = row.cells[by_region.groups.index(group)]
            if not cell.suppressed:
                assert f"{cell.support.percent:.0f}% support, {cell.oppose.percent:.0f}% oppose" in page
    page = get_page(admin, f"/organise/surveys/{consulted.id}/results/q/D2")
    assert "In the top 2" in page and "First choice" in page
    for row in priorities.rows:
        assert f"{row.cells[0].chosen.percent:.0f}%" in page and f"({row.cells[0].chosen.count:,})" in page
    chart = admin.get(f"/organise/surveys/{consulted.id}/results/q/D1/chart.json").get_json()
    support = next(trace for trace in chart["data"] if trace["name"] == "Support")
    assert support["y"] == [row.label for row in statements.rows]
    assert support["x"] == [row.cells[0].support.percent for row in statements.rows]
    oppose = next(trace for trace in chart["data"] if trace["name"] == "Oppose")
    assert all(x <= 0 for x in oppose["x"])  # to the left of the line
    chart = admin.get(f"/organise/surveys/{consulted.id}/results/q/D2/chart.json").get_json()
    assert chart["data"][0]["x"] == [row.cells[0].chosen.percent for row in priorities.rows]


def _signed(points: float) -> str:
    whole = round(points)
    return "0" if whole == 0 else (f"+{whole}" if whole > 0 else f"−{-whole}")


@pytest.mark.browser
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_ranked_tables_fit_a_phone_and_pass_axe(app, browser, consulted, size):
    from .browser import DESKTOP, PHONE, axe_violations, live_server, screenshot
    from .staff import browser_sign_in

    make_user(app, "ada@example.org", Role.ADMIN)
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE if size == "phone" else DESKTOP)
        page = context.new_page()
        browser_sign_in(page, server, app, "ada@example.org")
        base = f"{server}/organise/surveys/{consulted.id}/results/q/"
        for name, path in [
            ("statements", "D1"),
            ("statements-by-region", "D1?by=region"),
            ("ranked", "D2"),
            ("ranked-by-region", "D2?by=region"),
            ("chosen", "D3"),
        ]:
            page.goto(base + path)
            assert page.locator("table.cross").count() == 1, name
            assert axe_violations(page) == [], name
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name
            screenshot(page, f"consultation-{size}-{name}")
        page.goto(base + "D1")
        page.click("button:has-text('Show interactive chart')")
        page.wait_for_selector("#chart .main-svg", timeout=15_000)
        screenshot(page, f"consultation-{size}-statements-chart")
        context.close()
