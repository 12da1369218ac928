"""Hyperparameter sweeps on Ray Tune: each trial is an ordinary training run reporting its evaluations to Tune.

`plan_sweep` checks everything before anything starts (the config with its overrides, every
`--param` key and range, the metric); `run_sweep` runs the plan with `tune.Tuner` and returns a
`SweepResult`; `sweep` does both. Each sweep gets a folder of its own: `--output`, or a new
`sweep-N` under `sweeps/<config>` (an output folder that already holds a sweep is refused, so no sweep
replaces another's trials). A trial trains with `iter_training` into `OUTPUT/trial_N`, a run folder
like any training's (run.json, config.cfg, model-best, model-last and checkpoint; `nbnlp runs OUTPUT`
lists them), and reports each evaluation
(`score`, `step`, the scores as `scores/NAME`) with `tune.report`, so ASHA can stop poor trials
early. Tune's own files go to `OUTPUT/tune`, and `OUTPUT/sweep.json` gets the result.

Ray is imported only when a sweep runs. In the driver a Tune callback feeds a `SweepProgress`,
which the notebook view and the CLI table watch; Ray's console output stays off (verbose 0, no
reporter, Tune's log lines silenced while it runs). Ctrl-C (a kernel interrupt) stops the sweep:
Tune stops the trials' actors and the result keeps every evaluation reported so far.
"""
from __future__ import annotations

import contextlib
import difflib
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Union

from thinc.api import Config

from ..config import ConfigError, ConfigProblem, apply_overrides, load_config
from ..training.runs import RunsError, new_run
from .search_space import Distribution, SpaceSpec, as_space, check_space
from .sweep_trial import TrialSpec, make_trainable, trial_error_text, trial_name
from .sweep_progress import (
    ERROR,
    SWEEP_FAILED,
    SWEEP_FINISHED,
    SWEEP_INTERRUPTED,
    SweepProgress,
    SweepResult,
    best_trial,
    override_line,
)

SCHEDULERS = ("fifo", "asha")
ASHA_REDUCTION_FACTOR = 2  # keep the top half at each rung: sweeps in a notebook have few trials
TUNE_LOGGERS = ("ray.tune", "ray.train", "ray.air")
SWEEP_PREFIX = "sweep-"


def holds_sweep(path: Path) -> bool:
    """Whether `path` holds an earlier sweep's result or trial folders."""
    return path.is_dir() and ((path / "sweep.json").exists() or any(p.is_dir() for p in path.glob("trial_*")))


@dataclass
class SweepPlan:
    """A checked sweep, nothing started yet. `config` is the base config: filled in, the overrides applied,
    `${...}` references kept."""

    config: Config
    space: dict[str, Distribution]
    overrides: dict[str, Any]
    trials: int
    concurrent: int
    scheduler: str
    metric: str
    output_path: Path
    address: Optional[str] = None
    gpu_id: int = -1
    seed: Optional[int] = None
    max_steps: int = 0
    eval_frequency: int = 200
    score_names: list[str] = field(default_factory=list)

    def progress(self) -> SweepProgress:
        return SweepProgress(list(self.space), n_trials=self.trials, concurrent=self.concurrent, metric=self.metric,
                             scheduler=self.scheduler, max_steps=self.max_steps, output_path=self.output_path)


def plan_sweep(
    config: Any,
    space: SpaceSpec,
    *,
    trials: int = 8,
    concurrent: int = 2,
    scheduler: str = "fifo",
    metric: str = "score",
    output: Optional[Union[str, Path]] = None,
    overrides: Optional[Mapping[str, Any]] = None,
    address: Optional[str] = None,
    gpu_id: Optional[int] = None,
    seed: Optional[int] = None,
    sweeps: Optional[Union[str, Path]] = None,
) -> SweepPlan:
    """Check a sweep: one ConfigError lists every problem found. Nothing starts; the sweep's folder is `output`
    (refused when it already holds a sweep), else a new `sweep-N` made in `sweeps` (default `sweeps/`) once the
    checks pass."""
    from ..training.check import check_config
    from ..training.loop import resolve_score_weights
    from ..training.validate import check_training

    if not isinstance(trials, int) or trials < 1:
        raise ValueError(f"--trials must be at least 1 (given {trials!r})")
    if not isinstance(concurrent, int) or concurrent < 1:
        raise ValueError(f"--concurrent must be at least 1 (given {concurrent!r})")
    if scheduler not in SCHEDULERS:
        raise ValueError(f"--scheduler must be one of {', '.join(SCHEDULERS)} (given {scheduler!r})")
    parsed = as_space(space)
    overrides = dict(overrides or {})
    checked = check_config(config, overrides)
    problems = list(checked.problems) + list(checked.notes)  # a corpus path still unset is a problem for a sweep
    if problems or checked.nlp is None:
        raise ConfigError(problems)
    check_space(checked.config, parsed, overrides)
    cfg = load_config(checked.config)
    values = check_training(cfg, [])
    weights = resolve_score_weights(checked.nlp, values.score_weights)
    score_names = [name for name in weights if not name.endswith("_per_type")]
    if metric != "score" and metric not in score_names:
        close = difflib.get_close_matches(metric, ["score", *score_names], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError([ConfigProblem("", f"--metric {metric!r} is not a score this pipeline reports{hint}",
                                         expected=" or ".join(["score", *score_names]))])
    if gpu_id is None:
        system_gpu = (cfg.get("system") or {}).get("gpu_id")
        gpu_id = system_gpu if isinstance(system_gpu, int) and not isinstance(system_gpu, bool) else -1
    if output is not None:
        output_path = Path(output)
        if holds_sweep(output_path):
            raise RunsError(f"{output_path} already holds a sweep (sweep.json, trial folders): give another --output, "
                            "or none (each sweep then gets a new sweeps/<config>/sweep-N folder)")
    else:
        output_path = new_run(Path(sweeps) if sweeps is not None else Path("sweeps"), prefix=SWEEP_PREFIX)
    return SweepPlan(
        config=checked.config, space=parsed, overrides=overrides, trials=trials, concurrent=concurrent, scheduler=scheduler,
        metric=metric, output_path=output_path.expanduser().resolve(), address=address, gpu_id=int(gpu_id), seed=seed,
        max_steps=int(values.max_steps or 0), eval_frequency=int(values.eval_frequency), score_names=score_names,
    )


def sweep(config: Any, space: SpaceSpec, *, progress: Optional[SweepProgress] = None, **options: Any) -> SweepResult:
    """Sweep `space` (`["training.dropout=uniform(0.05,0.3)", ...]` or {key: DIST}) over trainings of `config`.

    Options as `plan_sweep` (trials, concurrent, scheduler, metric, output, overrides, address, gpu_id, seed);
    `progress` (from `plan.progress()`) to watch it. Returns the SweepResult; Ctrl-C stops the sweep and
    returns what the trials reported so far."""
    plan = plan_sweep(config, space, **options)
    return run_sweep(plan, progress)


# ----- the driver ------------------------------------------------------------------------------
def run_sweep(plan: SweepPlan, progress: Optional[SweepProgress] = None) -> SweepResult:
    """Run a checked sweep on Ray Tune (started or joined with `ensure_ray(plan.address)`); Ctrl-C stops it and the
    result keeps what the trials reported so far."""
    progress = progress or plan.progress()
    started = time.monotonic()
    watch = _InterruptWatch()
    try:
        _fit(plan, progress, watch)
    except KeyboardInterrupt:  # before Tune's own Ctrl-C handling was in place
        watch.interrupted = True
    except Exception as err:
        text = str(err).strip()
        progress.finish(SWEEP_FAILED, text.splitlines()[0] if text else type(err).__name__)
        raise
    if watch.interrupted:  # first: the trials still running are marked interrupted
        progress.finish(SWEEP_INTERRUPTED, "stopped; the result keeps the evaluations reported so far")
    else:
        progress.finish(SWEEP_FINISHED)
    result = sweep_result(plan, progress, interrupted=watch.interrupted, seconds=time.monotonic() - started)
    _write_result(result, plan.output_path / "sweep.json")
    return result


def _fit(plan: SweepPlan, progress: SweepProgress, watch: "_InterruptWatch") -> None:
    from .ray_session import ensure_ray
    from .registrations import pack_registrations

    ensure_ray(plan.address)
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
    from ray.tune.search import BasicVariantGenerator

    plan.output_path.mkdir(parents=True, exist_ok=True)
    spec = TrialSpec(
        config=plan.config, overrides=plan.overrides, output_path=str(plan.output_path), cwd=os.getcwd(),
        registrations=pack_registrations(), use_gpu=0 if plan.gpu_id >= 0 else -1, metric=plan.metric,
    )
    trainable = make_trainable(spec)
    if plan.gpu_id >= 0:  # one GPU per trial; Ray makes it the trial's GPU 0
        trainable = tune.with_resources(trainable, {"cpu": 1, "gpu": 1})
    scheduler = ASHAScheduler(**asha_settings(plan)) if plan.scheduler == "asha" else FIFOScheduler()
    callback = _progress_callback(progress, plan, watch)

    def name(trial: Any) -> str:
        return trial_name(trial.trial_id)

    with watch, _quiet_tune():
        tuner = tune.Tuner(
            trainable,
            param_space={key: dist.to_tune() for key, dist in plan.space.items()},
            tune_config=tune.TuneConfig(
                metric=plan.metric, mode="max", scheduler=scheduler, num_samples=plan.trials, max_concurrent_trials=plan.concurrent,
                search_alg=BasicVariantGenerator(random_state=plan.seed), trial_name_creator=name, trial_dirname_creator=name,
            ),
            run_config=tune.RunConfig(
                name=time.strftime("sweep-%Y%m%d-%H%M%S-") + os.urandom(3).hex(), storage_path=str(plan.output_path / "tune"), verbose=0,
                callbacks=[callback], failure_config=tune.FailureConfig(max_failures=0), progress_reporter=_silent_reporter(),
            ),
        )
        tuner.fit()


def asha_settings(plan: SweepPlan) -> dict[str, Any]:
    """ASHA on the training step: the first rung after a quarter of max_steps (at least one evaluation)."""
    every = max(1, plan.eval_frequency)
    if plan.max_steps:
        grace = max(every, (plan.max_steps // 4) // every * every)
        return dict(time_attr="step", max_t=plan.max_steps, grace_period=min(grace, plan.max_steps),
                    reduction_factor=ASHA_REDUCTION_FACTOR)
    return dict(time_attr="training_iteration", max_t=10**6, grace_period=2, reduction_factor=ASHA_REDUCTION_FACTOR)


def sweep_result(plan: SweepPlan, progress: SweepProgress, *, interrupted: bool, seconds: float) -> SweepResult:
    trials = list(progress.trials.values())
    best = best_trial(trials, plan.metric)
    best_overrides = {**plan.overrides, **best.params} if best is not None else {}
    return SweepResult(
        trials=trials, best=best, best_overrides=best_overrides,
        best_lines=[override_line(key, value) for key, value in best_overrides.items()],
        best_config=apply_overrides(plan.config, best.params) if best is not None else None,
        metric=plan.metric, output_path=plan.output_path, interrupted=interrupted, seconds=seconds,
    )


def _write_result(result: SweepResult, path: Path) -> None:
    import json

    from ..corpus.atomic import atomic_write

    with contextlib.suppress(OSError):
        with atomic_write(path, "w", encoding="utf8") as f:  # json, not srsly: srsly rounds floats to 9 digits
            f.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")


def _progress_callback(progress: SweepProgress, plan: SweepPlan, watch: "_InterruptWatch") -> Any:
    """A `tune.Callback` feeding `progress` from the driver's loop (Tune pickles its run config: the callback
    pickles as an inert copy)."""
    from ray import tune

    class ProgressCallback(tune.Callback):
        def __init__(self) -> None:
            self.progress: Optional[SweepProgress] = progress

        def __getstate__(self) -> dict[str, Any]:
            return {"progress": None}

        def _seen(self, trial: Any) -> None:
            if self.progress is not None:
                name = trial_name(trial.trial_id)
                self.progress.trial_seen(trial.trial_id, name, trial.config, plan.output_path / name)

        def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
            watch.arm()  # Tune's SIGINT handler is in place by now
            for trial in trials:
                self._seen(trial)

        def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            if self.progress is not None:
                name = trial_name(trial.trial_id)
                self.progress.trial_started(trial.trial_id, name, trial.config, plan.output_path / name)

        def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
            if self.progress is not None:
                self._seen(trial)
                self.progress.trial_reported(trial.trial_id, result)

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            if self.progress is not None:
                self.progress.trial_ended(trial.trial_id)

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            if self.progress is not None:
                self._seen(trial)
                self.progress.trial_ended(trial.trial_id, ERROR, trial_error_text(trial))

    return ProgressCallback()


def _silent_reporter() -> Any:
    """A Tune progress reporter that shows nothing: Tune's own would print tables (a terminal) or display an HTML
    output of its own (a notebook) even at verbose 0."""
    from ray import tune

    class SilentReporter(tune.ProgressReporter):
        def should_report(self, trials: list, done: bool = False) -> bool:
            return False

        def report(self, trials: list, done: bool, *sys_info: Any) -> None:
            pass

    return SilentReporter()


class _InterruptWatch:
    """Notes a Ctrl-C (SIGINT) during `Tuner.fit` and lets Tune stop the sweep its own way (stop the trials' actors,
    save its state); a second Ctrl-C while it stops is ignored, as in training. The SIGINT handler in place before
    the sweep is put back afterwards (Tune leaves its own installed)."""

    def __init__(self) -> None:
        self.interrupted = False
        self._saved: Any = None
        self._armed = False
        self._tune_handler: Any = None

    def __enter__(self) -> "_InterruptWatch":
        if threading.current_thread() is threading.main_thread():
            self._saved = signal.getsignal(signal.SIGINT)
        return self

    def arm(self) -> None:
        if self._armed or self._saved is None or threading.current_thread() is not threading.main_thread():
            return
        self._armed = True
        self._tune_handler = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.interrupted:
            return
        self.interrupted = True
        handler = self._tune_handler
        if callable(handler) and handler is not self._saved:
            handler(signum, frame)  # sets Tune's "stop" event (and puts back the handler Tune found)
            signal.signal(signal.SIGINT, self._handle)
        else:
            raise KeyboardInterrupt

    def __exit__(self, *exc: Any) -> None:
        if self._saved is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signal.SIGINT, self._saved)


@contextlib.contextmanager
def _quiet_tune() -> Iterator[None]:
    """Tune's console output off while it runs: its log lines (interrupt notices, "Trials did not complete", restore
    hints) and its reporters (the new output engine prints the experiment's settings and each trial's error even
    at verbose 0; the legacy one, chosen here, prints nothing at 0). The views show the trials themselves."""
    loggers = [logging.getLogger(name) for name in TUNE_LOGGERS]
    levels = [lg.level for lg in loggers]
    engine = os.environ.get("RAY_AIR_NEW_OUTPUT")
    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
        if engine is None:
            os.environ.pop("RAY_AIR_NEW_OUTPUT", None)
        else:
            os.environ["RAY_AIR_NEW_OUTPUT"] = engine
