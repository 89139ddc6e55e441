"""The disclosure gate: which groups of members a published number may describe.

Every table, chart, export, API answer and conference screen gets its groups from here, through
the engine; nothing else decides what is shown. The rules (docs/decisions/0010-results-engine.md,
docs/results.md) in short:

- A *universe* is the people a number can be about: those who answered the question in hand
  (each question has its own; overview uses everyone). Within it, a *group* is "dimension D has
  value v" (no answer is a value too), and a *cell* is a group within a filter ("sector =
  probation and disabled = yes").
- One dimension family at a time (`one_way`): a set of its groups is published so that every
  *atom* of the groups shown (the people no published group tells apart) has 0 or at least t
  people. Subtracting, adding or combining published groups in any way only ever gives unions
  of atoms, so it can never single out fewer than t people.
- Two families crossed (`crossing`): rows are the groups of one non-protected dimension, columns
  the groups of the other family. A row is published with the column groups it can show under
  the same atom rule, and the rows left out (the *rest*: hidden rows, rows held back, no answer)
  must hold at least t people in every column atom. Then any combination of published cells,
  rows and columns that touches the rest contains one of those atoms, and any that does not
  is a union of atoms within one published row.

t is the survey's k, or max(k, 10) when a protected characteristic is involved. Decisions depend
only on the counts of the universe, never on which query asked first, so every query sees the
same suppression. Counts of 0 are treated like other small counts: never shown.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..questionnaire.rules import LANGUAGE, clean_answers, with_derived
from .dimensions import Family, Structure, base_questions, can_be_missing, structure, threshold_for
from .snapshot import Snapshot, layout, memo

GroupId = tuple[str, int]  # (dimension id, column index; -1 = no answer)


# --- what can be worked out from published groups -------------------------------------------

SEARCH_LIMIT = 16  # largest space of derivable combinations listed one by one (2^16 candidates)
SEARCH_NODES = 20_000  # beyond that, a bounded search; if it has not finished within this many steps
# (about 0.4 s), the lightest small atom counts as found (withholding more, never less)


def atom_ids(masks: Sequence[np.ndarray], cells: int) -> np.ndarray:
    """Return, for each cell, the number of its atom: cells in exactly the same published groups."""
    if not masks:
        return np.zeros(cells, dtype=np.int64)
    signature = np.packbits(np.stack(masks, axis=1), axis=1)
    _, ids = np.unique(signature, axis=0, return_inverse=True)
    return ids.reshape(-1)


def lightest_derivable(
    masks: Sequence[np.ndarray], weights: np.ndarray, t: int, counts: np.ndarray | None = None
) -> np.ndarray | None:
    """Return the lightest set of cells anyone can work out from these groups, if it weighs 1 to t-1.

    "Work out" means: the set's indicator is a linear combination of the groups' indicators and
    of the whole (published totals, sums and differences of them, in any number). The whole
    itself does not count. Weights are people per cell; with `counts` a set counts when it holds
    anyone at all (`counts`) and weighs less than t (`weights`), which is how the rest of a
    crossing is checked. Returns a cell mask, or None when no such set exists.
    """
    cells = len(weights)
    counts = weights if counts is None else counts
    ids = atom_ids(masks, cells)
    atoms = int(ids.max()) + 1 if cells else 0
    atom_weight = np.bincount(ids, weights=weights, minlength=atoms)
    atom_count = np.bincount(ids, weights=counts, minlength=atoms)
    light = np.flatnonzero(atom_weight < t)
    if len(light) == 0:
        return None
    membership = np.zeros((atoms, len(masks) + 1))
    for j, mask in enumerate(masks):
        membership[ids[mask], j] = 1
    membership[:, -1] = 1
    u, singular, _ = np.linalg.svd(membership, full_matrices=True)
    rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0))).sum())
    outside = u[:, rank:]  # orthogonal to every derivable set
    if outside.shape[1] == 0:  # every union of atoms can be worked out: the lightest atom decides
        candidates = [np.eye(atoms)[a] for a in light]
    else:
        system = outside[light].T
        _, s2, vt = np.linalg.svd(system, full_matrices=True)
        null = vt[int((s2 > 1e-9).sum()) :].T
        if null.shape[1] > SEARCH_LIMIT:  # too many to list: a bounded search says whether there is one
            if not _any_small(null, atom_weight[light], atom_count[light], t, len(light) == atoms, counts is weights):
                return None
            # There is (or the search gave up): the lightest small atom is named, as it always was, so
            # that the rows or groups withheld for it stay the same.
            candidates = [np.eye(atoms)[a] for a in light]
        else:
            candidates = []
            for y in _binary_vectors(null):
                full = np.zeros(atoms)
                full[light] = y
                candidates.append(full)
    best, best_weight = None, float(t)
    for y in candidates:
        if y.all():  # the whole: governed by the threshold on totals, not here
            continue
        weight, count = float(atom_weight @ y), float(atom_count @ y)
        if count > 0 and weight < best_weight and (weight >= 1 or counts is not weights):
            best, best_weight = y, weight
    return None if best is None else best[ids].astype(bool)


def _pivots(null: np.ndarray) -> list[int]:
    """Return d coordinates that fix a vector of the span of the d columns of `null`."""
    d = null.shape[1]
    pivots, rows = [], null.T.copy()
    for j in range(rows.shape[1]):
        i = len(pivots) + int(np.argmax(np.abs(rows[len(pivots) :, j])))
        if abs(rows[i, j]) < 1e-9:
            continue
        r = len(pivots)
        rows[[r, i]] = rows[[i, r]]
        rows[r + 1 :] -= np.outer(rows[r + 1 :, j] / rows[r, j], rows[r])
        pivots.append(j)
        if len(pivots) == d:
            break
    return pivots


def _binary_vectors(null: np.ndarray) -> list[np.ndarray]:
    """Return every nonzero 0/1 vector in the span of the columns of `null` (d of them, d small)."""
    d = null.shape[1]
    if d == 0:
        return []
    pivots = _pivots(null)
    choices = np.array(list(itertools.product((0.0, 1.0), repeat=d))).T
    vectors = null @ np.linalg.solve(null[pivots], choices)
    rounded = np.round(vectors)
    ok = np.all(np.abs(vectors - rounded) < 1e-6, axis=0) & np.all((rounded == 0) | (rounded == 1), axis=0)
    return [rounded[:, j] for j in np.flatnonzero(ok & rounded.any(axis=0))]


_UNFINISHED = np.zeros(0)  # the bounded search gave up


def _any_small(null: np.ndarray, weight: np.ndarray, count: np.ndarray, t: int, whole: bool, plain: bool) -> bool:
    """Return whether some 0/1 vector y in the span of the columns of `null` has weight @ y below t
    and count @ y above 0 (not all ones when `whole`); True also when the search gives up.

    `plain`: weights and counts are the same (people). Then an atom holding nobody adds nothing
    whatever its value, and it may take any value at all, not only 0 or 1 (as if the adversary
    knew it was empty): only the atoms holding someone are searched, over the span the others
    leave them. That finds whatever the exact question finds, and perhaps more (never less), and
    each coordinate searched weighs at least 1, which keeps the search short.
    """
    if plain:
        someone = weight > 0
        if not someone.any():
            return False
        u, singular, _ = np.linalg.svd(null[someone], full_matrices=False)
        null = u[:, singular > 1e-9 * max(1.0, singular.max(initial=0))]
        weight = count = weight[someone]
        whole = False  # (counting the whole as well can only find more)
    if null.shape[1] <= SEARCH_LIMIT:
        return any(count @ y > 0 and weight @ y < t and not (whole and y.all()) for y in _binary_vectors(null))
    return _lightest_binary(null, weight, count, t, whole) is not None


def _lightest_binary(
    null: np.ndarray, weight: np.ndarray, count: np.ndarray, t: int, whole: bool, nodes: int | None = None
) -> np.ndarray | None:
    """Return the lightest 0/1 vector y in the span of the columns of `null` with weight @ y < t and
    count @ y > 0 (not all ones when `whole`), None when there is none, or _UNFINISHED.

    Exact, by branch and bound: a vector of the span is fixed by its values x on d pivot
    coordinates (y = solve @ x), so x is chosen one coordinate at a time, heaviest first. A branch
    is cut when some other coordinate can no longer come out as 0 or 1 whatever the coordinates
    still open (the interval of its value misses both), or when the weight already certain (the
    pivots set to 1, and the coordinates that can only be 1) reaches the lightest found so far,
    which starts at t. Gives up after `nodes` steps (SEARCH_NODES).
    """
    budget = SEARCH_NODES if nodes is None else nodes
    d = null.shape[1]
    if d == 0:
        return None
    pivots = _pivots(null)
    solve = null @ np.linalg.inv(null[pivots])
    solve[np.abs(solve) < 1e-9] = 0.0
    heaviest_first = np.argsort(-weight[pivots], kind="stable")
    order = [pivots[i] for i in heaviest_first]
    rest = np.setdiff1d(np.arange(len(weight)), order)
    ties = solve[rest][:, heaviest_first]  # each other coordinate from the pivots, in search order
    free_weight = weight[order]
    rest_weight = weight[rest]
    # Bounds on what the coordinates still open can add to each other coordinate, per depth.
    up = np.vstack([np.cumsum(np.maximum(ties, 0)[:, ::-1], axis=1)[:, ::-1].T, np.zeros(len(rest))])
    down = np.vstack([np.cumsum(np.minimum(ties, 0)[:, ::-1], axis=1)[:, ::-1].T, np.zeros(len(rest))])
    eps = 1e-6
    best: list = [float(t), None]
    steps = [0]
    x = np.zeros(d)

    def visit(depth: int, partial: np.ndarray, weight_so_far: float) -> bool:
        steps[0] += 1
        if steps[0] > budget:
            return False
        low, high = partial + down[depth], partial + up[depth]
        if (high < -eps).any() or (low > 1 + eps).any() or ((low > eps) & (high < 1 - eps)).any():
            return True
        if weight_so_far + rest_weight[low > eps].sum() >= best[0]:
            return True
        if depth == d:
            rounded = np.round(partial)
            if np.abs(partial - rounded).max(initial=0) > eps:
                return True
            y = np.zeros(len(weight))
            y[rest], y[order] = rounded, x
            if count @ y > 0 and not (whole and y.all()):
                best[0], best[1] = float(weight @ y), y
            return True
        for value in (0.0, 1.0):
            if value and weight_so_far + free_weight[depth] >= best[0]:
                continue
            x[depth] = value
            if not visit(depth + 1, partial + value * ties[:, depth], weight_so_far + value * free_weight[depth]):
                return False
        x[depth] = 0.0
        return True

    if not visit(0, np.zeros(len(rest)), 0.0):
        return _UNFINISHED
    return best[1]


def _derivable(mask: np.ndarray, masks: Sequence[np.ndarray]) -> bool:
    """Return whether a set of cells is a linear combination of these groups and the whole."""
    basis = np.stack([*masks, np.ones(len(mask), dtype=bool)], axis=1).astype(float)
    solution, *_ = np.linalg.lstsq(basis, mask.astype(float), rcond=None)
    return bool(np.allclose(basis @ solution, mask, atol=1e-6))


def publish_groups(
    counts: np.ndarray, candidates: Sequence[tuple[GroupId, np.ndarray]], t: int, partition: bool = True
) -> list[GroupId]:
    """Return the groups to publish: those of at least t, less any that let a smaller set be worked out.

    `counts` holds the people in each cell; each candidate group is a mask over the cells. While
    some set of 1 to t-1 people can be worked out, one published group is withdrawn: among the
    groups whose withdrawal stops that set being worked out, the smallest (ties: the one listed
    first). When the groups are one partition of the cells (one dimension), what can be worked out
    is exactly a union of atoms, and the check is quick.
    """
    counts = np.asarray(counts, dtype=np.int64)
    chosen = [(gid, mask) for gid, mask in candidates if counts[mask].sum() >= t]
    while chosen:
        masks = [mask for _, mask in chosen]
        found = _small_atom(counts, masks, t) if partition else lightest_derivable(masks, counts, t)
        if found is None:
            break
        sizes = [int(counts[mask].sum()) for mask in masks]
        breaking = [i for i in range(len(chosen)) if not _derivable(found, masks[:i] + masks[i + 1 :])]
        pool = breaking or [i for i, mask in enumerate(masks) if (mask & found).any()]
        del chosen[min(pool or range(len(chosen)), key=lambda i: (sizes[i], i))]
    return [gid for gid, _ in chosen]


def _small_atom(counts: np.ndarray, masks: Sequence[np.ndarray], t: int) -> np.ndarray | None:
    """Return the smallest atom holding 1 to t-1 people (for groups that partition the cells)."""
    ids = atom_ids(masks, len(counts))
    totals = np.bincount(ids, weights=counts)
    small = [a for a in np.argsort(totals, kind="stable") if 0 < totals[a] < t]
    return ids == small[0] if small else None


# --- families and universes ------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyCells:
    """Each response's cell in a family (one number for its combination of the family's groups).

    A family of one dimension keeps no cells of its own: they are its column plus one, worked
    out when read (at a million responses, 1 MB less kept per such family).
    """

    held: np.ndarray | None  # the cells of a family of several dimensions (None: one dimension)
    size: int  # number of cells in the mixed-radix numbering
    index: dict[str, np.ndarray]  # dimension id -> its column index for each cell (-1 = no answer)
    possible: np.ndarray  # the cells the questionnaire allows (others are known to be empty)
    column: np.ndarray | None = None  # the one dimension's column

    @property
    def keys(self) -> np.ndarray:
        """Return each response's cell, in the smallest integer type that holds `size` (key_dtype)."""
        if self.held is not None:
            return self.held
        return np.add(self.column, 1, dtype=key_dtype(self.size), casting="unsafe")


def family_cells(snapshot: Snapshot, family: Family) -> FamilyCells:
    """Return the family cell of every response (computed once per snapshot)."""
    key = ("family-cells", family.id)
    if key not in snapshot.cache:
        radix, size = {}, 1
        for dim_id in family.dims:
            width = len(snapshot.codes(dim_id)) + 1
            radix[dim_id] = (size, width)
            size *= width
        # Kept for every response, so in the smallest type that holds every cell (not int64), and
        # worked out in place: no million-long int64 temporaries.
        dtype = key_dtype(size)
        keys, term = np.zeros(snapshot.n, dtype=dtype), np.empty(snapshot.n, dtype=dtype)
        for dim_id, (r, _) in radix.items():
            np.add(snapshot.categorical[dim_id], 1, out=term, casting="unsafe")
            term *= r
            keys += term
        del term
        cell = np.arange(size)
        index = {d: (cell // r) % w - 1 for d, (r, w) in radix.items()}
        seen = np.flatnonzero(np.bincount(keys, minlength=size))
        possible = possible_cells(snapshot.questionnaire, family)
        if possible is None:  # too many to list: treat the cells seen as the possible ones (stricter)
            possible = seen
        possible = np.union1d(possible, seen)
        if len(family.dims) == 1:
            snapshot.cache[key] = FamilyCells(None, size, index, possible, snapshot.categorical[family.dims[0]])
        else:
            snapshot.cache[key] = FamilyCells(keys, size, index, possible)
    return snapshot.cache[key]


def key_dtype(size: int) -> type:
    """Return the smallest signed integer type holding 0 .. size - 1 (family cell numbers)."""
    for dtype in (np.int8, np.int16, np.int32):
        if size - 1 <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def possible_cells(questionnaire, family: Family) -> np.ndarray | None:
    """Return the family cells a response can fall in, by trying every answer to the questions behind it.

    Cells the questionnaire rules out (a sector offered only to another service group, the Welsh
    question for someone outside Wales answering in English) are known to be empty to anyone who
    reads the questionnaire, so the gate must not count on them to hide anything.
    """
    return memo(questionnaire, f"possible-cells:{family.id}", lambda q: _possible_cells(q, family))


def _possible_cells(questionnaire, family: Family) -> np.ndarray | None:
    codes = layout(questionnaire).categorical
    bases = sorted(set().union(*(base_questions(questionnaire, d) for d in family.dims)))
    choices = []
    for base in bases:
        if base == LANGUAGE:
            choices.append(list(questionnaire.languages))
            continue
        question = questionnaire.question(base)
        if question.type not in ("single", "scale"):
            return None  # only single answers are tried one by one
        values: list = list(question.codes)
        if can_be_missing(questionnaire, base):
            values.append(None)
        choices.append(values)
    if math.prod(len(c) for c in choices) > 20_000:
        return None
    found = set()
    for combination in itertools.product(*choices):
        assignment = dict(zip(bases, combination, strict=True))
        language = assignment.pop(LANGUAGE, questionnaire.languages[0])
        answers = {q: v for q, v in assignment.items() if v is not None}
        if {q: v for q, v in clean_answers(questionnaire, answers, language).items() if q in answers} != answers:
            continue  # some answer would not be asked, or not offered, after the others
        values = with_derived(questionnaire, answers, language)
        key, size = 0, 1
        for dim_id in family.dims:
            value = values.get(dim_id)
            key += (codes[dim_id].index(value) + 1 if value in codes[dim_id] else 0) * size
            size *= len(codes[dim_id]) + 1
        found.add(key)
    return np.array(sorted(found), dtype=np.int64)


@dataclass(frozen=True)
class Universe:
    """The people a table can be about: everyone, or those who answered one answer key.

    Kept with the snapshot for every answer key asked about, so it holds no mask of its own where
    the snapshot has one: the mask of an answer key with a column is worked out from the column
    when read (faster than unpacking bits, and nothing kept: packed bits were 125 KB a key at a
    million responses, 7 MB for the equality flags' keys). Only a free-text key's is kept, packed.
    """

    key: str
    size: int
    n: int  # responses in the snapshot (the mask's length)
    kind: str  # "all", "categorical", "multi", "numbers" or "packed"
    source: np.ndarray | None  # the answer key's column, or (packed) np.packbits of the mask

    @property
    def mask(self) -> np.ndarray:
        """Return the boolean mask of the universe over the snapshot's rows (a new array each time)."""
        return _answered(self.kind, self.source, self.n)


def _answered(kind: str, source: np.ndarray | None, n: int) -> np.ndarray:
    if kind == "categorical":
        return source >= 0
    if kind == "multi":
        return source != 0
    if kind == "numbers":
        return ~np.isnan(source)
    if kind == "packed":
        return np.unpackbits(source, count=n).view(bool)
    return np.ones(n, dtype=bool)


def universe(snapshot: Snapshot, answer_key: str | None) -> Universe:
    """Return the universe of an answer key (None: every released response)."""
    key = ("universe", answer_key)
    if key not in snapshot.cache:
        columns = {"categorical": snapshot.categorical, "multi": snapshot.multi, "numbers": snapshot.numbers}
        found = [kind for kind, held in columns.items() if answer_key in held]
        if answer_key is None:
            kind, source = "all", None
        elif found:
            kind, source = found[0], columns[found[0]][answer_key]
        else:
            mask = np.zeros(snapshot.n, dtype=bool)
            mask[snapshot.text(answer_key)[0]] = True
            kind, source = "packed", np.packbits(mask)
        size = int(np.count_nonzero(_answered(kind, source, snapshot.n)))
        snapshot.cache[key] = Universe(answer_key or "_all", size, snapshot.n, kind, source)
    return snapshot.cache[key]


# --- one family ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OneWay:
    """The groups of one family published within a universe."""

    threshold: int
    cells: np.ndarray  # the family cells that can occur
    counts: np.ndarray  # people in each of those cells
    groups: dict[GroupId, np.ndarray]  # every group of the family, as a mask over the cells
    published: frozenset[GroupId]
    partition: bool  # the family is one dimension: its groups partition the cells

    def count(self, gid: GroupId) -> int:
        """Return the people in a group (published or not; callers show only published ones)."""
        return int(self.counts[self.groups[gid]].sum())

    def masks(self) -> list[np.ndarray]:
        """Return the published groups as cell masks, in a fixed order."""
        return [self.groups[g] for g in sorted(self.published)]


def one_way(snapshot: Snapshot, family_id: str, where: Universe, k: int, counts: np.ndarray | None = None) -> OneWay:
    """Return the published groups of a family within a universe.

    `counts`: the people of the universe in every family cell (numbered as `family_cells`), when
    the caller has counted them already (the equality flags do, with their own tallies); the
    decision is the same either way, and made once per snapshot.
    """
    key = ("one-way", family_id, where.key, k)
    if key not in snapshot.cache:
        shape = structure(snapshot.questionnaire)
        family = shape.families[family_id]
        cells = family_cells(snapshot, family)
        if counts is None:
            counts = np.bincount(cells.keys[where.mask], minlength=cells.size)
        counts = np.asarray(counts, dtype=np.int64)[cells.possible]
        groups = _groups(shape, family, cells)
        t = threshold_for(k, family.protected)
        partition = len(family.dims) == 1
        published = publish_groups(counts, list(groups.items()), t, partition) if where.size >= k else []
        snapshot.cache[key] = OneWay(t, cells.possible, counts, groups, frozenset(published), partition)
    return snapshot.cache[key]


def _groups(shape: Structure, family: Family, cells: FamilyCells) -> dict[GroupId, np.ndarray]:
    groups: dict[GroupId, np.ndarray] = {}
    for dim_id in family.dims:
        at = cells.index[dim_id][cells.possible]
        for value in shape.dims[dim_id].values:
            groups[(dim_id, value.index)] = at == value.index
    return groups


# --- two families crossed --------------------------------------------------------------------


def orientation(shape: Structure, family_a: str, family_b: str) -> tuple[str, str] | None:
    """Return (row dimension, column family) for crossing two families, or None if they may not cross.

    Rows are always one non-protected dimension (a family's crossing dimension); columns are a
    whole family. Each pair of families has one orientation, so its cells are gated once.
    """
    a, b = shape.families[family_a], shape.families[family_b]
    if a.id == b.id or (a.protected and b.protected):
        return None
    if a.protected or b.protected:
        rows, cols = (b, a) if a.protected else (a, b)
        return rows.crossing, cols.id  # type: ignore[return-value]

    def rank(f: Family) -> tuple[int, int, int]:
        crossing = shape.dims[f.crossing]  # type: ignore[index]
        return (len(f.dims) > 1, len(crossing.values), crossing.position)

    rows, cols = sorted((a, b), key=rank)
    return rows.crossing, cols.id  # type: ignore[return-value]


@dataclass(frozen=True)
class Crossing:
    """The published cells of two families crossed within a universe."""

    rows: str  # the row dimension
    cols: str  # the column family
    threshold: int
    good: dict[int, frozenset[GroupId]]  # row index -> the column groups published in that row
    counts: dict[int, dict[GroupId, int]]  # row index -> column group -> people (published ones only)

    def cell(self, row: int, group: GroupId) -> int | None:
        """Return the people in a published cell, or None when it is not published."""
        return self.counts.get(row, {}).get(group)


def crossing(snapshot: Snapshot, family_a: str, family_b: str, where: Universe, k: int) -> Crossing | None:
    """Return the published cells of two families crossed, or None if they may not cross."""
    shape = structure(snapshot.questionnaire)
    oriented = orientation(shape, family_a, family_b)
    if oriented is None:
        return None
    row_dim, col_family = oriented
    key = ("crossing", row_dim, col_family, where.key, k)
    if key not in snapshot.cache:
        snapshot.cache[key] = _cross(snapshot, shape, row_dim, col_family, where, k)
    return snapshot.cache[key]


def _cross(snapshot: Snapshot, shape: Structure, row_dim: str, col_family: str, where: Universe, k: int) -> Crossing:
    row_family = shape.dims[row_dim].family
    t = threshold_for(k, shape.families[row_family].protected or shape.families[col_family].protected)
    rows_gate = one_way(snapshot, row_family, where, k)
    cols_gate = one_way(snapshot, col_family, where, k)
    cells = family_cells(snapshot, shape.families[col_family])
    mask = where.mask
    joint = snapshot.categorical[row_dim][mask].astype(np.intp)
    joint += 1  # 0 = no answer
    joint *= cells.size
    joint += cells.keys[mask]
    width = len(snapshot.codes(row_dim)) + 1
    grid = np.bincount(joint, minlength=width * cells.size)
    del joint, mask
    grid = grid.reshape(width, cells.size)[:, cols_gate.cells]  # rows x possible column cells
    columns = [(g, cols_gate.groups[g]) for g in sorted(cols_gate.published)]
    good: dict[int, list[GroupId]] = {}
    for value in shape.dims[row_dim].values:
        if (row_dim, value.index) not in rows_gate.published or value.index < 0:
            continue
        shown = publish_groups(grid[value.index + 1], columns, t, cols_gate.partition)
        if shown:
            good[value.index] = shown
    # The rest (every row not published) must hold at least t people in every set of columns that
    # can be worked out from the published column groups; hold rows back until it does. This holds
    # even when the rest is empty (every row shown, the row question required): then the column
    # totals less the other rows give away a cell a row hides.
    masks = cols_gate.masks()
    while good:
        rest = cols_gate.counts - sum(grid[r + 1] for r in good)
        thin = lightest_derivable(masks, rest, t, counts=cols_gate.counts)
        if thin is None:
            break
        need = t - rest[thin].sum()
        offers = {r: grid[r + 1][thin].sum() for r in good}
        margins = {r: grid[r + 1].sum() for r in good}
        enough = [r for r, c in offers.items() if c >= need]
        if enough:
            pick = min(enough, key=lambda r: (margins[r], r))
        else:
            pick = max(offers, key=lambda r: (offers[r], -margins[r], -r))
        del good[pick]
    counts = {r: {g: int(grid[r + 1][cols_gate.groups[g]].sum()) for g in groups} for r, groups in good.items()}
    return Crossing(row_dim, col_family, t, {r: frozenset(g) for r, g in good.items()}, counts)
