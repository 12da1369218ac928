"""The runs' score curves overlaid in one PNG, for `nbnlp runs --plot` and the notebook's runs view.

It lives outside `nbnlp.widgets` because the command line draws it too (the CLI imports nothing of the
views). matplotlib's object API only (no pyplot: no global figure state); the legend sits outside the
plotting area, and the score axis is sensible from a single point on (at least MIN_SPAN points tall).
"""
from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from .core.scores.display import percent

MIN_SPAN = 10.0  # percentage points


def score_axis(values: Sequence[float]) -> tuple[float, float]:
    """Y limits (percent) holding every value, at least MIN_SPAN tall, inside 0-100 where possible."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return 0.0, 100.0
    low, high = min(finite), max(finite)
    pad = max(1.0, 0.08 * (high - low))
    low, high = low - pad, high + pad
    if high - low < MIN_SPAN:
        middle = (low + high) / 2
        low, high = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    if low < 0:
        low, high = 0.0, high - low
    if high > 100:
        low, high = max(0.0, low - (high - 100.0)), 100.0
    return low, high


def runs_figure(curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], *, metric: str = "score",
                width: float = 7.5, height: float = 3.6, dpi: int = 90) -> Any:
    """A matplotlib Figure with one line per run (`runs.curves` output: name, steps, fractions 0-1)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    ax = figure.add_subplot()
    shown: list[float] = []
    last_step = 0
    for name, steps, values in curves:
        if not steps:
            continue
        points = [100 * v for v in values]
        shown += points
        last_step = max(last_step, *steps)
        best = max(range(len(points)), key=points.__getitem__)
        ax.plot(steps, points, marker="o", markersize=3, linewidth=1.4,
                label=f"{name} (best {percent(values[best])} @ {steps[best]})")
    ax.set_ylim(*score_axis(shown))
    ax.set_xlim(0, max(1.0, last_step * 1.05))
    ax.set_title(f"{metric} on the dev set (%)", fontsize=9)
    ax.set_xlabel("step", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)
    else:
        ax.text(0.5, 0.5, "no evaluations yet", ha="center", va="center", transform=ax.transAxes, fontsize=9, alpha=0.6)
    return figure


def runs_png(curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], path: Optional[Union[str, Path]] = None,
             *, metric: str = "score") -> bytes:
    """The overlaid curves as PNG bytes; written atomically to `path` when given."""
    buffer = io.BytesIO()
    runs_figure(curves, metric=metric).savefig(buffer, format="png")
    data = buffer.getvalue()
    if path is not None:
        from .core.corpus.atomic import atomic_write

        with atomic_write(path, "wb") as f:
            f.write(data)
    return data
