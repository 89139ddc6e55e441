"""Issue 15: the protection of results, measured three ways on the same tables of the demo.

The tables: each single-choice and scale question broken down by each of five plain dimensions
(service group A1, sector A2, region A5, contract A6, workplace A7), k = 10, over the people who
answered the question (a group's base is its members who answered it, as the results engine
counts it). Groups with fewer than k members are not shown by any method; the measures below are
over the cells of shown groups.

1. Cell-key perturbation (survey/results/protection.py): seeded random record keys in [0, KEYS),
   cell key = sum of the keys in a cell, published = protection.published(counts, key_sums); the
   group base is perturbed the same way and percentages are published count / published base.
2. Minimal-loss suppression, per table and group column: hide counts 1..k-1; then, while the
   hidden cells of a column could be worked out from its total (one hidden cell, or hidden cells
   adding to less than k), hide the smallest further cell that adds people. Links between tables
   (and between columns, through everyone's column) are ignored, which is what makes it cheap.
3. Differential privacy (OpenDP): discrete Laplace noise on every count, the privacy budget split
   evenly over every table a reader can ask for (add/remove one response changes one count of a
   single-choice table by 1). Percentages are post-processing: the noisy counts clipped at 0
   over their sum in the group.

    .venv/bin/python -m bench.alternatives --database sqlite:////tmp/alt/demo.db \
        --output bench/results/alternatives-2026-12-06.md
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from survey.questionnaire.loader import load_text
from survey.results import protection
from survey.results.dimensions import structure
from survey.results.queries import check_query

SLUG = "ai-at-work-results-demo"  # config DEMO_RESULTS_SLUG
DIMENSIONS = ("A1", "A2", "A5", "A6", "A7")  # service group, sector, region, contract, workplace
K = 10
SMALL_GROUP = (10, 29)  # the groups whose percentages move most


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Data:
    questionnaire: object
    codes: dict[str, tuple[str, ...]]  # single/scale question id -> answer codes
    columns: dict[str, np.ndarray]  # question id -> code index per response, -1: no answer
    n: int


def load(database: str, slug: str) -> Data:
    engine = create_engine(database)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT s.id, v.source FROM survey s JOIN questionnaire_version v "
                "ON v.id = s.questionnaire_version_id WHERE s.slug = :slug"
            ),
            {"slug": slug},
        ).one()
        survey_id, source = row
        raw = connection.execute(
            text("SELECT answers FROM response WHERE survey_id = :id AND NOT withdrawing ORDER BY id"),
            {"id": survey_id},
        ).scalars()
        answers = [a if isinstance(a, dict) else json.loads(a) for a in raw]
    questionnaire = load_text(source, f"{slug}.yaml")
    codes = {q.id: q.codes for q in questionnaire.questions if q.type in ("single", "scale")}
    columns = {}
    for qid, qcodes in codes.items():
        index = {c: i for i, c in enumerate(qcodes)}
        columns[qid] = np.array([index.get(a.get(qid), -1) for a in answers], dtype=np.int16)
    return Data(questionnaire, codes, columns, len(answers))


@dataclass
class Table:
    question: str
    by: str
    counts: np.ndarray  # groups x answers
    key_sums: np.ndarray  # groups x answers
    base: np.ndarray  # groups
    base_keys: np.ndarray  # groups


def allowed(questionnaire) -> set[tuple[str, str]]:
    """Return the (question, breakdown) pairs the engine answers (its own rule, queries.check_query):
    not a question reported only through the dimensions made from it (such as L5 ethnicity), and not
    a breakdown made from the same answers as the question (such as A1 service group by A2 sector)."""
    shape = structure(questionnaire)
    return {
        (question.id, by)
        for question in questionnaire.questions
        for by in DIMENSIONS
        if question.id != by and check_query(shape, question, by, {}, set()) is None
    }


def tables(data: Data, keys: np.ndarray) -> list[Table]:
    out = []
    pairs = allowed(data.questionnaire)
    for by in DIMENSIONS:
        groups = len(data.codes[by])
        for qid, qcodes in data.codes.items():
            if (qid, by) not in pairs:
                continue
            answers, group = data.columns[qid], data.columns[by]
            rows = (answers >= 0) & (group >= 0)  # answered the question; in a group of the breakdown
            flat = group[rows].astype(np.int64) * len(qcodes) + answers[rows]
            size = groups * len(qcodes)
            counts = np.bincount(flat, minlength=size).reshape(groups, len(qcodes))
            sums = np.bincount(flat, weights=keys[rows], minlength=size).reshape(groups, len(qcodes))
            sums = sums.astype(np.int64)  # exact: at most 20,000 x 4,095 in a float64
            out.append(Table(qid, by, counts, sums, counts.sum(axis=1), sums.sum(axis=1)))
    return out


def reader_tables(questionnaire) -> dict[str, int]:
    """Estimate how many tables a reader can ask for: answer keys x (1 + breakdowns) x (1 + filters)."""
    keys = 0
    for q in questionnaire.questions:
        if q.type in ("single", "scale", "multi"):
            keys += 1
        elif q.type == "grid":
            keys += len(q.items)
    breakdowns = len(questionnaire.dimensions) + 1  # + language of answering, which the app adds
    filters = sum(len(d.values) for d in questionnaire.dimensions) + len(questionnaire.languages)
    return {
        "answer_keys": keys,
        "breakdowns": breakdowns,
        "filter_groups": filters,
        "tables": keys * (1 + breakdowns) * (1 + filters),
    }


# --- measures ------------------------------------------------------------------------------------


@dataclass
class Errors:
    """Absolute errors of counts and of percentages (points) over the cells of shown groups."""

    count: list[np.ndarray] = field(default_factory=list)
    percent: list[np.ndarray] = field(default_factory=list)
    small_percent: list[np.ndarray] = field(default_factory=list)  # groups of SMALL_GROUP members
    bases: list[np.ndarray] = field(default_factory=list)  # the true group base of each cell

    def add(self, true: np.ndarray, public: np.ndarray, base: np.ndarray, public_base: np.ndarray, shown) -> None:
        true, public = true[shown], public[shown]
        base, public_base = base[shown, None], public_base[shown, None]
        self.count.append(np.abs(public - true).ravel())
        with np.errstate(invalid="ignore", divide="ignore"):
            published = np.where(public_base > 0, 100.0 * np.clip(public, 0, None) / public_base, 0.0)
        points = np.abs(published - 100.0 * true / base)
        self.percent.append(points.ravel())
        self.bases.append(np.broadcast_to(base, points.shape).ravel())
        small = (base[:, 0] >= SMALL_GROUP[0]) & (base[:, 0] <= SMALL_GROUP[1])
        self.small_percent.append(points[small].ravel())

    def summary(self) -> dict:
        count, percent, small = (np.concatenate(x) for x in (self.count, self.percent, self.small_percent))
        over = np.concatenate(self.bases)[percent > 10]
        return {
            "cells": int(count.size),
            "count_mae": float(count.mean()),
            "count_max": float(count.max()),
            "percent_mae": float(percent.mean()),
            "percent_max": float(percent.max()),
            "percent_over_10": float((percent > 10).mean()),
            "over_10_cells": int(over.size),
            "over_10_max_base": int(over.max()) if over.size else 0,
            "small_cells": int(small.size),
            "small_percent_mae": float(small.mean()),
            "small_percent_over_10": float((small > 10).mean()),
        }


def groups_not_shown(all_tables: list[Table]) -> dict:
    people = sum(int(t.base.sum()) for t in all_tables)
    hidden = sum(int(t.base[t.base < K].sum()) for t in all_tables)
    groups = sum(int(((t.base > 0) & (t.base < K)).sum()) for t in all_tables)
    return {"people": people, "not_shown": hidden, "share": hidden / people, "groups_not_shown": groups}


def cell_key(all_tables: list[Table]) -> dict:
    errors = Errors()
    base_errors = []
    refused = refused_people = 0  # groups of k or more whose published base falls below k
    start = time.perf_counter()
    for t in all_tables:
        public = protection.published(t.counts, t.key_sums)
        public_base = protection.published(t.base, t.base_keys)
        shown = np.array([protection.shown(int(b), int(p), K) for b, p in zip(t.base, public_base, strict=True)])
        refused += int(((t.base >= K) & ~shown).sum())
        refused_people += int(t.base[(t.base >= K) & ~shown].sum())
        errors.add(t.counts, public, t.base, public_base, shown)
        base_errors.append(np.abs(public_base - t.base)[shown])
    ms = 1000 * (time.perf_counter() - start) / len(all_tables)
    out = errors.summary()
    bases = np.concatenate(base_errors)
    out |= {
        "base_mae": float(bases.mean()),
        "base_max": int(bases.max()),
        "refused": refused,
        "refused_people": refused_people,
        "ms": ms,
    }
    return out


def suppress_column(counts: np.ndarray, zeros_hidden: bool) -> np.ndarray:
    """Return the hidden cells of one shown group's column (minimal loss, this column alone)."""
    hidden = (counts < K) if zeros_hidden else ((counts > 0) & (counts < K))
    if not hidden.any():
        return hidden
    order = np.argsort(counts, kind="stable")
    for i in order:  # complements: the smallest cells that add people, until the hidden add up to k
        total = int(counts[hidden].sum())
        if total >= K and hidden.sum() > 1:
            break
        if not hidden[i] and counts[i] > 0:
            hidden[i] = True
    return hidden


def suppression(all_tables: list[Table], codes: dict[str, tuple[str, ...]], zeros_hidden: bool) -> dict:
    people = hidden_people = hidden_cells = big = primary = 0
    seconds = []
    biggest = (0, "")
    for t in all_tables:
        start = time.perf_counter()
        shown = t.base >= K
        hidden = np.zeros_like(t.counts, dtype=bool)
        for g in np.nonzero(shown)[0]:
            hidden[g] = suppress_column(t.counts[g], zeros_hidden)
        seconds.append(time.perf_counter() - start)
        cells = t.counts[hidden]
        people += int(t.base[shown].sum())
        hidden_people += int(cells.sum())
        hidden_cells += int(hidden.sum())
        primary += int((hidden & (t.counts < K)).sum())
        big += int((cells >= 50).sum())
        if cells.size and cells.max() > biggest[0]:
            g, a = np.argwhere(hidden & (t.counts == cells.max()))[0]
            where = f"{t.question} = {codes[t.question][a]} in {t.by} = {codes[t.by][g]}, of {t.base[g]}"
            biggest = (int(cells.max()), where)
    return {
        "hidden_share": hidden_people / people,
        "hidden_people": hidden_people,
        "hidden_cells": hidden_cells,
        "complements": hidden_cells - primary,
        "hidden_50": big,
        "largest_hidden": biggest,
        "ms_mean": 1000 * float(np.mean(seconds)),
        "ms_max": 1000 * float(np.max(seconds)),
        "ms_total": 1000 * float(np.sum(seconds)),
    }


DELTA = 1e-6  # for the zCDP variant: the delta of its (epsilon, delta) guarantee


def rho_for(epsilon: float, delta: float = DELTA) -> float:
    """Return the zCDP budget rho whose usual conversion, rho + 2 sqrt(rho ln(1/delta)), is epsilon."""
    log = math.log(1 / delta)
    return (math.sqrt(log + epsilon) - math.sqrt(log)) ** 2


def differential_privacy(all_tables: list[Table], epsilon: float, n_tables: int, gaussian: bool = False) -> dict:
    """Noise every count with OpenDP, the budget split evenly over n_tables tables (basic composition
    of pure epsilon-DP for the discrete Laplace; of zCDP rho for the discrete Gaussian)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    if gaussian:
        per_table = rho_for(epsilon) / n_tables
        space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=float)
        make = dp.m.make_gaussian
    else:
        per_table = epsilon / n_tables
        space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
        make = dp.m.make_laplace
    # the scale whose privacy loss for one response added or removed (d_in = 1) is the table's share
    scale = dp.binary_search_param(lambda s: make(*space, scale=s), d_in=1, d_out=per_table)
    measurement = make(*space, scale=scale)
    assert measurement.map(1) <= per_table * (1 + 1e-9)
    errors = Errors()
    start = time.perf_counter()
    for t in all_tables:
        noisy = np.array(measurement(t.counts.ravel().tolist()), dtype=np.int64).reshape(t.counts.shape)
        public_base = np.clip(noisy, 0, None).sum(axis=1)  # post-processing: no further budget
        errors.add(t.counts, noisy, t.base, public_base, t.base >= K)
    ms = 1000 * (time.perf_counter() - start) / len(all_tables)
    mechanism = "discrete Gaussian, zCDP" if gaussian else "discrete Laplace"
    return {
        "epsilon": epsilon,
        "tables": n_tables,
        "per_table": per_table,
        "scale": scale,
        "mechanism": mechanism,
        "ms": ms,
    } | errors.summary()


# --- report --------------------------------------------------------------------------------------


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def report(args, data: Data, all_tables, shown, ck, sup, sup0, dps, reach, started, seconds) -> str:
    sizes = [t.counts.size for t in all_tables]
    small = f"{SMALL_GROUP[0]}–{SMALL_GROUP[1]}"
    pairs = allowed(data.questionnaire)
    asked = [(q, by) for by in DIMENSIONS for q in data.codes if q != by]
    source_only = sorted({q for q, _ in asked if not any((q, b) in pairs for b in DIMENSIONS)})
    refused = ", ".join(f"{q} by {by}" for q, by in asked if (q, by) not in pairs and q not in source_only)
    lines = [
        "# Protection of results: alternatives measured (issue 15)",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC ({seconds:.1f} s in all) with:",
        "",
        "```",
        "cd /work/main && export DATABASE_URL=sqlite:////tmp/alt/demo.db FLASK_APP=wsgi && mkdir -p /tmp/alt \\",
        "  && .venv/bin/flask db upgrade && .venv/bin/flask demo --responses 20000 --seed 1 --if-empty",
        " ".join([".venv/bin/python -m bench.alternatives", *sys.argv[1:]]),
        "```",
        "",
        f"**Data.** The results demo `{args.slug}`: {data.n:,} responses (`flask demo` seed 1). **Tables:** "
        f"each single-choice and scale question ({len(data.codes)}) broken down by each of "
        f"{', '.join(DIMENSIONS)} (service group, sector, region, contract, workplace), as the engine "
        f"allows: not by itself, not by a breakdown made from the same answers ({refused}), and not "
        f"{', '.join(source_only)}, which are reported only through the dimensions derived from them. "
        f"{len(all_tables)} tables, {sum(sizes):,} cells, k = {K}. A group's base is its members who "
        f"answered the question (as the engine counts). Groups of fewer than {K} are not shown by any "
        f"method: {shown['groups_not_shown']:,} groups of 1–{K - 1}, holding {shown['not_shown']:,} of the "
        f"{shown['people']:,} people counted over all the tables ({pct(shown['share'], 2)}). Every measure "
        f"below is over the cells of shown groups: {ck['cells']:,} cells, {ck['small_cells']:,} of them in "
        f"groups of {small}.",
        "",
        f"| method | people of shown groups in hidden cells | hidden cells of 50+ | count error, mean / max "
        f"| % error in points, mean: all (groups of {small}) | cells off by >10 points | time a table |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| (a) cell-key perturbation, ptable D = {protection.MAX_NOISE}, V = {protection.VARIANCE:g}, "
        f"js = {protection.SMALL} | 0 (by construction) | 0 | {ck['count_mae']:.2f} / {ck['count_max']:.0f} "
        f"| {ck['percent_mae']:.2f} ({ck['small_percent_mae']:.2f}) | {pct(ck['percent_over_10'], 2)} "
        f"| {ck['ms']:.2f} ms |",
        f"| (b) minimal-loss suppression (zeros shown) | {pct(sup['hidden_share'], 2)} | {sup['hidden_50']:,} "
        f"| 0 / 0 where shown | 0 where shown | 0 where shown | {sup['ms_mean']:.2f} ms |",
        f"| (b′) the same, zeros hidden too | {pct(sup0['hidden_share'], 2)} | {sup0['hidden_50']:,} "
        f"| 0 / 0 where shown | 0 where shown | 0 where shown | {sup0['ms_mean']:.2f} ms |",
    ]
    for d in dps:
        over = f"{reach['tables']:,} tables" if d["tables"] == reach["tables"] else f"{len(all_tables)} tables"
        budget = f"ε = {d['epsilon']:g}" + (f", δ = {DELTA:g}" if "Gaussian" in d["mechanism"] else "")
        lines.append(
            f"| (c) OpenDP {d['mechanism']}, {budget} over {over}: scale {d['scale']:,.0f} | 0 | 0 "
            f"| {d['count_mae']:,.1f} / {d['count_max']:,.0f} | {d['percent_mae']:.1f} "
            f"({d['small_percent_mae']:.1f}) | {pct(d['percent_over_10'])} | {d['ms']:.2f} ms |"
        )

    def dp_row(mechanism: str, everything: bool, epsilon: float) -> dict:
        return next(
            d
            for d in dps
            if d["mechanism"].startswith(mechanism)
            and (d["tables"] == reach["tables"]) == everything
            and d["epsilon"] == epsilon
        )

    all1, all5 = dp_row("discrete Laplace", True, 1), dp_row("discrete Laplace", True, 5)
    own1, own5 = dp_row("discrete Laplace", False, 1), dp_row("discrete Laplace", False, 5)
    gall1, gown1, gown5 = (dp_row("discrete Gaussian", e, x) for e, x in ((True, 1), (False, 1), (False, 5)))
    lines += [
        "",
        "Count errors are over every cell of a shown group, zeros included. Percentage errors compare the "
        "published count over the published group base with the true count over the true base. Times "
        "are per table, over counts already made, on this machine.",
        "",
        f"**(a) Cell-key perturbation** (our method). Record keys: numpy `default_rng({args.seed})`, "
        f"integers in [0, {protection.KEYS}), one per response; a cell's key is the sum of its responses' "
        f"keys; `protection.published(counts, key_sums)` with the repository's ptable.csv, for answer "
        f"counts and group bases alike. Nothing inside a shown group is hidden. Counts move by "
        f"{ck['count_mae']:.2f} on average and never by more than {ck['count_max']:.0f}; group bases by "
        f"{ck['base_mae']:.2f} (at most {ck['base_max']}). Percentages move by {ck['percent_mae']:.2f} "
        f"points on average, {ck['small_percent_mae']:.2f} in groups of {small}; {ck['over_10_cells']} "
        f"cells ({pct(ck['percent_over_10'], 2)}) move by more than 10 points, "
        f"{pct(ck['small_percent_over_10'])} of the cells of groups of {small}, none in a group of more "
        f"than {ck['over_10_max_base']}. {ck['refused']} group(s) of {K} or more are not shown because "
        f"the published base is below {K} (`protection.shown`), {ck['refused_people']} people.",
        "",
        f"**(b) Minimal-loss suppression**, per table and per group column: counts 1–{K - 1} hidden; then, "
        f"while a column's hidden cells could be worked out from its base (one hidden cell, or hidden cells "
        f"adding up to less than {K}), the smallest further cell that adds people is hidden too. "
        f"{sup['hidden_cells']:,} cells are hidden ({sup['complements']:,} of them complements), holding "
        f"{sup['hidden_people']:,} people: {pct(sup['hidden_share'], 2)} of the people in shown groups; "
        f"{sup['hidden_50']:,} hidden cells hold 50 or more (the largest: {sup['largest_hidden'][0]}, "
        f"{sup['largest_hidden'][1]}). Hiding zeros as well (the current engine hides every count below "
        f"k) gives {pct(sup0['hidden_share'], 2)} and {sup0['hidden_50']:,}. That is far below today's 39% "
        f"and cheap ({sup['ms_mean']:.2f} ms a table, {sup['ms_max']:.2f} ms at most, plain Python) only "
        "because it ignores every link outside the column, so it still leaks. *Across tables*: the same "
        "people are counted again in everyone's column (everyone's count of an answer minus the shown "
        "groups' counts is the sum of that row's hidden cells and unshown groups), in the same breakdown "
        "of another question (the bases differ only by who skipped a question), in the other breakdowns "
        "and in every filtered table; each table hides its own pattern, so a hidden cell is often the "
        "difference of counts shown elsewhere. Closing every such path over all the tables a reader can "
        "ask for is the combinatorial audit that costs 29–37 s today and hides 39%. *Over time*: each "
        "release is suppressed on its own, so the difference of two releases' shown counts is exactly the "
        "answers added in between, and an organiser who knows who answered in between (invitations, the "
        "'not yet used' list, their own links) reads those members' answers; a cell hidden in one release "
        "and shown in the next falls to subtraction as well. And every statistic computed from true "
        "counts (a p-value) opens the hidden cells again.",
        "",
        f"**(c) Differential privacy with OpenDP** (`opendp` {opendp_version()}: `make_laplace` on a vector "
        "of integer counts, which is the discrete Laplace, or geometric, mechanism; the scale found with "
        "`binary_search_param` so that adding or removing one response costs the table's share of the "
        "budget, i.e. sensitivity 1, which holds for single-choice tables; OpenDP draws its own noise, so "
        "these rows move slightly from run to run). Tables a reader can ask for, estimated from the "
        f"questionnaire: {reach['answer_keys']} answer keys (single, scale and multi-choice questions and "
        f"grid rows) × (1 + {reach['breakdowns']} breakdowns, language included) × "
        f"(1 + {reach['filter_groups']} filter groups) = **{reach['tables']:,} tables**. Split evenly, "
        f"ε = 1 leaves {all1['per_table']:.2g} a table: discrete Laplace noise of scale "
        f"{all1['scale']:,.0f} ({all5['scale']:,.0f} at ε = 5) on groups of tens to thousands, so "
        f"{pct(all1['percent_over_10'])} of cells are off by more than 10 points and the tables are pure "
        f"noise. For the {len(all_tables)} tables measured here alone (a fixed release, no other table "
        f"ever), the scale is {own1['scale']:,.0f} at ε = 1 and {own5['scale']:,.0f} at ε = 5: counts off by "
        f"{own1['count_mae']:.0f} and {own5['count_mae']:.0f} on average, percentages by "
        f"{own1['percent_mae']:.1f} and {own5['percent_mae']:.1f} points, {pct(own1['percent_over_10'])} "
        f"and {pct(own5['percent_over_10'])} of cells by more than 10 points. Zero-concentrated DP with "
        f"discrete Gaussian noise (`make_gaussian`, composing as √T rather than T; ρ from (ε, δ = "
        f"{DELTA:g}) by ε = ρ + 2√(ρ ln 1/δ)) gives σ = {gall1['scale']:,.0f} over all tables (still noise: "
        f"{pct(gall1['percent_over_10'])} of cells off by more than 10 points) and {gown1['scale']:,.0f} "
        f"({gown5['scale']:,.0f} at ε = 5) over the {len(all_tables)} alone ({gown1['percent_mae']:.1f} and "
        f"{gown5['percent_mae']:.1f} points on average; {pct(gown1['percent_over_10'])} and "
        f"{pct(gown5['percent_over_10'])} of cells off by more than 10, and groups of {small} off by "
        f"{gown5['small_percent_mae']:.0f} points at best). Multi-choice "
        "tables (up to 14 answers a response) would need more noise still, so these figures flatter DP. "
        "Percentages are the noisy counts clipped at 0 over their sum in the group (post-processing, no "
        "further budget). A useful DP release would have to be one fixed, small set of tables (or a "
        "synthetic data set) instead of on-demand breakdowns and filters.",
        "",
        f"**Parameters.** k = {K}; breakdowns {', '.join(DIMENSIONS)}; record-key seed {args.seed}; "
        f"ptable D = {protection.MAX_NOISE}, V = {protection.VARIANCE:g}, js = {protection.SMALL}, keys in "
        f"[0, {protection.KEYS}); suppression threshold {K} for cells and column complements; DP ε ∈ {{1, 5}}, "
        f"add/remove neighbours, sensitivity 1 a table, even split (basic composition), δ = {DELTA:g} for "
        "the zCDP rows.",
    ]
    return "\n".join(lines) + "\n"


def opendp_version() -> str:
    from importlib.metadata import version

    return version("opendp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a database holding the results demo")
    parser.add_argument("--slug", default=SLUG)
    parser.add_argument("--seed", type=int, default=1, help="seed of the record keys")
    parser.add_argument("--output", type=Path, help="write the Markdown report here (default: print it)")
    args = parser.parse_args()
    started = datetime.now(UTC)
    clock = time.perf_counter()

    data = load(args.database, args.slug)
    keys = np.random.default_rng(args.seed).integers(0, protection.KEYS, size=data.n)
    all_tables = tables(data, keys)
    reach = reader_tables(data.questionnaire)
    shown = groups_not_shown(all_tables)
    ck = cell_key(all_tables)
    sup = suppression(all_tables, data.codes, zeros_hidden=False)
    sup0 = suppression(all_tables, data.codes, zeros_hidden=True)
    dps = [
        differential_privacy(all_tables, eps, n, gaussian)
        for gaussian in (False, True)
        for n in (reach["tables"], len(all_tables))
        for eps in (1.0, 5.0)
    ]
    seconds = time.perf_counter() - clock

    markdown = report(args, data, all_tables, shown, ck, sup, sup0, dps, reach, started, seconds)
    if args.output:
        args.output.write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
