"""Comment themes as they may be shown: protected sizes, safe keywords, quotes that may be shown.

The job worker groups comments into themes (clustering.py, survey/core/theming.py) and the
database keeps which theme each comment is in; this module is given that assignment as data
(like the organisers' review decisions) and works out what a page may show:

- comments pass the comment gate first (comments.py): shown for everyone or one non-protected
  group of at least max(k, 10) comments, never by a protected characteristic;
- each theme's size is a published count (protection.py: the comments' record keys make its
  cell key, as for every count); a theme whose true or published size is under k is folded into
  "Other", which is shown only when it too reaches k;
- keywords (class-based TF-IDF, as BERTopic) are words written in at least k different comments of
  the group, never a word the personal-data detector marks in any comment (held.py);
- quotes are the theme's most central comments among those the gate shows (not held back for
  review, or approved by an organiser).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..questionnaire.model import TEXT_TYPES
from ..questionnaire.rules import LANGUAGE
from .cache import snapshot_for
from .comments import _chosen, _refusal
from .dimensions import comment_threshold, structure
from .held import Decisions, _response_hex, _spans, held_keys, screened
from .protection import published_count, shown
from .queries import UnknownQuestion, answer_key, fixed_dimensions, language_for
from .snapshot import Snapshot

KEYWORDS = 5
WORD = re.compile(r"[^\W\d_][^\W\d_'’-]{2,}")
_ENGLISH = (
    "the and for are but not you all any can had her was one our out has have him his how its may new now "
    "own say she too use who why with this that they them then than there their what when where which will "
    "would could should about after again also been before being both did does doing down each from further "
    "into just more most much only other over same some such very were your yours because between through "
    "until while against during once here off under above below get got make made even still ever never "
    "want like well way really thing things lot lots don't can't it's i'm we're they're isn't"
)
_WELSH = (
    "mae roedd bod ydy yw oes nid ddim dim ond neu gyda gan heb ein eich eu fy dy'r i'r o'r a'r ar y yn "
    "hefyd felly pan sut beth pam lle sydd oedd fydd bydd byddai rydw rydyn rydych maen nhw fe hi ni chi "
    "ei hun hyn hynny hwn hon rhai pob wedi cael amser"
)
STOP_WORDS = frozenset(f"{_ENGLISH} {_WELSH}".split())


@dataclass
class Theme:
    """One theme as shown: its name, published size, keywords and quotes."""

    id: int | None  # None: "Other"
    name: str
    size: int  # published (perturbed) count of its comments in the group
    keywords: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    language: str = "en"  # the language its comments were grouped in
    named: bool = False  # an organiser named it (else the name is made from its keywords)


@dataclass
class Themes:
    """The themes of one free-text question's comments, for everyone or one group."""

    question: str
    text: str
    filters: dict[str, str]
    threshold: int
    themes: list[Theme]
    other: Theme | None
    refused: str | None
    summary: str
    themed: bool  # the worker has grouped this question's comments


Assignment = Mapping[str, tuple[int, float]]  # response id (32 hex) -> (theme id, centrality)
Names = Mapping[int, tuple[str | None, str | None, str]]  # theme id -> (English, Welsh, language)


def text_questions(survey) -> list[str]:
    """Return the ids of a survey's free-text questions (not "other" write-ins)."""
    return [q.id for q in survey.questionnaire.questions if q.type in TEXT_TYPES]


def comments_to_theme(survey, question_id: str) -> list[tuple[str, str, str]]:
    """Return (response id, comment, language answered in) of a question's comments, for the
    worker's theming: only when they may be shown at all (at least max(k, 10) of them)."""
    snapshot = snapshot_for(survey)
    if question_id not in snapshot.texts:
        return []
    rows, ids, texts = snapshot.text(question_id)
    if len(texts) < comment_threshold(survey.threshold):
        return []
    column, codes = snapshot.categorical[LANGUAGE], snapshot.codes(LANGUAGE)
    languages = [codes[column[r]] if column[r] >= 0 else "en" for r in rows.tolist()]
    return [(_response_hex(ids[i]), texts[i], languages[i]) for i in range(len(texts))]


def themes(
    survey,
    question_id: str,
    assignment: Assignment,
    names: Names,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    *,
    decisions: Decisions,
    quotes: int = 3,
) -> Themes:
    """Return a question's themes that may be shown (see the module's docstring)."""
    snapshot = snapshot_for(survey)
    return themes_of(
        snapshot,
        survey.threshold,
        question_id,
        assignment,
        names,
        filters,
        language,
        survey.audience,
        decisions,
        quotes,
    )


def themes_of(
    snapshot: Snapshot,
    k: int,
    question_id: str,
    assignment: Assignment,
    names: Names,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    audience: Mapping[str, str] | None = None,
    decisions: Decisions | None = None,
    quotes: int = 3,
) -> Themes:
    """Return themes from a snapshot (see themes)."""
    questionnaire = snapshot.questionnaire
    language = language_for(questionnaire, language)
    question, _ = answer_key(questionnaire, question_id)
    if question.type not in TEXT_TYPES:
        raise UnknownQuestion(f"{question_id} is not a free-text question")
    filters = dict(filters or {})
    shape, t = structure(questionnaire), comment_threshold(k)
    dimension = shape.comment_dim if shape.comment_dim not in fixed_dimensions(audience, questionnaire) else None
    result = Themes(question_id, question.text[language], filters, k, [], None, None, "", bool(assignment))
    refusal = _refusal(shape, dimension, filters)
    if refusal is None and question_id in snapshot.texts:
        rows, _, _ = snapshot.text(question_id)
        chosen = _chosen(snapshot, shape, question_id, rows, filters, t)
        if chosen is None or int(chosen.sum()) < t:
            refusal = f"Themes are shown only for groups of at least {t} people who commented."
    elif refusal is None:
        refusal = "No comments yet."
    if refusal:
        result.refused = result.summary = refusal
        return result
    if not assignment:
        result.summary = "Themes are worked out in the background after results are released: not yet."
        return result
    _fill(result, snapshot, k, question_id, assignment, names, chosen, language, decisions or {}, quotes)
    return result


def _fill(
    result: Themes,
    snapshot: Snapshot,
    k: int,
    question_id: str,
    assignment: Assignment,
    names: Names,
    chosen: np.ndarray,
    language: str,
    decisions: Decisions,
    quotes: int,
) -> None:
    """Work out each theme's protected size, keywords and quotes; fold the small ones into Other."""
    rows, ids, texts = snapshot.text(question_id)
    theme_at, central = _positions(snapshot, question_id, ids, assignment)
    keys = snapshot.keys[rows].astype(np.int64)
    showable = _showable(snapshot, question_id, decisions)
    words = _words(snapshot, question_id, texts, chosen, k)
    everywhere = Counter(w for found in words for w in found)  # words of unchosen comments are empty
    folded = chosen & (theme_at < 0)  # comments since the last theming are counted in Other
    for theme_id in sorted(set(theme_at[chosen].tolist()) - {-1}):
        members = chosen & (theme_at == theme_id)
        true = int(members.sum())
        public = published_count(true, int(keys[members].sum()))
        if not shown(true, public, k):
            folded |= members
            continue
        english, welsh, grouped_in = names.get(theme_id, (None, None, "en"))
        theme = Theme(theme_id, "", public, _keywords(words, members, everywhere), language=grouped_in)
        named = (welsh or english) if language == "cy" else english
        theme.name, theme.named = (named, True) if named else (" · ".join(theme.keywords[:3]) or "Theme", False)
        best = sorted(np.flatnonzero(members & showable).tolist(), key=lambda i: -central[i])
        theme.quotes = [texts[i] for i in best[:quotes]]
        result.themes.append(theme)
    result.themes.sort(key=lambda th: (-th.size, th.id or 0))
    true = int(folded.sum())
    public = published_count(true, int(keys[folded].sum()))
    if true and shown(true, public, k):
        result.other = Theme(None, "Other", public, _keywords(words, folded, everywhere))
    result.summary = (
        f"{len(result.themes)} themes"
        + (", and other comments" if result.other else "")
        + f"; a theme of fewer than {k} comments is counted in Other, shown only when it too holds {k}."
    )


def _positions(snapshot: Snapshot, question_id: str, ids, assignment: Assignment) -> tuple[np.ndarray, np.ndarray]:
    """Return each comment's theme (-1: none yet) and centrality, by position."""
    theme_at = np.full(len(ids), -1, dtype=np.int64)
    central = np.zeros(len(ids), dtype=np.float32)
    for i, response in enumerate(_hex_ids(snapshot, question_id, ids)):
        found = assignment.get(response)
        if found is not None:
            theme_at[i], central[i] = found
    return theme_at, central


def _hex_ids(snapshot: Snapshot, question_id: str, ids) -> list[str]:
    """Return the comments' response ids as 32 hex digits; worked out once per snapshot."""
    key = ("theme response ids", question_id)
    if key not in snapshot.cache:
        snapshot.cache[key] = [_response_hex(ids[i]) for i in range(len(ids))]
    return snapshot.cache[key]


def _showable(snapshot: Snapshot, question_id: str, decisions: Decisions) -> np.ndarray:
    """Return which comments the comment gate may show: not held back, or approved."""
    _, held = screened(snapshot, question_id)
    approved = [i for i, (response, _) in held_keys(snapshot, question_id).items() if decisions.get(response)]
    showable = ~held
    showable[approved] = True
    return showable


def _tokens(text: str) -> set[str]:
    return {w.lower().strip("'’-") for w in WORD.findall(text)} - STOP_WORDS


def _marked(snapshot: Snapshot, question_id: str, texts) -> set[str]:
    """Return every word the personal-data detector marks in any of the question's comments;
    worked out once per snapshot."""
    key = ("theme marked words", question_id)
    if key in snapshot.cache:
        return snapshot.cache[key]
    _, held = screened(snapshot, question_id)
    marked: set[str] = set()
    for i in np.flatnonzero(held).tolist():
        text = texts[i]
        for start, end, _ in _spans(text):
            marked |= _tokens(text[start:end])
            marked |= {w.lower() for w in re.findall(r"\w+", text[start:end])}
    snapshot.cache[key] = marked
    return marked


def _words(snapshot: Snapshot, question_id: str, texts, chosen: np.ndarray, k: int) -> list[set[str]]:
    """Return each comment's words that may be keywords: written in at least k of the group's
    comments, and never marked by the personal-data detector (others are left out)."""
    key = ("theme words", question_id)
    if key not in snapshot.cache:
        snapshot.cache[key] = [_tokens(texts[i]) for i in range(len(texts))]
    every: list[set[str]] = snapshot.cache[key]
    group = ("theme allowed words", question_id, k, np.packbits(chosen).tobytes())
    if group not in snapshot.cache:  # the same group, the same words: worked out once per snapshot
        found = [words if chosen[i] else set() for i, words in enumerate(every)]
        frequency = Counter(w for words in found for w in words)
        allowed = {w for w, n in frequency.items() if n >= k} - _marked(snapshot, question_id, texts)
        snapshot.cache[group] = [words & allowed for words in found]
    return snapshot.cache[group]


def _keywords(words: list[set[str]], members: np.ndarray, everywhere: Counter) -> list[str]:
    """Return a theme's keywords by class-based TF-IDF: a word's share of the theme's words, times
    log(1 + average words per comment group / the word's count in every group)."""
    inside = Counter(w for i in np.flatnonzero(members).tolist() for w in words[i])
    if not inside:
        return []
    total = sum(inside.values())
    average = sum(everywhere.values()) / max(len(everywhere), 1)
    score = {w: n / total * math.log(1 + average / everywhere[w]) * math.log(1 + n) for w, n in inside.items()}
    return sorted(score, key=lambda w: (-score[w], w))[:KEYWORDS]
