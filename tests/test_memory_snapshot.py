"""What a results worker keeps in memory: packed comments, universes and family cells without copies.

Each is checked against an independent computation (the lists a build makes, the mask and cell
numbers worked out here from the answers), and through a stored copy read back from the database.
"""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.extensions import db
from survey.models import StoredSnapshot
from survey.results import cache, comments, held_comments, npz, question_table, table_of
from survey.results import layout as layouts
from survey.results import snapshot as snapshots
from survey.results import stored as stored_copy
from survey.results.dimensions import structure
from survey.results.gate import universe
from survey.results.texts import PackedText

from .factories import AI_AT_WORK, insert_responses, make_survey, random_records

WRITTEN = ["Fine", "Llongyfarchiadau — diolch yn fawr ŵ ŷ", "AI 🤖 took my rota", "", "  ", "a\nb", "é" * 300]


def _with_texts(records: list, seed: int) -> list:
    """Give the records' free-text answers varied text: non-ASCII, long, blank (not a comment)."""
    rng = random.Random(seed)
    out = []
    for answers, language, rid in records:
        answers = dict(answers)
        for key in layouts.layout(AI_AT_WORK).texts:
            if rng.random() < 0.6:
                answers[key] = rng.choice(WRITTEN) + str(rng.randrange(1000))
            elif rng.random() < 0.2:
                answers[key] = rng.choice(["", "   "])
        out.append((answers, language, rid))
    return out


def _lists(snapshot: snapshots.Snapshot, key: str) -> tuple[list, list, list]:
    rows, ids, texts = snapshot.text(key)
    return rows.tolist(), list(ids), list(texts)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 80), cut=st.integers(0, 80))
def test_comments_read_back_packed_equal_the_built_lists_and_grow_like_a_build(seed, n, cut):
    records = _with_texts(random_records(AI_AT_WORK, n + 10, seed), seed)
    built = snapshots.build(AI_AT_WORK, records[:n], batch=1)
    loaded = npz.load(AI_AT_WORK, npz.dump(built), 1)
    for key in layouts.layout(AI_AT_WORK).texts:
        assert isinstance(loaded.texts[key], PackedText)
        rows, ids, texts = loaded.text(key)
        expected = [(i, r[0][key]) for i, r in enumerate(records[:n]) if str(r[0].get(key, "")).strip()]
        assert rows.tolist() == [i for i, _ in expected]
        assert list(texts) == [text for _, text in expected]
        assert list(ids) == [built.text(key)[1][j] for j in range(len(expected))]
        assert _lists(loaded, key) == _lists(built, key)
        assert len(texts) == len(expected) and texts == built.text(key)[2]
        if expected:  # read as any list is read: by position, from the end, in slices
            assert texts[-1] == expected[-1][1] and texts[np.int64(0)] == expected[0][1]
            assert texts[1:3] == [text for _, text in expected[1:3]]
        with pytest.raises(IndexError):
            texts[len(expected)]
    # A new batch (twice) keeps the loaded columns packed: the result equals a build of every record.
    grown = loaded.extend(records[n : n + 4], batch=2).extend(records[n + 4 :], batch=3)
    whole = snapshots.build(AI_AT_WORK, records, batch=3)
    for key in layouts.layout(AI_AT_WORK).texts:
        assert isinstance(grown.texts[key], PackedText)
        assert _lists(grown, key) == _lists(whole, key)
        assert _lists(loaded, key) == _lists(built, key)  # the loaded snapshot's readers see no change
    # Dropping rows (withdrawn responses) from a loaded snapshot, as from a built one.
    keep = np.array([(i * 7 + cut) % 3 != 0 for i in range(n)], dtype=bool)
    for key in layouts.layout(AI_AT_WORK).texts:
        assert _lists(snapshots.without(loaded, keep), key) == _lists(snapshots.without(built, keep), key)
    # Stored again from the loaded copy: the same bytes' worth of columns.
    again = npz.load(AI_AT_WORK, npz.dump(loaded), 1)
    for key in layouts.layout(AI_AT_WORK).texts:
        assert _lists(again, key) == _lists(built, key)


def _answered(snapshot: snapshots.Snapshot, key: str | None) -> np.ndarray:
    """The universe of an answer key, worked out here answer by answer."""
    if key is None:
        return np.ones(snapshot.n, dtype=bool)
    if key in snapshot.categorical:
        return np.array([int(v) != -1 for v in snapshot.categorical[key]], dtype=bool)
    if key in snapshot.multi:
        return np.array([int(v) > 0 for v in snapshot.multi[key]], dtype=bool)
    if key in snapshot.numbers:
        return np.array([v == v for v in snapshot.numbers[key]], dtype=bool)
    return np.isin(np.arange(snapshot.n), snapshot.text(key)[0])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 90), stored=st.booleans())
def test_universes_kept_without_copies_equal_their_definitions(seed, n, stored):
    built = snapshots.build(AI_AT_WORK, _with_texts(random_records(AI_AT_WORK, n, seed), seed))
    snapshot = npz.load(AI_AT_WORK, npz.dump(built), 0) if stored else built
    plan = snapshot.layout
    for key in [None, *plan.categorical, *plan.multi, *plan.numbers, *plan.texts]:
        where = universe(snapshot, key)
        expected = _answered(snapshot, key)
        np.testing.assert_array_equal(where.mask, expected, err_msg=str(key))
        assert where.size == int(expected.sum()) and where.n == snapshot.n
        if key in snapshot.categorical:
            assert where.source is snapshot.categorical[key]  # the column itself, no copy kept
    np.testing.assert_array_equal(snapshot.keys, built.keys)  # a stored copy keeps each row's record key
    assert snapshot.keys.dtype == np.uint16 and int(snapshot.keys.max(initial=0)) < 4096


def test_a_worker_reading_the_stored_copy_shows_what_a_build_shows(app, monkeypatch):
    monkeypatch.setattr(stored_copy, "STORE_FROM", 20)
    survey = make_survey(app, "memory-stored", AI_AT_WORK, threshold=5)
    records = _with_texts(random_records(AI_AT_WORK, 160, 41), 41)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:120]], batch=1)
    texts = layouts.layout(AI_AT_WORK).texts

    def outputs(current) -> list:
        shape = structure(AI_AT_WORK)
        found = [question_table(current, "D2", "A2"), question_table(current, "C1")]
        for key in texts:
            found += [comments(current, key, decisions={}), held_comments(current, key, {})]
            if shape.comment_dim:
                code = shape.dims[shape.comment_dim].values[0].code
                found.append(comments(current, key, {shape.comment_dim: code}, decisions={}))
        return found

    with app.app_context():
        current = db.session.merge(survey)
        cache.forget(survey.id)
        stored_copy._saved.pop(survey.id, None)
        built = outputs(current)  # built from the responses, then stored
        cache.forget(survey.id)
        assert isinstance(cache.snapshot_for(current).texts[texts[0]], PackedText)
        assert outputs(current) == built  # a new worker, from the stored copy
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[120:]], batch=2)
    with app.app_context():
        current = db.session.merge(survey)
        grown = outputs(current)  # the stored copy plus the new batch
        cache.forget(survey.id)
        stored_copy._saved.pop(survey.id, None)
        monkeypatch.setattr(stored_copy, "load_copy", lambda *args: None)  # a full rebuild, for comparison
        assert outputs(current) == grown


@pytest.mark.sqlite  # PostgreSQL's bytea is read into one buffer
def test_a_stored_copy_read_from_sqlite_has_room_to_grow_in_place(app, monkeypatch):
    survey = make_survey(app, "memory-room", AI_AT_WORK, threshold=5)
    records = _with_texts(random_records(AI_AT_WORK, 90, 43), 43)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:70]], batch=1)
    with app.app_context():
        current = db.session.merge(survey)
        cache.forget(survey.id)
        stored_copy._saved.pop(survey.id, None)
        primed = cache.prime(current)
        monkeypatch.setattr(stored_copy, "BLOB_PIECE", 7)  # pieces that cut through every header and column
        loaded = stored_copy.load_copy(survey.id, stored_copy.identity(current), AI_AT_WORK)
        assert _rows_of(loaded) == _rows_of(primed) and loaded.n == 70
        np.testing.assert_array_equal(loaded.ids, primed.ids)
        assert question_table(current, "D2", "A2") == snapshots_table(loaded, "D2", "A2")
        grown = loaded.extend(records[70:], batch=2)
        assert _rows_of(grown) == _rows_of(primed.extend(records[70:], batch=2))  # as the built one grows
        for kind in ("categorical", "multi"):  # appended where the loaded columns left room: no copy
            for key, column in getattr(loaded, kind).items():
                assert np.shares_memory(column, getattr(grown, kind)[key]), key
        assert _rows_of(loaded) == _rows_of(primed)  # the loaded snapshot's readers see no change
        # A stored copy with compressed members (not what dump writes) is read whole, as numpy reads it.
        with np.load(io.BytesIO(npz.dump(primed)), allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
        squeezed = io.BytesIO()
        np.savez_compressed(squeezed, **arrays)
        db.session.execute(db.update(StoredSnapshot).values(data=squeezed.getvalue()))
        db.session.commit()
        again = stored_copy.load_copy(survey.id, stored_copy.identity(current), AI_AT_WORK)
        assert _rows_of(again) == _rows_of(primed)


def snapshots_table(snapshot, question_id, by):
    return table_of(snapshot, 5, question_id, by=by)


def _rows_of(snapshot: snapshots.Snapshot) -> list:
    """Every row's answers and comments, worked out from the columns one by one."""
    out = []
    for row in range(snapshot.n):
        values = [(key, int(snapshot.categorical[key][row])) for key in sorted(snapshot.categorical)]
        values += [(key, int(snapshot.multi[key][row])) for key in sorted(snapshot.multi)]
        for key in snapshot.texts:
            rows, ids, texts = snapshot.text(key)
            found = np.flatnonzero(rows == row)
            values.append((ids[int(found[0])], texts[int(found[0])]) if len(found) else None)
        out.append(tuple(values))
    return out
