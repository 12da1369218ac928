"""The trial side of a sweep: what runs in a Ray worker for each trial, and how its failure reads in the driver.

A trial is an ordinary training run (`iter_training`) with the drawn settings, writing the run folder
`OUTPUT/trial_N` (run.json included, so `nbnlp runs OUTPUT` lists the trials) and reporting each evaluation
to Tune. Its errors travel back as `TrialFailed` (type name and message only),
since nbnlp's own errors need more than a message to rebuild.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from thinc.api import Config

from .sweep_progress import SCORE_PREFIX


@dataclass
class TrialSpec:
    """What every trial needs, sent to the workers with the trainable: small and picklable."""

    config: Config
    overrides: dict[str, Any]
    output_path: str
    cwd: str
    registrations: Optional[bytes]
    use_gpu: int
    metric: str


def trial_name(trial_id: str) -> str:
    """`trial_3` for Tune's trial id `a1b2c_00003`."""
    index = trial_id.rsplit("_", 1)[-1]
    return f"trial_{int(index)}" if index.isdigit() else f"trial_{trial_id}"


def trial_metrics(info: Any, output: Path) -> dict[str, Any]:
    """What a trial reports to Tune at an evaluation: the weighted score, where it is, and every plain numeric score."""
    metrics: dict[str, Any] = {
        f"{SCORE_PREFIX}{key}": float(value) for key, value in (info.scores or {}).items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
    metrics.update(
        score=float(info.score) if info.score is not None else float("nan"),
        step=int(info.step),
        epoch=int(info.epoch),
        stop_reason=info.stop_reason or "",
        model_best=str(output / "model-best") if info.best_step is not None else "",
    )
    return metrics


def train_trial(params: Mapping[str, Any], spec: TrialSpec) -> None:
    """One trial: a training run with the drawn settings, reporting every evaluation to Tune."""
    from ray import tune

    from .registrations import restore_registrations

    if os.path.isdir(spec.cwd):  # Tune moves a trial into its own folder; relative corpus paths mean the driver's
        os.chdir(spec.cwd)
    output = Path(spec.output_path) / trial_name(tune.get_context().get_trial_id())
    try:
        restore_registrations(spec.registrations)
        _run_trial(spec, output, params)
    except Exception as err:  # nbnlp's errors take more than a message to build: Ray could not rebuild them in the driver
        raise TrialFailed(f"{type(err).__name__}: {err}") from None


class TrialFailed(Exception):
    """A trial's error, as its type name and message (picklable whatever the original exception needs)."""


def _run_trial(spec: TrialSpec, output: Path, params: Mapping[str, Any]) -> None:
    from ray import tune

    from ..training import iter_training

    # the device (thinc's current ops, which a new thread or process does not inherit) is set here, in the trial's thread
    run = iter_training(spec.config, output, overrides={**spec.overrides, **params}, use_gpu=spec.use_gpu)
    final: Optional[dict[str, Any]] = None
    ended_at: Any = None  # the evaluation whose report Tune ended the trial in (ASHA), when it raised to end it
    try:
        for info in run:
            if info.is_evaluation:
                metrics = trial_metrics(info, output)
                metric_key = spec.metric if spec.metric == "score" else f"{SCORE_PREFIX}{spec.metric}"
                if metric_key not in metrics:
                    known = ", ".join(k[len(SCORE_PREFIX):] for k in metrics if k.startswith(SCORE_PREFIX))
                    raise ValueError(f"--metric {spec.metric!r}: the evaluation does not report it; it reports score, {known}")
                if spec.metric != "score":
                    metrics[spec.metric] = metrics[metric_key]
                if info.stop_reason:  # the last one: reported once the run has saved, since Tune may end the trial then
                    final = metrics
                    continue
                try:
                    _report_as_maybe_last(run, info, metrics)
                except BaseException:
                    ended_at = info
                    raise
    finally:
        run.close()  # closing the suspended run saves it as interrupted...
        if ended_at is not None and run.record is not None:  # ...but the scheduler stopped it there, on purpose
            from ..training.run_record import STOPPED

            run.record.update(ended_at, run.history, status=STOPPED)
    if final is not None:
        tune.report(final)


def _report_as_maybe_last(run: Any, info: Any, metrics: dict[str, Any]) -> None:
    """Report an evaluation to Tune. The scheduler may end the trial's process during the report (ASHA stopping a
    poor trial early), after which nothing runs: so run.json says "stopped" while the report is out, and "running"
    again once training goes on. Everything up to this step is already saved."""
    from ray import tune

    from ..training.run_record import RUNNING, STOPPED

    if run.record is not None:
        run.record.update(info, run.history, status=STOPPED)
    tune.report(metrics)
    if run.record is not None:
        run.record.update(info, run.history, status=RUNNING)


def make_trainable(spec: TrialSpec) -> Any:
    def nbnlp_trial(config: dict[str, Any]) -> None:
        train_trial(config, spec)

    return nbnlp_trial



def trial_error_text(trial: Any) -> str:
    """The exception line (and a ConfigError's problem lines) of a failed trial, without the traceback."""
    text = ""
    for attr in ("error_file", "local_error_file"):
        path = getattr(trial, attr, None)
        if path and os.path.isfile(path):
            with contextlib.suppress(OSError):
                text = Path(path).read_text(encoding="utf8", errors="replace")
                break
    if not text:
        return "failed (see Ray's logs)"
    return error_summary(text)


def error_summary(traceback_text: str) -> str:
    """The last `SomeError: message` of a traceback, the module path dropped, with the lines that follow it."""
    lines = traceback_text.rstrip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        match = re.match(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception|Interrupt|Unavailable|Failed))(?:\(.*?\))?: ?(.*)$", lines[i])
        if match:
            rest = [match.group(2)] + [line.strip() for line in lines[i + 1:] if line.strip()]
            text = f"{match.group(1)}: " + " ".join(part for part in rest if part)
            return text[len("TrialFailed: "):] if text.startswith("TrialFailed: ") else text
    return lines[-1].strip() if lines else "failed"
