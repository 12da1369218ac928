"""The live view of a sweep: one table with a row per trial and one plot of every trial's score against its step.

It watches a `SweepProgress` (nbnlp.core.distributed.sweep_progress) and shows it as plain HTML
with an embedded PNG, updated in place through one IPython display handle and throttled, the way
`training_view` shows a training run: no widget JavaScript, so VS Code, nbconvert and saved
notebooks show the last state. A row holds the trial's drawn settings, status, steps, current and
best score; the best trial's row is highlighted. When the sweep ends the view adds the lines the
magic passes (the best settings as `--section.key value`, where the best config and result went).
"""
from __future__ import annotations

import base64
import html
import io
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

_STATUS_COLOURS = {SWEEPING: "#2563eb", SWEEP_FINISHED: "#059669", SWEEP_INTERRUPTED: "#d97706", SWEEP_FAILED: "#dc2626"}
_TRIAL_COLOURS = {RUNNING: "#2563eb", FINISHED: "#059669", STOPPED: "#6b7280", ERROR: "#dc2626", INTERRUPTED: "#d97706"}
_TABLE_STYLE = "border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px"
_CELL = "padding:2px 8px;text-align:right;border-bottom:1px solid #e5e7eb"


def scores_png(progress: SweepProgress, *, width: float = 7.0, height: float = 2.8, dpi: int = 80) -> Optional[bytes]:
    """The metric (%) against the step for every trial that has evaluated, the best trial drawn thicker; PNG bytes
    (None before the first evaluation)."""
    curves = [(t, t.metric_history(progress.metric)) for t in progress.trials.values()]
    curves = [(t, points) for t, points in curves if points]
    if not curves:
        return None
    from matplotlib.figure import Figure  # no pyplot: no global figure state, nothing left open

    best = progress.best
    figure = Figure(figsize=(width, height), dpi=dpi)
    ax = figure.subplots()
    for trial, points in curves:
        is_best = best is not None and trial.trial_id == best.trial_id
        ax.plot([s for s, _ in points], [100 * v for _, v in points], marker=".", label=trial.name,
                linewidth=2.5 if is_best else 1.2, linestyle="-" if trial.status in (RUNNING, FINISHED) or is_best else "--")
    ax.set_title(f"dev {progress.metric} (%) per trial", fontsize=9)
    ax.set_xlabel("step", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best", ncol=2 if len(curves) > 6 else 1)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def trials_table_html(progress: SweepProgress) -> str:
    """One row per trial (settings, status, steps, current and best score); the best trial's row highlighted."""
    trials = list(progress.trials.values())
    headers, rows = table_rows(trials, progress.param_keys, progress.metric)
    best = progress.best
    head = "".join(
        f'<th style="{_CELL};border-bottom:2px solid #9ca3af;background:#fff">{html.escape(h)}</th>' for h in headers
    )
    body = []
    status_column = headers.index("STATUS")
    for trial, cells in zip(trials, rows):
        is_best = best is not None and trial.trial_id == best.trial_id
        css = "nbnlp-trial nbnlp-best" if is_best else "nbnlp-trial"
        style = ' style="background:#d1fae5;font-weight:600"' if is_best else ""
        tds = []
        for i, cell in enumerate(cells):
            colour = f";color:{_TRIAL_COLOURS[trial.status]}" if i == status_column and trial.status in _TRIAL_COLOURS else ""
            title = f' title="{html.escape(trial.error)}"' if i == status_column and trial.error else ""
            tds.append(f'<td style="{_CELL}{colour}"{title}>{html.escape(cell)}</td>')
        body.append(f'<tr class="{css}" data-trial="{html.escape(trial.name)}" data-status="{html.escape(trial.status)}"{style}>{"".join(tds)}</tr>')
    errors = "".join(
        f'<div class="nbnlp-trial-error" style="font-size:12px;color:#dc2626">{html.escape(t.name)}: {html.escape(t.error)}</div>'
        for t in trials if t.error
    )
    return (
        '<div style="max-height:24em;overflow:auto;margin:4px 0">'
        f'<table class="nbnlp-sweep" style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        f"</div>{errors}"
    )


def sweep_html(progress: SweepProgress, plot: Optional[bytes] = None, lines: Sequence[str] = ()) -> str:
    """The whole view as one self-contained HTML fragment (inline styles, no JavaScript)."""
    colour = _STATUS_COLOURS.get(progress.status, "#374151")
    status = html.escape(progress.status + (f": {progress.message}" if progress.message else ""))
    plan = (f"{progress.n_trials} trials, {progress.concurrent} at a time, {progress.scheduler.upper()}, maximising "
            f"{progress.metric}" + (f" · trials in {progress.output_path}" if progress.output_path else ""))
    image = ""
    if plot:
        data = base64.b64encode(plot).decode("ascii")
        image = f'<img class="nbnlp-sweep-plot" alt="score against step for every trial" style="max-width:100%" src="data:image/png;base64,{data}">'
    done = "".join(f'<div class="nbnlp-sweep-line" style="font-size:12px;color:#374151">{_line_html(s)}</div>' for s in lines)
    return (
        '<div class="nbnlp-sweep-view" style="font-family:system-ui,-apple-system,\'Segoe UI\',sans-serif">'
        f'<div class="nbnlp-status" data-status="{html.escape(progress.status.lower())}" style="font-weight:600;color:{colour}">{status}</div>'
        f'<div class="nbnlp-progress-text" style="font-size:12px;color:#374151">{html.escape(plan)}</div>'
        f'<div class="nbnlp-sweep-summary" style="font-size:12px;color:#374151">{html.escape(progress.summary_text())}</div>'
        f"{trials_table_html(progress)}{image}{done}</div>"
    )


def _line_html(line: str) -> str:
    """A closing line; one starting with `--` (a best setting) in monospace."""
    if line.startswith("--"):
        return f'<code class="nbnlp-best-setting">{html.escape(line)}</code>'
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
