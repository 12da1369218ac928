"""The live training view: one progress core, a notebook front end (HTML) and a console front end (tqdm).

`TrainingProgress` turns the training loop's StepInfos into what a person watches: the metrics
table (the same columns as the console logger, from `TrainingTable`), steps and epochs, words per
second, elapsed time and ETA, and the loss and score curves. `HTMLTrainingView` shows it as plain
HTML with an embedded PNG, updated in place through an IPython display handle and throttled, so
it needs no widget JavaScript (VS Code, nbconvert and saved notebooks show the last state) and
never clears other output; while training runs, a Stop button (`stop_button.py`, an ipywidget)
sits under it. `ConsoleTrainingView` prints the same rows under a tqdm bar. Every score is a
percentage with the same precision (`core.scores.display`).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import IO, Any, Optional, Sequence

from ..core.scores.display import format_score, is_speed
from ..core.training.loggers import TrainingTable
from ..core.training.loop import StepInfo
from .. import plots
from .html_parts import AMBER, BLUE, FONT, GREEN, GREY, RED, image_html, note_html, progress_bar_html, status_html, table_html

TRAINING, FINISHED, STOPPED, INTERRUPTED, FAILED = "Training", "Finished", "Stopped", "Interrupted", "Failed"
_STATUS_COLOURS = {TRAINING: BLUE, FINISHED: GREEN, STOPPED: GREEN, INTERRUPTED: AMBER, FAILED: RED}


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class TrainingProgress:
    """What the front ends show, updated from StepInfos; knows nothing about how it is displayed."""

    table: TrainingTable
    max_steps: int = 0
    max_epochs: int = 0
    eval_frequency: int = 200
    status: str = TRAINING
    last: Optional[StepInfo] = None
    evaluations: list[StepInfo] = field(default_factory=list)
    message: str = ""
    resumed_from: Optional[int] = None  # the checkpoint's step when the run continues an earlier one

    @classmethod
    def for_run(cls, run: Any) -> "TrainingProgress":
        """Columns and limits for a `TrainingRun` (from `iter_training`)."""
        settings = run.settings
        return cls(
            TrainingTable.for_pipeline(run.nlp, settings.score_weights),
            max_steps=settings.values.max_steps, max_epochs=settings.values.max_epochs, eval_frequency=settings.values.eval_frequency,
            last=run.last, evaluations=list(run.history),  # a resumed run shows its earlier evaluations too
            resumed_from=run.resumed_from,
        )

    def update(self, info: StepInfo) -> None:
        self.last = info
        if info.is_evaluation:
            self.evaluations.append(info)

    def finish(self, status: str, message: str = "") -> None:
        self.status = status
        self.message = message

    @property
    def step(self) -> int:
        return self.last.step if self.last else 0

    @property
    def elapsed(self) -> float:
        return self.last.seconds if self.last else 0.0

    @property
    def words_per_second(self) -> float:
        return self.last.words / self.last.seconds if self.last and self.last.seconds > 0 else 0.0

    @property
    def fraction(self) -> Optional[float]:
        """Share of max_steps done (None when training is bounded by epochs or patience only)."""
        return min(1.0, self.step / self.max_steps) if self.max_steps else None

    @property
    def eta(self) -> Optional[float]:
        if not self.max_steps or not self.step or self.status != TRAINING:
            return None
        return self.elapsed / self.step * max(0, self.max_steps - self.step)

    @property
    def best(self) -> Optional[StepInfo]:
        scored = [e for e in self.evaluations if e.score is not None]
        return max(scored, key=lambda e: (e.score, -e.step)) if scored else None

    def progress_text(self) -> str:
        parts = [f"step {self.step:,}" + (f"/{self.max_steps:,}" if self.max_steps else "")]
        if self.resumed_from is not None:
            parts.append(f"resumed from step {self.resumed_from:,}")
        if self.last is not None:
            parts.append(f"epoch {self.last.epoch + 1}" + (f"/{self.max_epochs}" if self.max_epochs else ""))
            parts.append(f"{self.words_per_second:,.0f} words/s")
        parts.append(f"{format_duration(self.elapsed)} elapsed")
        if self.eta is not None:
            parts.append(f"ETA {format_duration(self.eta)}")
        best = self.best
        if best is not None:
            parts.append(f"best {format_score('score', best.score)} at step {best.step:,}")
        return " · ".join(parts)


# ----- curves -------------------------------------------------------------------------------------
def curves_png(progress: TrainingProgress, *, width: float = 10.0, height: float = 2.7, dpi: int = 80) -> Optional[bytes]:
    """Loss per component and scores (%) against steps, legends beside the plots, as PNG bytes (None before the
    first evaluation)."""
    evaluations = progress.evaluations
    if not evaluations:
        return None
    steps = [e.step for e in evaluations]
    figure = plots.new_figure(width, height, dpi)
    loss_ax, score_ax = figure.subplots(1, 2)
    for name in progress.table.loss_names:
        loss_ax.plot(steps, [e.losses.get(name, 0.0) for e in evaluations], marker=".", label=name)
    loss_ax.set_ylim(bottom=0)
    shown: list[Optional[float]] = []
    for name in progress.table.score_names:
        values = [_as_float(e.scores.get(name) if e.scores else None) for e in evaluations]
        if any(v is not None for v in values) and not is_speed(name):
            percents = [None if v is None else 100 * v for v in values]
            shown += percents
            score_ax.plot(steps, [float("nan") if v is None else v for v in percents], marker=".", label=name)
    totals = [None if e.score is None else 100 * e.score for e in evaluations]
    shown += totals
    score_ax.plot(steps, [float("nan") if v is None else v for v in totals], marker="o", color="black", linewidth=2, label="SCORE")
    best = progress.best
    if best is not None:
        score_ax.axvline(best.step, color="#059669", linestyle=":", linewidth=1, label=f"best (step {best.step:,})")
    score_ax.set_ylim(*plots.score_limits(shown))
    planned = progress.max_steps if progress.status == TRAINING else 0  # an ended run's axis ends where it did
    for ax, title in ((loss_ax, "loss (per evaluation interval)"), (score_ax, "dev scores (%)")):
        ax.set_xlim(*plots.step_limits(steps, planned))
        plots.style_axes(ax, title)
        plots.legend_outside(ax)
    return plots.to_png(figure)


def _as_float(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# ----- HTML -----------------------------------------------------------------------------------------
def metrics_table_html(progress: TrainingProgress) -> str:
    """One row per evaluation under the console logger's headers; the best row highlighted, the newest in view."""
    table = progress.table
    best = progress.best
    evaluations = progress.evaluations
    best_index = next((i for i, e in enumerate(evaluations) if best is not None and e.step == best.step), None)
    return table_html(
        table.headers(), [table.row(info) for info in evaluations], css_class="nbnlp-metrics",
        row_classes=["nbnlp-row"] * len(evaluations), row_attributes=[f'data-step="{info.step}"' for info in evaluations],
        best=best_index, newest_last=True,
    )


def training_html(progress: TrainingProgress, curves: Optional[bytes] = None, saved: Sequence[str] = ()) -> str:
    """The whole view as one self-contained HTML fragment (inline styles, no JavaScript)."""
    colour = _STATUS_COLOURS.get(progress.status, GREY)
    saved_html = "".join(note_html(s, "nbnlp-saved") for s in saved)
    return (
        f'<div class="nbnlp-training" style="{FONT}">'
        f"{status_html(progress.status, progress.message, colour)}"
        f'{note_html(progress.progress_text(), "nbnlp-progress-text")}'
        f"{progress_bar_html(progress.fraction, colour)}{metrics_table_html(progress)}"
        f'{image_html(curves, "nbnlp-curves", "loss and score curves")}{saved_html}</div>'
    )


class HTMLTrainingView:
    """Shows the progress as HTML through one display handle, re-rendered at most every `min_interval` s.

    Evaluations and the final state are always shown at once; the curves are redrawn only when a new
    evaluation arrives (drawing costs tens of milliseconds). With `widget` (an `ipywidgets.HTML`) the
    view is that widget's value instead: needed inside an `ipywidgets.Output` (the override form's
    Train button), where front ends do not apply display-handle updates.
    """

    def __init__(self, progress: TrainingProgress, *, min_interval: float = 0.3, widget: Any = None, stop_button: Any = None) -> None:
        self.progress = progress
        self.min_interval = min_interval
        self.widget = widget
        self.stop_button = stop_button  # a StopButton shown under the view while training runs
        self._handle: Any = None
        self._last_render = 0.0
        self._curves: Optional[bytes] = None
        self._curves_for: Any = None
        self.saved: list[str] = []
        self.renders = 0

    def start(self) -> None:
        from IPython.display import HTML, display

        if self.widget is not None:
            self.widget.value = self.html()
            display(self.widget)
            self._handle = self.widget
        else:
            self._handle = display(HTML(self.html()), display_id=True)
        if self.stop_button is not None:
            self.stop_button.show()
        self._last_render = time.monotonic()

    def update(self, info: StepInfo) -> None:
        self.progress.update(info)
        now = time.monotonic()
        if info.is_evaluation or now - self._last_render >= self.min_interval:
            self.refresh()
        if self.stop_button is not None:
            self.stop_button.poll()

    def finish(self, status: str, message: str = "", saved: Sequence[str] = ()) -> None:
        if self.stop_button is not None:
            self.stop_button.close()
        self.progress.finish(status, message)
        self.saved = list(saved)
        self.refresh()

    def html(self) -> str:
        n = (len(self.progress.evaluations), self.progress.status)  # redrawn for a new evaluation, and once at the end
        if n != self._curves_for:
            self._curves = curves_png(self.progress)
            self._curves_for = n
        return training_html(self.progress, self._curves, self.saved)

    def refresh(self) -> None:
        from IPython.display import HTML

        if self._handle is None:
            self.start()
            return
        if self.widget is not None:
            self.widget.value = self.html()
        else:
            self._handle.update(HTML(self.html()))
        self._last_render = time.monotonic()
        self.renders += 1


class ConsoleTrainingView:
    """The same progress in a terminal: a tqdm bar over the steps and one table row per evaluation."""

    def __init__(self, progress: TrainingProgress, *, file: Optional[IO[str]] = None, min_interval: float = 0.3) -> None:
        self.progress = progress
        self.file = file or sys.stderr
        self.min_interval = min_interval
        self._bar: Any = None
        self.saved: list[str] = []

    def start(self) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=self.progress.max_steps or None, initial=self.progress.step, unit="step", file=self.file,
                         mininterval=self.min_interval, leave=False)
        self._bar.write(self.progress.table.format_header(), file=self.file)
        for info in self.progress.evaluations:  # a resumed run's earlier evaluations
            self._bar.write(self.progress.table.format_row(info), file=self.file)

    def update(self, info: StepInfo) -> None:
        if self._bar is None:
            self.start()
        self.progress.update(info)
        self._bar.update(info.step - self._bar.n)
        self._bar.set_postfix_str(f"{self.progress.words_per_second:,.0f} words/s", refresh=False)
        if info.is_evaluation:
            self._bar.write(self.progress.table.format_row(info), file=self.file)

    def finish(self, status: str, message: str = "", saved: Sequence[str] = ()) -> None:
        self.progress.finish(status, message)
        self.saved = list(saved)
        if self._bar is not None:
            self._bar.close()
        self.file.write(f"{status}{': ' + message if message else ''}. {self.progress.progress_text()}\n")
        for line in saved:
            self.file.write(line + "\n")
        self.file.flush()
