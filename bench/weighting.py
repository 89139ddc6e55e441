"""Issue 19, weighting: raking time and a weighted full dashboard, and the noise the design adds.

    .venv/bin/python -m bench.weighting --responses 1000000          # timings (docs/benchmarks.md)
    .venv/bin/python -m bench.weighting --responses 20000 --noise 20  # noise on the demo

The snapshot is built in memory from the demo generator (no database), with record keys drawn at
random as a release draws them; the profile is demo/membership.csv. *Noise*: every weighted
percentage of every question (everyone, and by service group) is worked out twice: from published
counts, as the engine does, and from the true counts (the perturbation table set to zero, so class
weights are raked from true class counts too); the difference is the noise the disclosure design
adds. The same is done unweighted, for comparison. Repeated over fresh record keys.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np

from demo.answers import generate
from demo.planted import BIAS, membership_shares
from survey.questionnaire.loader import load_file
from survey.results import protection, weighting
from survey.results.answers import table_of
from survey.results.snapshot import Snapshot, build
from survey.results.weighted import weighted_table
from survey.results.weighting import Profile, class_weights

QUESTIONNAIRE = Path(__file__).resolve().parent.parent / "questionnaires" / "ai-at-work.yaml"
K = 10


def snapshot_of(questionnaire, n: int, seed: int) -> Snapshot:
    """Build a snapshot of n demo responses, a chunk at a time, with random record keys."""
    rng = np.random.default_rng()
    snapshot = None
    count = 0
    for languages, texts in generate(questionnaire, n, seed):
        keys = rng.integers(0, protection.KEYS, size=len(texts))
        records = [
            (json.loads(text), language, f"{count + i:032x}", int(key))
            for i, (language, text, key) in enumerate(zip(languages, texts, keys, strict=True))
        ]
        count += len(records)
        snapshot = build(questionnaire, records) if snapshot is None else snapshot.extend(records, 0)
    assert snapshot is not None
    return snapshot


def with_keys(snapshot: Snapshot) -> Snapshot:
    """Return the snapshot with fresh record keys (another release of the same answers)."""
    keys = np.random.default_rng().integers(0, protection.KEYS, size=snapshot.n).astype(snapshot.keys.dtype)
    return Snapshot(
        snapshot.questionnaire, snapshot.n, snapshot.batch, snapshot.categorical, snapshot.multi,
        snapshot.numbers, snapshot.texts, snapshot.text_counts, snapshot.ids, keys,
    )  # fmt: skip


def demo_profile(questionnaire) -> Profile:
    """The demo profile (demo/membership.csv) as weighting reads it."""
    shares = membership_shares(questionnaire)
    counts = {d: {code: round(1_300_000 * s) for code, s in groups.items()} for d, groups in shares.items()}
    return Profile(0, "Demo membership (synthetic)", date(2026, 10, 31), counts)


def dashboard(snapshot: Snapshot, profile: Profile | None, by: str | None = None) -> list:
    """Every question's table (as the full dashboard asks for them), weighted when given a profile."""
    weights = class_weights(snapshot, profile, {}) if profile else None
    tables = []
    for question in snapshot.questionnaire.questions:
        if question.type in ("text",):
            continue
        table = table_of(snapshot, K, question.id, by, None, "en", {})
        tables.append(weighted_table(snapshot, table, weights) if weights else table)
    return tables


def timings(questionnaire, n: int, seed: int) -> dict:
    start = time.perf_counter()
    snapshot = snapshot_of(questionnaire, n, seed)
    built = time.perf_counter() - start
    profile = demo_profile(questionnaire)
    rake_times = []
    for _ in range(5):
        snapshot.cache.clear()
        start = time.perf_counter()
        weights = class_weights(snapshot, profile, {})
        rake_times.append(time.perf_counter() - start)
    out = {"responses": n, "build_s": round(built, 1), "classes": weights.size, "rake_s": rake_times}
    for label, chosen in (("unweighted", None), ("weighted", profile)):
        snapshot.cache.clear()
        start = time.perf_counter()
        dashboard(snapshot, chosen)
        first = time.perf_counter() - start
        snapshot.cache.clear()
        start = time.perf_counter()
        dashboard(snapshot, chosen, by="A1")
        by = time.perf_counter() - start
        out[f"{label}_dashboard_s"] = round(first, 2)
        out[f"{label}_dashboard_by_service_group_s"] = round(by, 2)
        start = time.perf_counter()
        dashboard(snapshot, chosen, by="A1")
        out[f"{label}_dashboard_by_service_group_warm_ms"] = round(1000 * (time.perf_counter() - start), 2)
    out["design_effect"] = weights.summary.design_effect
    out["effective"] = weights.summary.effective
    return out


def percentages(tables: list) -> dict[tuple, float]:
    """Every shown percentage (cells and % positive) by (question, group, option)."""
    found = {}
    for table in tables:
        for sub in table.items or [table]:
            for cell in sub.cells:
                if cell.percent is not None:
                    found[(sub.question, cell.group, cell.option)] = cell.percent
            for summary in sub.scale:
                if summary.positive_percent is not None:
                    found[(sub.question, summary.group, "+")] = summary.positive_percent
    return found


def _variant(base: Snapshot, profile: Profile, ratio: float, noiseless: bool) -> tuple[dict, dict]:
    """Return every weighted percentage (by service group, and for everyone) for fresh record keys,
    tabulated by weight band (ratio > 1) or by class (ratio 1), from published or true counts."""
    snapshot = with_keys(base)
    lookup, kept = protection.noise_lookup, weighting.BAND_RATIO
    weighting.BAND_RATIO = ratio
    if noiseless:
        protection.noise_lookup = lambda: np.zeros_like(lookup())  # type: ignore[method-assign]
    try:
        return percentages(dashboard(snapshot, profile, by="A1")), percentages(dashboard(snapshot, profile))
    finally:
        protection.noise_lookup, weighting.BAND_RATIO = lookup, kept  # type: ignore[method-assign]


def _unweighted(base: Snapshot, noiseless: bool) -> dict:
    snapshot = with_keys(base)
    lookup = protection.noise_lookup
    if noiseless:
        protection.noise_lookup = lambda: np.zeros_like(lookup())  # type: ignore[method-assign]
    try:
        return percentages(dashboard(snapshot, None, by="A1"))
    finally:
        protection.noise_lookup = lookup  # type: ignore[method-assign]


def _gaps(found: dict, reference: dict, everyone: bool = False) -> list[float]:
    return [abs(found[k] - reference[k]) for k in found.keys() & reference.keys() if not everyone or k[1] is None]


def noise(questionnaire, n: int, seed: int, repeats: int) -> dict:
    """How far weighted percentages move from the ideal (per-class weights raked from true counts,
    no perturbation): as the engine works them out (weight bands, published counts), and as the
    literal design would (per class, published counts); and unweighted, published against true."""
    base = snapshot_of(questionnaire, n, seed)
    profile = demo_profile(questionnaire)
    ideal, ideal_everyone = _variant(base, profile, 1.0, True)
    banded_true, _ = _variant(base, profile, weighting.BAND_RATIO, True)
    gaps: dict[str, list[float]] = {k: [] for k in ("bands", "bands_everyone", "classes", "classes_everyone")}
    gaps["unweighted"] = []
    gaps["banding_alone"] = _gaps(banded_true, ideal)
    planted = []
    true_unweighted = _unweighted(base, True)
    for _ in range(repeats):
        by, everyone = _variant(base, profile, weighting.BAND_RATIO, False)
        planted.append(everyone[(BIAS.answer, None, "+")])
        gaps["bands"] += _gaps(by, ideal)
        gaps["bands_everyone"] += _gaps(everyone, ideal_everyone, True)
        by, everyone = _variant(base, profile, 1.0, False)
        gaps["classes"] += _gaps(by, ideal)
        gaps["classes_everyone"] += _gaps(everyone, ideal_everyone, True)
        gaps["unweighted"] += _gaps(_unweighted(base, False), true_unweighted)
    summary: dict = {
        name: {
            "mean_abs_points": round(statistics.fmean(values), 3),
            "p95_abs_points": round(float(np.percentile(values, 95)), 2),
            "max_abs_points": round(max(values), 2),
            "percentages": len(values),
        }
        for name, values in gaps.items()
    }
    summary["planted_truth"] = round(100 * BIAS.truth(questionnaire), 2)
    summary["planted_ideal"] = ideal_everyone[(BIAS.answer, None, "+")]
    summary["planted_weighted_published"] = planted
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", type=int, default=0, help="measure the noise over this many key draws")
    args = parser.parse_args()
    questionnaire = load_file(QUESTIONNAIRE)
    if args.noise:
        print(json.dumps(noise(questionnaire, args.responses, args.seed, args.noise), indent=1))
    else:
        print(json.dumps(timings(questionnaire, args.responses, args.seed), indent=1))


if __name__ == "__main__":
    main()
