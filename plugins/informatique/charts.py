"""Bar charts drawn on the server as SVG: the same markup serves the page and a printed or PDF bilan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 260
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 24, 36, 12, 12


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar (a year)
    value_text: str  # above the bar (the figure, formatted)
    x: float
    y: float
    width: float
    height: float
    label_x: float
    value_y: float
    label_y: float


@dataclass(frozen=True)
class BarChart:
    """What the template ``informatique/_bar_chart.html`` draws; ``title`` and ``desc`` make it accessible."""

    chart_id: str
    title: str
    desc: str
    bars: Sequence[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - MARGIN_BOTTOM


def bar_chart(chart_id: str, title: str, desc: str, values: Sequence[tuple[str, int | Decimal, str]]) -> BarChart:
    """Bars for ``values`` (label, number, formatted number), scaled to the largest; zero gives no bar."""
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max((float(v) for _, v, _ in values), default=0) or 1
    slot = plot_width / max(len(values), 1)
    bars = []
    for index, (label, value, text) in enumerate(values):
        height = round(plot_height * float(value) / top, 1)
        x = MARGIN_LEFT + index * slot + slot * 0.15
        bars.append(
            Bar(
                label=label,
                value_text=text,
                x=round(x, 1),
                y=round(HEIGHT - MARGIN_BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=height,
                label_x=round(x + slot * 0.35, 1),
                value_y=round(HEIGHT - MARGIN_BOTTOM - height - 6, 1),
                label_y=HEIGHT - MARGIN_BOTTOM + 22,
            )
        )
    return BarChart(chart_id, title, desc, bars)
