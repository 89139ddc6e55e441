"""Plotly figures (plain JSON in Plotly's schema) from gated tables. No numbers of their own.

Built as dictionaries rather than with the plotly Python package: a figure here is a few bars,
and the package would add 64 MB to install and a millisecond of validation per figure.
"""

from __future__ import annotations

from ..results.tables import Ranked, Table

# Okabe–Ito: distinguishable with every common kind of colour blindness.
# The partial Plotly bundle served from our own static files, loaded only when a chart is asked for.
PLOTLY_BUNDLE = "vendor/plotly/plotly-basic-4.1.1.min.js"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def figure(table: Table) -> dict:
    """Return a horizontal bar chart of a question's percentages, one colour per shown group."""
    if table.ranked is not None:
        return CONSULTATION_CHARTS[table.ranked.type](table.ranked)
    if table.items:
        return _scale_items(table)
    shown = [g for g in table.groups if not g.suppressed]
    labels = {o.code: o.label for o in table.options}
    data = []
    for number, group in enumerate(shown):
        cells = [c for c in table.cells if c.group == group.code and not c.suppressed]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"{group.label} (n={group.n:,})",
                "y": [labels.get(c.option, c.label) for c in cells],
                "x": [c.percent for c in cells],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [c.ci_high - c.percent for c in cells],
                    "arrayminus": [c.percent - c.ci_low for c in cells],
                    "color": "#505a5f",
                },
                "marker": {"color": PALETTE[number % len(PALETTE)]},
                "hovertemplate": "%{y}: %{x:.0f}%<extra>%{fullData.name}</extra>",
            }
        )
    return {"data": data, "layout": _layout(table.text, len(table.options) * max(1, len(shown)))}


def _scale_items(table: Table) -> dict:
    """A grid: % positive per statement, one colour per shown group."""
    groups = [g for g in (table.items[0].groups if table.items else []) if not g.suppressed]
    data = []
    for number, group in enumerate(groups):
        rows = [
            (item.text, summary.positive_percent)
            for item in table.items
            for summary in item.scale
            if summary.group == group.code and not summary.suppressed and summary.positive_percent is not None
        ]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": group.label,
                "y": [text for text, _ in rows],
                "x": [value for _, value in rows],
                "marker": {"color": PALETTE[number % len(PALETTE)]},
                "hovertemplate": "%{y}: %{x:.0f}% positive<extra>%{fullData.name}</extra>",
            }
        )
    return {"data": data, "layout": _layout(table.text + " (% positive)", len(table.items) * max(1, len(groups)))}


# Support, oppose and not sure: Okabe–Ito blue and vermilion either side of the line, grey beyond.
SUPPORT, OPPOSE, UNSURE = "#0072B2", "#D55E00", "#BBBBBB"


def statements_figure(ranked: Ranked) -> dict:
    """Return diverging bars for draft statements, in rank order: % oppose to the left of the line,
    % support to the right, % not sure beyond it; one bar per statement (and shown group)."""
    labels = {o.code: o.label for o in ranked.options}
    y, bars = [], {"oppose": [], "support": [], "unsure": []}
    for row in ranked.rows:
        for group, cell in zip(ranked.groups, row.cells, strict=True):
            if cell.suppressed or group.suppressed:
                continue
            y.append(row.label if ranked.by is None else f"{row.label} · {group.label}")
            for code in bars:
                share = getattr(cell, code)
                value = share.percent if share else 0
                bars[code].append(-value if code == "oppose" else value)
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": labels.get(code, code),
            "y": y,
            "x": values,
            "customdata": [abs(v) for v in values],
            "marker": {"color": colour},
            "hovertemplate": "%{y}: %{customdata:.0f}%<extra>%{fullData.name}</extra>",
        }
        for code, values, colour in (
            ("oppose", bars["oppose"], OPPOSE),
            ("support", bars["support"], SUPPORT),
            ("unsure", bars["unsure"], UNSURE),
        )
    ]
    layout = _layout(ranked.text, len(y))
    layout["barmode"] = "relative"
    layout["margin"] = {**layout["margin"], "r": 40}  # room for the "100%" at the right end
    layout["xaxis"] = {
        "title": {"text": "% oppose ← → % support (then not sure)"},
        "range": [-100, 100],
        "tickvals": [-100, -50, 0, 50, 100],
        "ticktext": ["100%", "50%", "0", "50%", "100%"],
        "zeroline": True,
        "zerolinecolor": "#0b0c0c",
    }
    return {"data": data, "layout": layout}


def priorities_figure(ranked: Ranked) -> dict:
    """Return horizontal bars for priorities, in rank order: the share who chose each (ranked it in
    their top N), one colour per shown group; with no breakdown, first choices beside them."""
    chosen = f"In the top {ranked.rank}" if ranked.rank else "Chosen"
    data = []
    shown = [(i, g) for i, g in enumerate(ranked.groups) if not g.suppressed]
    for number, (i, group) in enumerate(shown):
        rows = [(row.label, row.cells[i].chosen) for row in ranked.rows if row.cells[i].chosen is not None]
        data.append(_bars(f"{chosen} · {group.label}" if ranked.by else chosen, rows, PALETTE[number % len(PALETTE)]))
    if ranked.rank and not ranked.by and shown:
        rows = [(row.label, row.cells[0].first) for row in ranked.rows if row.cells[0].first is not None]
        data.append(_bars("First choice", rows, PALETTE[1]))
    return {"data": data, "layout": _layout(ranked.text, len(ranked.rows) * max(1, len(data)))}


def _bars(name: str, rows: list, colour: str) -> dict:
    return {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "y": [label for label, _ in rows],
        "x": [share.percent for _, share in rows],
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [share.ci_high - share.percent for _, share in rows],
            "arrayminus": [share.percent - share.ci_low for _, share in rows],
            "color": "#505a5f",
        },
        "marker": {"color": colour},
        "hovertemplate": "%{y}: %{x:.0f}%<extra>%{fullData.name}</extra>",
    }


CONSULTATION_CHARTS = {"statements": statements_figure, "priorities": priorities_figure}


def _layout(title: str, bars: int) -> dict:
    return {
        "title": {"text": title, "font": {"size": 14}},
        "barmode": "group",
        "height": 140 + 26 * max(bars, 2),
        "margin": {"l": 10, "r": 10, "t": 50, "b": 40},
        "xaxis": {"title": {"text": "% of those answering"}, "range": [0, 100], "ticksuffix": "%"},
        "yaxis": {"automargin": True, "autorange": "reversed"},
        "legend": {"orientation": "h"},
        "font": {"family": "system-ui, sans-serif"},
    }
