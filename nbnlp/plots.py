"""What every nbnlp plot does the same way: legends outside the curves, score axes sensible from the first point.

The live views, the runs table and `nbnlp runs --plot` draw with matplotlib's object API (no
pyplot: no global figure state, nothing left open) into PNG bytes. It sits beside the CLI and the
views (not in `core`, which never imports matplotlib; not in `widgets`, which the CLI never imports).
"""
from __future__ import annotations

import io
import math
from typing import Any, Iterable, Optional

MIN_SCORE_SPAN = 10.0  # percentage points: one point, or scores close together, still get a readable axis


def new_figure(width: float, height: float, dpi: int = 80) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")  # makes room for legends outside the axes


def legend_outside(ax: Any, *, columns: int = 1) -> None:
    """The legend to the right of the plotting area, never over the curves."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False, ncol=columns)


def score_limits(values: Iterable[Optional[float]]) -> tuple[float, float]:
    """Y limits (percent) holding every value with at least MIN_SCORE_SPAN points shown, inside 0-100 where possible."""
    finite = [v for v in values if v is not None and not math.isnan(v)]
    if not finite:
        return 0.0, 100.0
    low, high = min(finite), max(finite)
    pad = max(1.0, 0.08 * (high - low))
    low, high = low - pad, high + pad
    if high - low < MIN_SCORE_SPAN:
        middle = (low + high) / 2
        low, high = middle - MIN_SCORE_SPAN / 2, middle + MIN_SCORE_SPAN / 2
    if low < 0:  # slide the window up (or down, below) rather than shrink it
        low, high = 0.0, high - low
    if high > 100:
        low, high = max(0.0, low - (high - 100.0)), 100.0
    return low, high


def step_limits(steps: Iterable[int], planned: int = 0) -> tuple[float, float]:
    """X limits from step 0 to the planned last step (or a little past the last step seen)."""
    last = max(steps, default=0)
    return 0.0, float(max(planned, last * 1.05, 1))


def style_axes(ax: Any, title: str, xlabel: str = "step") -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def to_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
