"""The results engine through the real database: counts equal a plain recount, and the API's shape."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from survey.extensions import db
from survey.models import PendingSubmission, Response
from survey.questionnaire.rules import LANGUAGE, with_derived
from survey.results import (
    NO_ANSWER,
    cache,
    comments,
    dimensions,
    equality_flags,
    filter_rules,
    overview,
    query_options,
    question_table,
    snapshot_for,
)
from survey.results import flags as flags_module
from survey.results import snapshot as snapshots
from survey.results.dimensions import structure
from survey.results.gate import universe
from survey.results.protection import published_count, shown
from survey.results.read import responses as snapshot_rows
from survey.results.stats import chi_square_test, significant
from survey.results.summaries import SUBSTANTIVE_EXCLUDED

from .factories import AI_AT_WORK, TINY, insert_responses, make_survey, random_answers, random_records

_slugs = iter(range(10**9))


def _survey(app, questionnaire, records, threshold=5, **overrides):
    survey = make_survey(app, f"results-{next(_slugs)}", questionnaire, threshold=threshold, **overrides)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records], batch=1)
    return survey


def _values(questionnaire, records) -> list[dict]:
    """Every member's answers with derived variables and language, worked out one by one."""
    return [with_derived(questionnaire, answers, language) | {LANGUAGE: language} for answers, language, *_ in records]


def _answered(value) -> bool:
    return value not in (None, "", [])


def _in_group(values: dict, dim: str, code: str | None) -> bool:
    return values.get(dim) is None if code == NO_ANSWER else values.get(dim) == code


# --- counts before the gate: the snapshot -----------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 80), skip=st.floats(0, 0.5))
def test_snapshot_counts_equal_a_plain_recount(app, seed, n, skip):
    records = random_records(TINY, n, seed, skip=skip)
    survey = _survey(app, TINY, records)
    rng = random.Random(seed)
    with app.app_context():
        snapshot = snapshot_for(db.session.merge(survey))
        # The snapshot keeps rows in the order the database hands them back (PostgreSQL need not
        # return insertion order): recount in that same order.
        values = _values(TINY, [r for chunk in snapshot_rows(survey.id, None, 1) for r in chunk])
        shape = structure(TINY)
        filters = [None] + [(d, v.code) for d in shape.dims for v in shape.dims[d].values]
        for filter_ in [None, *rng.sample(filters[1:], 3)]:
            rows = [i for i, v in enumerate(values) if filter_ is None or _in_group(v, *filter_)]
            mask = np.zeros(snapshot.n, dtype=bool)
            mask[rows] = True
            for key, codes in snapshot.layout.categorical.items():
                got = Counter(snapshot.categorical[key][mask].tolist())
                want = Counter(codes.index(values[i][key]) if values[i].get(key) is not None else -1 for i in rows)
                assert got == want, (key, filter_)
            for key, codes in snapshot.layout.multi.items():
                bits = snapshot.multi[key][mask]
                for j, code in enumerate(codes):
                    want = sum(code in (values[i].get(key) or []) for i in rows)
                    assert int(np.count_nonzero((bits >> j) & 1)) == want
            for key in snapshot.layout.numbers:
                got = sorted(snapshot.numbers[key][mask][~np.isnan(snapshot.numbers[key][mask])].tolist())
                assert got == sorted(float(values[i][key]) for i in rows if values[i].get(key) is not None)


# --- every published number: the plain recount, perturbed by the cell key method ----------------


def _stored(survey) -> list[tuple]:
    """Return the survey's released responses as the snapshot reads them: (answers, language, id, key)."""
    return [r for chunk in snapshot_rows(survey.id, None, 10**9) for r in chunk]


def _published(rows: list[int], keys: list[int]) -> int:
    """Return the published count of these rows, worked out the plain way: true count, key sum, ptable."""
    return published_count(len(rows), sum(keys[i] for i in rows))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(5, 120), k=st.sampled_from([5, 10]))
def test_every_published_number_is_the_plain_recount_perturbed(app, seed, n, k):
    survey = _survey(app, TINY, random_records(TINY, n, seed, skip=0.2), threshold=k)
    shape = structure(TINY)
    with app.app_context():
        current = db.session.merge(survey)
        stored = _stored(current)
        values, keys = _values(TINY, stored), [r[3] for r in stored]
        for question in TINY.questions:
            options = query_options(current, question.id)
            if options.refused:
                continue
            queries = [(None, {})] + [(by, {}) for by in options.by]
            for f in options.filters:
                code = random.Random(seed).choice([v.code for v in shape.dims[f].values if v.code != NO_ANSWER])
                queries += [(None, {f: code})] + [(by, {f: code}) for by in options.by_with_filter[f]]
            for by, filters in queries:
                table = question_table(current, question.id, by, filters)
                for part in table.items or [table]:
                    if question.id in shape.dims:
                        _check_who_table(part, values, keys, by, filters)
                    else:
                        _check_against_recount(part, question, values, keys, filters, by)


def _check_against_recount(table, question, values, keys, filters, by) -> None:
    key = table.question
    if table.refused:
        return
    for group in table.groups:
        members = [
            i
            for i, v in enumerate(values)
            if _answered(v.get(key))
            and all(_in_group(v, d, c) for d, c in filters.items())
            and (group.code is None or by is None or _in_group(v, by, group.code))
        ]
        public = _published(members, keys)
        if group.suppressed:  # a group is hidden only when it is small, as counted or as published
            assert len(members) < table.threshold or public < table.threshold, (key, by, filters, group)
            continue
        assert group.n == public, (key, by, filters, group)
        if group.code is not None:  # a breakdown's group (everyone, or the filter's, has the survey's k)
            assert len(members) >= table.threshold and public >= table.threshold
        for cell in (c for c in table.cells if c.group == group.code):
            if question.type == "multi":
                chosen = [i for i in members if cell.option in values[i][key]]
            else:
                chosen = [i for i in members if values[i][key] == cell.option]
            assert not cell.suppressed  # nothing inside a shown group is hidden
            assert cell.count == _published(chosen, keys), (key, by, filters, cell)
            assert cell.percent == round(100 * min(cell.count, group.n) / group.n, 1)
            assert cell.ci_low <= cell.percent <= cell.ci_high
        for summary in (s for s in table.scale if s.group == group.code):
            cells = {c.option: c.count for c in table.cells if c.group == group.code}
            assert summary.base == sum(cells[p.code] for p in question.scale.points if p.code in cells)
            if summary.base == 0:  # no published answer on the scale: no percentage to give
                assert summary.positive_count is None and summary.positive_percent is None
                continue
            assert summary.positive_count == sum(cells[c] for c in question.scale.positive if c in cells)
            assert summary.negative_count == sum(cells[c] for c in question.scale.negative if c in cells)
        for summary in (s for s in table.numbers if s.group == group.code and not s.suppressed):
            numbers = [values[i][key] for i in members]
            assert summary.n == public
            assert min(numbers) - 1 <= summary.q1 <= summary.median <= summary.q3 <= max(numbers)


def test_counts_on_ai_at_work_are_the_plain_recount_perturbed(app):
    survey = _survey(app, AI_AT_WORK, random_records(AI_AT_WORK, 400, 21), threshold=10)
    with app.app_context():
        current = db.session.merge(survey)
        stored = _stored(current)
        values, keys = _values(AI_AT_WORK, stored), [r[3] for r in stored]
        for question_id, by, filters in [
            ("B1", None, {}),
            ("B2", "A1", {}),
            ("C1", "disabled", {}),
            ("C2", "age_group", {"A6": "ft"}),
            ("D1", "ethnic_group", {"A5": "eastern"}),
            ("H3", "L2", {"A3": "public_body"}),
            ("E3", "black_members", {}),
            ("D2", "A5", {"A1": "health"}),  # any dimension that is not protected may filter
            ("A1", "A5", {}),
            ("L1", "A6", {}),
            ("L2", None, {"A4": "frontline"}),
        ]:
            table = question_table(current, question_id, by, filters)
            assert table.refused is None, (question_id, table.refused)
            question = AI_AT_WORK.question(question_id)
            for part in table.items or [table]:
                if question_id in structure(AI_AT_WORK).dims:
                    _check_who_table(part, values, keys, by, filters)
                else:
                    _check_against_recount(part, question, values, keys, filters, by)


def _check_who_table(table, values, keys, by, filters) -> None:
    """In a table of a question about who people are, each cell is a group: shown by the group rule."""
    for cell in table.cells:
        group = {by: cell.group} if by and cell.group is not None else {}
        members = [
            i
            for i, v in enumerate(values)
            if v.get(table.question) == cell.option and all(_in_group(v, d, c) for d, c in (filters | group).items())
        ]
        public = _published(members, keys)
        if cell.suppressed:
            assert len(members) < table.threshold or public < table.threshold
        else:
            assert cell.count == public >= table.threshold and len(members) >= table.threshold


# --- the shape of what the lead codes against -------------------------------------------------


def test_tables_serialise_to_json_with_nulls_for_hidden_values(app):
    survey = _survey(app, TINY, random_records(TINY, 60, 3))
    with app.app_context():
        current = db.session.merge(survey)
        for question in TINY.questions:
            table = question_table(current, question.id, by="young")
            data = json.loads(json.dumps(dataclasses.asdict(table)))
            assert set(data) >= {"question", "type", "text", "by", "filters", "groups", "cells", "refused", "summary"}
            for cell in data["cells"]:
                if cell["suppressed"]:
                    assert cell["count"] is None and cell["percent"] is None and cell["ci_low"] is None
        grid = question_table(current, "trust", language="cy")
        assert [item.question for item in grid.items] == ["trust.a", "trust.b"]
        assert grid.items[0].text == "Rwy'n ymddiried yn fy nghyflogwr"
        assert grid.items[0].positive == ["4", "5"]
        number = question_table(current, "years")
        assert number.numbers[0].median is not None and number.cells == []
        assert "median" not in number.summary or number.summary
        assert question_table(current, "team").refused  # free text: read as comments


def test_summary_sentence_is_made_of_the_published_numbers(app):
    plan = {"1": 5, "2": 9, "3": 5, "4": 16, "5": 10, "dk": 5}
    answers = [code for code, count in plan.items() for _ in range(count)]
    records = [
        ({"group": "health", "sector": "acute", "confidence": a}, "en", f"{i:032x}") for i, a in enumerate(answers)
    ]
    survey = _survey(app, TINY, records)
    with app.app_context():
        table = question_table(db.session.merge(survey), "confidence")
    cells = {c.option: c.count for c in table.cells}
    summary = table.scale[0]
    # "Don't know" is left out of the base: the base is the published answers on the scale.
    assert summary.base == sum(cells[c] for c in "12345") and summary.positive_count == cells["4"] + cells["5"]
    assert abs(summary.positive_count - 26) <= 6 and abs(summary.base - 45) <= 15  # each count moves by 3 at most
    assert table.summary == (
        f"{summary.positive_percent:g}% of members answered “Agree” or “Strongly agree” and "
        f"{summary.negative_percent:g}% “Strongly disagree” or “Disagree” (base {summary.base:,}, not counting "
        "answers off the scale)."
    )


def test_a_summary_names_every_answer_too_close_to_tell_apart_from_the_largest(app):
    # 30 members each: the published counts may come out either way (by up to 6), so neither is
    # named alone, whatever the record keys.
    records = [({"group": "health" if i < 30 else "police_justice"}, "en", f"{i:032x}") for i in range(60)]
    survey = _survey(app, TINY, records)
    with app.app_context():
        table = question_table(db.session.merge(survey), "group")
    assert "too close to tell apart" in table.summary
    assert "“Health”" in table.summary and "“Police and justice”" in table.summary


def _release(app, survey, answer_sets: list[dict], batch: int) -> None:
    """Release these answers into the results as one batch (as a survey's release does)."""
    insert_responses(app, survey, [(answers, "en") for answers in answer_sets], batch=batch)


def test_results_move_only_when_a_batch_is_released(app):
    survey = _survey(app, TINY, random_records(TINY, 30, 5), threshold=5)
    rng = random.Random(9)
    with app.app_context():
        current = db.session.merge(survey)
        before = question_table(current, "confidence", by="group")
        db.session.add(
            PendingSubmission(
                survey_id=current.id,
                questionnaire_version_id=current.questionnaire_version_id,
                language="en",
                answers=random_answers(TINY, rng),
            )
        )
        db.session.commit()
        assert question_table(current, "confidence", by="group") == before  # waiting: not in the results
    _release(app, survey, [random_answers(TINY, rng) for _ in range(5)], batch=2)
    with app.app_context():
        current = db.session.merge(survey)
        assert question_table(current, "confidence", by="group") != before
        assert overview(current).batch == 2


def test_a_table_is_worked_out_once_per_batch(app):
    survey = _survey(app, TINY, random_records(TINY, 40, 6), threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        first = question_table(current, "confidence", by="group")
        assert question_table(current, "confidence", by="group") is first  # kept with the snapshot
        assert question_table(current, "confidence", by="group", language="cy") is not first
    _release(app, survey, [random_answers(TINY, random.Random(i)) for i in range(5)], batch=2)
    with app.app_context():
        current = db.session.merge(survey)
        assert question_table(current, "confidence", by="group") is not first  # a new batch: worked out again
        stored = _stored(current)
        values, keys = _values(TINY, stored), [r[3] for r in stored]
        answered = [i for i, v in enumerate(values) if _answered(v.get("confidence"))]
        assert question_table(current, "confidence").groups[0].n == _published(answered, keys)


def test_results_look_for_new_batches_at_most_every_refresh_interval(app, monkeypatch):
    survey = _survey(app, TINY, random_records(TINY, 40, 8), threshold=5)
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    monkeypatch.setitem(app.config, "RESULTS_REFRESH_SECONDS", 15)
    with app.app_context():
        current = db.session.merge(survey)
        before = overview(current).batch
        _release(app, current, [random_answers(TINY, random.Random(i)) for i in range(5)], batch=2)
        clock[0] += 14
        assert overview(current).batch == before  # within the interval: the batch waits
        clock[0] += 2
        assert overview(current).batch == 2  # then it shows


def test_overview_dimensions_and_filter_rules(app):
    survey = _survey(app, AI_AT_WORK, random_records(AI_AT_WORK, 120, 6), threshold=10)
    with app.app_context():
        current = db.session.merge(survey)
        summary = overview(current)
        stored = _stored(current)
        assert summary.responses == published_count(120, sum(r[3] for r in stored))
        assert {b.dimension for b in summary.breakdowns} == {d.id for d in dimensions(current) if not d.protected}
        for breakdown in summary.breakdowns:
            shown = [g.n for g in breakdown.groups if not g.suppressed]
            assert all(n >= 10 for n in shown)
        listing = {d.id: d for d in dimensions(current)}
        assert listing["disabled"].protected and not listing["disabled"].filter
        assert listing["A2"].filter and listing["A1"].filter  # any dimension that is not protected
        assert listing["language"].values[1].label == {"en": "Welsh", "cy": "Cymraeg"}
        assert listing["disabled"].values[-1].code == NO_ANSWER
        rules = filter_rules(current)
        assert rules.max_filters == 1 and rules.protected_threshold == 10 and rules.comment_dimension == "A1"
        assert "disabled" not in rules.filter_dimensions
        options = query_options(current, "D2")
        assert "disabled" in options.by and "disabled" not in options.filters
        assert "nation" not in options.by_with_filter["A5"]  # nation and region are one family
        assert "A2" not in options.by_with_filter["A1"]  # sector and service group are one family
        assert "disabled" in options.by_with_filter["A1"]
        assert query_options(current, "K1").refused
        assert question_table(current, "D2", by="L2", filters={"disabled": "yes"}).refused  # never a protected filter
        assert question_table(current, "L2", by="disabled").refused  # two protected characteristics


def test_a_sector_survey_does_not_offer_the_dimensions_its_audience_fixes(app):
    audience = {"service_group": "police_justice", "sector": "probation"}
    records = []
    rng = random.Random(2)
    for i in range(40):
        answers = random_answers(AI_AT_WORK.for_audience(audience), rng)
        records.append((answers, "en", f"{i:032x}"))
    survey = _survey(app, AI_AT_WORK, records, threshold=10, audience=audience)
    with app.app_context():
        current = db.session.merge(survey)
        assert {d.id for d in dimensions(current) if d.fixed} == {"A1", "A2"}
        assert "A2" not in filter_rules(current).filter_dimensions
        assert question_table(current, "D2", by="A2").refused
        assert question_table(current, "D2", by="A5").refused is None


def test_comments_hold_back_what_may_identify_someone(app):
    records = random_records(TINY, 200, 8)
    for i, (answers, _, _) in enumerate(records):
        answers["uses_ai"] = "yes"
        answers["ai_detail"] = ["Rotas.", "Call 07700 900123.", "me@example.org", "No 12345678", "Fine."][i % 5]
    survey = _survey(app, TINY, records, threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        shown = comments(current, "ai_detail", decisions={})
        assert shown.n == 200 and shown.held_for_review == 120
        assert sorted(set(shown.comments)) == ["Fine.", "Rotas."]
        # Never by a protected characteristic:
        assert comments(current, "ai_detail", {"young": "yes"}, decisions={}).refused
        assert comments(current, "ai_detail", {"sector": "acute"}, decisions={}).refused  # only the comment dimension
        by_group = comments(current, "ai_detail", {"group": "health"}, decisions={})
        assert by_group.refused or by_group.n >= 10


def test_equality_flags_find_a_planted_difference(app):
    rng = random.Random(17)
    records = []
    for i in range(1500):
        answers = random_answers(AI_AT_WORK, rng, skip=0.05)
        if "D2.c" in answers:
            disabled = with_derived(AI_AT_WORK, answers, "en").get("disabled") == "yes"
            agree = rng.random() < (0.6 if disabled else 0.3)
            answers["D2.c"] = rng.choice(["4", "5"] if agree else ["1", "2", "3"])
        records.append((answers, "en", f"{i:032x}"))
    survey = _survey(app, AI_AT_WORK, records, threshold=10)
    with app.app_context():
        flags = equality_flags(db.session.merge(survey))
    planted = [f for f in flags if f.question == "D2.c" and f.dimension == "disabled"]
    assert planted, [f.sentence for f in flags]
    flag = planted[0]
    # One headline per question and family: disabled members, or (its mirror) members not disabled.
    assert flag.group in ("yes", "no") and len(planted) == 1
    assert ("more likely" if flag.group == "yes" else "less likely") in flag.sentence
    assert flag.base >= 10 and flag.other_base >= 10 and flag.adjusted_p <= 0.05
    assert flag.p == float(f"{flag.p:.2g}") and flag.adjusted_p == float(f"{flag.adjusted_p:.2g}")
    # Nothing else was planted: any other flag is a false discovery, which should be rare.
    assert len(flags) <= 3


def test_universe_of_each_kind_of_answer(app):
    records = random_records(TINY, 50, 1)
    survey = _survey(app, TINY, records)
    with app.app_context():
        snapshot = snapshot_for(db.session.merge(survey))
        for key in ("group", "trust.a", "monitoring", "years", "ai_detail"):
            assert universe(snapshot, key).size == sum(_answered(a.get(key)) for a, _, _ in records)


def test_universe_masks_equal_the_plain_forms(app):
    records = random_records(AI_AT_WORK, 300, 5)
    survey = _survey(app, AI_AT_WORK, records)
    with app.app_context():
        snapshot = snapshot_for(db.session.merge(survey))
        stored = {r.id.bytes: r for r in db.session.scalars(select(Response).where(Response.survey_id == survey.id))}
        in_order = [stored[bytes(row)] for row in snapshot.ids]  # the snapshot's rows, in the database's order
        values = _values(AI_AT_WORK, [(r.answers, r.language, None) for r in in_order])
        for key in ("B1", "B2", "E3"):
            mask = universe(snapshot, key).mask
            assert mask.dtype == bool and mask.tolist() == [_answered(v.get(key)) for v in values]
        assert universe(snapshot, None).mask.all() and len(universe(snapshot, None).mask) == len(records)
        assert snapshot.keys.tolist() == [r.record_key for r in in_order]  # each row's own record key


def _planted_e3(rng: random.Random, n: int, shift: float) -> list:
    """Records where disabled members answer E3 "replaces" more often, the rest spread evenly."""
    records = []
    for i in range(n):
        answers = random_answers(AI_AT_WORK, rng, skip=0.05)
        disabled = with_derived(AI_AT_WORK, answers, "en").get("disabled") == "yes"
        weights = [1.0, 1.0, 1.0 + (shift if disabled else 0.0), 1.0]
        answers["E3"] = rng.choices(["supports", "mixed", "replaces", "too_early"], weights)[0]
        records.append((answers, "en", f"{i:032x}"))
    return records


def test_single_choice_is_tested_as_a_distribution_and_told_through_its_largest_gap(app):
    survey = _survey(app, AI_AT_WORK, _planted_e3(random.Random(5), 1500, 2.0), threshold=10)
    with app.app_context():
        flags = equality_flags(db.session.merge(survey))
        snapshot = snapshot_for(db.session.merge(survey))
    # One headline for the family: disabled members, or (its mirror) members not disabled.
    planted = [f for f in flags if f.question == "E3" and f.dimension == "disabled"]
    assert len(planted) == 1 and planted[0].group in ("yes", "no"), [f.sentence for f in flags]
    assert planted[0].outcome_codes == ["replaces"] and abs(planted[0].gap) > 5
    comparison = next(
        c
        for c in flags_module.comparisons(snapshot, 10)
        if (c.question, c.dimension, c.group) == ("E3", "disabled", planted[0].group)
    )
    # Every substantive answer, and the rest ("Don't know" and the like, published 0 here).
    assert comparison.distribution is not None and len(comparison.distribution[0]) == 5
    _, dof, p = chi_square_test(comparison.distribution)
    assert dof == 3 and p == comparison.p_value() and planted[0].p == significant(p)


def _comparisons_from_published_counts(snapshot, k: int) -> list[tuple]:
    """The flags' comparisons worked out the plain way: boolean masks, true counts and key sums per
    set, each published through the ptable, everyone else as everyone less the group."""
    questionnaire = snapshot.questionnaire
    shape = structure(questionnaire)
    keys = snapshot.keys.astype(np.int64)

    def publish(mask) -> int:
        return published_count(int(mask.sum()), int(keys[mask].sum()))

    out = []
    for question in questionnaire.questions:
        if question.id in shape.sources or question.type not in ("single", "multi", "scale", "grid"):
            continue
        for key in question.answer_keys() if question.type == "grid" else [question.id]:
            codes = snapshot.codes(key)
            answered = universe(snapshot, key).mask
            if question.type == "multi":
                bits = snapshot.multi[key]
                chosen = {c: ((bits >> codes.index(c)) & 1).astype(bool) for c in codes}
            else:
                column = snapshot.categorical[key]
                chosen = {c: column == codes.index(c) for c in codes}
            substantive = [o.code for o in question.options if o.code not in SUBSTANTIVE_EXCLUDED and not o.other]
            if question.scale is None and not substantive:
                continue
            for dim in (d for d in shape.dims.values() if d.protected):
                t = max(k, 10)
                everyone = {c: publish(answered & chosen[c]) for c in codes}
                for value in dim.values:
                    member = answered & (snapshot.categorical[dim.id] == value.index)
                    if value.code in ("pnts", NO_ANSWER) or not shown(int(member.sum()), publish(member), t):
                        continue
                    mine = {c: publish(member & chosen[c]) for c in codes}
                    if question.scale is not None:
                        points = [p.code for p in question.scale.points if p.code in codes]
                        n, total = sum(mine[c] for c in points), sum(everyone[c] for c in points)
                        outcomes = [tuple(sorted(question.scale.positive, key=codes.index))]
                        xs = [sum(mine[c] for c in outcomes[0])]
                        totals = [sum(everyone[c] for c in outcomes[0])]
                    else:
                        n, total = publish(member), publish(answered)
                        if question.type == "multi":
                            top = max(substantive, key=lambda c: (everyone[c], -codes.index(c)))
                            outcomes = [(top,)]
                        else:
                            outcomes = [(c,) for c in substantive]
                        xs = [mine[o[0]] for o in outcomes]
                        totals = [everyone[o[0]] for o in outcomes]
                    m = total - n
                    if n < t or m < t:
                        continue
                    ys = [min(max(0, a - b), m) for a, b in zip(totals, xs, strict=True)]
                    xs = [min(x, n) for x in xs]
                    j = max(range(len(xs)), key=lambda i: (abs(xs[i] / n - ys[i] / m), -i))
                    several = None
                    if question.scale is None and question.type != "multi":
                        rest = [c for c in codes if c not in substantive]
                        mine_rest = sum(mine[c] for c in rest)
                        several = ((*xs, mine_rest), (*ys, max(0, sum(everyone[c] for c in rest) - mine_rest)))
                    out.append((key, outcomes[j], dim.id, value.code, xs[j], n, ys[j], m, several))
    return out


@pytest.mark.parametrize(("n", "seed", "k"), [(150, 1, 5), (600, 2, 10), (2500, 3, 10)])
def test_flags_are_worked_out_from_published_counts_only(n, seed, k):
    records = random_records(AI_AT_WORK, n, seed, skip=0.2)
    rng = random.Random(seed)
    for answers, _, _ in records:  # a planted gap, so that some comparisons end as flags
        if answers.get("L6") == "yes" and "D2.c" in answers and rng.random() < 0.5:
            answers["D2.c"] = "5"
    snapshot = snapshots.build(AI_AT_WORK, records)
    expected = _comparisons_from_published_counts(snapshots.build(AI_AT_WORK, records), k)
    found = [
        (
            c.question,
            c.outcome_codes,
            c.dimension,
            c.group,
            c.count,
            c.base,
            c.other_count,
            c.other_base,
            c.distribution,
        )
        for c in flags_module.comparisons(snapshot, k)
    ]
    assert found == expected
    assert len({(c[0], c[2]) for c in found}) > 100  # most answer keys and protected dimensions took part
    flags = flags_module.equality_flags_of(snapshot, k)
    assert flags == flags_module.decide(flags_module.comparisons(snapshot, k))
    families = structure(AI_AT_WORK).dims
    assert len({(f.question, families[f.dimension].family) for f in flags}) == len(flags)  # one per family
