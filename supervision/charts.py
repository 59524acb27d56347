"""Server-rendered SVG bar charts: the geometry here, the markup in templates/supervision/_bar_chart.html.

No JavaScript and no inline style (the Content-Security-Policy allows neither): bars are `<rect>`s with
their size as attributes and their colour from a class in static/css/supervision.css. The drawing is
320 units wide and scales to its container, so it fits a 360-px phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 320
BAR_AREA = 240  # the rest of the width holds the value printed after the bar
ROW = 30  # each row: its label, then the bar under it
BAR_HEIGHT = 12


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as printed
    label_y: int
    bar_y: int
    width: int
    text_x: int
    text_y: int
    empty: bool  # no value (nothing to divide by): no bar, "—" printed


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int
    height: int
    bar_height: int = BAR_HEIGHT
    tone: str = "primary"
    caption: bool = True  # False where a heading above already names the chart


def bar_chart(
    title: str,
    values: Iterable[tuple[str, Decimal | int | None, str]],
    *,
    maximum: Decimal | int | None = None,
    tone: str = "primary",
    caption: bool = True,
) -> BarChart:
    """Horizontal bars of `(label, value, printed value)`, scaled to `maximum` (default: the largest)."""
    rows = list(values)
    top = maximum if maximum is not None else max((v for _l, v, _t in rows if v is not None), default=0)
    bars = []
    for i, (label, value, text) in enumerate(rows):
        y = i * ROW
        # Negative values (none of the KPIs can be) and values past the maximum are drawn at the ends.
        share = min(max(Decimal(value) / Decimal(top), Decimal(0)), Decimal(1)) if value and top > 0 else 0
        width = int(share * BAR_AREA)
        bars.append(
            Bar(
                label=label,
                text=text if value is not None else "—",
                label_y=y + 11,
                bar_y=y + 15,
                width=max(width, 1) if value and value > 0 else 0,
                text_x=width + 4,
                text_y=y + 25,
                empty=value is None,
            )
        )
    return BarChart(title, bars, WIDTH, max(len(rows), 1) * ROW, tone=tone, caption=caption)
