"""What a sweep knows as it runs and when it ends: a record per trial, the progress views watch, the result.

`SweepProgress` is fed by the Tune callback in the driver (`sweep.py`) and read by the views (the
notebook's `nbnlp.widgets.sweep_view`, the CLI's text table from `format_sweep_table`); it knows
nothing about how it is shown. `SweepResult` is what `nbnlp.sweep` returns and `%nlp_sweep` binds.
"""
from __future__ import annotations

import json
import math
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Mapping, NamedTuple, Optional, Sequence

from thinc.api import Config

from ..config import parse_value
from ..scores.display import format_score

PENDING, RUNNING, FINISHED, STOPPED, ERROR, INTERRUPTED = "pending", "running", "finished", "stopped early", "error", "interrupted"
NOT_STARTED = "not started"
SWEEPING, SWEEP_FINISHED, SWEEP_INTERRUPTED, SWEEP_FAILED = "Sweeping", "Finished", "Interrupted", "Failed"


class EvalPoint(NamedTuple):
    """One evaluation of a trial: its step, the weighted score and every plain numeric score (fractions 0-1)."""

    step: int
    score: Optional[float]
    scores: dict[str, float]


@dataclass
class TrialRecord:
    """One trial: the settings it drew, how far it got and every evaluation it reported."""

    trial_id: str
    name: str
    params: dict[str, Any]
    status: str = PENDING
    history: list[EvalPoint] = field(default_factory=list)
    steps: int = 0
    output_path: Optional[Path] = None
    model_best: Optional[Path] = None
    error: Optional[str] = None
    stop_reason: Optional[str] = None  # the training run's own ("max_steps", "patience"...) when it ended by itself

    def metric_history(self, metric: str = "score") -> list[tuple[int, float]]:
        """(step, value) of `metric` at each evaluation ("score" is the weighted score)."""
        out = []
        for point in self.history:
            value = point.score if metric == "score" else point.scores.get(metric)
            if value is not None and not math.isnan(value):
                out.append((point.step, float(value)))
        return out

    def current(self, metric: str = "score") -> Optional[float]:
        values = self.metric_history(metric)
        return values[-1][1] if values else None

    def best(self, metric: str = "score") -> Optional[tuple[int, float]]:
        """(step, value) of the best evaluation by `metric` (the earliest on a tie)."""
        values = self.metric_history(metric)
        return max(values, key=lambda sv: (sv[1], -sv[0])) if values else None

    @property
    def best_score(self) -> Optional[float]:
        best = self.best()
        return best[1] if best else None

    @property
    def best_step(self) -> Optional[int]:
        best = self.best()
        return best[0] if best else None

    def __repr__(self) -> str:
        best = self.best()
        shown = f"best {format_score('score', best[1])} at step {best[0]}" if best else "no evaluation"
        return f"<TrialRecord {self.name} {self.status}, {self.steps} steps, {shown}, params {self.params}>"


class SweepProgress:
    """The trials of a running sweep, updated from Tune's callbacks; `listeners` are called after every change."""

    def __init__(self, param_keys: Sequence[str], *, n_trials: int, concurrent: int, metric: str = "score",
                 scheduler: str = "fifo", max_steps: int = 0, output_path: Optional[Path] = None) -> None:
        self.param_keys = list(param_keys)
        self.n_trials = n_trials
        self.concurrent = concurrent
        self.metric = metric
        self.scheduler = scheduler
        self.max_steps = max_steps
        self.output_path = output_path
        self.trials: dict[str, TrialRecord] = {}
        self.status = SWEEPING
        self.message = ""
        self.version = 0  # counts changes: a view redraws only when it moved
        self.evaluations = 0  # counts reported evaluations: the plot is redrawn only when it moved
        self.started = time.monotonic()
        self.ended: Optional[float] = None
        self.listeners: list[Callable[["SweepProgress", str, Optional[TrialRecord]], None]] = []  # (progress, what, trial)

    # ----- fed by the driver ------------------------------------------------------------------
    def trial_seen(self, trial_id: str, name: str, params: Mapping[str, Any], output_path: Optional[Path] = None) -> TrialRecord:
        record = self.trials.get(trial_id)
        if record is None:
            record = self.trials[trial_id] = TrialRecord(trial_id, name, {k: params.get(k) for k in self.param_keys}, output_path=output_path)
            self._changed("trial", record)
        return record

    def trial_started(self, trial_id: str, name: str, params: Mapping[str, Any], output_path: Optional[Path] = None) -> None:
        record = self.trial_seen(trial_id, name, params, output_path)
        if record.status == PENDING:
            record.status = RUNNING
            self._changed("status", record)

    def trial_reported(self, trial_id: str, metrics: Mapping[str, Any]) -> None:
        """One evaluation (the metrics the trial reported to Tune)."""
        record = self.trials.get(trial_id)
        if record is None:
            return
        record.status = RUNNING
        step = int(metrics.get("step") or 0)
        scores = {k[len(SCORE_PREFIX):]: float(v) for k, v in metrics.items() if k.startswith(SCORE_PREFIX) and _is_number(v)}
        score = metrics.get("score")
        record.history.append(EvalPoint(step, float(score) if _is_number(score) else None, scores))
        record.steps = max(record.steps, step)
        record.stop_reason = metrics.get("stop_reason") or None
        if metrics.get("model_best"):
            record.model_best = Path(metrics["model_best"])
        self.evaluations += 1
        self._changed("result", record)

    def trial_ended(self, trial_id: str, status: Optional[str] = None, error: Optional[str] = None) -> None:
        """A trial is over: `status` as given, else finished when its run ended by itself and stopped early when the
        scheduler stopped it."""
        record = self.trials.get(trial_id)
        if record is None or record.status in (FINISHED, STOPPED, ERROR):
            return
        record.status = status or (FINISHED if record.stop_reason else STOPPED)
        record.error = error
        self._changed("status", record)

    def finish(self, status: str, message: str = "") -> None:
        for record in self.trials.values():  # what the sweep left unfinished
            if record.status == RUNNING:
                record.status = INTERRUPTED
            elif record.status == PENDING:
                record.status = NOT_STARTED
        self.status = status
        self.message = message
        self.ended = time.monotonic()
        self._changed("finish", None)

    def _changed(self, what: str, record: Optional[TrialRecord]) -> None:
        self.version += 1
        for listener in list(self.listeners):
            listener(self, what, record)

    # ----- read by the views ------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def best(self) -> Optional[TrialRecord]:
        return best_trial(self.trials.values(), self.metric)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for record in self.trials.values():
            out[record.status] = out.get(record.status, 0) + 1
        return out

    def summary_text(self) -> str:
        """`3/8 trials done · 2 running · best 91.20 (trial_2) · 0:42 elapsed`."""
        counts = self.counts()
        done = sum(counts.get(s, 0) for s in (FINISHED, STOPPED, ERROR))
        parts = [f"{done}/{self.n_trials} trials done"]
        for status in (RUNNING, STOPPED, ERROR, INTERRUPTED):
            if counts.get(status):
                parts.append(f"{counts[status]} {status}")
        best = self.best
        if best is not None:
            value = best.best(self.metric)
            parts.append(f"best {self.metric} {format_score(self.metric, value[1] if value else None)} ({best.name})")
        parts.append(f"{_duration(self.elapsed)} elapsed")
        return " · ".join(parts)


SCORE_PREFIX = "scores/"  # the reported metrics' keys for the evaluation's own scores


def best_trial(trials: Any, metric: str = "score") -> Optional[TrialRecord]:
    """The trial with the best evaluation by `metric` (whatever its status: a stopped trial keeps its model-best)."""
    scored = [(t.best(metric), t) for t in trials]
    scored = [(b, t) for b, t in scored if b is not None]
    return max(scored, key=lambda bt: bt[0][1])[1] if scored else None


@dataclass
class SweepResult:
    """How a sweep ended: every trial (params, status, history, model-best) and the best one's settings.

    `best_overrides` are the `--section.key value` settings that reproduce the best trial on the sweep's config
    (the sweep's own overrides, then the trial's parameters); `best_lines` the same as command-line words;
    `best_config` the config with them applied."""

    trials: list[TrialRecord]
    best: Optional[TrialRecord]
    best_overrides: dict[str, Any]
    best_lines: list[str]
    best_config: Optional[Config]
    metric: str
    output_path: Optional[Path]
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def model_best(self) -> Optional[Path]:
        return self.best.model_best if self.best is not None else None

    @property
    def best_score(self) -> Optional[float]:
        best = self.best.best(self.metric) if self.best is not None else None
        return best[1] if best else None

    def history(self) -> dict[str, list[EvalPoint]]:
        """Every trial's evaluations by trial name."""
        return {t.name: list(t.history) for t in self.trials}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what `sweep.json` in the output folder holds)."""
        return {
            "metric": self.metric,
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
            "best": self.best.name if self.best else None,
            "best_overrides": self.best_overrides,
            "best_lines": self.best_lines,
            "model_best": str(self.model_best) if self.model_best else None,
            "trials": [
                {
                    "name": t.name, "trial_id": t.trial_id, "params": t.params, "status": t.status, "steps": t.steps,
                    "best_score": t.best_score, "best_step": t.best_step, "error": t.error,
                    "output_path": str(t.output_path) if t.output_path else None,
                    "model_best": str(t.model_best) if t.model_best else None,
                    "history": [{"step": p.step, "score": p.score, "scores": p.scores} for p in t.history],
                }
                for t in self.trials
            ],
        }

    def __repr__(self) -> str:
        ended = "interrupted" if self.interrupted else "finished"
        if self.best is None:
            return f"<SweepResult {len(self.trials)} trials, {ended}, no evaluation>"
        return (f"<SweepResult {len(self.trials)} trials, {ended}, best {self.best.name} "
                f"({self.metric} {format_score(self.metric, self.best_score)}): {' '.join(self.best_lines)}>")


# ----- text ------------------------------------------------------------------------------------
def override_line(key: str, value: Any) -> str:
    """`--section.key value`, the value one shell word that `parse_overrides` reads back as the same value."""
    if isinstance(value, str) and parse_value(value) == value:
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return f"--{key} {shlex.quote(text)}"


def format_param(value: Any) -> str:
    """A drawn value as shown in a table: floats with 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value)


def table_rows(progress_trials: Sequence[TrialRecord], param_keys: Sequence[str], metric: str = "score") -> tuple[list[str], list[list[str]]]:
    """Headers and cell texts of the trials table (shared by the notebook view and the CLI)."""
    label = metric.upper()
    headers = ["TRIAL", *param_keys, "STATUS", "STEPS", label, f"BEST {label}"]
    rows = []
    for t in progress_trials:
        best = t.best(metric)
        rows.append([
            t.name, *(format_param(t.params.get(k)) for k in param_keys), t.status, str(t.steps),
            format_score(metric, t.current(metric)), format_score(metric, best[1] if best else None) + (f" @{best[0]}" if best else ""),
        ])
    return headers, rows


def format_sweep_table(trials: Sequence[TrialRecord], param_keys: Sequence[str], metric: str = "score") -> str:
    """The trials as a plain text table."""
    headers, rows = table_rows(trials, param_keys, metric)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def console_listener(file: IO[str]) -> Callable[[SweepProgress, str, Optional[TrialRecord]], None]:
    """A `SweepProgress` listener printing a line when a trial starts, evaluates and ends (the CLI's live output)."""

    def listen(progress: SweepProgress, what: str, trial: Optional[TrialRecord]) -> None:
        if trial is None:
            return
        if what == "status" and trial.status == RUNNING:
            settings = " ".join(f"{k}={format_param(v)}" for k, v in trial.params.items())
            line = f"{trial.name} started: {settings}"
        elif what == "result" and trial.history:
            point = trial.history[-1]
            value = point.score if progress.metric == "score" else point.scores.get(progress.metric)
            line = f"{trial.name} step {point.step}: {progress.metric} {format_score(progress.metric, value)}"
        elif what == "status":
            best = trial.best(progress.metric)
            shown = f"best {progress.metric} {format_score(progress.metric, best[1])} at step {best[0]}" if best else "no evaluation"
            line = f"{trial.name} {trial.status} after {trial.steps} steps: {shown}" + (f" ({trial.error})" if trial.error else "")
        else:
            return
        file.write(line + "\n")
        file.flush()

    return listen


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(float(value))


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
