"""The results engine through the real database: counts equal a plain recount, and the API's shape."""

from __future__ import annotations

import dataclasses
import json
import random
import statistics
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from survey.extensions import db
from survey.models import PendingSubmission, Response
from survey.questionnaire.rules import LANGUAGE, with_derived
from survey.responses.service import release_batch
from survey.results import (
    NO_ANSWER,
    comments,
    dimensions,
    equality_flags,
    filter_rules,
    overview,
    query_options,
    question_table,
    snapshot_for,
    table_of,
)
from survey.results import engine as engine_module
from survey.results import flags as flags_module
from survey.results import gate as gate_module
from survey.results import snapshot as snapshots
from survey.results.dimensions import structure
from survey.results.gate import universe
from survey.results.snapshot import _read as snapshot_rows
from survey.results.stats import chi_square_test

from .journey import TINY, make_survey
from .test_results_data import AI_AT_WORK, insert_responses, random_answers, random_records

_slugs = iter(range(10**9))


def _survey(app, questionnaire, records, threshold=5, **overrides):
    survey = make_survey(app, f"results-{next(_slugs)}", questionnaire, threshold=threshold, **overrides)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records], batch=1)
    return survey


def _values(questionnaire, records) -> list[dict]:
    """Every member's answers with derived variables and language, worked out one by one."""
    return [with_derived(questionnaire, answers, language) | {LANGUAGE: language} for answers, language, _ in records]


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


# --- counts after the gate: every published number -------------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(5, 120), k=st.sampled_from([5, 10]))
def test_every_published_number_equals_a_plain_recount(app, seed, n, k):
    records = random_records(TINY, n, seed, skip=0.2)
    survey = _survey(app, TINY, records, threshold=k)
    values = _values(TINY, records)
    shape = structure(TINY)
    with app.app_context():
        current = db.session.merge(survey)
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
                    _check_against_recount(part, question, values, filters, by)


def _check_against_recount(table, question, values, filters, by) -> None:
    key = table.question
    for group in table.groups:
        if group.suppressed:
            continue
        members = [
            v
            for v in values
            if _answered(v.get(key))
            and all(_in_group(v, d, c) for d, c in filters.items())
            and (group.code is None or by is None or _in_group(v, by, group.code))
        ]
        assert group.n == len(members), (key, by, filters, group)
        for cell in (c for c in table.cells if c.group == group.code and not c.suppressed):
            if question.type == "multi":
                count = sum(cell.option in v[key] for v in members)
            else:
                count = sum(v[key] == cell.option for v in members)
            assert cell.count == count, (key, by, filters, cell)
            assert cell.percent == round(100 * count / group.n, 1)
            assert cell.ci_low <= cell.percent <= cell.ci_high
        for summary in (s for s in table.scale if s.group == group.code and not s.suppressed):
            on_scale = [v for v in members if v[key] in {p.code for p in question.scale.points}]
            recount = {
                "base": len(on_scale),
                "positive_count": sum(v[key] in question.scale.positive for v in on_scale),
                "negative_count": sum(v[key] in question.scale.negative for v in on_scale),
            }
            for name, value in recount.items():  # a total may be withheld (None), never wrong
                assert getattr(summary, name) in (None, value), (key, name)
        for summary in (s for s in table.numbers if s.group == group.code and not s.suppressed):
            numbers = [v[key] for v in members]
            assert summary.n == len(numbers)
            assert summary.median == statistics.median(numbers)


def test_counts_on_ai_at_work_equal_a_plain_recount(app):
    records = random_records(AI_AT_WORK, 400, 21)
    survey = _survey(app, AI_AT_WORK, records, threshold=10)
    values = _values(AI_AT_WORK, records)
    with app.app_context():
        current = db.session.merge(survey)
        for question_id, by, filters in [
            ("B1", None, {}),
            ("B2", "A1", {}),
            ("C1", "disabled", {}),
            ("C2", "age_group", {"A6": "ft"}),
            ("D1", "ethnic_group", {"A5": "eastern"}),
            ("H3", "L2", {"A3": "public_body"}),
            ("E3", "black_members", {}),
            ("A1", "A5", {}),
            ("L1", "A6", {}),
            ("L2", None, {"A4": "frontline"}),
        ]:
            table = question_table(current, question_id, by, filters)
            assert table.refused is None, (question_id, table.refused)
            question = AI_AT_WORK.question(question_id)
            for part in table.items or [table]:
                if question_id in structure(AI_AT_WORK).dims:
                    _check_who_table(part, values, by, filters)
                else:
                    _check_against_recount(part, question, values, filters, by)


def _check_who_table(table, values, by, filters) -> None:
    """In a table of a question about who people are, each cell is a group: count it as one."""
    for cell in table.cells:
        if cell.suppressed:
            continue
        group = {by: cell.group} if by else {}
        count = sum(
            v.get(table.question) == cell.option and all(_in_group(v, d, c) for d, c in (filters | group).items())
            for v in values
        )
        assert cell.count == count
        assert cell.count >= table.threshold


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


def test_summary_sentence_names_the_answer_and_the_base(app):
    plan = {"1": 5, "2": 9, "3": 5, "4": 16, "5": 10, "dk": 5}
    answers = [code for code, count in plan.items() for _ in range(count)]
    records = [
        ({"group": "health", "sector": "acute", "confidence": a}, "en", f"{i:032x}") for i, a in enumerate(answers)
    ]
    survey = _survey(app, TINY, records)
    with app.app_context():
        table = question_table(db.session.merge(survey), "confidence")
    # 26 of the 45 answers on the scale are positive, 14 negative; "Don't know" is left out.
    assert table.summary == (
        "57.8% of members answered “Agree” or “Strongly agree” and 31.1% “Strongly disagree” or "
        "“Disagree” (base 45, not counting answers off the scale)."
    )


def test_results_move_only_when_a_batch_is_released(app):
    # §8 D7: one more submission changes nothing until a batch of at least k is released.
    survey = _survey(app, TINY, random_records(TINY, 30, 5), threshold=5)
    rng = random.Random(9)
    with app.app_context():
        current = db.session.merge(survey)
        before = question_table(current, "confidence", by="group")
        assert _release(current, [random_answers(TINY, rng)]) == 0
        assert question_table(current, "confidence", by="group") == before
        assert _release(current, [random_answers(TINY, rng) for _ in range(4)]) == 5
        after = question_table(current, "confidence", by="group")
        assert after.groups[0].n - before.groups[0].n in (0, 1, 2, 3, 4, 5)
        assert overview(current).batch == 2


def _release(survey, answer_sets: list[dict]) -> int:
    """Submit these answers as pending responses and release them as one batch."""
    for answers in answer_sets:
        db.session.add(
            PendingSubmission(
                survey_id=survey.id,
                questionnaire_version_id=survey.questionnaire_version_id,
                language="en",
                answers=answers,
            )
        )
    db.session.commit()
    return release_batch(survey)


def test_a_table_is_worked_out_once_per_batch(app):
    survey = _survey(app, TINY, random_records(TINY, 40, 6), threshold=5)
    with app.app_context():
        current = db.session.merge(survey)
        first = question_table(current, "confidence", by="group")
        everyone = question_table(current, "confidence")
        assert question_table(current, "confidence", by="group") is first  # kept with the snapshot
        assert question_table(current, "confidence", by="group", language="cy") is not first
        added = [random_answers(TINY, random.Random(i)) for i in range(5)]
        assert _release(current, added) == 5
        assert question_table(current, "confidence", by="group") is not first  # a new batch: worked out again
        answered = sum(_answered(answers.get("confidence")) for answers in added)
        assert question_table(current, "confidence").groups[0].n == everyone.groups[0].n + answered


def test_results_look_for_new_batches_at_most_every_refresh_interval(app, monkeypatch):
    survey = _survey(app, TINY, random_records(TINY, 40, 8), threshold=5)
    clock = [1000.0]
    monkeypatch.setattr(snapshots.time, "monotonic", lambda: clock[0])
    monkeypatch.setitem(app.config, "RESULTS_REFRESH_SECONDS", 15)
    with app.app_context():
        current = db.session.merge(survey)
        before = overview(current).responses
        assert _release(current, [random_answers(TINY, random.Random(i)) for i in range(5)]) == 5
        clock[0] += 14
        assert overview(current).responses == before  # within the interval: the batch waits
        clock[0] += 2
        assert overview(current).responses == before + 5  # then it shows


def test_overview_dimensions_and_filter_rules(app):
    survey = _survey(app, AI_AT_WORK, random_records(AI_AT_WORK, 120, 6), threshold=10)
    with app.app_context():
        current = db.session.merge(survey)
        summary = overview(current)
        assert summary.responses == 120
        assert {b.dimension for b in summary.breakdowns} == {d.id for d in dimensions(current) if not d.protected}
        for breakdown in summary.breakdowns:
            shown = [g.n for g in breakdown.groups if not g.suppressed]
            assert all(n >= 10 for n in shown)
        listing = {d.id: d for d in dimensions(current)}
        assert listing["disabled"].protected and not listing["disabled"].filter
        assert listing["A2"].filter and not listing["A1"].filter  # one filter per family: the finest
        assert listing["language"].values[1].label == {"en": "Welsh", "cy": "Cymraeg"}
        assert listing["disabled"].values[-1].code == NO_ANSWER
        rules = filter_rules(current)
        assert rules.max_filters == 1 and rules.protected_threshold == 10 and rules.comment_dimension == "A1"
        assert "disabled" not in rules.filter_dimensions
        options = query_options(current, "D2")
        assert "disabled" in options.by and "disabled" not in options.filters
        assert "nation" not in options.by_with_filter["A5"]  # nation and region are one family
        assert query_options(current, "K1").refused


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
        shown = comments(current, "ai_detail")
        assert shown.n == 200 and shown.held_for_review == 120
        assert sorted(set(shown.comments)) == ["Fine.", "Rotas."]
        assert comments(current, "ai_detail", {"young": "yes"}).refused  # never by a protected characteristic
        assert comments(current, "ai_detail", {"sector": "acute"}).refused  # only the comment dimension
        by_group = comments(current, "ai_detail", {"group": "health"})
        assert by_group.refused or by_group.n >= 10


def test_equality_flags_find_a_planted_difference(app):
    rng = random.Random(17)
    records = []
    for i in range(1500):
        answers = random_answers(AI_AT_WORK, rng, skip=0.05)
        if "D2.c" in answers:
            disabled = with_derived(AI_AT_WORK, answers, "en").get("disabled") == "yes"
            agree = rng.random() < (0.6 if disabled else 0.3)
            answers["D2.c"] = rng.choice(["4", "5"] if agree else ["1", "2", "3"])  # no empty answer cells
        records.append((answers, "en", f"{i:032x}"))
    survey = _survey(app, AI_AT_WORK, records, threshold=10)
    with app.app_context():
        flags = equality_flags(db.session.merge(survey))
    planted = [f for f in flags if f.question == "D2.c" and f.dimension == "disabled" and f.group == "yes"]
    assert planted, [f.sentence for f in flags]
    flag = planted[0]
    assert flag.sentence.startswith("Disabled members were ") and "more likely" in flag.sentence
    assert flag.base >= 10 and flag.other_base >= 10 and flag.adjusted_p <= 0.05
    # Nothing else was planted: any other flag is a false discovery, which should be rare.
    assert len(flags) <= 3


def test_universe_of_each_kind_of_answer(app):
    records = random_records(TINY, 50, 1)
    survey = _survey(app, TINY, records)
    with app.app_context():
        snapshot = snapshot_for(db.session.merge(survey))
        for key in ("group", "trust.a", "monitoring", "years", "ai_detail"):
            assert universe(snapshot, key).size == sum(_answered(a.get(key)) for a, _, _ in records)


def test_universe_masks_and_family_cells_kept_small_equal_the_plain_forms(app):
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
        shape = structure(AI_AT_WORK)
        for family in shape.families.values():
            cells = gate_module.family_cells(snapshot, family)
            plain, size = np.zeros(snapshot.n, dtype=np.int64), 1
            for dim_id in family.dims:
                plain += (snapshot.categorical[dim_id].astype(np.int64) + 1) * size
                size *= len(snapshot.codes(dim_id)) + 1
            assert cells.size == size and cells.keys.tolist() == plain.tolist()
            assert cells.keys.dtype == gate_module.key_dtype(size)
            assert np.iinfo(cells.keys.dtype).max >= size - 1
            smaller = [d for d in (np.int8, np.int16, np.int32) if np.iinfo(d).bits < np.iinfo(cells.keys.dtype).bits]
            assert all(np.iinfo(d).max < size - 1 for d in smaller)


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
    planted = [f for f in flags if f.question == "E3" and f.dimension == "disabled" and f.group == "yes"]
    assert planted, [f.sentence for f in flags]
    assert planted[0].outcome_codes == ["replaces"] and planted[0].gap > 5
    comparison = next(
        c
        for c in flags_module.comparisons(snapshot, 10)
        if (c.question, c.dimension, c.group) == ("E3", "disabled", "yes")
    )
    # Every substantive answer, and the rest ("Don't know"; nobody here, so the test leaves it out).
    assert comparison.distribution is not None and len(comparison.distribution[0]) == 5
    _, dof, p = chi_square_test(comparison.distribution)
    assert dof == 3 and p == comparison.p_value() and planted[0].p == p


def test_a_flag_never_shows_a_count_its_table_hides(app):
    # Twelve members of one ethnic group, three of whom say AI "replaces" jobs, against nobody
    # else: a large, "significant" gap, told through a count of three. The table hides that cell;
    # the flag must not show it either.
    rng = random.Random(8)
    records = []
    for i in range(1200):
        answers = random_answers(AI_AT_WORK, rng, skip=0.0)
        answers["L5"] = "indian" if i < 12 else "white_british"
        answers["E3"] = "replaces" if i < 3 else rng.choice(["supports", "mixed", "too_early"])
        records.append((answers, "en", f"{i:032x}"))
    survey = _survey(app, AI_AT_WORK, records, threshold=10)
    with app.app_context():
        current = db.session.merge(survey)
        snapshot = snapshot_for(current)
        raw = flags_module.decide(flags_module.comparisons(snapshot, 10))
        shown = equality_flags(current)
    hidden = [f for f in raw if f.question == "E3" and "replaces" in f.outcome_codes and f.base < 20]
    assert hidden, "the comparison should be significant before the tables are consulted"
    for flag in hidden:
        table = table_of(snapshot, 10, "E3", by=flag.dimension)
        cell = next((c for c in table.cells if (c.group, c.option) == (flag.group, "replaces")), None)
        assert cell is None or cell.suppressed
        assert flag not in shown


def _comparisons_one_by_one(snapshot, k: int) -> list[tuple]:
    """The flags' comparisons recounted the plain way: boolean masks, one comparison at a time."""
    questionnaire = snapshot.questionnaire
    shape = structure(questionnaire)
    protected = [d for d in shape.dims.values() if d.protected]
    out = []
    for question in questionnaire.questions:
        if question.id in shape.sources or question.type not in ("single", "multi", "scale", "grid"):
            continue
        for key in question.answer_keys() if question.type == "grid" else [question.id]:
            codes = snapshot.codes(key)
            if question.scale is not None:
                column = snapshot.categorical[key]
                base = np.isin(column, [codes.index(p.code) for p in question.scale.points])
                positive = tuple(sorted(question.scale.positive, key=codes.index))
                outcomes = [(positive, np.isin(column, [codes.index(c) for c in positive]))]
            else:
                substantive = [
                    o.code for o in question.options if o.code not in engine_module.SUBSTANTIVE_EXCLUDED and not o.other
                ]
                if not substantive:
                    continue
                if question.type == "multi":
                    bits = snapshot.multi[key]
                    chosen = {c: ((bits >> codes.index(c)) & 1).astype(bool) for c in substantive}
                    top = max(substantive, key=lambda c: (int(chosen[c].sum()), -codes.index(c)))
                    base, outcomes = bits != 0, [((top,), chosen[top])]
                else:
                    column = snapshot.categorical[key]
                    base, outcomes = column >= 0, [((c,), column == codes.index(c)) for c in substantive]
            where = universe(snapshot, key)
            for dim in protected:
                gate = gate_module.one_way(snapshot, dim.family, where, k)
                for value in dim.values:
                    if value.code in ("pnts", NO_ANSWER) or (dim.id, value.index) not in gate.published:
                        continue
                    member = snapshot.categorical[dim.id] == value.index
                    group, others = base & member, base & ~member
                    n, m = int(group.sum()), int(others.sum())
                    if n < gate.threshold or m < gate.threshold:
                        continue
                    xs = [int((hit & group).sum()) for _, hit in outcomes]
                    ys = [int((hit & others).sum()) for _, hit in outcomes]
                    j = max(range(len(xs)), key=lambda i: (abs(xs[i] / n - ys[i] / m), -i))
                    several = ((*xs, n - sum(xs)), (*ys, m - sum(ys))) if len(xs) > 1 else None
                    out.append((key, outcomes[j][0], dim.id, value.code, xs[j], n, ys[j], m, several))
    return out


@pytest.mark.parametrize(("n", "seed", "k"), [(150, 1, 5), (600, 2, 10), (2500, 3, 10), (2500, 4, 5)])
def test_flags_counted_together_equal_a_recount_one_comparison_at_a_time(n, seed, k):
    records = random_records(AI_AT_WORK, n, seed, skip=0.2)
    rng = random.Random(seed)
    for answers, _, _ in records:  # a planted gap, so that some comparisons end as flags
        if answers.get("L6") == "yes" and "D2.c" in answers and rng.random() < 0.5:
            answers["D2.c"] = "5"
    snapshot = snapshots.build(AI_AT_WORK, records)
    alone = snapshots.build(AI_AT_WORK, records)  # its gate counts its own universes
    expected = _comparisons_one_by_one(alone, k)
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
    # The gate, given the flags' tallies instead of counting, decides exactly as it does alone.
    decided = [key for key in snapshot.cache if key[0] == "one-way"]
    assert len(decided) > 100
    for _, family, answer_key, threshold in decided:
        given, counted = (
            snapshot.cache[("one-way", family, answer_key, threshold)],
            gate_module.one_way(alone, family, universe(alone, answer_key), threshold),
        )
        assert (given.counts.tolist(), given.published) == (counted.counts.tolist(), counted.published)
    assert len({(c[0], c[2]) for c in found}) > 100  # most answer keys and protected dimensions took part
    assert flags_module.equality_flags_of(snapshot, k) == [
        f
        for f in flags_module.decide(flags_module.comparisons(snapshot, k))
        if flags_module._shown_by_tables(snapshot, k, f)
    ]
