"""The results path: the engine's public functions timed in process, against numpy and DuckDB.

The references read the same stored rows independently (their own JSON parsing into int8
arrays), then do the same counts: numpy with bincount on int8 codes, DuckDB on the same arrays.
Every engine figure is checked against them: each published (not suppressed) count must equal
the reference's count, so a fast wrong answer fails the run.

The engine allows ONE filter (docs/decisions/0010-results-engine.md): the issue's "two filters"
queries are measured with one filter, region = North West.
"""

from __future__ import annotations

import contextlib
import json
import signal
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import sqlalchemy as sa

from survey import results
from survey.results.protection import published, published_count

BY_SECTOR = "A2"
BY_AGE = "L1"
FILTER = {"A5": "north_west"}
ONE_QUESTION = "C1"


class OverBudget(Exception):
    """A figure's first call took longer than the run allows (--budget)."""


BUDGET = [120.0]  # seconds a figure's first call may take before it is given up


@contextlib.contextmanager
def budget(seconds: float | None = None):
    """Raise OverBudget in this (main) thread once `seconds` have passed.

    The alarm's handler runs between Python bytecodes, so a long numpy call finishes first: the
    figure stops within one such call of the budget.
    """

    def stop(signum, frame):
        raise OverBudget

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds or BUDGET[0])
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Return (first call ms, median of `repeat` further calls ms, the first call's value)."""
    started = time.perf_counter()
    with budget():
        value = function()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return round(first, 2), round(statistics.median(times), 3) if times else round(first, 2), value


def rss_mb() -> tuple[float, float]:
    """Return (current RSS, peak RSS) of this process in MB."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


# --- the references' own copy of the data ------------------------------------------------------


class Reference:
    """int8 columns of option indexes (-1 = no answer), and each response's record key, read and
    parsed independently of the engine; counts published through the same perturbation table."""

    def __init__(self, questionnaire, keys: list[str], columns: dict[str, np.ndarray], n: int, record_keys: np.ndarray):
        self.questionnaire = questionnaire
        self.keys = keys
        self.columns = columns
        self.n = n
        self.record_keys = record_keys

    @classmethod
    def load(cls, questionnaire, survey_id: int, keys: list[str]) -> Reference:
        codes = {key: _codes(questionnaire, key) for key in keys}
        index = {key: {code: i for i, code in enumerate(c)} for key, c in codes.items()}
        parts: dict[str, list[np.ndarray]] = {key: [] for key in keys}
        n = 0
        from survey.extensions import db

        query = sa.text("SELECT answers, record_key FROM response WHERE survey_id = :s")
        rows = db.session.execute(query.execution_options(stream_results=True), {"s": survey_id})
        record_keys = []
        for chunk in rows.partitions(50_000):
            answers = [json.loads(a) if isinstance(a, str | bytes) else a for a, _ in chunk]
            record_keys.append(np.fromiter((key for _, key in chunk), np.uint16, len(chunk)))
            n += len(answers)
            for key in keys:
                lookup = index[key]
                parts[key].append(np.fromiter((lookup.get(a.get(key), -1) for a in answers), np.int8, len(answers)))
        db.session.rollback()
        columns = {key: np.concatenate(p) if p else np.zeros(0, np.int8) for key, p in parts.items()}
        return cls(questionnaire, keys, columns, n, np.concatenate(record_keys) if record_keys else np.zeros(0))

    def published_total(self) -> int:
        """numpy: everyone's published count."""
        return published_count(self.n, int(self.record_keys.sum(dtype=np.int64)))

    def _publish(self, rows: np.ndarray, cells: np.ndarray, size: int) -> np.ndarray:
        """Published counts of the cells (a number per selected row) over the selected rows."""
        counts = np.bincount(cells, minlength=size)
        return published(counts, np.bincount(cells, weights=self.record_keys[rows], minlength=size))

    def counts(self, key: str, by: str | None, filters: dict[str, str]) -> dict[tuple[str | None, str], int]:
        """numpy: {(group code or None, option code): published count} among those who answered `key`."""
        column = self.columns[key]
        mask = column >= 0
        for dim, code in filters.items():
            mask &= self.columns[dim] == _codes(self.questionnaire, dim).index(code)
        codes = _codes(self.questionnaire, key)
        k = len(codes)
        found: dict[tuple[str | None, str], int] = {}
        everyone = self._publish(mask, column[mask], k)
        found.update({(None, codes[i]): int(c) for i, c in enumerate(everyone)})
        if by:
            groups = self.columns[by]
            inside = mask & (groups >= 0)
            g_codes = _codes(self.questionnaire, by)
            table = self._publish(inside, groups[inside].astype(np.int32) * k + column[inside], len(g_codes) * k)
            for g, g_code in enumerate(g_codes):
                for i, code in enumerate(codes):
                    found[(g_code, code)] = int(table[g * k + i])
            missing = mask & (groups < 0)  # the "no answer" group
            nobody = self._publish(missing, column[missing], k)
            found.update({(results.NO_ANSWER, codes[i]): int(c) for i, c in enumerate(nobody)})
        return found

    def numpy_query(self, key: str, by: str | None, filters: dict[str, str]) -> np.ndarray:
        """The bare numpy work of one table (what is timed): masks, then counts and record-key sums
        by cell (two bincounts) and the perturbation table's lookup."""
        column = self.columns[key]
        mask = column >= 0
        for dim, code in filters.items():
            mask &= self.columns[dim] == self._index[dim][code]
        k = self._k[key]
        if by is None:
            return self._publish(mask, column[mask], k)
        groups = self.columns[by]
        inside = mask & (groups >= 0)
        return self._publish(inside, groups[inside].astype(np.int32) * k + column[inside], self._k[by] * k)

    def prepare(self) -> None:
        self._k = {key: len(_codes(self.questionnaire, key)) for key in self.keys}
        self._index = {key: {c: i for i, c in enumerate(_codes(self.questionnaire, key))} for key in self.keys}


def _codes(questionnaire, key: str) -> tuple[str, ...]:
    return questionnaire.question(key.split(".")[0]).codes


def table_counts(table) -> dict[tuple[str | None, str], int]:
    """Return the published counts of an engine table: {(group, option): count}."""
    return {(c.group, c.option): c.count for c in table.cells if not c.suppressed and c.count is not None}


def check(table, reference: Reference, key: str, by: str | None, filters: dict[str, str]) -> tuple[int, int]:
    """Return (published counts compared, mismatches) between an engine table and numpy."""
    expected = reference.counts(key, by, filters)
    published = table_counts(table)
    wrong = sum(1 for cell, count in published.items() if expected.get(cell) != count)
    return len(published), wrong


# --- DuckDB ------------------------------------------------------------------------------------


class Duck:
    """The same arrays in an in-memory DuckDB table `r`, one query per table."""

    def __init__(self, reference: Reference):
        import duckdb

        self.reference = reference
        self.connection = duckdb.connect()
        self.connection.execute("SET threads = 1")  # like numpy and the engine: one core
        arrays = {_name(k): v for k, v in reference.columns.items()} | {"record_key_": reference.record_keys}
        self.connection.register("arrays", arrays)
        self.connection.execute("CREATE TABLE r AS SELECT * FROM arrays")
        self.connection.unregister("arrays")

    def query(self, key: str, by: str | None, filters: dict[str, str]) -> list[tuple]:
        where = [f"{_col(key)} >= 0"]
        for dim, code in filters.items():
            where.append(f"{_col(dim)} = {_codes(self.reference.questionnaire, dim).index(code)}")
        if by:
            where.append(f"{_col(by)} >= 0")
            group = f"{_col(by)}, {_col(key)}"
        else:
            group = _col(key)
        sql = f"SELECT {group}, count(*), sum(record_key_) FROM r WHERE {' AND '.join(where)} GROUP BY {group}"
        return self.connection.execute(sql).fetchall()

    def counts(self, key: str, by: str | None, filters: dict[str, str]) -> dict[tuple[str | None, str], int]:
        codes = _codes(self.reference.questionnaire, key)
        found: dict[tuple[str | None, str], int] = {}
        for row in self.query(key, None, filters):
            found[(None, codes[row[0]])] = published_count(row[1], int(row[2]))
        if by:
            g_codes = _codes(self.reference.questionnaire, by)
            for g, o, count, key_sum in self.query(key, by, filters):
                found[(g_codes[g], codes[o])] = published_count(count, int(key_sum))
        return found


def _name(key: str) -> str:
    return key.replace(".", "_")


def _col(key: str) -> str:
    return '"' + _name(key) + '"'


# --- the figures -------------------------------------------------------------------------------


def dashboard_questions(
    survey, by: str, filters: dict[str, str], limit: int | None = None
) -> tuple[list[str], list[str], list[str]]:
    """Return (question ids the engine answers with `by` and `filters`, their answer keys, the
    closed questions with more than one answer a member may pick (multi), answered too)."""
    questionnaire = survey.questionnaire
    ids, keys, multi = [], [], []
    for question in questionnaire.questions:
        if question.type not in ("single", "scale", "grid", "multi"):
            continue
        if limit is not None and len(ids) >= limit:
            break
        options = results.query_options(survey, question.id)  # what is allowed, without computing
        (dimension,) = filters
        if options.refused or by not in options.by_with_filter.get(dimension, []):
            continue
        if question.type == "multi":
            multi.append(question.id)
            continue
        ids.append(question.id)
        keys.extend(question.answer_keys() if question.type == "grid" else [question.id])
    return ids, keys, multi


def measure(
    survey,
    repeat: int,
    log: Callable[[str], None],
    by: str = BY_SECTOR,
    filters: dict[str, str] | None = None,
    limit: int | None = None,
) -> dict:
    """Time every results-path figure for one survey; return figures, references and checks.

    `by` is the breakdown of the crosstab and the full dashboard (sector, A2, by default) and
    `filters` the one filter (region = North West); `limit` keeps only the first questions of
    the full dashboard. The test's tiny run uses nation, AI in use and 3 questions: on 2,000
    responses most cells are small, and the cell audit's cost grows steeply with them.
    """
    BY_SECTOR = by
    FILTER = filters or globals()["FILTER"]
    out: dict[str, Any] = {"filter": FILTER, "by_sector": BY_SECTOR, "by_age": BY_AGE, "question": ONE_QUESTION}

    # Cold snapshot: drop this process's copy, then build it (or load it, if a stored one exists).
    results.forget(survey.id)
    before, _ = rss_mb()
    started = time.perf_counter()
    snapshot_n = results.snapshot_for(survey).n  # the size only, to report it
    out["cold_snapshot_s"] = round(time.perf_counter() - started, 3)
    after, peak = rss_mb()
    out["snapshot_rss_growth_mb"] = round(after - before, 1)
    out["bench_process_peak_rss_mb"] = round(peak, 1)
    out["n"] = snapshot_n
    log(f"cold snapshot of {snapshot_n:,}: {out['cold_snapshot_s']} s")
    # The first view after a release in a worker that has not taken it in: the release (the
    # stored copy the job worker wrote, mapped from its shared file when this machine has it),
    # then the headline counts worked out on it.
    # Seven times (a release each time, as a worker sees it): the median and the slowest.
    times = []
    for _ in range(7):
        results.forget(survey.id)
        started = time.perf_counter()
        results.overview(survey)
        times.append(round(1000 * (time.perf_counter() - started), 1))
    out["first_view_after_release_ms"] = sorted(times)[len(times) // 2]
    out["first_view_after_release_max_ms"] = max(times)
    log(f"first view after a release, in a worker that has not taken it in: {times} ms")

    figures: dict[str, dict] = {}

    def figure(name: str, function: Callable[[], Any], reps: int = repeat) -> Any:
        try:
            first, warm, value = timed(function, reps)
        except OverBudget:
            figures[name] = {"first_ms": None, "warm_ms": None, "over_budget_s": BUDGET[0]}
            log(f"{name}: gave up after {BUDGET[0]:.0f} s")
            return None
        figures[name] = {"first_ms": first, "warm_ms": warm}
        log(f"{name}: first {first} ms, warm {warm} ms")
        return value

    overview = figure("headline", lambda: results.overview(survey))
    one = figure("one_question", lambda: results.question_table(survey, ONE_QUESTION))
    by_sector = figure("by_sector", lambda: results.question_table(survey, ONE_QUESTION, BY_SECTOR))
    by_age = figure("by_age_one_filter", lambda: results.question_table(survey, ONE_QUESTION, BY_AGE, FILTER))
    ids, keys, multi = dashboard_questions(survey, BY_SECTOR, FILTER, limit)
    log(f"dashboard: {len(ids)} questions, {len(keys)} answer keys, {len(multi)} multiple choice")
    results.forget(survey.id)  # the dashboard's first view on a fresh snapshot, then warm
    results.snapshot_for(survey)
    figure(
        "full_dashboard",
        lambda: [results.question_table(survey, q, BY_SECTOR, FILTER) for q in ids],
        max(3, repeat // 4),
    )
    figure(
        "full_dashboard_with_multi",
        lambda: [results.question_table(survey, q, BY_SECTOR, FILTER) for q in ids + multi],
        max(3, repeat // 4),
    )
    flags = figure("equality_flags", lambda: results.equality_flags(survey), max(3, repeat // 4))
    out["dashboard"] = {"questions": len(ids), "answer_keys": len(keys), "multi_questions": len(multi)}
    out["equality_flags_found"] = None if flags is None else len(flags)

    # References on the same rows.
    reference_keys = sorted({ONE_QUESTION, BY_SECTOR, BY_AGE, "A5", *FILTER, *keys})
    started = time.perf_counter()
    reference = Reference.load(survey.questionnaire, survey.id, reference_keys)
    reference.prepare()
    out["reference_load_s"] = round(time.perf_counter() - started, 2)
    refs: dict[str, dict] = {}

    def ref(name: str, work: Callable[[], Any], reps: int = repeat) -> None:
        _, warm, _ = timed(work, reps)
        refs.setdefault(name, {})
        return warm

    in_sector = reference.columns[BY_SECTOR] >= 0
    counts_by_sector = reference._publish(
        in_sector, reference.columns[BY_SECTOR][in_sector], len(_codes(survey.questionnaire, BY_SECTOR))
    )
    plan = {
        "headline": [(BY_SECTOR, None, {}), ("A5", None, {})],
        "one_question": [(ONE_QUESTION, None, {})],
        "by_sector": [(ONE_QUESTION, BY_SECTOR, {})],
        "by_age_one_filter": [(ONE_QUESTION, BY_AGE, FILTER)],
        "full_dashboard": [(key, BY_SECTOR, FILTER) for key in keys],
    }
    duck = None
    try:
        duck = Duck(reference)
        out["duckdb"] = "yes"
    except ImportError:
        out["duckdb"] = "not installed (pip install -r bench/requirements.txt)"
    for name, queries in plan.items():
        reps = repeat if name != "full_dashboard" else max(3, repeat // 4)
        numpy_ms = ref(name, lambda q=queries: [reference.numpy_query(*x) for x in q], reps)
        refs[name]["numpy_ms"] = numpy_ms
        if duck is not None:
            refs[name]["duckdb_ms"] = ref(name, lambda q=queries: [duck.query(*x) for x in q], reps)

    # Checks: every published count equals numpy's; numpy equals DuckDB's.
    checks = {"compared": 0, "mismatches": 0, "duckdb_mismatches": 0}

    def compare(table, key, by, filters) -> None:
        if table is None:
            return
        for item in table.items or [table]:
            item_key = item.question if table.items else key
            compared, wrong = check(item, reference, item_key, by, filters)
            checks["compared"] += compared
            checks["mismatches"] += wrong
            if duck is not None:
                mine, theirs = reference.counts(item_key, by, filters), duck.counts(item_key, by, filters)
                checks["duckdb_mismatches"] += sum(1 for c, v in theirs.items() if mine.get(c) != v)

    compare(one, ONE_QUESTION, None, {})
    compare(by_sector, ONE_QUESTION, BY_SECTOR, {})
    compare(by_age, ONE_QUESTION, BY_AGE, FILTER)
    if figures["full_dashboard"]["warm_ms"] is not None:
        for q in ids:
            compare(results.question_table(survey, q, BY_SECTOR, FILTER), q, BY_SECTOR, FILTER)
    sector_codes = _codes(survey.questionnaire, BY_SECTOR)
    published_sector = {
        g.code: g.n
        for b in (overview.breakdowns if overview else [])
        if b.dimension == BY_SECTOR
        for g in b.groups
        if not g.suppressed
    }
    for code, count in published_sector.items():
        checks["compared"] += 1
        if code in sector_codes and int(counts_by_sector[sector_codes.index(code)]) != count:
            checks["mismatches"] += 1
    checks["total_matches"] = overview is not None and overview.responses == reference.published_total()
    out["checks"] = checks
    for name, reference_times in refs.items():
        engine = figures[name]["warm_ms"] or None
        for which, ms in list(reference_times.items()):
            reference_times[which.replace("_ms", "_ratio")] = round(engine / ms, 1) if ms and engine else None
    out["figures"] = figures
    out["references"] = refs
    out["reference_columns"] = len(reference_keys)
    return out


def batch_to_visible(survey, size: int, seed: int, wait_s: float = 90.0) -> dict:
    """Release one batch of `size` responses; read results every half second until it shows.

    Results look for new batches at most every RESULTS_REFRESH_SECONDS, so the wait is up to
    that interval plus the read that takes the batch in.
    """
    import demo

    before = results.overview(survey).batch  # counts are published (adjusted): a batch is seen by its number
    started = time.perf_counter()
    demo.add_responses(survey, size, seed)
    written = time.perf_counter() - started
    released = time.perf_counter()
    reads = 0
    while True:
        reads += 1
        read_started = time.perf_counter()
        after = results.overview(survey).batch
        last_read = time.perf_counter() - read_started
        if after > before or time.perf_counter() - released > wait_s:
            break
        time.sleep(0.5)
    return {
        "batch": size,
        "write_s": round(written, 3),
        "visible_after_s": round(time.perf_counter() - released, 2),
        "reads": reads,
        "taking_in_ms": round(last_read * 1000, 1),
        "visible": after > before,
    }
