"""Plotly figures (plain JSON in Plotly's schema) from gated tables. No numbers of their own.

Built as dictionaries rather than with the plotly Python package: a figure here is a few bars,
and the package would add 64 MB to install and a millisecond of validation per figure.
"""

from __future__ import annotations

from ..results.tables import Table

# Okabe–Ito: distinguishable with every common kind of colour blindness.
# The partial Plotly bundle served from our own static files, loaded only when a chart is asked for.
PLOTLY_BUNDLE = "vendor/plotly/plotly-basic-4.1.1.min.js"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def figure(table: Table) -> dict:
    """Return a horizontal bar chart of a question's percentages, one colour per shown group."""
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
