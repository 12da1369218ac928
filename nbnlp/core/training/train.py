"""`train` / `iter_training`: from a config to a trained pipeline saved as model-best and model-last.

`iter_training` does all the checking and setup up front (so a bad config fails at once, with every
problem listed), then hands out the loop's StepInfos while it saves model-best on each new best
score. However the run ends (finished, Ctrl-C, or the consumer closing it), model-last is saved
and `run.result` holds the best pipeline; `train` is the same run driven by a logger.
"""
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator, Mapping, Optional, Union

from ..distributed.ray_session import WorkerLost
from ..language import Language
from ..scores.display import format_score
from ..util import SteppedRun
from .checkpoint import CheckpointError, checkpoint_path, write_checkpoint
from .loop import StepInfo, TrainingLoop, averaged_params
from .run_record import FAILED, FINISHED, INTERRUPTED, RunRecorder
from .runs import RunOutput, check_output, clear_run, discard_new_run, run_number
from .run_state import global_random_states, optimizer_state
from .setup import ConfigSource, TrainingSetup, data_parallel_updater, prepare_training
from .signals import StopSignals

STOPPED = "stopped"  # the stop reason of a run ended by `request_stop` (the notebook's Stop button)


@dataclass
class TrainResult:
    """How a run ended. `nlp` holds the best weights seen (the last ones if it never evaluated)."""

    nlp: Language
    best_score: Optional[float]
    best_step: Optional[int]
    final_scores: Optional[dict[str, Any]]
    history: list[StepInfo]
    output_path: Optional[Path]
    model_best: Optional[Path]
    model_last: Optional[Path]
    interrupted: bool
    steps: int = 0
    stop_reason: Optional[str] = None
    stopped_by: Optional[str] = None  # "SIGINT" or "SIGTERM" when a signal stopped the run
    resumed_from: Optional[int] = None  # the checkpoint's step when the run continued an earlier one
    checkpoint: Optional[Path] = None

    def __repr__(self) -> str:  # the history and pipeline are too big to print; say how the run went
        best = "no evaluation" if self.best_score is None else f"best score {format_score('score', self.best_score)} at step {self.best_step}"
        ended = "interrupted" if self.interrupted else (self.stop_reason or "finished")
        where = f", saved to {self.output_path}" if self.output_path else ""
        return f"<TrainResult {best}, {self.steps} steps, {len(self.history)} evaluations, {ended}{where}>"


class TrainingRun(SteppedRun[StepInfo]):
    """An iterator of StepInfos that saves as it goes; `result` is set once it has ended.

    With an output folder it keeps model-best at each new best score, and model-last plus
    `checkpoint/` every `checkpoint_frequency` steps (default: each evaluation) and when the run
    ends. Stop early with `close()`; Ctrl-C or SIGTERM during the run stops it the same way (the
    current update is finished first) and the KeyboardInterrupt then reaches the consumer, with
    `result.interrupted` set. Resumed from a checkpoint, `history` starts with the earlier evaluations.
    """

    def __init__(self, setup: TrainingSetup, output_path: Optional[Path]) -> None:
        self.setup = setup
        self.nlp = setup.nlp
        self.settings = setup.settings
        self.optimizer = setup.optimizer
        self.logger = setup.logger
        self.device = setup.device
        self.output_path = output_path
        self.signals = StopSignals()
        self.result: Optional[TrainResult] = None
        saved = setup.checkpoint
        self.resumed_from: Optional[int] = saved.loop.step if saved is not None else None
        self.history: list[StepInfo] = list(saved.history) if saved is not None else []
        self._best_weights: dict[str, bytes] = dict(saved.best_weights) if saved is not None else {}
        self._best_info: Optional[StepInfo] = None
        if saved is not None and saved.loop.best_step is not None:
            self._best_info = next((h for h in self.history if h.step == saved.loop.best_step), None)
        self.updater = data_parallel_updater(setup) if setup.workers > 1 else None
        self.loop = TrainingLoop(
            self.nlp, self.settings, self.optimizer, setup.train_corpus, setup.dev_corpus,
            state=saved.loop if saved is not None else None,
            random_states=saved.random_states if saved is not None else None,
            signals=self.signals,
            updater=self.updater,
        )
        self.last: Optional[StepInfo] = None
        if saved is not None and saved.loop.step:
            self.last = self.history[-1] if self.history and self.history[-1].step == saved.loop.step else self.loop.step_info(saved.loop.last_in_epoch)
        frequency = self.settings.values.checkpoint_frequency
        self._checkpoint_every = frequency or self.settings.values.eval_frequency
        self._stop_requested = False
        self.record: Optional[RunRecorder] = None  # OUTPUT/run.json, written once the run starts
        super().__init__()

    def request_stop(self) -> None:
        """End the run after the step under way, as a finished run does (both models and the checkpoint saved);
        safe to call from a widget callback while the loop runs. `--resume` continues it later."""
        self._stop_requested = True

    @property
    def model_best(self) -> Optional[Path]:
        return self.output_path / "model-best" if self.output_path else None

    @property
    def model_last(self) -> Optional[Path]:
        return self.output_path / "model-last" if self.output_path else None

    @property
    def checkpoint(self) -> Optional[Path]:
        return checkpoint_path(self.output_path)

    def _run(self) -> Iterator[StepInfo]:
        outcome, error = "error", ""
        self.signals.install()
        try:
            if self.resumed_from is None and self.checkpoint is not None and self.checkpoint.exists():
                shutil.rmtree(self.checkpoint)  # an earlier run's: it must not be resumed into this one's models
            if self.output_path is not None:
                self.record = RunRecorder(self.output_path, config_text=self.setup.config_text, resumed_from=self.resumed_from)
                self.record.update(self.last, self.history)
            for info in self.loop:
                self.last = info
                if info.is_evaluation:
                    self.history.append(info)
                    if info.is_best:
                        with self.signals.protected():
                            self._keep_best(info)
                if self.output_path is not None and info.step % self._checkpoint_every == 0 and not info.stop_reason:
                    with self.signals.protected():
                        self._save_last(info)
                        self._write_checkpoint()
                if self.record is not None and (info.is_evaluation or info.step % self._checkpoint_every == 0):
                    self.record.update(info, self.history)
                yield info
                if self._stop_requested and not info.stop_reason:
                    info.stop_reason = STOPPED
                    break
            outcome = "completed"
        except (KeyboardInterrupt, GeneratorExit, WorkerLost):
            outcome = "interrupted"  # a lost worker stops the run like an interrupt: what was trained is saved
            raise
        except Exception as err:
            error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            raise
        finally:
            self.signals.stopping = True
            try:
                if outcome != "error":
                    self._finish(interrupted=outcome == "interrupted")
                elif self.record is not None:
                    self.record.update(self.last, self.history, status=FAILED, error=error)
            finally:
                self.signals.uninstall()
                if self.updater is not None:
                    self.updater.close()

    def _keep_best(self, info: StepInfo) -> None:
        """Remember the best weights in memory and save them as model-best."""
        with averaged_params(self.nlp, self.optimizer):
            self._best_weights = {name: c.model.to_bytes() for name, c in self.nlp.pipeline if getattr(c, "model", None) is not None}
            self._best_info = info
            if self.model_best is not None:
                self._save(self.model_best, info, info.scores)

    def _sync(self) -> bool:
        """Bring this pipeline up to date with the data-parallel workers; False if they are lost (nothing to save)."""
        if self.updater is None:
            return True
        if self.updater.lost:
            return False
        try:
            self.updater.sync()
        except WorkerLost:
            return False
        return True

    def _save_last(self, info: StepInfo) -> None:
        if self.model_last is not None and self._sync():
            with averaged_params(self.nlp, self.optimizer):
                self._save(self.model_last, info, self.history[-1].scores if self.history else None)

    def _write_checkpoint(self) -> None:
        """OUTPUT/checkpoint with the live weights and everything else a resume needs."""
        if self.checkpoint is None or self.loop.state.step == 0 or not self._sync():
            return
        self._set_meta(self.last, self.history[-1].scores if self.history else None)
        write_checkpoint(
            self.checkpoint, self.nlp,
            loop=self.loop.state,
            random_states=self._random_states(),
            optimizer=optimizer_state(self.optimizer, self.nlp, self.loop.state.step),
            best_weights=self._best_weights,
            history=self.history,
            fingerprint=self.setup.fingerprint,
            seed=self.setup.seed,
        )

    def _random_states(self) -> dict[str, Any]:
        states = global_random_states()
        if self.updater is not None and self.updater.workers:
            try:
                states["workers"] = self.updater.random_states()
            except WorkerLost:
                pass  # resuming then draws new dropout masks in the workers; weights so far are saved
        return states

    def _finish(self, interrupted: bool) -> None:
        state = self.loop.state
        if state.step and (self.last is None or self.last.step != state.step):  # stopped between an update and its yield
            self.last = self.loop.step_info(state.last_in_epoch)
        last = self.last
        final_scores = self.history[-1].scores if self.history else None
        if last is not None:
            self._save_last(last)
            self._write_checkpoint()  # before the best weights are put back below
        if self._best_weights:  # hand back the best pipeline, not the last
            for name, component in self.nlp.pipeline:
                if name in self._best_weights:
                    component.model.from_bytes(self._best_weights[name])
            best = self._best_info
            self._set_meta(best, best.scores if best else None)
        best_info = self._best_info
        self.result = TrainResult(
            nlp=self.nlp,
            best_score=best_info.score if best_info else None,
            best_step=best_info.step if best_info else None,
            final_scores=final_scores,
            history=list(self.history),
            output_path=self.output_path,
            model_best=self.model_best if best_info is not None and self.model_best is not None else None,
            model_last=self.model_last if last is not None and self.model_last is not None else None,
            interrupted=interrupted,
            steps=last.step if last else 0,
            stop_reason=None if interrupted or last is None else last.stop_reason,
            stopped_by=self.signals.stopped_by if interrupted else None,
            resumed_from=self.resumed_from,
            checkpoint=self.checkpoint if self.checkpoint is not None and self.checkpoint.exists() else None,
        )
        if self.record is not None:
            stop = self.result.stop_reason
            self.record.update(last, self.history, status=INTERRUPTED if interrupted else STOPPED if stop == STOPPED else FINISHED)

    def _set_meta(self, info: Optional[StepInfo], scores: Optional[dict[str, Any]]) -> None:
        meta = self.nlp.meta
        meta["seed"] = self.setup.seed
        meta["performance"] = dict(scores or {})
        if info is not None:
            meta["training"] = {
                "steps": info.step,
                "epochs": info.epoch + 1,
                "seconds": round(info.seconds, 3),
                "words": info.words,
                "best_step": info.best_step,
                "best_score": info.best_score,
            }
            if self.resumed_from is not None:
                meta["training"]["resumed_from"] = self.resumed_from

    def _save(self, path: Path, info: StepInfo, scores: Optional[dict[str, Any]]) -> None:
        """Save the pipeline atomically with meta for `info` (call inside `averaged_params`)."""
        self._set_meta(info, scores)
        nlp = self.nlp
        if self.setup.before_to_disk is not None:
            nlp = self.setup.before_to_disk(nlp) or nlp
        nlp.to_disk(path)


# ----- entry points ---------------------------------------------------------------------------
def iter_training(
    config: ConfigSource,
    output_path: Optional[Union[str, Path]] = None,
    *,
    overrides: Optional[Mapping[str, Any]] = None,
    use_gpu: Optional[int] = None,
    resume: bool = False,
    overwrite: bool = False,
    workers: int = 1,
    address: Optional[str] = None,
    base_model: Optional[Union[str, Path]] = None,
) -> TrainingRun:
    """Check the config, build and initialise the pipeline, and return the run (an iterator of StepInfos).

    `use_gpu` picks the device (-1 = CPU; None = `[system] gpu_id`, CPU when unset). Raises one
    ConfigError listing every problem found in the config. `resume` continues the run saved in
    `output_path/checkpoint` exactly where it stopped (the config may change only settings that
    steer the run, such as max_steps, eval_frequency, patience and the logger); a folder holding a run is
    refused unless it is resumed or `overwrite` replaces it (once the new run is set up). `workers` > 1 trains
    data-parallel on that many Ray actors (a local Ray, or the cluster at `address`: "auto" or
    "ray://host:port"); the steps, checkpoints and results are those of one process. `base_model` continues a saved
    pipeline: each component of the config that it has starts from its weights and labels (new labels are added).
    """
    if workers < 1:
        raise ValueError(f"--workers must be 1 or more, got {workers}")
    output = Path(output_path) if output_path is not None else None
    resume_from: Optional[Path] = None
    if resume:
        if output is None:
            raise CheckpointError("resuming needs the output folder of the run to continue (--output)")
        resume_from = checkpoint_path(output)
    if output is not None:
        check_output(output, resume=resume, overwrite=overwrite)
    try:
        setup = prepare_training(config, overrides=overrides, use_gpu=use_gpu, resume_from=resume_from, base_model=base_model)
    except BaseException:
        if output is not None and not resume and run_number(output.name) is not None:
            discard_new_run(RunOutput(output, new=True))  # the empty run-N made for it: numbers stay without gaps
        raise
    if overwrite and output is not None and not resume:
        clear_run(output)  # only now: a config error above leaves the earlier run as it was
    setup.workers, setup.address = workers, address
    return TrainingRun(setup, output)


def train(
    config: ConfigSource,
    output_path: Optional[Union[str, Path]] = None,
    *,
    overrides: Optional[Mapping[str, Any]] = None,
    use_gpu: Optional[int] = None,
    resume: bool = False,
    overwrite: bool = False,
    workers: int = 1,
    address: Optional[str] = None,
    stdout: IO = sys.stdout,
    stderr: IO = sys.stderr,
    base_model: Optional[Union[str, Path]] = None,
) -> TrainResult:
    """Train with the `[training.logger]` reporting progress; Ctrl-C or SIGTERM stops cleanly and returns the result."""
    run = iter_training(config, output_path, overrides=overrides, use_gpu=use_gpu, resume=resume, overwrite=overwrite,
                        workers=workers, address=address, base_model=base_model)
    if run.resumed_from is not None:
        state = run.loop.state
        best = f", best score {format_score('score', state.best_score)} at step {state.best_step}" if state.best_step else ""
        stdout.write(f"Resuming {run.checkpoint} at step {state.step} (epoch {state.epoch}{best})\n")
    for line in run.setup.substitutions:
        stdout.write(line + "\n")
    log_step, finalize = run.logger(run.nlp, stdout, stderr)
    try:
        for info in run:
            log_step(info)
    except KeyboardInterrupt:
        run.close()  # no-op if the interrupt came from inside the loop, which saved already
        by = run.result.stopped_by if run.result is not None else None
        stderr.write(f"Training {'stopped by SIGTERM' if by == 'SIGTERM' else 'interrupted'}: stopped cleanly" + ("; continue with --resume" if run.checkpoint is not None else "") + ".\n")
    finally:
        finalize()
    result = run.result
    assert result is not None
    if result.model_last is not None:
        stdout.write(f"Saved pipeline to {result.model_last}" + (f" (best: {result.model_best})" if result.model_best else "") + "\n")
    return result


