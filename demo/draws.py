"""Vectorised draws: numpy helpers, and the answers of a chunk of members drawn column by column.

`Draws` holds the primitives (uniforms, coin tosses, categories) and records each kind of
question (single choice, scale, grid, multiple choice, top k, write-ins, free text) while
following the questionnaire's routing; `demo.answers` draws the questionnaire with them. Each
member's JSON is glued from pre-rendered fragments such as `,"A1":"health"` with one str.join.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np

from survey.questionnaire.model import Questionnaire

from .tables import CONTACT, CONTACT_SHARE, WRITE_IN_SHARE, WRITE_INS


def vec(codes: Iterable[str], weights: Mapping[str, float], default: float = 0.0) -> np.ndarray:
    """Return weights aligned to codes; a weight for a code the questionnaire lacks is a bug."""
    codes = tuple(codes)
    unknown = set(weights) - set(codes)
    if unknown:
        raise ValueError(f"demo tables name codes the questionnaire does not have: {sorted(unknown)}")
    return np.array([weights.get(code, default) for code in codes], dtype=float)


def matrix(
    rows: Iterable[str],
    codes: Iterable[str],
    table: Mapping[str, Mapping[str, float]],
    default: np.ndarray,
    fill: float = 0.0,
) -> np.ndarray:
    """Return one weight row per parent code: the table's row (others `fill`) where it has one, else `default`."""
    codes = tuple(codes)
    return np.array([vec(codes, table[row], fill) if row in table else default for row in rows])


def tilt(base: Iterable[float], t: np.ndarray) -> np.ndarray:
    """Return (n, k) weights: an ordered scale's weights leaning towards its top by t (0 = as is)."""
    base = np.asarray(tuple(base), dtype=float)
    steps = np.arange(len(base)) - (len(base) - 1) / 2
    return base * np.exp(np.multiply.outer(t, steps))


def share(p: np.ndarray, weights: Iterable[float], inside: Iterable[bool]) -> np.ndarray:
    """Return (n, k) weights that give the `inside` categories share p between them, the rest 1 - p."""
    weights, inside = np.asarray(tuple(weights), float), np.asarray(tuple(inside), bool)
    within = np.where(inside, weights / weights[inside].sum(), 0.0)
    without = np.where(inside, 0.0, weights / weights[~inside].sum())
    return np.multiply.outer(p, within) + np.multiply.outer(1 - p, without)


class _Rows:
    """Answers for a chunk, column by column, turned into one JSON text per member."""

    def __init__(self) -> None:
        self.columns: list[list[str]] = []

    def codes(self, key: str, codes: tuple[str, ...], index: np.ndarray) -> None:
        """Add a single answer per member; index -1 leaves it out."""
        fragments = np.array([f",{json.dumps(key)}:{json.dumps(c, ensure_ascii=False)}" for c in codes] + [""], object)
        self.columns.append(fragments[index].tolist())  # index -1 picks the "" at the end

    def sets(self, key: str, codes: tuple[str, ...], mask: np.ndarray) -> None:
        """Add a multiple-choice answer per member from bit masks over codes; 0 leaves it out."""
        unique, inverse = np.unique(mask, return_inverse=True)
        fragments = np.array([self._set_fragment(key, codes, int(m)) for m in unique], dtype=object)
        self.columns.append(fragments[inverse.reshape(-1)].tolist())

    @staticmethod
    def _set_fragment(key: str, codes: tuple[str, ...], mask: int) -> str:
        chosen = [code for bit, code in enumerate(codes) if mask >> bit & 1]
        return f",{json.dumps(key)}:{json.dumps(chosen)}" if chosen else ""

    def json(self) -> list[str]:
        """Return each member's answers as JSON text (every member answers A1, so none is empty)."""
        return ["{" + row[1:] + "}" for row in map("".join, zip(*self.columns, strict=True))]


class Draws:
    """Draw and record n members' answers, each question conditioned on what came before.

    The primitives and the recording of each kind of question; `demo.answers.Chunk` adds the
    questionnaire, section by section.
    """

    def __init__(self, questionnaire: Questionnaire, rng: np.random.Generator, n: int) -> None:
        self.q, self.rng, self.n = questionnaire, rng, n
        self.rows = _Rows()
        self.index: dict[str, np.ndarray] = {}  # single-choice answers so far, as code indexes (-1 none)

    # -- primitives

    def uniform(self) -> np.ndarray:
        """Return n uniform draws in [0, 1)."""
        return self.rng.random(self.n)

    def chance(self, p: float | np.ndarray) -> np.ndarray:
        """Return n coin tosses, each true with probability p."""
        return self.rng.random(self.n) < p

    def linked(self, shared: np.ndarray, rho: float) -> np.ndarray:
        """Return uniforms equal to `shared` for a share rho of members and fresh otherwise.

        Each is still uniform, so a draw through it keeps its planned shares exactly, while
        answers drawn through the same `shared` go together (a member's general concern).
        """
        return np.where(self.chance(rho), shared, self.uniform())

    def category(self, weights: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """Return one category index per member from (k,) or (n, k) weights (rows need not sum to 1)."""
        cum = np.cumsum(weights, axis=-1)
        cum = cum / cum[..., -1:]
        u = self.uniform() if u is None else u
        if cum.ndim == 1:
            return np.searchsorted(cum, u, side="right")
        return (u[:, None] >= cum).sum(axis=1)

    def codes(self, question_id: str) -> tuple[str, ...]:
        """Return a question's answer codes."""
        return self.q.question(question_id).codes

    def is_(self, question_id: str, *codes: str) -> np.ndarray:
        """Return whether each member's answer to a single-choice question is one of codes."""
        all_codes = self.codes(question_id)
        wanted = [all_codes.index(code) for code in codes]
        return np.isin(self.index[question_id], wanted)

    def answered(self, index: np.ndarray, shown: np.ndarray | bool = True, skip: float = 0.0) -> np.ndarray:
        """Return index with -1 for members not shown the question or choosing to skip it."""
        keep = np.asarray(shown) & ~self.chance(skip) if skip else np.broadcast_to(shown, index.shape)
        return np.where(keep, index, -1)

    # -- answers

    def record(
        self,
        question_id: str,
        index: np.ndarray,
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        key: str | None = None,
    ) -> np.ndarray:
        """Record a single answer per member (a code index), or one grid item's under `key`."""
        index = self.answered(index, shown, skip)
        self.rows.codes(key or question_id, self.codes(question_id), index)
        if key is None:
            self.index[question_id] = index
            self.write_ins(question_id, index)
        return index

    def single(
        self,
        question_id: str,
        weights: np.ndarray,
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        u: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draw and record a single-choice answer from (k,) or (n, k) weights over its codes."""
        return self.record(question_id, self.category(weights, u), shown, skip)

    def scale(
        self,
        question_id: str,
        on_scale: np.ndarray,
        off_scale: Mapping[str, float | np.ndarray],
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        u: np.ndarray | None = None,
        key: str | None = None,
    ) -> np.ndarray:
        """Draw and record a scale answer: first whether it is off the scale, then where on it.

        `u` places members on the scale, so items drawn through related uniforms go together;
        off-scale answers ("Don't know", "Not applicable") are drawn apart from it, so a share
        planted on the scale stays the share among members who answered on the scale.
        """
        codes = self.codes(question_id)
        index = self.category(on_scale, u)
        r, below = self.uniform(), np.zeros(self.n)
        for code, p in off_scale.items():
            index = np.where((r >= below) & (r < below + p), codes.index(code), index)
            below = below + p
        return self.record(question_id, index, shown, skip, key)

    def grid(
        self,
        question_id: str,
        items: Mapping[str, tuple[np.ndarray, Mapping[str, float | np.ndarray], np.ndarray | None]],
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        skip_item: float = 0.02,
    ) -> dict[str, np.ndarray]:
        """Draw and record a grid: each item (on-scale weights, off-scale shares, uniforms) on its key."""
        question = self.q.question(question_id)
        assert set(items) == {item.code for item in question.items}
        shown = np.asarray(shown) & ~self.chance(skip)
        return {
            code: self.scale(question_id, on, off, shown, skip_item, u, key=f"{question_id}.{code}")
            for code, (on, off, u) in items.items()
        }

    def multi(
        self,
        question_id: str,
        chances: Mapping[str, float | np.ndarray],
        exclusive: Mapping[str, float | np.ndarray] | None = None,
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
    ) -> np.ndarray:
        """Draw and record a multiple choice: each option by its own chance, or one exclusive alone.

        A member whose tosses chose nothing takes the most likely option, so nobody shown a
        required question leaves it empty unless they skip it on purpose.
        """
        codes = self.codes(question_id)
        probs = np.column_stack([np.broadcast_to(np.asarray(chances.get(c, 0.0), float), (self.n,)) for c in codes])
        chosen = self.rng.random(probs.shape) < np.minimum(probs, 0.95)
        empty = ~chosen.any(axis=1)
        chosen[empty, probs[empty].argmax(axis=1)] = True
        mask = chosen.astype(np.int64) @ (1 << np.arange(len(codes), dtype=np.int64))
        r, below = self.uniform(), np.zeros(self.n)
        for code, p in (exclusive or {}).items():
            mask = np.where((r >= below) & (r < below + p), 1 << codes.index(code), mask)
            below = below + p
        return self.record_multi(question_id, mask, shown, skip)

    def top(
        self, question_id: str, weights: Mapping[str, float], counts: Iterable[float], skip: float = 0.0
    ) -> np.ndarray:
        """Draw and record a "choose up to k" question: k by `counts`, then k options by weight."""
        codes = self.codes(question_id)
        w = vec(codes, weights)
        keys = np.log(np.where(w > 0, w, 1e-300)) - np.log(-np.log(self.rng.random((self.n, len(codes)))))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)  # Gumbel top-k: weighted, no repeats
        k = self.category(np.asarray(tuple(counts), float)) + 1
        assert k.max() <= (self.q.question(question_id).max_choices or len(codes))
        chosen = (rank < k[:, None]) & (w > 0)
        mask = chosen.astype(np.int64) @ (1 << np.arange(len(codes), dtype=np.int64))
        return self.record_multi(question_id, mask, True, skip)

    def record_multi(self, question_id: str, mask: np.ndarray, shown: np.ndarray | bool, skip: float) -> np.ndarray:
        """Record multiple-choice bit masks (0 = not answered) and their write-ins."""
        mask = np.where(self.answered(np.ones(self.n, int), shown, skip) >= 0, mask, 0)
        self.rows.sets(question_id, self.codes(question_id), mask)
        codes = self.codes(question_id)
        for option in self.q.question(question_id).options:
            if option.other:
                bit = 1 << codes.index(option.code)
                self.write_in(f"{question_id}.{option.code}", (mask & bit) > 0)
        return mask

    def write_ins(self, question_id: str, index: np.ndarray) -> None:
        """Record write-ins for the "please tell us" options a single-choice answer picked."""
        codes = self.codes(question_id)
        for option in self.q.question(question_id).options:
            if option.other:
                self.write_in(f"{question_id}.{option.code}", index == codes.index(option.code))

    def write_in(self, key: str, picked: np.ndarray) -> None:
        """Record a short write-in for some of the members who picked an "Other" option."""
        pool = WRITE_INS[key]
        which = self.rng.integers(0, len(pool), self.n)
        self.rows.codes(key, pool, np.where(picked & self.chance(WRITE_IN_SHARE), which, -1))

    def text(self, key: str, pool: Mapping[str, tuple[str, ...]], writes: np.ndarray) -> None:
        """Record free text in each member's language: a plain sentence, now and then contact details."""
        contact = self.chance(CONTACT_SHARE)
        texts: list[str] = []
        which = np.full(self.n, -1)
        for language in ("en", "cy"):
            for sentences, picked in ((pool[language], ~contact), (CONTACT[language], contact)):
                mine = picked & (self.welsh == (language == "cy"))
                which = np.where(mine, len(texts) + self.rng.integers(0, len(sentences), self.n), which)
                texts += sentences
        self.rows.codes(key, tuple(texts), np.where(writes, which, -1))

    # -- the questionnaire, section by section
