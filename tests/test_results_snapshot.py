"""The columnar snapshot: built from released responses, extended a batch at a time."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import math
import mmap
import random
import uuid
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.core.submissions import release_batch
from survey.extensions import db
from survey.models import PendingSubmission, Response, StoredSnapshot
from survey.questionnaire.rules import with_derived
from survey.results import cache, npz, table_of
from survey.results import read as reading
from survey.results import snapshot as snapshots
from survey.results import stored as stored_copy

from .factories import AI_AT_WORK, TINY, insert_responses, make_survey, random_answers, random_records
from .helpers import snapshot_rows


def _same(a: snapshots.Snapshot, b: snapshots.Snapshot) -> None:
    assert a.n == b.n
    np.testing.assert_array_equal(a.keys, b.keys)
    for kind in ("categorical", "multi", "numbers"):
        left, right = getattr(a, kind), getattr(b, kind)
        assert left.keys() == right.keys()
        for key in left:
            np.testing.assert_array_equal(left[key], right[key], err_msg=f"{kind} {key}")
    for key in a.texts:
        assert a.text(key)[1:] == b.text(key)[1:]
        np.testing.assert_array_equal(a.text(key)[0], b.text(key)[0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 60))
def test_derived_variables_match_the_rules_engine(seed, n):
    records = random_records(AI_AT_WORK, n, seed)
    snapshot = snapshots.build(AI_AT_WORK, records)
    for row, (answers, language, _) in enumerate(records):
        expected = with_derived(AI_AT_WORK, answers, language)
        for variable in AI_AT_WORK.derived:
            index = snapshot.categorical[variable.id][row]
            got = snapshot.codes(variable.id)[index] if index >= 0 else None
            assert got == expected[variable.id], (variable.id, answers)


def test_every_answer_lands_in_its_column():
    rng = random.Random(4)
    records = [(random_answers(TINY, rng), "cy" if i % 3 == 0 else "en", f"{i:032x}") for i in range(80)]
    snapshot = snapshots.build(TINY, records)
    for row, (answers, language, _) in enumerate(records):
        for key, codes in snapshot.layout.categorical.items():
            if key in snapshot.layout.derived:
                continue
            index = snapshot.categorical[key][row]
            expected = language if key == "language" else answers.get(key)
            assert (codes[index] if index >= 0 else None) == expected, key
        bits = int(snapshot.multi["monitoring"][row])
        chosen = [c for j, c in enumerate(snapshot.codes("monitoring")) if bits >> j & 1]
        assert sorted(chosen) == sorted(answers.get("monitoring", []))
        years = snapshot.numbers["years"][row]
        assert (None if np.isnan(years) else int(years)) == answers.get("years")
    rows, ids, texts = snapshot.text("ai_detail")
    assert [records[r][0]["ai_detail"] for r in rows] == texts
    assert all(ids[i] == str(uuid.UUID(records[r][2])) for i, r in enumerate(rows))


def test_extending_equals_building_from_scratch():
    records = random_records(AI_AT_WORK, 150, 7)
    whole = snapshots.build(AI_AT_WORK, records, batch=3)
    first = snapshots.build(AI_AT_WORK, records[:40], batch=1)
    second = first.extend(records[40:90], batch=2)
    third = second.extend(records[90:], batch=3)
    _same(third, whole)
    # Older snapshots stay as they were for anyone still reading them.
    _same(first, snapshots.build(AI_AT_WORK, records[:40]))
    _same(second, snapshots.build(AI_AT_WORK, records[:90]))
    # Extending an old snapshot again (two readers racing) does not disturb the newer one.
    again = first.extend(records[40:60], batch=2)
    _same(again, snapshots.build(AI_AT_WORK, records[:60]))
    _same(third, whole)


def test_snapshot_reads_only_new_batches_and_equals_a_full_rebuild(app):
    survey = make_survey(app, "snap", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 60, 12)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:30]], batch=1)
    with app.app_context():
        current = db.session.merge(survey)
        cache.forget(survey.id)
        first = cache.snapshot_for(current)
        assert (first.n, first.batch) == (30, 1)
        assert cache.snapshot_for(current) is first  # nothing new: the same object
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[30:]], batch=2)
    with app.app_context():
        current = db.session.merge(survey)
        second = cache.snapshot_for(current)
        assert (second.n, second.batch) == (60, 2)
        assert second._store is first._store  # appended, not rebuilt
        cache.forget(survey.id)
        rebuilt = cache.snapshot_for(current)
        assert rebuilt is not second
        assert snapshot_rows(second) == snapshot_rows(rebuilt)
        assert table_of(second, 10, "D2", by="disabled") == table_of(rebuilt, 10, "D2", by="disabled")


def test_a_batch_committed_out_of_order_means_a_rebuild(app):
    survey = make_survey(app, "snap-odd", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 40, 13)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:20]], batch=2)
    with app.app_context():
        assert cache.snapshot_for(db.session.merge(survey)).n == 20
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[20:30]], batch=1)  # late, lower number
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[30:]], batch=3)
    with app.app_context():
        assert cache.snapshot_for(db.session.merge(survey)).n == 40


_numbers = iter(range(10**9))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(5, 12), min_size=1, max_size=4))
def test_release_batches_are_numbered_in_order(app, sizes):
    survey = make_survey(app, f"batches-{next(_numbers)}", TINY, threshold=5)
    rng = random.Random(1)
    with app.app_context():
        current = db.session.merge(survey)
        for number, size in enumerate(sizes, start=1):
            db.session.add_all(
                PendingSubmission(
                    survey_id=current.id,
                    questionnaire_version_id=current.questionnaire_version_id,
                    language="en",
                    answers=random_answers(TINY, rng),
                )
                for _ in range(size)
            )
            db.session.commit()
            assert release_batch(current, everything=True) == size  # as at close, whatever the size
            batches = db.session.scalars(db.select(Response.batch).where(Response.survey_id == current.id))
            assert sorted(set(batches)) == list(range(1, number + 1))
        assert cache.snapshot_for(current).batch == len(sizes)


def test_a_stored_snapshot_reads_back_the_same():
    records = random_records(AI_AT_WORK, 120, 21)
    snapshot = snapshots.build(AI_AT_WORK, records, batch=4)
    again = npz.load(AI_AT_WORK, npz.dump(snapshot), 4)
    _same(again, snapshot)
    assert again.text("K1")[1] == snapshot.text("K1")[1]  # the response ids of the comments
    np.testing.assert_array_equal(again.ids, snapshot.ids)
    assert table_of(again, 10, "D2", by="A2") == table_of(snapshot, 10, "D2", by="A2")


def test_a_stored_snapshot_is_read_in_place_and_a_compressed_one_still_reads():
    records = random_records(AI_AT_WORK, 90, 25)
    snapshot = snapshots.build(AI_AT_WORK, records, batch=2)
    data = npz.dump(snapshot)
    loaded = npz.load(AI_AT_WORK, data, 2)
    _same(loaded, snapshot)
    for column in (loaded.ids, loaded.categorical["A2"], loaded.multi["D1"]):
        assert not column.flags.writeable and np.shares_memory(column, np.frombuffer(data, dtype=np.uint8))
    # An archive whose members are compressed (not what dump writes) is read by numpy's own reader.
    with np.load(io.BytesIO(data), allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    squeezed = io.BytesIO()
    np.savez_compressed(squeezed, **arrays)
    _same(npz.load(AI_AT_WORK, squeezed.getvalue(), 2), snapshot)
    # A grown snapshot copies its columns: a stored copy's bytes are never written to.
    grown = loaded.extend(random_records(AI_AT_WORK, 5, 26), batch=3)
    assert grown.n == 95 and grown.categorical["A2"].flags.writeable
    _same(loaded, snapshot)


def _reads(monkeypatch) -> list:
    """Record the `after` batch of every read of responses (None: every response, a full rebuild)."""
    calls: list = []
    read = reading.responses

    def spy(survey_id, after, upto):
        calls.append(after)
        return read(survey_id, after, upto)

    monkeypatch.setattr(reading, "responses", spy)
    return calls


def _new_process(survey_id: int) -> None:
    """Forget what this process holds, as a freshly started worker would not have it."""
    cache.forget(survey_id)
    stored_copy._saved.pop(survey_id, None)


def test_a_new_worker_starts_from_the_stored_snapshot_and_reads_only_what_is_newer(app, monkeypatch):
    monkeypatch.setattr(stored_copy, "STORE_FROM", 20)
    survey = make_survey(app, "snap-stored", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 70, 22)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:40]], batch=1)
    reads = _reads(monkeypatch)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        first = cache.snapshot_for(current)
        assert reads == [None]  # nothing stored yet: every response read once
        stored = db.session.get(StoredSnapshot, survey.id)
        assert (stored.n, stored.batch) == (40, 1)
        _new_process(survey.id)
        again = cache.snapshot_for(current)
        assert reads == [None, 1]  # the stored copy, then only batches after it (none)
        assert snapshot_rows(again) == snapshot_rows(first)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[40:50]], batch=2)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        grown = cache.snapshot_for(current)
        assert reads[-1] == 1 and grown.n == 50
        assert db.session.get(StoredSnapshot, survey.id).n == 40  # grown by less than STORE_FROM: kept
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[50:]], batch=3)
    with app.app_context():
        current = db.session.merge(survey)
        latest = cache.snapshot_for(current)
        db.session.expire_all()
        assert (db.session.get(StoredSnapshot, survey.id).n, latest.n) == (70, 70)  # grown by 30: replaced
        assert None not in reads[1:]
        _new_process(survey.id)
        assert snapshot_rows(cache.snapshot_for(current)) == snapshot_rows(snapshots.build(AI_AT_WORK, records))


def test_withdrawn_responses_are_dropped_by_id_and_the_stored_copy_replaced(app, monkeypatch):
    monkeypatch.setattr(stored_copy, "STORE_FROM", 20)
    survey = make_survey(app, "snap-withdrawn", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 50, 23)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:40]], batch=1)
    reads = _reads(monkeypatch)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        cache.snapshot_for(current)
        ids = db.session.scalars(db.select(Response.id).where(Response.survey_id == survey.id)).all()
        gone = ids[:3]
        # As a release batch does: the withdrawn responses leave with the batch that arrives.
        db.session.execute(db.delete(Response).where(Response.id.in_(gone)))
        db.session.commit()
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[40:]], batch=2)
    with app.app_context():
        current = db.session.merge(survey)
        after = cache.snapshot_for(current)
        assert after.n == 47 and reads == [None, 1]  # dropped by id: no full rebuild
        assert db.session.get(StoredSnapshot, survey.id).n == 47  # a copy with them is not kept
        _new_process(survey.id)
        rebuilt = reading.build_from(AI_AT_WORK, reading.responses(survey.id, None, 2), 2)
        assert snapshot_rows(after) == snapshot_rows(rebuilt)
        assert table_of(after, 10, "D2", by="A2") == table_of(rebuilt, 10, "D2", by="A2")
        gone_text = {str(i) for i in gone}
        assert not gone_text & set(after.text("K1")[1])
        stored_copy.delete_stored(survey.id)
        db.session.commit()
        assert db.session.get(StoredSnapshot, survey.id) is None


def test_responses_deleted_at_close_without_a_new_batch_leave_every_worker(app):
    # Closing deletes withdrawn responses even when nothing is left to release, so no new batch
    # number appears; other workers, which hold their own snapshot, notice by the closing time.
    survey = make_survey(app, "snap-close", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 30, 24)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records], batch=1)
    with app.app_context():
        current = db.session.merge(survey)
        assert cache.snapshot_for(current).n == 30
        first = db.session.scalars(db.select(Response.id).where(Response.survey_id == survey.id)).first()
        db.session.execute(db.delete(Response).where(Response.id == first))
        db.session.commit()
        assert cache.snapshot_for(current).n == 30  # still open: results move only with a batch
        current.closed_at = datetime.now(UTC)
        db.session.commit()
        assert cache.snapshot_for(current).n == 29


# --- the faster parser and the primed stored copy (issue 7) ------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)  # orjson reads wider integers as floats; number answers are bounded
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_the_fast_parser_reads_what_the_standard_library_reads(value, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only)
    expected = json.loads(raw)
    for given_raw in (raw, raw.encode()):
        got = reading.parse_answers(given_raw)
        assert got == expected and json.dumps(got) == json.dumps(expected)  # ints stay ints


def test_text_orjson_refuses_is_read_by_the_standard_library():
    assert reading.parse_answers('{"K1": "a \\ud800 b"}') == {"K1": "a \ud800 b"}  # a lone surrogate
    assert math.isnan(reading.parse_answers('{"n": NaN}')["n"])
    assert reading.parse_answers('{"n": 1e400}') == {"n": math.inf}
    assert reading.parse_answers(None) == {} and reading.parse_answers({"A1": "x"}) == {"A1": "x"}


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 80))
def test_answers_parsed_from_their_text_give_the_same_columns(seed, n):
    records = random_records(AI_AT_WORK, n, seed)
    as_stored = [(reading.parse_answers(json.dumps(a)), lang, rid) for a, lang, rid in records]
    _same(snapshots.build(AI_AT_WORK, as_stored), snapshots.build(AI_AT_WORK, records))


def test_the_collector_is_paused_only_while_parsing_and_restored_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), reading.collector_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with reading.collector_paused():
            pass
        assert not gc.isenabled()  # switched off by someone else: left off
    finally:
        gc.enable()


def test_a_primed_stored_snapshot_equals_a_build_from_scratch(app, monkeypatch):
    survey = make_survey(app, "snap-primed", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 75, 31)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:30]], batch=1)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[30:45]], batch=2)
    with app.app_context():  # the rows as the database holds them, record keys included
        in_database = [r for chunk in reading.responses(survey.id, None, 2) for r in chunk]
    reads = _reads(monkeypatch)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        primed = cache.prime(current)
        stored = db.session.get(StoredSnapshot, survey.id)
        assert (stored.n, stored.batch) == (45, 2)  # far below STORE_FROM: stored all the same
        loaded = npz.load(AI_AT_WORK, stored.data, stored.batch)
        _same(loaded, primed)
        np.testing.assert_array_equal(loaded.ids, primed.ids)
        scratch = snapshots.build(AI_AT_WORK, in_database, batch=2)
        assert snapshot_rows(loaded) == snapshot_rows(scratch)
        assert table_of(loaded, 10, "D2", by="A2") == table_of(scratch, 10, "D2", by="A2")
        _new_process(survey.id)
        assert snapshot_rows(cache.snapshot_for(current)) == snapshot_rows(scratch)
        assert reads == [None, 2]  # a new worker loads the stored copy and reads nothing older
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[45:]], batch=3)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        primed = cache.prime(current)
        assert reads[-1] == 2  # primed again from the stored copy: only the new batch read
        db.session.expire_all()
        stored = db.session.get(StoredSnapshot, survey.id)
        assert (stored.n, stored.batch) == (75, 3)
        loaded = npz.load(AI_AT_WORK, stored.data, stored.batch)
        assert snapshot_rows(loaded) == snapshot_rows(snapshots.build(AI_AT_WORK, records)) == snapshot_rows(primed)


def test_priming_tries_again_while_the_table_is_locked_then_says_so(app, monkeypatch):
    survey = make_survey(app, "snap-locked", AI_AT_WORK, threshold=10)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in random_records(AI_AT_WORK, 20, 32)], batch=1)
    save, answers = stored_copy.save, [False, False]
    monkeypatch.setattr(stored_copy, "save", lambda *args: answers.pop(0) if answers else save(*args))
    monkeypatch.setattr(cache.time, "sleep", lambda seconds: None)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        cache.prime(current)  # locked twice, stored the third time
        assert db.session.get(StoredSnapshot, survey.id).n == 20
    insert_responses(app, survey, [(a, lang) for a, lang, _ in random_records(AI_AT_WORK, 5, 33)], batch=2)
    monkeypatch.setattr(stored_copy, "save", lambda *args: False)
    with app.app_context(), pytest.raises(RuntimeError, match="could not be stored"):
        cache.prime(db.session.merge(survey))


def test_a_stored_copy_read_back_in_many_small_pieces_is_the_same(app, monkeypatch):
    survey = make_survey(app, "snap-pieces", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 60, 34)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records], batch=1)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        primed = cache.prime(current)
        size = len(db.session.get(StoredSnapshot, survey.id).data)
        monkeypatch.setattr(stored_copy, "BLOB_PIECE", 999)  # SQLite
        monkeypatch.setattr(stored_copy, "BYTEA_PIECE", 999)  # PostgreSQL
        assert size > 20 * 999
        read = stored_copy.load_copy(survey.id, stored_copy.identity(current), AI_AT_WORK)
        _same(read, primed)
        np.testing.assert_array_equal(read.ids, primed.ids)
        assert stored_copy.load_copy(survey.id, ("another", "identity"), AI_AT_WORK) is None


# --- the stored copy shared as a file by the machine's processes (issue 15) -------------------


def _mapped(array: np.ndarray) -> bool:
    """Return whether an array's memory is a mapped file (it is a view of one, not a copy)."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return isinstance(base, mmap.mmap)


def _database_copy_refused(monkeypatch) -> None:
    def refuse(*args):
        raise AssertionError("the stored copy was read from the database, not from the shared file")

    monkeypatch.setattr(stored_copy, "_sqlite_stored", refuse)
    monkeypatch.setattr(stored_copy, "_postgresql_stored", refuse)


def test_workers_map_the_stored_copy_from_a_shared_file_named_by_its_digest(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    survey = make_survey(app, "snap-shared", AI_AT_WORK, threshold=10)
    records = random_records(AI_AT_WORK, 60, 35)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[:40]], batch=1)
    reads = _reads(monkeypatch)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        primed = cache.prime(current)  # as the job worker does after a release
        stored = db.session.get(StoredSnapshot, survey.id)
        assert stored.digest == hashlib.sha256(stored.data).hexdigest()
        first = tmp_path / "snapshots" / f"{stored.digest}.npz"
        assert first.read_bytes() == stored.data
        assert first.stat().st_mode & 0o777 == 0o600 and (tmp_path / "snapshots").stat().st_mode & 0o777 == 0o700
        with monkeypatch.context() as refused:
            _database_copy_refused(refused)
            _new_process(survey.id)
            mapped = cache.snapshot_for(current)  # a web worker taking the release in
        _same(mapped, primed)
        np.testing.assert_array_equal(mapped.ids, primed.ids)
        assert _mapped(mapped.ids) and _mapped(mapped.categorical["A2"])
        assert table_of(mapped, 10, "D2", by="A2") == table_of(primed, 10, "D2", by="A2")
        assert reads == [None, 1]  # built once; the mapped copy, then nothing newer to read
    insert_responses(app, survey, [(a, lang) for a, lang, _ in records[40:]], batch=2)
    with app.app_context():
        current = db.session.merge(survey)
        grown = cache.snapshot_for(current)  # the mapped columns extended by the new batch
        assert grown.n == 60 and reads[-1] == 1
        primed = cache.prime(current)
        db.session.expire_all()
        stored = db.session.get(StoredSnapshot, survey.id)
        second = tmp_path / "snapshots" / f"{stored.digest}.npz"
        assert second.is_file() and not first.exists()  # the replaced copy's file is deleted
        assert snapshot_rows(primed) == snapshot_rows(snapshots.build(AI_AT_WORK, records))

        second.write_bytes(b"damaged")  # a file that is not the copy: the database's copy serves
        _new_process(survey.id)
        assert snapshot_rows(cache.snapshot_for(current)) == snapshot_rows(primed)
        second.unlink()  # a machine without the file (another host): the same
        _new_process(survey.id)
        assert snapshot_rows(cache.snapshot_for(current)) == snapshot_rows(primed)
        cache.prime(current)  # priming writes the missing file again
        assert second.read_bytes() == db.session.get(StoredSnapshot, survey.id).data

        stored_copy.delete_stored(survey.id)  # responses deleted (withdrawn): no copy of them is left
        db.session.commit()
        assert list((tmp_path / "snapshots").iterdir()) == []


def test_without_a_folder_for_shared_files_the_database_copy_serves(app, monkeypatch):
    monkeypatch.setitem(app.config, "SNAPSHOT_DIR", None)
    survey = make_survey(app, "snap-no-files", AI_AT_WORK, threshold=10)
    insert_responses(app, survey, [(a, lang) for a, lang, _ in random_records(AI_AT_WORK, 30, 36)], batch=1)
    with app.app_context():
        current = db.session.merge(survey)
        _new_process(survey.id)
        primed = cache.prime(current)
        _new_process(survey.id)
        read = cache.snapshot_for(current)
        _same(read, primed)
        assert not _mapped(read.ids)
