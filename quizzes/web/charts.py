"""Geometry of the server-rendered SVG charts (no charting library).

Each function returns plain numbers and labels; the templates in
templates/quizzes/web/charts/ draw them (so every label is auto-escaped) with a text
alternative: a title, a description and, next to each chart, a data table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# One geometry for all bar charts: label column, bar area, row height.
LABEL_WIDTH = 210
BAR_WIDTH = 300
ROW_HEIGHT = 34
BAR_HEIGHT = 20
TOP = 10


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: float
    width: float
    text_y: float
    highlight: bool = False


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_width: int
    bars: list[Bar]
    ticks: list[dict[str, Any]]


def bar_chart(rows: Sequence[tuple[str, float, str, bool]], *, maximum: float = 100.0) -> BarChart:
    """Horizontal bars: (label, value, value text, highlight) with value in 0..maximum."""
    bars = []
    for index, (label, value, value_text, highlight) in enumerate(rows):
        y = TOP + index * ROW_HEIGHT
        share = 0.0 if maximum <= 0 else max(0.0, min(1.0, value / maximum))
        bars.append(
            Bar(
                label=label if len(label) <= 30 else label[:29] + "…",
                value_text=value_text,
                y=y,
                width=round(share * BAR_WIDTH, 1),
                text_y=y + BAR_HEIGHT / 2 + 5,
                highlight=highlight,
            )
        )
    height = TOP + len(rows) * ROW_HEIGHT + 24
    ticks = [
        {
            "x": LABEL_WIDTH + fraction * BAR_WIDTH,
            "label": f"{fraction * maximum:g}",
            "y": height - 6,
        }
        for fraction in (0.0, 0.5, 1.0)
    ]
    return BarChart(
        width=LABEL_WIDTH + BAR_WIDTH + 70,
        height=height,
        label_width=LABEL_WIDTH,
        bar_width=BAR_WIDTH,
        bars=bars,
        ticks=ticks,
    )


def mastery_chart(topics: Sequence[dict[str, Any]], titles: dict[str, str]) -> BarChart:
    """Per-topic mastery (attempt_result's ``topics``): percent of the items served."""
    return bar_chart(
        [
            (
                titles.get(topic["topic"], topic["topic"]),
                float(topic["percent"]),
                f"{topic['percent']:.0f}%",
                topic["percent"] < 60,
            )
            for topic in topics
        ]
    )


def distractor_chart(options: Sequence[dict[str, Any]]) -> BarChart:
    """How many learners chose each option; the key highlighted."""
    top = max([option["count"] for option in options] + [1])
    return bar_chart(
        [
            (
                f"{option['label']}{' (key)' if option['key'] else ''}",
                float(option["count"]),
                str(option["count"]),
                bool(option["key"]),
            )
            for option in options
        ],
        maximum=float(top),
    )


# -- item characteristic curve ---------------------------------------------------------------

ICC_WIDTH, ICC_HEIGHT = 360, 220
ICC_LEFT, ICC_RIGHT, ICC_TOP, ICC_BOTTOM = 44, 12, 12, 36
ABILITY_RANGE = (-4.0, 4.0)


def probability(ability: float, a: float, b: float, c: float) -> float:
    """The 3PL response function, logistic without the 1.7 constant (as engine/irt.py)."""
    return c + (1.0 - c) / (1.0 + math.exp(-a * (ability - b)))


def icc(*, a: float, b: float, c: float, steps: int = 60) -> dict[str, Any]:
    """The item characteristic curve as an SVG polyline, with axes and the b marker."""
    low, high = ABILITY_RANGE
    plot_w = ICC_WIDTH - ICC_LEFT - ICC_RIGHT
    plot_h = ICC_HEIGHT - ICC_TOP - ICC_BOTTOM

    def x_of(ability: float) -> float:
        return ICC_LEFT + (ability - low) / (high - low) * plot_w

    def y_of(p: float) -> float:
        return ICC_TOP + (1.0 - p) * plot_h

    points = []
    for step in range(steps + 1):
        ability = low + (high - low) * step / steps
        points.append(f"{x_of(ability):.1f},{y_of(probability(ability, a, b, c)):.1f}")
    b_inside = low <= b <= high
    return {
        "width": ICC_WIDTH,
        "height": ICC_HEIGHT,
        "points": " ".join(points),
        "left": ICC_LEFT,
        "right": ICC_WIDTH - ICC_RIGHT,
        "top": ICC_TOP,
        "bottom": ICC_TOP + plot_h,
        "x_ticks": [
            {"x": round(x_of(value), 1), "label": f"{value:g}"} for value in range(-4, 5, 2)
        ],
        "y_ticks": [
            {"y": round(y_of(value), 1), "label": f"{value:g}"} for value in (0.0, 0.5, 1.0)
        ],
        "b_x": round(x_of(b), 1) if b_inside else None,
        "a": a,
        "b": b,
        "c": c,
        "label_y": ICC_HEIGHT - 4,
        "center_x": ICC_LEFT + plot_w / 2,
    }
