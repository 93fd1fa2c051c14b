"""Server-rendered SVG charts: the same markup serves the page and a PDF. Each chart is an image with a title and a
description for assistive technologies; the page shows the same figures in a table next to it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#2f5d8a"  # contrast ratio above 7:1 on white
HIGHLIGHT = "#8a3b12"
TEXT = "#1f1f1f"


def _number(value: Decimal | float | int) -> str:
    return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, Decimal | float | int | None]],
    *,
    unit: str = "",
    description: str = "",
    highlight: str | None = None,
    width: int = 560,
) -> SafeString:
    """Horizontal bars, one per ``(label, value)``; ``highlight`` names the bar drawn in the second colour."""
    shown = [(label, Decimal(value)) for label, value in bars if value is not None]
    row, left, right = 28, 190, 110
    height = max(row * len(shown) + 16, 40)
    top = max((v for _, v in shown), default=Decimal(0)) or Decimal(1)
    chart_id = f"chart-{abs(hash((title, tuple(bars)))) % 10**8}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description or title)}</desc>',
    ]
    for index, (label, value) in enumerate(shown):
        y = 8 + index * row
        length = 0 if value <= 0 else float(value / top) * (width - left - right)
        colour = HIGHLIGHT if label == highlight else BAR
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{length:.1f}" height="{row - 10}" fill="{colour}"></rect>'
            f'<text x="{left + length + 6:.1f}" y="{y + 17}" font-size="13" fill="{TEXT}">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
