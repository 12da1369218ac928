"""The runs' score curves overlaid in one PNG, for `nbnlp runs --plot` and the notebook's runs view.

It lives outside `nbnlp.widgets` because the command line draws it too (the CLI imports nothing of the
views). matplotlib's object API only (no pyplot: no global figure state); the legend sits outside the
plotting area, and the score axis is sensible from a single point on (`plots.score_limits`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

from . import plots
from .core.scores.display import percent

def runs_figure(curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], *, metric: str = "score",
                width: float = 7.5, height: float = 3.6, dpi: int = 90) -> Any:
    """A matplotlib Figure with one line per run (`runs.curves` output: name, steps, fractions 0-1)."""
    figure = plots.new_figure(width, height, dpi)
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
    ax.set_ylim(*plots.score_limits(shown))
    ax.set_xlim(*plots.step_limits([last_step]))
    plots.style_axes(ax, f"{metric} on the dev set (%)")
    if ax.get_legend_handles_labels()[0]:
        plots.legend_outside(ax)
    else:
        ax.text(0.5, 0.5, "no evaluations yet", ha="center", va="center", transform=ax.transAxes, fontsize=9, alpha=0.6)
    return figure


def runs_png(curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], path: Optional[Union[str, Path]] = None,
             *, metric: str = "score") -> bytes:
    """The overlaid curves as PNG bytes; written atomically to `path` when given."""
    data = plots.to_png(runs_figure(curves, metric=metric))
    if path is not None:
        from .core.corpus.atomic import atomic_write

        with atomic_write(path, "wb") as f:
            f.write(data)
    return data
