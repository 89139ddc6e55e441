"""The overview: released responses in total and by each non-protected breakdown, all published."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .cache import snapshot_for
from .counts import group_sizes
from .dimensions import structure
from .gate import everyone_count, universe
from .protection import shown
from .queries import fixed_dimensions, language_for
from .slices import enough, sliced_by
from .snapshot import Snapshot
from .tables import Breakdown, Group, Overview


def overview(survey, language: str = "en") -> Overview:
    """Return released responses in total and by each non-protected dimension, all published."""
    return overview_of(snapshot_for(survey), survey.threshold, language, survey.audience)


def slice_shown(survey) -> bool:
    """Return whether a survey (or a slice of one) has enough responses to show any result."""
    return enough(snapshot_for(survey), survey.threshold)


def overview_of(
    snapshot: Snapshot, k: int, language: str = "en", audience: Mapping[str, str] | None = None
) -> Overview:
    """Return the overview from a snapshot (see overview); worked out once per snapshot."""
    memo_key = ("overview", k, language, tuple(sorted((audience or {}).items())))
    if memo_key not in snapshot.cache:
        snapshot.cache[memo_key] = _overview_of(snapshot, k, language, audience)
    return snapshot.cache[memo_key]


def _overview_of(snapshot: Snapshot, k: int, language: str, audience: Mapping[str, str] | None) -> Overview:
    questionnaire = snapshot.questionnaire
    language = language_for(questionnaire, language)
    shape = structure(questionnaire)
    true, public = everyone_count(snapshot, universe(snapshot, None))
    if not shown(true, public, k):
        return Overview(None, True, k, snapshot.batch, [])
    fixed = fixed_dimensions(audience, questionnaire)
    sliced = {shape.dims[d].family for d in sliced_by(snapshot) if d in shape.dims}
    fixed |= {d.id for d in shape.dims.values() if d.family in sliced}  # a slice: as its filter allows
    rows = np.ones(snapshot.n, dtype=bool)
    breakdowns = []
    for dim in shape.dims.values():
        if dim.protected or dim.id in fixed:
            continue
        groups = snapshot.categorical[dim.id].astype(np.intp)
        groups += 1
        sizes = group_sizes(snapshot, rows, groups, len(snapshot.codes(dim.id)) + 1)
        public_sizes = sizes.public
        found = []
        for value in dim.values:
            n_true, n_public = int(sizes.true[value.index + 1]), int(public_sizes[value.index + 1])
            ok = shown(n_true, n_public, k)
            found.append(Group(value.code, value.label[language], n_public if ok else None, not ok))
        breakdowns.append(Breakdown(dim.id, dim.label[language], found, any(g.suppressed for g in found)))
    return Overview(public, False, k, snapshot.batch, breakdowns)
