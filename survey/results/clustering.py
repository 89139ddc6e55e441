"""Grouping comments into themes, locally: sentence embeddings, clustering, and a split in two.

English comments are embedded with WordLlama (a static token-embedding model whose weights are in
its wheel: nothing is downloaded at run time, the package is told so) beside the latent semantic
analysis of its words, and clustered with Ward's method, the number of themes at the largest gap
of its dendrogram. WordLlama's vocabulary is English-centred and
places Welsh sentences by their function words, not their meaning (docs/decisions/0032), so Welsh
comments are clustered on their own, on TF-IDF of character n-grams reduced by SVD (latent semantic
analysis), which needs no model; organisers may merge a Welsh theme into its English twin.

Runs only in the job worker (survey/core/themes.py), never in a request. numpy, scikit-learn and
wordllama are loaded here at module level: only the worker and the theming core import this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import wordllama
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

MOST_THEMES = 12  # per question and language: more is not read
MICRO = 150  # distinct comments: past this many, k-means gathers them first (Ward needs memory n²)
LSA_DIMENSIONS = 50
LSA_FEATURES = 20_000  # the commonest character n-grams
SEED = 20  # the same comments, the same themes


@dataclass
class Grouping:
    """Comments grouped: each comment's group (0..groups-1) and how central it is to its group
    (cosine similarity with the group's centre: the most central are its representative phrases)."""

    labels: np.ndarray
    centrality: np.ndarray
    groups: int


@cache
def model() -> wordllama.WordLlamaInference:
    """Return WordLlama, loaded once per process from the weights shipped in its wheel (never downloaded)."""
    return wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def vectors(texts: Sequence[str], language: str) -> np.ndarray:
    """Return unit-length vectors of comments: for English, WordLlama's (meaning) beside the latent
    semantic analysis of their words (LSA: what they literally share), given equal weight; for
    other languages (Welsh), LSA alone."""
    words = _lsa(texts)
    if language != "en":
        return words
    meaning = normalize(np.asarray(model().embed(list(texts)), dtype=np.float32))
    return normalize(np.hstack([meaning, words]))


def _lsa(texts: Sequence[str]) -> np.ndarray:
    """Return unit vectors from TF-IDF of character n-grams (within words) reduced by SVD."""
    tfidf = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2, max_features=LSA_FEATURES, dtype=np.float32
    )
    try:
        found = tfidf.fit_transform(texts)
    except ValueError:  # no n-gram in two comments: nothing shared
        return np.zeros((len(texts), 1), dtype=np.float32)
    dims = min(LSA_DIMENSIONS, found.shape[1] - 1, len(texts) - 1)
    if dims < 2:
        return normalize(found.toarray())
    return normalize(
        TruncatedSVD(n_components=dims, n_iter=3, random_state=SEED).fit_transform(found).astype(np.float32)
    )


def group(points: np.ndarray, smallest: int, groups: int | None = None) -> Grouping:
    """Cluster unit vectors into `groups` groups, or else into the number (2..MOST_THEMES, each on
    average at least `smallest` comments) at the largest gap of Ward's dendrogram. Identical
    comments are clustered once; past MICRO distinct comments, k-means first gathers them into
    MICRO small groups (weighted by how often each was written) and Ward joins those."""
    n = len(points)
    unique, inverse, counts = np.unique(points, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if len(unique) < 2 or (groups is None and min(MOST_THEMES, n // max(smallest, 1)) < 2):
        return Grouping(np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.float32), 1)
    micro = np.arange(len(unique))
    base = unique
    if len(unique) > MICRO:
        fitted = MiniBatchKMeans(n_clusters=MICRO, n_init=1, batch_size=4096, random_state=SEED).fit(
            unique.astype(np.float64),
            sample_weight=counts,  # float32 would be upcast in small chunks: slow
        )
        micro, base = fitted.labels_, normalize(fitted.cluster_centers_)
    tree = linkage(base, "ward")
    most = min(MOST_THEMES, n // max(smallest, 1), len(base))
    if groups is None:
        heights = tree[:, 2]
        groups = max(range(2, most + 1), key=lambda k: heights[len(base) - k] - heights[len(base) - k - 1])
    cut = fcluster(tree, min(groups, len(base)), "maxclust")
    _, labels = np.unique(cut[micro][inverse], return_inverse=True)
    labels = labels.reshape(-1).astype(np.int64)
    found = int(labels.max()) + 1
    centres = normalize(np.stack([points[labels == g].mean(axis=0) for g in range(found)]))
    return Grouping(labels, np.einsum("ij,ij->i", points, centres[labels]).astype(np.float32), found)


def themes_of(texts: Sequence[str], languages: Sequence[str], smallest: int) -> Grouping:
    """Group comments into themes, each language on its own (English by meaning, others by their
    words): theme numbers run on across languages."""
    labels = np.zeros(len(texts), dtype=np.int64)
    centrality = np.zeros(len(texts), dtype=np.float32)
    at = 0
    for language in sorted(set(languages)):
        where = np.flatnonzero(np.asarray(languages) == language)
        found = group(vectors([texts[i] for i in where], language), smallest)
        labels[where] = found.labels + at
        centrality[where] = found.centrality
        at += found.groups
    return Grouping(labels, centrality, at)


def split(texts: Sequence[str], language: str) -> Grouping:
    """Split one theme's comments in two (an organiser's split)."""
    if len(texts) < 2:
        return Grouping(np.zeros(len(texts), dtype=np.int64), np.ones(len(texts), dtype=np.float32), 1)
    return group(vectors(texts, language), 1, groups=2)


def nearest(texts: Sequence[str], language: str, members: Mapping[int, Sequence[str]]) -> list[tuple[int, float]]:
    """Return, for comments new since the themes were made, the nearest theme (by the centre of its
    comments in this language) and the similarity: new releases join the themes organisers named."""
    if not members:
        return []
    ids = sorted(members)
    fitted_on = [t for i in ids for t in members[i]] + list(texts)
    points = vectors(fitted_on, language)
    at, centres = 0, []
    for i in ids:
        centres.append(points[at : at + len(members[i])].mean(axis=0))
        at += len(members[i])
    similarity = points[at:] @ normalize(np.array(centres)).T
    best = similarity.argmax(axis=1)
    return [(ids[b], float(similarity[row, b])) for row, b in enumerate(best)]
