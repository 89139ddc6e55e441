"""Cell statuses decided once per population and answer: the same in every table that shows them.

A *cell* is one answer's count in one *population*: everyone; a published group of a dimension
(level 1); a published crossing group "r and g" of a crossing (level 2: r a group of the row
dimension, g a group of the column family, docs/decisions/0010). Whether a cell is shown, and
whether a population's scale summary is withheld, is decided here for the whole snapshot, in
*units*, each never changing what a lower one decided (docs/decisions/0015):

- level 0: the everyone row;
- level 1: one unit per family: every published group of every dimension of the family. Its
  unknowns are the family's *atoms* (the members no published group tells apart) times the
  answers, so nested bandings ("under 30" = "16–24" + "25–29") and rests (everyone minus the
  published groups of a dimension) are linear functions of them;
- level 2: one unit per crossing (row dimension R, column family C), solved one row r at a time
  (the "sub-unit" r: r's members over C's atoms), then checked across its rows exactly
  (`_across_rows`: what the other rows and C's level 1 together give away about a row, and the
  rank conditions of both families over all rows at once).

Inside a unit: hide answer counts below the threshold (zero included), then hide complements until
no small hidden cell, atom or rest is *determined* — in the span of everything the unit publishes
plus what the lower levels publish — and until the unit reveals nothing new about the lower
levels' numbers (the rank condition: every direction the lower levels leave free stays free).
Complements are chosen only among the unit's own cells. `table_of` then only reads the statuses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .dimensions import Structure, structure, threshold_for
from .gate import Universe, atom_ids, crossing, family_cells, one_way, orientation
from .snapshot import Snapshot

Pop = tuple  # () everyone; ((dim, index),) a level-1 group; ((row dim, r), (dim, index)) a crossing group
TOL = 1e-7


# --- linear algebra ----------------------------------------------------------------------------


def _eigen(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the eigenvalues and vectors of the Gram matrix of some rows (n x n)."""
    values, vectors = np.linalg.eigh(matrix.T @ matrix)
    return values, vectors


def null_space(rows: Sequence[np.ndarray] | np.ndarray, n: int) -> np.ndarray:
    """Return an orthonormal basis (columns) of the vectors every row is orthogonal to.

    Through the Gram matrix (n x n, one symmetric eigendecomposition): the rows are 0/1 sums, so
    the nonzero eigenvalues are far above the rounding error.
    """
    matrix = np.asarray(rows, dtype=float).reshape(-1, n)
    if matrix.shape[0] == 0:
        return np.eye(n)
    values, vectors = _eigen(matrix)
    return vectors[:, values < 1e-9 * max(1.0, values.max())]


@dataclass
class Span:
    """The row space of some facts (m rows over n unknowns), from one thin singular value decomposition.

    `basis` (n x rank) is orthonormal; `left` (m x rank) and `sigma` give each row's leverage (1 for
    a row independent of the others) and the least-norm combination of rows for a vector. The
    decomposition is of the smaller Gram matrix (m x m or n x n), with the same cut-off for zero
    as `null_space`.
    """

    basis: np.ndarray
    left: np.ndarray
    sigma: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[np.ndarray] | np.ndarray, n: int) -> Span:
        matrix = np.asarray(rows, dtype=float).reshape(-1, n)
        m = matrix.shape[0]
        if m == 0:
            return cls(np.zeros((n, 0)), np.zeros((0, 0)), np.zeros(0))
        if m <= n:
            values, vectors = np.linalg.eigh(matrix @ matrix.T)
            keep = values >= 1e-9 * max(1.0, values.max())
            sigma = np.sqrt(values[keep])
            left = vectors[:, keep]
            return cls((matrix.T @ left) / sigma, left, sigma)
        values, vectors = np.linalg.eigh(matrix.T @ matrix)
        keep = values >= 1e-9 * max(1.0, values.max())
        sigma = np.sqrt(values[keep])
        basis = vectors[:, keep]
        return cls(basis, (matrix @ basis) / sigma, sigma)

    def residual(self, vectors: np.ndarray) -> np.ndarray:
        """Return the part of each row vector outside the span."""
        return vectors - (vectors @ self.basis) @ self.basis.T

    def fixes(self, vectors: np.ndarray) -> np.ndarray:
        """Return, for each row vector, whether it lies in the span (the facts determine it)."""
        vectors = np.asarray(vectors, dtype=float)
        if len(vectors) == 0:
            return np.zeros(0, dtype=bool)
        scale = np.maximum(1.0, np.abs(vectors).max(axis=1))
        return np.abs(self.residual(vectors)).max(axis=1) < TOL * scale

    def leverage(self) -> np.ndarray:
        return (self.left**2).sum(axis=1)

    def weights(self, vectors: np.ndarray) -> np.ndarray:
        """Return the least-norm combination of rows for each vector (rows x vectors)."""
        return self.left @ ((self.basis.T @ np.asarray(vectors, dtype=float).T) / self.sigma[:, None])


def freed(port: np.ndarray, span: Span, lower_null: np.ndarray) -> np.ndarray:
    """Return the lower levels' free directions (columns of lower_null) the facts fix, as their parts.

    `port` (rows: the lower numbers over the unit's unknowns); a direction c of them is fixed when
    c @ port is in the span. The left singular vectors of port's residual with nonzero singular
    values span exactly what stays free (the column space of port @ null, null the span's null
    space); what is returned is lower_null's part outside them (zero when nothing is freed).
    """
    if lower_null.size == 0:
        return lower_null
    residual = span.residual(port)
    u, singular, _ = np.linalg.svd(residual, full_matrices=True)
    free = u[:, : len(singular)][:, singular > 1e-9 * max(1.0, singular.max(initial=0))]
    return lower_null - free @ (free.T @ lower_null)


# --- what an answer key looks like -------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """An answer key's options, and which sums of its cells a table publishes."""

    key: str
    codes: tuple[str, ...]
    add_up: bool  # single choice and scales: a population's cells add up to its base
    positive: tuple[int, ...] = ()
    negative: tuple[int, ...] = ()
    off: tuple[int, ...] = ()  # not on the scale: their total is the base minus the scale's base
    scale: bool = False


def answers_of(snapshot: Snapshot, key: str) -> Answers:
    """Return the answer structure of an answer key ("C1", "C2.a")."""
    questionnaire = snapshot.questionnaire
    question = questionnaire.question(key.partition(".")[0])
    codes = tuple(snapshot.codes(key))
    if question.scale is None:
        return Answers(key, codes, question.type != "multi")
    points = {p.code for p in question.scale.points}
    index = {c: i for i, c in enumerate(codes)}
    return Answers(
        key,
        codes,
        True,
        tuple(index[c] for c in question.scale.positive if c in index),
        tuple(index[c] for c in question.scale.negative if c in index),
        tuple(i for i, c in enumerate(codes) if c not in points),
        True,
    )


def counts_by_key(snapshot: Snapshot, answers: Answers, rows: np.ndarray, keys: np.ndarray, size: int) -> np.ndarray:
    """Return answer counts by key: an array (size, options) over the given rows (indexes or a mask).

    At a million responses every int64 temporary is 8 MB: the answers are selected in their own
    small types and widened once, into the one new array (`keys` is left as it was).
    """
    width = len(answers.codes)
    if answers.add_up:
        joint = np.multiply(keys, width, dtype=np.intp)
        joint += snapshot.categorical[answers.key][rows]
        return np.bincount(joint, minlength=size * width).reshape(size, width)
    bits = snapshot.multi[answers.key][rows]
    one = bits.dtype.type(1)
    columns = [np.bincount(keys[((bits >> j) & one) != 0], minlength=size) for j in range(width)]
    return np.stack(columns, axis=1).astype(np.int64)


# --- decisions ---------------------------------------------------------------------------------


@dataclass
class Decision:
    """What a unit decided: hidden cells, withheld scale-summary parts, and what stays unknown."""

    hidden: set[tuple[Pop, int]] = field(default_factory=set)
    withheld: dict[Pop, set[str]] = field(default_factory=dict)  # "positive", "negative", "base"
    null: np.ndarray | None = None  # null space of everything published up to this unit
    cells: list[tuple[Pop, int]] = field(default_factory=list)  # every cell the unit decided


@dataclass
class _Cell:
    key: tuple[Pop, int]
    vector: np.ndarray
    count: int
    hidden: bool = False


@dataclass
class _Sum:
    pop: Pop
    part: str  # "base" (a population's base: never withheld here), "positive", "negative", "off"
    vector: np.ndarray
    members: list[int]
    shown: bool = True


@dataclass
class _Unit:
    """One unit's system: unknowns, published cells and sums, what lower levels make known."""

    n: int
    t: int
    cells: list[_Cell]
    sums: list[_Sum]
    known: list[np.ndarray]  # lower facts, as rows over this unit's unknowns
    sensitive: list[tuple[np.ndarray, str]]  # atoms, rests, must-stay-open: never to be determined
    port: np.ndarray | None = None  # rows: the lower numbers the unit touches, over its unknowns
    lower_null: np.ndarray | None = None  # the lower levels' freedom in those numbers (columns)
    port_known: list[np.ndarray] | None = None  # lower facts for the rank condition (default: known)
    span: Span | None = None  # the span of the published and known facts when solve last stopped
    reduced: _Reduction | None = None  # the unknowns merged (see _reduce); vectors are in its terms
    own: int | None = None  # the first `own` known rows are the unit's own (the rest: other blocks' facts)


@dataclass
class _Reduction:
    """Unknowns known to be zero dropped, and unknowns no fact tells apart merged into one.

    A unit's facts (cells, sums, known rows) are all constant on each class of unknowns, so a
    vector is determined exactly when it is constant on every class too and its class values are
    determined in the merged system (the map from class values to vectors is one-to-one). Class
    values are scaled by the square root of the class size, so that the merged system has the same
    inner products (least-norm combinations, leverages) as the full one.
    """

    n: int  # unknowns before
    keep: np.ndarray  # the unknowns not known to be zero
    inverse: np.ndarray  # class of each kept unknown
    first: np.ndarray  # one kept unknown per class
    scale: np.ndarray  # sqrt(class size)

    def reduce(self, vector: np.ndarray) -> np.ndarray | None:
        """Return a vector in merged terms, or None when it is not constant on a class (never determined)."""
        values, constant = self.reduce_all(np.asarray(vector, dtype=float)[None, :])
        return values[0] if constant[0] else None

    def reduce_all(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return row vectors in merged terms, and whether each is constant on every class."""
        kept = vectors[:, self.keep]
        values = kept[:, self.first]
        scale = np.maximum(1.0, np.abs(vectors).max(axis=1, initial=0))
        constant = np.abs(kept - values[:, self.inverse]).max(axis=1, initial=0) < 1e-9 * scale
        return values * self.scale, constant

    def expand(self, columns: np.ndarray) -> np.ndarray:
        """Return orthonormal columns in merged terms as orthonormal columns over all unknowns."""
        out = np.zeros((self.n, columns.shape[1]))
        out[self.keep] = (columns / self.scale[:, None])[self.inverse]
        return out


def _reduce(unit: _Unit, zero: np.ndarray) -> None:
    """Drop the unknowns known to be zero (`zero`: their indexes) and merge the rest, in place."""
    keep = np.setdiff1d(np.arange(unit.n), zero)
    facts = [c.vector for c in unit.cells] + [t.vector for t in unit.sums] + unit.known
    facts += (unit.port_known or []) + ([] if unit.port is None else list(unit.port))
    matrix = np.array(facts, dtype=float)[:, keep] if facts else np.zeros((0, len(keep)))
    first, inverse = _same_columns(matrix)
    sizes = np.bincount(inverse, minlength=len(first))
    reduction = _Reduction(unit.n, keep, inverse, first, np.sqrt(sizes))

    # The facts are constant on every class (by construction): their merged values are one
    # column per class, scaled (what reduction.reduce_all returns for them).
    merged = list(matrix[:, first] * reduction.scale)
    counts = [len(unit.cells), len(unit.sums), len(unit.known), len(unit.port_known or [])]
    ends = np.cumsum(counts)
    for cell, vector in zip(unit.cells, merged[: ends[0]], strict=True):
        cell.vector = vector
    for total, vector in zip(unit.sums, merged[ends[0] : ends[1]], strict=True):
        total.vector = vector
    unit.known = [v for v in merged[ends[1] : ends[2]] if v.any()]
    if unit.port_known is not None:
        unit.port_known = [v for v in merged[ends[2] : ends[3]] if v.any()]
    if unit.port is not None:
        unit.port = np.array(merged[ends[3] :]).reshape(len(unit.port), len(first))
    if unit.sensitive:
        reduced, constant = reduction.reduce_all(np.array([v for v, _ in unit.sensitive]))
        unit.sensitive = [(reduced[i], unit.sensitive[i][1]) for i in np.flatnonzero(constant)]
    unit.n = len(first)
    unit.reduced = reduction


def _same_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (one column per class, class of each column) for the classes of equal columns.

    Columns are grouped by a random projection, then checked to be equal exactly; should two
    different columns ever share a projection, the exact (slower) grouping is used instead.
    """
    weights = np.random.default_rng(0).standard_normal(matrix.shape[0])
    _, first, inverse = np.unique(weights @ matrix, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(matrix, matrix[:, first][:, inverse]):
        _, first, inverse = np.unique(matrix.T, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    return first, inverse


def _keep_open(unit: _Unit, vectors: Sequence[np.ndarray]) -> None:
    """Add vectors (over the unit's original unknowns) that must stay undetermined."""
    if unit.reduced is None:
        unit.sensitive += [(vector, "open") for vector in vectors]
    elif len(vectors):
        reduced, constant = unit.reduced.reduce_all(np.array(vectors, dtype=float))
        unit.sensitive += [(reduced[i], "open") for i in np.flatnonzero(constant)]  # the others: never determined


def _fixes(unit: _Unit, vectors: np.ndarray) -> np.ndarray:
    """Return whether the unit's published and known facts determine each vector (original unknowns)."""
    assert unit.span is not None
    vectors = np.asarray(vectors, dtype=float)
    if unit.reduced is None:
        return unit.span.fixes(vectors)
    out = np.zeros(len(vectors), dtype=bool)
    if len(vectors):
        reduced, constant = unit.reduced.reduce_all(vectors)
        out[constant] = unit.span.fixes(reduced[constant])
    return out


def _fixes_unknowns(unit: _Unit) -> np.ndarray:
    """Return, for each of the unit's original unknowns alone, whether the facts determine it.

    The same as `_fixes` of the identity's rows, without forming them: an unknown dropped as
    known to be zero is determined; one merged with others never is; one alone in its class is
    when its unit vector's part outside the span is zero (a row of I - basis basis').
    """
    assert unit.span is not None
    basis = unit.span.basis
    alone = np.abs(np.eye(basis.shape[0]) - basis @ basis.T).max(axis=1, initial=0) < TOL
    reduction = unit.reduced
    if reduction is None:
        return alone
    out = np.ones(reduction.n, dtype=bool)
    sizes = np.bincount(reduction.inverse, minlength=len(reduction.first))
    out[reduction.keep] = (sizes == 1)[reduction.inverse] & alone[reduction.inverse]
    return out


def _fixes_checks(unit: _Unit, checks: np.ndarray, groups: int) -> np.ndarray:
    """`_fixes` of the column family's level-1 numbers (`_column_functions`: `groups` rows, then
    one row per unknown, the identity's)."""
    return np.concatenate([_fixes(unit, checks[:groups]), _fixes_unknowns(unit)])


def _withhold(unit: _Unit, total: _Sum) -> None:
    parts = ("positive", "negative", "off") if total.part == "off" else (total.part,)
    for other in unit.sums:
        if other.pop == total.pop and other.part in parts:
            other.shown = False


def _published(unit: _Unit) -> list[np.ndarray]:
    rows = [c.vector for c in unit.cells if not c.hidden]
    rows += [s.vector for s in unit.sums if s.shown]
    return rows


def solve(unit: _Unit) -> bool:
    """Hide cells (and withhold sums) until nothing small is determined and the lower levels keep
    every freedom they had; leave the span of the published and known facts in `unit.span`.

    One decomposition per round: the span of everything published plus the lower facts (the rank
    condition's lower facts lie in the span of the known rows, so one span serves both). The rank
    condition, which needs the span without the known rows, is checked once nothing small is.
    Returns False when it had to hide the whole unit (what is left may still be determined).
    """
    for cell in unit.cells:
        if cell.count < unit.t:
            cell.hidden = True
    _protect(unit)
    # What must stay undetermined is the same in every round (cells below t are hidden above), and
    # the span only shrinks from round to round (rows are hidden, none added): a vector left
    # undetermined stays so, and only those determined in the round before are tested again.
    small = [c.vector for c in unit.cells if c.hidden and c.count < unit.t] + [v for v, _ in unit.sensitive]
    small_matrix = np.array(small, dtype=float).reshape(len(small), unit.n)
    candidates = np.arange(len(small))
    while True:
        rows = _rows(unit)
        span = Span.of(rows, unit.n)
        unit.span = span
        if len(candidates):
            candidates = candidates[span.fixes(small_matrix[candidates])]
        bad = [small[i] for i in candidates]
        # (what `freed` returns is lower_null's part outside some subspace: never longer than
        # lower_null's columns, so when they are all shorter than the cut-off nothing can be freed)
        if not bad and unit.port is not None and unit.lower_null is not None and _any_freedom(unit.lower_null):
            port_span = span
            if unit.port_known is not None:
                port_span = Span.of(_published(unit) + unit.port_known, unit.n)
            rest = freed(unit.port, port_span, unit.lower_null)
            if np.abs(rest).max() > 1e-6:  # a lower number the unit fixes and the lower levels do not
                direction = rest[:, int(np.argmax(np.linalg.norm(rest, axis=0)))]
                bad.append(direction @ unit.port)
        if not bad:
            return True
        if not _hide_beside(unit, bad, span):
            for cell in unit.cells:
                cell.hidden = True
            for total in unit.sums:
                if total.part != "base":
                    total.shown = False
            unit.span = Span.of(_rows(unit), unit.n)
            return False


def _any_freedom(lower_null: np.ndarray) -> bool:
    """Return whether some column of lower_null is long enough for `solve` to find it freed."""
    return bool(lower_null.size) and float(np.linalg.norm(lower_null, axis=0).max()) > 1e-6


def _rows(unit: _Unit) -> list[np.ndarray]:
    """Return the published rows, then the known rows, then the rank condition's own known rows."""
    return _published(unit) + unit.known + (unit.port_known or [])


def _protect(unit: _Unit) -> None:
    """The quick rule: if what is hidden under a shown sum adds up to fewer than t, hide one more."""
    changed = True
    while changed:
        changed = False
        for total in unit.sums:
            if not total.shown:
                continue
            hidden = [unit.cells[i] for i in total.members if unit.cells[i].hidden]
            shown = [unit.cells[i] for i in total.members if not unit.cells[i].hidden]
            if hidden and shown and sum(c.count for c in hidden) < unit.t:
                min(shown, key=lambda c: (c.count, c.key)).hidden = True
                changed = True


def _hide_beside(unit: _Unit, bad: list[np.ndarray], span: Span) -> bool:
    """Hide, for each determined small thing, a shown cell its derivation needs; else withhold a sum.

    A published row is *needed* for a vector when it is independent of the other rows (its
    leverage is 1) and the vector's combination of rows uses it: hiding it leaves the vector
    undetermined. Among needed cells the one needed most often, then the smallest, is hidden
    (several at once); when no single cell is needed, the cell with the largest part in the
    least-squares combination is hidden, and the loop tries again. `span` is the span of
    `_rows(unit)` in that order (published cells, shown sums, known rows).
    """
    cells = [i for i, c in enumerate(unit.cells) if not c.hidden]
    sums = [i for i, s in enumerate(unit.sums) if s.shown]
    leverage = span.leverage()
    combinations = span.weights(np.array(bad))  # rows x bad
    picked: set[int] = set()
    withhold: list[_Sum] = []
    needs: list[set[int]] = []
    for b in range(len(bad)):
        weights = combinations[:, b]  # the least-norm combination of rows
        active = np.abs(weights) > 1e-7
        needed = [j for j in np.flatnonzero(active) if leverage[j] > 1 - 1e-7]
        needed_cells = {cells[j] for j in needed if j < len(cells)}
        if needed_cells:
            needs.append(needed_cells)
            continue
        needed_sums = [unit.sums[sums[j - len(cells)]] for j in needed if len(cells) <= j < len(cells) + len(sums)]
        needed_sums = [total for total in needed_sums if total.part != "base"]
        if needed_sums:
            withhold.append(needed_sums[0])
            continue
        used = [
            j
            for j in np.flatnonzero(active[: len(cells) + len(sums)])
            if j < len(cells) or unit.sums[sums[j - len(cells)]].part != "base"
        ]
        if used:  # no single row is needed: take away the one with the largest part, and try again
            # (rounding is monotone: a part more than 2e-6 below the largest cannot round up to it)
            parts = np.abs(weights[used])
            floor = parts.max() - 2e-6
            near = [j for j, part in zip(used, parts, strict=True) if part >= floor]
            j = max(near, key=lambda j: (round(abs(weights[j]), 6), -j))
            if j < len(cells):
                picked.add(cells[j])
            else:
                withhold.append(unit.sums[sums[j - len(cells)]])
    while needs:  # greedy cover: the cell most derivations need, then the smallest
        tally = Counter(i for needed_cells in needs for i in needed_cells)
        most = max(tally.values())
        tied = [i for i, times in tally.items() if times == most]
        best = min(tied, key=lambda i: (unit.cells[i].count, unit.cells[i].key))
        picked.add(best)
        needs = [needed_cells for needed_cells in needs if best not in needed_cells]
    for i in picked:
        unit.cells[i].hidden = True
    for total in withhold:
        _withhold(unit, total)
    return bool(picked or withhold)


def _decision(unit: _Unit, null: np.ndarray | None) -> Decision:
    out = Decision(null=null, cells=[c.key for c in unit.cells])
    out.hidden = {c.key for c in unit.cells if c.hidden}
    for total in unit.sums:
        if not total.shown:
            out.withheld.setdefault(total.pop, set()).add("base" if total.part == "off" else total.part)
    return out


def _add_population(unit_cells, unit_sums, answers: Answers, pop: Pop, vectors: np.ndarray, counts: np.ndarray):
    """Add a published population's cells and sums (vectors: options x unknowns)."""
    first = len(unit_cells)
    for o in range(len(answers.codes)):
        unit_cells.append(_Cell((pop, o), vectors[o], int(counts[o])))
    members = list(range(first, first + len(answers.codes)))
    if answers.add_up:
        unit_sums.append(_Sum(pop, "base", vectors.sum(axis=0), members))
    if answers.scale:
        for part, index in (("positive", answers.positive), ("negative", answers.negative), ("off", answers.off)):
            if index:
                unit_sums.append(_Sum(pop, part, vectors[list(index)].sum(axis=0), [first + i for i in index]))


def _small_sides(unit: _Unit, answers: Answers) -> None:
    """% positive and % negative are counts too: a side below the threshold is withheld from the start."""
    for total in unit.sums:
        small = sum(unit.cells[i].count for i in total.members) < unit.t
        if total.part in ("positive", "negative") and small:
            total.shown = False
            unit.sensitive.append((total.vector, "side"))


# --- level 0: everyone -------------------------------------------------------------------------


def level0(snapshot: Snapshot, key: str, where: Universe, k: int) -> Decision:
    """Return the statuses of the everyone row of an answer key."""
    cache_key = ("cells-0", key, k)
    if cache_key not in snapshot.cache:
        answers = answers_of(snapshot, key)
        rows = where.mask  # a mask, not an index list (8 bytes a response at a million)
        counts = counts_by_key(snapshot, answers, rows, np.zeros(np.count_nonzero(rows), dtype=np.int8), 1)[0]
        width = len(answers.codes)
        cells: list[_Cell] = []
        sums: list[_Sum] = []
        _add_population(cells, sums, answers, (), np.eye(width), counts)
        unit = _Unit(width, k, cells, sums, [], [])
        _small_sides(unit, answers)
        solve(unit)
        snapshot.cache[cache_key] = _decision(unit, null_space(_published(unit) + unit.known, unit.n))
    return snapshot.cache[cache_key]


def _lower_rows(decision: Decision, answers: Answers, pop: Pop, vectors: np.ndarray) -> list[np.ndarray]:
    """Return a lower population's published facts as rows over a higher unit's unknowns."""
    rows = [vectors[o] for o in range(len(answers.codes)) if (pop, o) not in decision.hidden]
    if answers.add_up:
        rows.append(vectors.sum(axis=0))
    withheld = decision.withheld.get(pop, set())
    if answers.scale:
        for part, index in (("positive", answers.positive), ("negative", answers.negative), ("off", answers.off)):
            hidden_by = {"off": "base"}.get(part, part)
            if index and hidden_by not in withheld and not (part != "off" and "base" in withheld):
                rows.append(vectors[list(index)].sum(axis=0))
    return rows


# --- level 1: one family -----------------------------------------------------------------------


@dataclass
class FamilyUnit:
    """A family's level-1 unit: its atoms, groups and decision for one answer key."""

    atoms: int
    atom_of_cell: np.ndarray  # family cell (index into the gate's possible cells) -> atom
    groups: dict[tuple[str, int], np.ndarray]  # published group -> atom mask
    counts: np.ndarray  # atoms x options
    sizes: np.ndarray  # members per atom
    decision: Decision


def _vectors(mask: np.ndarray, width: int) -> np.ndarray:
    """Return, for each option, the unknowns' weights of "members in these atoms who gave it"."""
    atoms = len(mask)
    out = np.zeros((width, atoms, width))
    options = np.arange(width)[:, None]
    out[options, np.flatnonzero(mask)[None, :], options] = 1
    return out.reshape(width, atoms * width)


def _unit_rows(atoms: np.ndarray, options: np.ndarray, width: int, n: int) -> list[np.ndarray]:
    """Return the rows "members of atom a who gave answer o" for pairs (a, o), in the given order."""
    if not len(atoms):
        return []
    out = np.zeros((len(atoms), n))
    out[np.arange(len(atoms)), np.asarray(atoms) * width + np.asarray(options)] = 1
    return list(out)


def level1(snapshot: Snapshot, key: str, family_id: str, where: Universe, k: int) -> FamilyUnit:
    """Return the level-1 unit of a family for an answer key."""
    cache_key = ("cells-1", key, family_id, k)
    if cache_key not in snapshot.cache:
        snapshot.cache[cache_key] = _level1(snapshot, key, family_id, where, k)[0]
    return snapshot.cache[cache_key]


def _level1(
    snapshot: Snapshot, key: str, family_id: str, where: Universe, k: int, decided: Decision | None = None
) -> tuple[FamilyUnit, _Unit]:
    shape = structure(snapshot.questionnaire)
    family = shape.families[family_id]
    answers = answers_of(snapshot, key)
    width = len(answers.codes)
    gate = one_way(snapshot, family_id, where, k)
    cells = family_cells(snapshot, family)
    published = sorted(gate.published)
    atom_of_cell = atom_ids([gate.groups[g] for g in published], len(gate.cells))
    atoms = int(atom_of_cell.max()) + 1 if len(atom_of_cell) else 0
    lookup = np.full(cells.size, -1, dtype=np.int32)  # family cell -> atom (read once per response)
    lookup[gate.cells] = atom_of_cell
    rows = where.mask  # a mask, not an index list (8 bytes a response at a million)
    atom_keys = lookup[cells.keys[rows]]
    counts = counts_by_key(snapshot, answers, rows, atom_keys, atoms)
    sizes = np.bincount(atom_keys, minlength=atoms)
    groups = {g: np.isin(np.arange(atoms), np.unique(atom_of_cell[gate.groups[g]])) for g in published}
    unit_cells: list[_Cell] = []
    unit_sums: list[_Sum] = []
    for gid, mask in groups.items():
        _add_population(unit_cells, unit_sums, answers, (gid,), _vectors(mask, width), counts[mask].sum(axis=0))
    everyone = _vectors(np.ones(atoms, dtype=bool), width)
    lower = level0(snapshot, key, where, k)
    known = _lower_rows(lower, answers, (), everyone) + _empty_rows(sizes, width)
    t = threshold_for(k, family.protected)
    sensitive = _atoms_and_rests(shape, family_id, groups, counts, sizes, width, t)
    unit = _Unit(atoms * width, t, unit_cells, unit_sums, known, sensitive, everyone, lower.null)
    _small_sides(unit, answers)
    family_unit = FamilyUnit(atoms, atom_of_cell, groups, counts, sizes, Decision())
    if decided is not None:  # rebuild the facts of a decided unit, for its null space
        for cell in unit.cells:
            cell.hidden = cell.key in decided.hidden
        for total in unit.sums:
            parts = decided.withheld.get(total.pop, set())
            if total.part == "base":
                continue  # a population's base (its n) is always published; "base" withheld is the scale's
            if ("base" if total.part == "off" else total.part) in parts or "base" in parts:
                total.shown = False
        family_unit.decision = decided
        return family_unit, unit
    solve(unit)
    family_unit.decision = _decision(unit, None)  # the null space is rebuilt when needed (memory)
    return family_unit, unit


def family_null(snapshot: Snapshot, key: str, family_id: str, where: Universe, k: int) -> np.ndarray:
    """Return the null space of everything published up to a family's level-1 unit (not cached)."""
    decided = level1(snapshot, key, family_id, where, k).decision
    _, unit = _level1(snapshot, key, family_id, where, k, decided)
    return null_space(_published(unit) + unit.known, unit.n)


def _empty_rows(sizes: np.ndarray, width: int) -> list[np.ndarray]:
    """Return "nobody here gave this answer" for every atom without members (taken as known)."""
    empty = np.flatnonzero(sizes == 0)
    return _unit_rows(np.repeat(empty, width), np.tile(np.arange(width), len(empty)), width, len(sizes) * width)


def _atoms_and_rests(
    shape: Structure,
    family_id: str,
    groups: dict[tuple[str, int], np.ndarray],
    counts: np.ndarray,
    sizes: np.ndarray,
    width: int,
    t: int,
) -> list[tuple[np.ndarray, str]]:
    """Return the small atoms and rests (per answer) that must never be worked out."""
    atoms = len(sizes)
    out = []
    if atoms > 1:  # a single atom is the whole, decided below
        small_atoms, options = np.nonzero((sizes[:, None] > 0) & (counts < t))  # atom-major, as listed
        out += [(vector, "atom") for vector in _unit_rows(small_atoms, options, width, atoms * width)]
    for dim_id in shape.families[family_id].dims:
        covered = np.zeros(atoms, dtype=bool)
        for (d, _), mask in groups.items():
            if d == dim_id:
                covered |= mask
        rest = ~covered
        if rest.any() and not rest.all() and sizes[rest].sum() > 0 and rest.sum() > 1:  # atoms: above
            vectors = _vectors(rest, width)
            out += [(vectors[o], "rest") for o in range(width) if counts[rest, o].sum() < t]
    return out


# --- level 2: a crossing -----------------------------------------------------------------------


@dataclass
class CrossUnit:
    """A crossing's level-2 decisions for one answer key: one Decision per row group."""

    rows: str
    cols: str
    decisions: dict[int, Decision]
    hidden: set[tuple[Pop, int]]
    withheld: dict[Pop, set[str]]


def level2(snapshot: Snapshot, key: str, family_a: str, family_b: str, where: Universe, k: int) -> CrossUnit | None:
    """Return the level-2 unit of two families crossed for an answer key (None: they never cross)."""
    shape = structure(snapshot.questionnaire)
    oriented = orientation(shape, family_a, family_b)
    if oriented is None:
        return None
    row_dim, col_family = oriented
    cache_key = ("cells-2", key, row_dim, col_family, k)
    if cache_key not in snapshot.cache:
        snapshot.cache[cache_key] = _level2(snapshot, shape, key, row_dim, col_family, where, k)
    return snapshot.cache[cache_key]


def _level2(
    snapshot: Snapshot, shape: Structure, key: str, row_dim: str, col_family: str, where: Universe, k: int
) -> CrossUnit:
    answers = answers_of(snapshot, key)
    width = len(answers.codes)
    row_family = shape.dims[row_dim].family
    cross = crossing(snapshot, row_family, col_family, where, k)
    assert cross is not None
    t = cross.threshold
    cols = level1(snapshot, key, col_family, where, k)
    rows_unit = level1(snapshot, key, row_family, where, k)
    cols_null = family_null(snapshot, key, col_family, where, k)
    rows_null = family_null(snapshot, key, row_family, where, k)
    cells = family_cells(snapshot, shape.families[col_family])
    gate = one_way(snapshot, col_family, where, k)
    lookup = np.full(cells.size, -1, dtype=np.int32)  # family cell -> atom (read once per response)
    lookup[gate.cells] = cols.atom_of_cell
    universe_rows = where.mask
    # one key per response, (row value + 1) * atoms + atom, built in place (0: no row value)
    keys = snapshot.categorical[row_dim][universe_rows].astype(np.int64)
    keys += 1
    keys *= cols.atoms
    keys += lookup[cells.keys[universe_rows]]
    row_width = len(snapshot.codes(row_dim)) + 1
    joint = counts_by_key(snapshot, answers, universe_rows, keys, row_width * cols.atoms)
    joint = joint.reshape(row_width, cols.atoms, width)
    joint_sizes = np.bincount(keys, minlength=row_width * cols.atoms)
    joint_sizes = joint_sizes.reshape(row_width, cols.atoms)
    row_groups = [
        v.index for v in shape.dims[row_dim].values if v.index >= 0 and (row_dim, v.index) in rows_unit.groups
    ]
    row_units: dict[int, _Unit] = {}
    opens: dict[int, list[np.ndarray]] = {}
    extras: dict[int, list[np.ndarray]] = {}

    def build(r: int) -> _Unit:
        args = (shape, answers, row_dim, r, col_family, cross, cols, rows_unit, rows_null)
        return _sub_unit(*args, joint[r + 1], joint_sizes[r + 1], t, extras.get(r, []))

    def solve_row(r: int, keep_open: Sequence[np.ndarray] = (), extra: Sequence[np.ndarray] = ()) -> bool:
        """Solve row r's sub-unit; later calls go on from where it stopped, with more to keep open
        or more known (the unit is rebuilt then, keeping what it hid)."""
        if r not in row_units:
            row_units[r] = build(r)
        if len(extra):
            extras.setdefault(r, []).extend(extra)
            unit = build(r)
            _copy_state(row_units[r], unit)
            _keep_open(unit, opens.get(r, []))
            row_units[r] = unit
        opens.setdefault(r, []).extend(keep_open)
        _keep_open(row_units[r], keep_open)
        return solve(row_units[r])

    for r in row_groups:
        solve_row(r)
    # Across rows: the rows' cells of a column group add up to the column group's cell, less the
    # members in no published row (the rest). Keep every level-1 number of the column family that
    # level 1 left unknown unknown, and every small rest unknown.
    rest_counts = joint.sum(axis=0) - sum(joint[r + 1] for r in row_groups)
    rest_sizes = joint_sizes.sum(axis=0) - sum(joint_sizes[r + 1] for r in row_groups)
    checks = np.array([v for v, _ in _column_functions(cols, width, t)])
    shaped = checks.reshape(len(checks), cols.atoms, width)
    varies = ~np.all(np.isclose(shaped, shaped[:, :1, :]), axis=(1, 2))  # else: everyone's cells only
    on_atoms = shaped.any(axis=2).astype(float)  # check x atoms
    known_at_1 = _fixed(checks, cols_null)
    rest_value = checks @ rest_counts.reshape(-1)
    rest_members = on_atoms @ rest_sizes
    row_value = {r: checks @ joint[r + 1].reshape(-1) for r in row_groups}
    row_members = {r: on_atoms @ joint_sizes[r + 1] for r in row_groups}
    groups = len(checks) - cols.atoms * width  # the rest: one per unknown
    fixed = {r: _fixes_checks(row_units[r], checks, groups) for r in row_groups}
    tried: set[tuple[int, int]] = set()
    stuck = False
    for _ in range(len(checks) * max(1, len(row_groups)) + 1):
        if not row_groups:
            break
        pieces = np.array([fixed[r] for r in row_groups])  # rows x checks: the row's part is determined
        value = rest_value + sum(np.where(pieces[i], 0, row_value[r]) for i, r in enumerate(row_groups))
        members = rest_members + sum(np.where(pieces[i], 0, row_members[r]) for i, r in enumerate(row_groups))
        problems = varies & pieces.any(axis=0)
        problems &= ((members == 0) & ~known_at_1) | ((members > 0) & known_at_1 & (value < t))
        if not problems.any():
            break
        # Keep each problem open in one more row: the row whose part of it is smallest, among the
        # rows not tried for it yet; every touched row is solved again once.
        pending: dict[int, list[np.ndarray]] = {}
        stuck = False
        for i in np.flatnonzero(problems):
            options = [r for r in row_groups if fixed[r][i] and (int(i), r) not in tried]
            if not options:
                stuck = True
                break
            r = min(options, key=lambda r: (float(row_value[r][i]), r))
            tried.add((int(i), r))
            pending.setdefault(r, []).append(checks[i])
        if stuck:  # no row can keep it open: hide every row's cells and summaries
            break
        for r, vectors in pending.items():
            solve_row(r, vectors)
            fixed[r] = _fixes_checks(row_units[r], checks, groups)
    if row_groups and not stuck:
        stuck = not _across_rows(
            row_groups, row_units, solve_row, rest_sizes, cols_null, rows_null, rows_unit, row_dim, width
        )
    decisions = {r: _decision(row_units[r], None) for r in row_groups}
    if stuck:
        for r in row_groups:
            decisions[r].hidden = set(decisions[r].cells)
            decisions[r].withheld = {pop: {"positive", "negative", "base"} for pop, _ in decisions[r].cells}
    hidden: set[tuple[Pop, int]] = set()
    withheld: dict[Pop, set[str]] = {}
    for decision in decisions.values():
        decision.null = None  # only needed while deciding (memory)
        hidden |= decision.hidden
        for pop, parts in decision.withheld.items():
            withheld.setdefault(pop, set()).update(parts)
    return CrossUnit(row_dim, col_family, decisions, hidden, withheld)


def _copy_state(old: _Unit, new: _Unit) -> None:
    """Carry what a sub-unit hid and withheld over to its rebuilt copy."""
    hidden = {c.key for c in old.cells if c.hidden}
    withheld = {(s.pop, s.part) for s in old.sums if not s.shown}
    for cell in new.cells:
        cell.hidden = cell.hidden or cell.key in hidden
    for total in new.sums:
        total.shown = total.shown and (total.pop, total.part) not in withheld


ZERO_ANGLE = 1e-9  # squared sine below which a direction counts as lying in a subspace (errs on hiding)


def _full_basis(unit: _Unit, span: Span) -> np.ndarray:
    """Return an orthonormal basis, over the unit's original unknowns, of a span in its merged terms
    together with the unknowns its reduction dropped as known to be zero."""
    reduction = unit.reduced
    if reduction is None:
        return span.basis
    dropped = np.setdiff1d(np.arange(reduction.n), reduction.keep)
    zero = np.zeros((reduction.n, len(dropped)))
    zero[dropped, np.arange(len(dropped))] = 1
    return np.hstack([reduction.expand(span.basis), zero])


def _own_span(unit: _Unit) -> tuple[Span, list[np.ndarray]]:
    """Return the span of a sub-unit's own facts (published, its own known rows) and its rows, in
    order: the published ones first, then known rows that are all combinations of the row's totals."""
    own = unit.known if unit.own is None else unit.known[: unit.own]
    rows = _rows(unit)  # the rank condition's known rows are combinations of totals too
    if unit.span is not None and len(own) == len(unit.known) and unit.span.left.shape[0] == len(rows):
        return unit.span, rows
    rows = _published(unit) + own
    return Span.of(rows, unit.n), rows


def _outside(basis: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Return the Gram matrix, in basis's coordinates, of its part outside other's span (PSD).

    Both are orthonormal columns: (B - O O'B)'(B - O O'B) = I - (O'B)'(O'B).
    """
    inner = other.T @ basis
    return np.eye(basis.shape[1]) - inner.T @ inner


def _kernel(gram: np.ndarray) -> np.ndarray:
    """Return an orthonormal basis of the (near) null space of a PSD matrix."""
    if gram.shape[0] == 0:
        return np.zeros((0, 0))
    try:  # a Cholesky factor of gram - 2 ZERO_ANGLE I exists: every eigenvalue is above the cut-off
        np.linalg.cholesky(gram - 2 * ZERO_ANGLE * np.eye(gram.shape[0]))
        return np.zeros((gram.shape[0], 0))
    except np.linalg.LinAlgError:
        pass
    values, vectors = np.linalg.eigh(gram)
    return vectors[:, values < ZERO_ANGLE]


def _across_rows(
    row_groups: list[int],
    row_units: dict[int, _Unit],
    solve_row,
    rest_sizes: np.ndarray,
    cols_null: np.ndarray,
    rows_null: np.ndarray,
    rows_unit: FamilyUnit,
    row_dim: str,
    width: int,
) -> bool:
    """Check a crossing across its rows exactly (linear attacks); hide more until it holds.

    Blocks: each published row r, and the rest (members in no published row). Unknowns x_s: each
    block's members over the column family's atoms x answers; all blocks add up to T, the column
    family's level-1 unknowns. F_s: block s's own facts (its published cells and sums, its empty
    atoms, and all of its own answer totals E x_s, taken as known); the rest's F is E and its empty
    atoms. G: everything published about T up to level 1 (span = complement of cols_null).

    1. Something of row r is determined iff it lies in F_r + W_r, W_r = G n (n_{s != r} F_s): W_r
       is added to row r's known rows and the row solved on (each row in turn; a row's facts only
       shrink, so rows already done stay done).
    2. Rank conditions, with J = n_s F_s and, for w in J, psi(w) the row family's free part of the
       block totals w gives away (w = E'c_s + f_s in each block; psi = sum_s c_s on block s's
       row-family atoms, times rows_null): every w in J n G has psi(w) = 0 (the row family's level-1
       numbers gain nothing), and every w in J with psi(w) = 0 lies in G (the column family's gain
       nothing). A violating direction is kept open in a row that can; else the crossing is hidden.

    Returns False when the crossing must be hidden whole.
    """
    atoms = len(rest_sizes)
    n = atoms * width
    outside_g = cols_null.T  # v is in G iff outside_g @ v = 0
    # The rest's facts: E, and its empty atoms.
    empty = np.repeat(rest_sizes == 0, width)
    basis = [np.eye(n)[:, empty]]
    if (~empty).any():
        totals = np.zeros((n, width))
        for o in range(width):
            totals[o::width, o] = (~empty)[o::width]
        basis.append(totals / np.sqrt(np.maximum(1, totals.sum(axis=0))))
    rest = np.hstack(basis)
    rest = rest[:, np.linalg.norm(rest, axis=0) > 0]

    def full(r: int) -> np.ndarray:
        span, _ = _own_span(row_units[r])
        return _full_basis(row_units[r], span)

    # 1. Small things of each row. W_r contains C = G n F_rest n (every row's F), which each row
    # gives away itself; only W_r's part beside C (inside C's complement in G n F_rest) matters.
    inside = rest @ _kernel((outside_g @ rest).T @ (outside_g @ rest))  # F_rest n G
    bases = {r: full(r) for r in row_groups}
    outside = {r: _outside(inside, bases[r]) for r in row_groups}
    total = sum(outside.values(), np.zeros((inside.shape[1],) * 2))
    values, vectors = np.linalg.eigh(total)
    beside = vectors[:, values >= ZERO_ANGLE]  # C's complement in F_rest n G (coordinates)
    for r in row_groups:
        if beside.shape[1] == 0:
            break
        others = beside.T @ (total - outside[r]) @ beside
        new = _kernel(others)  # W_r beside C (coordinates in `beside`)
        if new.shape[1] == 0 or np.abs(new.T @ (beside.T @ outside[r] @ beside) @ new).max() < ZERO_ANGLE:
            continue  # nothing the row does not give away itself
        w_r = inside @ (beside @ new)
        if not solve_row(r, extra=list(w_r.T)):  # hidden whole: is anything small still given away?
            unit = row_units[r]
            small = [c.vector for c in unit.cells if c.hidden and c.count < unit.t]
            small += [v for v, _ in unit.sensitive]
            own, _ = _own_span(unit)
            if small and (unit.span.fixes(np.array(small)) & ~own.fixes(np.array(small))).any():
                return False
        bases[r] = full(r)
        total -= outside[r]
        outside[r] = _outside(inside, bases[r])
        total += outside[r]

    # 2. The rank conditions.
    masks = [rows_unit.groups[(row_dim, r)] for r in row_groups]
    rest_mask = ~np.any(masks, axis=0) if masks else np.ones(len(rows_unit.sizes), dtype=bool)
    ports = [_vectors(m, width) @ rows_null for m in [*masks, rest_mask]]  # options x freedom, per block
    # What C's level 1 already gives away about R's numbers: the everyone-row combinations c with
    # E'c in G. The crossing is not to blame for those: psi is taken modulo them.
    everyone = _vectors(np.ones(atoms, dtype=bool), width)  # options x n
    in_g_totals = _kernel((outside_g @ everyone.T).T @ (outside_g @ everyone.T))  # options x k
    given = _vectors(np.ones(len(rows_unit.sizes), dtype=bool), width) @ rows_null  # options x freedom
    given = given.T @ in_g_totals
    u, singular, _ = np.linalg.svd(given, full_matrices=False) if given.size else (given, np.zeros(0), None)
    given = u[:, singular > 1e-9]  # freedom x k, orthonormal
    for _ in range(3 * len(row_groups) + 1):
        blocks = [rest, *(full(r) for r in row_groups)]
        start = min(range(len(blocks)), key=lambda i: blocks[i].shape[1])  # J lies in every block
        others = [b for i, b in enumerate(blocks) if i != start and b.shape[1] < n]  # (n: no constraint)
        gram = sum((_outside(blocks[start], b) for b in others), np.zeros((blocks[start].shape[1],) * 2))
        joint = blocks[start] @ _kernel(gram)
        if joint.shape[1] == 0:
            return True
        psi = np.zeros((rows_null.shape[1], joint.shape[1]))
        for i, r in enumerate(row_groups):
            psi += ports[i].T @ _totals_of(row_units[r], joint)
        if (~empty).any():
            # the rest's totals: the common value over its nonempty atoms
            counts = np.maximum(1, (~empty).reshape(atoms, width).sum(axis=0))
            totals = np.stack([joint[o::width][~empty[o::width]].sum(axis=0) for o in range(width)]) / counts[:, None]
            psi += ports[-1].T @ totals
        psi -= given @ (given.T @ psi)
        in_g = _kernel((outside_g @ joint).T @ (outside_g @ joint))  # coordinates of J n G
        problem = None
        if in_g.size and np.abs(psi @ in_g).max(initial=0) > 1e-6:
            _, _, vt = np.linalg.svd(psi @ in_g)
            problem = joint @ (in_g @ vt[0])
        else:
            free = _kernel(psi.T @ psi)  # coordinates of J n ker(psi)
            if free.size and np.abs(outside_g @ joint @ free).max(initial=0) > 1e-6:
                _, _, vt = np.linalg.svd(outside_g @ joint @ free)
                problem = joint @ (free @ vt[0])
        if problem is None:
            return True
        options = [r for r in row_groups if _can_open(row_units[r], problem)]
        if not options:
            return False
        r = min(options, key=lambda r: (sum(c.hidden for c in row_units[r].cells), r))
        solve_row(r, [problem])
    return False


def _totals_of(unit: _Unit, vectors: np.ndarray) -> np.ndarray:
    """Return, for vectors (columns, original unknowns) in a sub-unit's own span, the answer totals
    E x they use: w = E'c + f with f among the row's published facts and empty atoms (options x k)."""
    span, rows = _own_span(unit)
    reduction = unit.reduced
    reduced = vectors.T if reduction is None else reduction.reduce_all(vectors.T)[0]
    weights = span.weights(reduced)  # rows x k
    published = len(_published(unit))
    width = unit.port.shape[0] if unit.port is not None else 0
    out = np.zeros((width, vectors.shape[1]))
    if published < len(rows):
        # every known row is a combination of the row's totals (E_o, their sum, the combinations
        # level 1 fixes): c for each, then weighted as in the least-norm combination
        c = np.linalg.lstsq(unit.port.T, np.array(rows[published:]).T, rcond=None)[0]  # options x rows
        out = c @ weights[published:]
    return out


def _can_open(unit: _Unit, vector: np.ndarray) -> bool:
    """Return whether a row could keep a vector undetermined (it is not among its known rows)."""
    if unit.reduced is None:
        reduced = vector
    else:
        reduced, constant = unit.reduced.reduce_all(vector[None, :])
        if not constant[0]:
            return True
        reduced = reduced[0]
    own = unit.known if unit.own is None else unit.known[: unit.own]
    return not Span.of(own, unit.n).fixes(reduced[None, :])[0]


def _fixed(vectors: np.ndarray, null: np.ndarray | None) -> np.ndarray:
    """Return, for each row vector, whether the facts with this null space determine it."""
    if null is None or null.shape[1] == 0:
        return np.ones(len(vectors), dtype=bool)
    scale = np.maximum(1.0, np.abs(vectors).max(axis=1))
    return np.abs(vectors @ null).max(axis=1) < TOL * scale


def _column_functions(cols: FamilyUnit, width: int, t: int) -> list[tuple[np.ndarray, bool]]:
    """Return the column family's level-1 numbers to keep track of: (weights, hidden at level 1)."""
    out = []
    for gid, mask in cols.groups.items():
        vectors = _vectors(mask, width)
        for o in range(width):
            out.append((vectors[o], ((gid,), o) in cols.decision.hidden))
    identity = np.eye(cols.atoms * width)  # atom a's answer o is row a * width + o
    out += list(zip(identity, (cols.counts < t).reshape(-1), strict=True))
    return out


def _sub_unit(
    shape: Structure,
    answers: Answers,
    row_dim: str,
    r: int,
    col_family: str,
    cross,
    cols: FamilyUnit,
    rows_unit: FamilyUnit,
    rows_null: np.ndarray,
    counts: np.ndarray,
    sizes: np.ndarray,
    t: int,
    extra: Sequence[np.ndarray] = (),
) -> _Unit:
    """Decide row r of a crossing: its members over the column family's atoms.

    `extra`: facts about row r that the other blocks of the crossing give away (known rows that are
    not the row's own; see `_across_rows`).
    """
    width = len(answers.codes)
    n = cols.atoms * width
    good = cross.good.get(r, frozenset()) if cross.rows == row_dim else frozenset()
    unit_cells: list[_Cell] = []
    unit_sums: list[_Sum] = []
    groups = {}
    for gid in sorted(good):
        if gid not in cols.groups:
            continue
        mask = cols.groups[gid]
        groups[gid] = mask
        pop = ((row_dim, r), gid)
        _add_population(unit_cells, unit_sums, answers, pop, _vectors(mask, width), counts[mask].sum(axis=0))
    everyone = _vectors(np.ones(cols.atoms, dtype=bool), width)  # row r's own cells: its lower numbers
    # What level 1 leaves free about row r's cells (the rank condition's lower side).
    row_vectors = _vectors(rows_unit.groups[(row_dim, r)], width)  # over the row family's unknowns
    lower_free = row_vectors @ rows_null  # options x freedom
    empty = _empty_rows(sizes, width)
    known_free = [c @ everyone for c in null_space(lower_free.T, width).T] + empty
    known_fixed = list(everyone) + ([everyone.sum(axis=0)] if answers.add_up else []) + empty
    sensitive = _atoms_and_rests(shape, col_family, groups, counts, sizes, width, t)
    unit = _Unit(n, t, unit_cells, unit_sums, known_fixed + list(extra), sensitive, everyone, lower_free, known_free)
    _small_sides(unit, answers)
    unit.own = len(known_fixed)
    if sizes.any():
        _reduce(unit, np.flatnonzero(np.repeat(sizes == 0, width)))
        unit.own = width + int(answers.add_up)  # the empty atoms' rows are gone
    return unit


def statuses(snapshot: Snapshot, key: str, pop: Pop, where: Universe, k: int) -> tuple[set[int], set[str]]:
    """Return (hidden option indexes, withheld summary parts) of a population for an answer key."""
    shape = structure(snapshot.questionnaire)
    if pop == ():
        decision = level0(snapshot, key, where, k)
        hidden, withheld = decision.hidden, decision.withheld
    elif len(pop) == 1:
        family = shape.dims[pop[0][0]].family
        decision = level1(snapshot, key, family, where, k).decision
        hidden, withheld = decision.hidden, decision.withheld
    else:
        (row_dim, _), (col_dim, _) = pop
        unit = level2(snapshot, key, shape.dims[row_dim].family, shape.dims[col_dim].family, where, k)
        assert unit is not None
        hidden, withheld = unit.hidden, unit.withheld
    options = {o for (p, o) in hidden if p == pop}
    return options, set(withheld.get(pop, set()))
