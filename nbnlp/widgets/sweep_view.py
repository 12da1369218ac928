"""The live view of a sweep: one table with a row per trial and one plot of every trial's score against its step.

It watches a `SweepProgress` (nbnlp.core.distributed.sweep_progress) and shows it as plain HTML
with an embedded PNG, updated in place through one IPython display handle and throttled, the way
`training_view` shows a training run: no widget JavaScript, so VS Code, nbconvert and saved
notebooks show the last state. A row holds the trial's drawn settings, status, steps, current and
best score; the best trial's row is highlighted. When the sweep ends the view adds the lines the
magic passes (the best settings as `--section.key value`, where the best config and result went).
"""
from __future__ import annotations

import html
import time
from typing import Any, Optional, Sequence

from ..core.distributed.sweep_progress import (
    ERROR,
    FINISHED,
    INTERRUPTED,
    RUNNING,
    STOPPED,
    SWEEP_FAILED,
    SWEEP_FINISHED,
    SWEEP_INTERRUPTED,
    SWEEPING,
    SweepProgress,
    TrialRecord,
    table_rows,
)

from .. import plots
from .html_parts import AMBER, BLUE, ERROR_TEXT, FONT, GREEN, GREY, MONO, RED, TEXT, image_html, note_html, status_html, table_html

_STATUS_COLOURS = {SWEEPING: BLUE, SWEEP_FINISHED: GREEN, SWEEP_INTERRUPTED: AMBER, SWEEP_FAILED: RED}
_TRIAL_MARKS = {RUNNING: BLUE, FINISHED: GREEN, STOPPED: GREY, ERROR: RED, INTERRUPTED: AMBER}


def scores_png(progress: SweepProgress, *, width: float = 8.0, height: float = 2.8, dpi: int = 80) -> Optional[bytes]:
    """The metric (%) against the step for every trial that has evaluated, the best trial drawn thicker, the legend
    beside the plot; PNG bytes (None before the first evaluation)."""
    curves = [(t, t.metric_history(progress.metric)) for t in progress.trials.values()]
    curves = [(t, points) for t, points in curves if points]
    if not curves:
        return None
    best = progress.best
    figure = plots.new_figure(width, height, dpi)
    ax = figure.subplots()
    for trial, points in curves:
        is_best = best is not None and trial.trial_id == best.trial_id
        ax.plot([s for s, _ in points], [100 * v for _, v in points], marker=".", label=trial.name,
                linewidth=2.5 if is_best else 1.2, linestyle="-" if trial.status in (RUNNING, FINISHED) or is_best else "--")
    ax.set_ylim(*plots.score_limits(100 * v for _, points in curves for _, v in points))
    ax.set_xlim(*plots.step_limits(s for _, points in curves for s, _ in points))
    plots.style_axes(ax, f"dev {progress.metric} (%) per trial")
    plots.legend_outside(ax, columns=2 if len(curves) > 8 else 1)
    return plots.to_png(figure)


def trials_table_html(progress: SweepProgress) -> str:
    """One row per trial (settings, status, steps, current and best score); the best trial's row highlighted."""
    trials = list(progress.trials.values())
    headers, rows = table_rows(trials, progress.param_keys, progress.metric)
    best = progress.best
    status_column = headers.index("STATUS")
    styles = [[""] * len(headers) for _ in trials]
    for trial, row_styles in zip(trials, styles):
        if trial.status in _TRIAL_MARKS:  # the status word in the theme's colour, underlined in the status colour
            row_styles[status_column] = f"box-shadow:inset 0 -2px 0 {_TRIAL_MARKS[trial.status]}"
    errors = "".join(
        f'<div class="nbnlp-trial-error" style="font-size:12px;color:{ERROR_TEXT}">{html.escape(t.name)}: {html.escape(t.error)}</div>'
        for t in trials if t.error
    )
    best_index = next((i for i, t in enumerate(trials) if best is not None and t.trial_id == best.trial_id), None)
    return table_html(
        headers, rows, css_class="nbnlp-sweep", row_classes=["nbnlp-trial"] * len(trials),
        row_attributes=[f'data-trial="{html.escape(t.name)}" data-status="{html.escape(t.status)}"' for t in trials],
        best=best_index, cell_styles=styles,
    ) + errors


def sweep_html(progress: SweepProgress, plot: Optional[bytes] = None, lines: Sequence[str] = ()) -> str:
    """The whole view as one self-contained HTML fragment (inline styles, no JavaScript)."""
    plan = (f"{progress.n_trials} trials, {progress.concurrent} at a time, {progress.scheduler.upper()}, maximising "
            f"{progress.metric}" + (f" · trials in {progress.output_path}" if progress.output_path else ""))
    done = "".join(f'<div class="nbnlp-sweep-line" style="font-size:12px;color:{TEXT}">{_line_html(s)}</div>' for s in lines)
    return (
        f'<div class="nbnlp-sweep-view" style="{FONT}">'
        f"{status_html(progress.status, progress.message, _STATUS_COLOURS.get(progress.status, GREY))}"
        f'{note_html(plan, "nbnlp-progress-text")}{note_html(progress.summary_text(), "nbnlp-sweep-summary")}'
        f'{trials_table_html(progress)}{image_html(plot, "nbnlp-sweep-plot", "score against step for every trial")}{done}</div>'
    )


def _line_html(line: str) -> str:
    """A closing line; one starting with `--` (a best setting) in monospace."""
    if line.startswith("--"):
        return f'<code class="nbnlp-best-setting" style="{MONO}">{html.escape(line)}</code>'
    return html.escape(line)


class HTMLSweepView:
    """Shows a sweep's progress through one display handle: the table at most every `min_interval` s (a trial starting
    or ending at once), the plot at most every `plot_interval` s (drawing costs tens of milliseconds)."""

    def __init__(self, progress: SweepProgress, *, min_interval: float = 0.5, plot_interval: float = 2.0, widget: Any = None) -> None:
        self.progress = progress
        self.min_interval = min_interval
        self.plot_interval = plot_interval
        self.widget = widget
        self.lines: list[str] = []
        self.renders = 0
        self._handle: Any = None
        self._last_render = 0.0
        self._last_plot = 0.0
        self._plot: Optional[bytes] = None
        self._plot_for = -1
        progress.listeners.append(self._on_change)

    def start(self) -> None:
        from IPython.display import HTML, display

        if self.widget is not None:
            self.widget.value = self.html()
            display(self.widget)
            self._handle = self.widget
        else:
            self._handle = display(HTML(self.html()), display_id=True)
        self._last_render = time.monotonic()

    def _on_change(self, progress: SweepProgress, what: str, trial: Optional[TrialRecord]) -> None:
        if what == "finish":
            return  # `finish` renders, with the closing lines
        if what == "status" or time.monotonic() - self._last_render >= self.min_interval:
            self.refresh()

    def finish(self, lines: Sequence[str] = ()) -> None:
        self.lines = list(lines)
        self.refresh(final=True)

    def html(self, *, final: bool = False) -> str:
        now = time.monotonic()
        if self.progress.evaluations != self._plot_for and (final or now - self._last_plot >= self.plot_interval or self._plot is None):
            self._plot = scores_png(self.progress)
            self._plot_for = self.progress.evaluations
            self._last_plot = now
        return sweep_html(self.progress, self._plot, self.lines)

    def refresh(self, *, final: bool = False) -> None:
        from IPython.display import HTML

        if self._handle is None:
            self.start()
            if not final:
                return
        if self.widget is not None:
            self.widget.value = self.html(final=final)
        else:
            self._handle.update(HTML(self.html(final=final)))
        self._last_render = time.monotonic()
        self.renders += 1
