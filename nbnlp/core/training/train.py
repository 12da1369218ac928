"""`train` / `iter_training`: from a config to a trained pipeline saved as model-best and model-last.

`iter_training` does all the checking and setup up front (so a bad config fails at once, with every
problem listed), then hands out the loop's StepInfos while it saves model-best on each new best
score. However the run ends (finished, Ctrl-C, or the consumer closing it), model-last is saved
and `run.result` holds the best pipeline; `train` is the same run driven by a logger.
"""
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Mapping, Optional, Union

from thinc.api import Config, Optimizer, fix_random_seed

from ...gpu.device import select_device
from ..config import ConfigError, ConfigProblem, is_int, load_config
from ..language import Language
from ..scores.display import format_score
from ..util import SteppedRun
from .blocks import resolve_blocks, resolve_corpus
from .loggers import Logger
from .checkpoint import Checkpoint, CheckpointError, checkpoint_path, read_checkpoint, write_checkpoint
from .fingerprint import config_fingerprint, fingerprint_problems
from .loop import StepInfo, TrainingLoop, TrainingSettings, averaged_params, resolve_score_weights
from .run_state import LoopState, global_random_states, optimizer_state, restore_optimizer
from .signals import StopSignals
from .validate import check_initialize, check_score_weights, check_training

ConfigSource = Union[str, Path, Config, Mapping[str, Any]]


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


@dataclass
class _Setup:
    """Everything resolved from the config, ready to train."""

    nlp: Language
    settings: TrainingSettings
    optimizer: Optimizer
    train_corpus: Callable[[Language], Any]
    dev_corpus: Callable[[Language], Any]
    logger: Logger
    before_to_disk: Optional[Callable[[Language], Language]]
    seed: int
    device: str
    fingerprint: dict[str, Any] = field(default_factory=dict)
    checkpoint: Optional[Checkpoint] = None  # set when resuming


class TrainingRun(SteppedRun[StepInfo]):
    """An iterator of StepInfos that saves as it goes; `result` is set once it has ended.

    With an output folder it keeps model-best at each new best score, and model-last plus
    `checkpoint/` every `checkpoint_frequency` steps (default: each evaluation) and when the run
    ends. Stop early with `close()`; Ctrl-C or SIGTERM during the run stops it the same way (the
    current update is finished first) and the KeyboardInterrupt then reaches the consumer, with
    `result.interrupted` set. Resumed from a checkpoint, `history` starts with the earlier evaluations.
    """

    def __init__(self, setup: _Setup, output_path: Optional[Path]) -> None:
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
        self.loop = TrainingLoop(
            self.nlp, self.settings, self.optimizer, setup.train_corpus, setup.dev_corpus,
            state=saved.loop if saved is not None else None,
            random_states=saved.random_states if saved is not None else None,
            signals=self.signals,
        )
        self.last: Optional[StepInfo] = None
        if saved is not None and saved.loop.step:
            self.last = self.history[-1] if self.history and self.history[-1].step == saved.loop.step else self.loop.step_info(saved.loop.last_in_epoch)
        frequency = self.settings.values.checkpoint_frequency
        self._checkpoint_every = frequency or self.settings.values.eval_frequency
        super().__init__()

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
        outcome = "error"
        self.signals.install()
        try:
            if self.resumed_from is None and self.checkpoint is not None and self.checkpoint.exists():
                shutil.rmtree(self.checkpoint)  # an earlier run's: it must not be resumed into this one's models
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
                yield info
            outcome = "completed"
        except (KeyboardInterrupt, GeneratorExit):
            outcome = "interrupted"
            raise
        finally:
            self.signals.stopping = True
            try:
                if outcome != "error":
                    self._finish(interrupted=outcome == "interrupted")
            finally:
                self.signals.uninstall()

    def _keep_best(self, info: StepInfo) -> None:
        """Remember the best weights in memory and save them as model-best."""
        with averaged_params(self.nlp, self.optimizer):
            self._best_weights = {name: c.model.to_bytes() for name, c in self.nlp.pipeline if getattr(c, "model", None) is not None}
            self._best_info = info
            if self.model_best is not None:
                self._save(self.model_best, info, info.scores)

    def _save_last(self, info: StepInfo) -> None:
        if self.model_last is not None:
            with averaged_params(self.nlp, self.optimizer):
                self._save(self.model_last, info, self.history[-1].scores if self.history else None)

    def _write_checkpoint(self) -> None:
        """OUTPUT/checkpoint with the live weights and everything else a resume needs."""
        if self.checkpoint is None or self.loop.state.step == 0:
            return
        self._set_meta(self.last, self.history[-1].scores if self.history else None)
        write_checkpoint(
            self.checkpoint, self.nlp,
            loop=self.loop.state,
            random_states=global_random_states(),
            optimizer=optimizer_state(self.optimizer, self.nlp, self.loop.state.step),
            best_weights=self._best_weights,
            history=self.history,
            fingerprint=self.setup.fingerprint,
            seed=self.setup.seed,
        )

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
) -> TrainingRun:
    """Check the config, build and initialise the pipeline, and return the run (an iterator of StepInfos).

    `use_gpu` picks the device (-1 = CPU; None = `[system] gpu_id`, CPU when unset). Raises one
    ConfigError listing every problem found in the config. `resume` continues the run saved in
    `output_path/checkpoint` exactly where it stopped (the config may change only settings that
    steer the run, such as max_steps, eval_frequency, patience and the logger).
    """
    output = Path(output_path) if output_path is not None else None
    resume_from: Optional[Path] = None
    if resume:
        if output is None:
            raise CheckpointError("resuming needs the output folder of the run to continue (--output)")
        resume_from = checkpoint_path(output)
    setup = prepare_training(config, overrides=overrides, use_gpu=use_gpu, resume_from=resume_from)
    return TrainingRun(setup, output)


def train(
    config: ConfigSource,
    output_path: Optional[Union[str, Path]] = None,
    *,
    overrides: Optional[Mapping[str, Any]] = None,
    use_gpu: Optional[int] = None,
    resume: bool = False,
    stdout: IO = sys.stdout,
    stderr: IO = sys.stderr,
) -> TrainResult:
    """Train with the `[training.logger]` reporting progress; Ctrl-C or SIGTERM stops cleanly and returns the result."""
    run = iter_training(config, output_path, overrides=overrides, use_gpu=use_gpu, resume=resume)
    if run.resumed_from is not None:
        state = run.loop.state
        best = f", best score {format_score('score', state.best_score)} at step {state.best_step}" if state.best_step else ""
        stdout.write(f"Resuming {run.checkpoint} at step {state.step} (epoch {state.epoch}{best})\n")
    log_step, finalize = run.logger(run.nlp, stdout, stderr)
    try:
        for info in run:
            log_step(info)
    except KeyboardInterrupt:
        run.close()  # no-op if the interrupt came from inside the loop, which saved already
        by = run.result.stopped_by if run.result is not None else None
        stderr.write(f"Training {'stopped by SIGTERM' if by == 'SIGTERM' else 'interrupted'}: stopped cleanly" + (f"; continue with --resume" if run.checkpoint is not None else "") + ".\n")
    finally:
        finalize()
    result = run.result
    assert result is not None
    if result.model_last is not None:
        stdout.write(f"Saved pipeline to {result.model_last}" + (f" (best: {result.model_best})" if result.model_best else "") + "\n")
    return result


# ----- setup ------------------------------------------------------------------------------------
def prepare_training(
    config: ConfigSource, *, overrides: Optional[Mapping[str, Any]] = None, use_gpu: Optional[int] = None,
    resume_from: Optional[Path] = None,
) -> _Setup:
    """Load and check the config, pick the device, build and initialise the pipeline (from the checkpoint when resuming)."""
    saved = read_checkpoint(resume_from) if resume_from is not None else None  # a missing checkpoint fails first
    raw = load_config(config, overrides, interpolate=False)
    cfg = load_config(raw)
    fingerprint = config_fingerprint(cfg)
    system = cfg.get("system", {}) or {}
    problems: list[ConfigProblem] = []
    values = check_training(cfg, problems)
    seed = values.seed if values.seed is not None else system.get("seed", 0)
    seed = seed if is_int(seed) else 0  # a bad [system] seed trains with 0
    fix_random_seed(seed)
    gpu_id = use_gpu if use_gpu is not None else system.get("gpu_id", -1)
    device = select_device(-1 if gpu_id is None else int(gpu_id), system.get("gpu_allocator") or values.gpu_allocator)

    nlp: Optional[Language] = None
    try:
        nlp = Language.from_config(cfg)
    except ConfigError as err:
        problems.extend(err.problems)
    blocks = resolve_blocks(values, problems)
    train_corpus = resolve_corpus(cfg, raw, values.train_corpus, problems)
    dev_corpus = resolve_corpus(cfg, raw, values.dev_corpus, problems)
    check_initialize(cfg, problems)
    if saved is not None and not problems:
        problems.extend(fingerprint_problems(saved.fingerprint, fingerprint))
    if problems or nlp is None:
        raise ConfigError(problems)
    if saved is not None:
        _check_not_finished(saved, values)

    settings = TrainingSettings(
        values, seed=seed, score_weights=resolve_score_weights(nlp, values.score_weights),
        batcher=blocks["batcher"], before_update=blocks["before_update"],
    )
    optimizer = nlp.initialize(lambda: train_corpus(nlp), sgd=blocks["optimizer"])
    check_score_weights(nlp, dev_corpus, settings.score_weights, given=bool(values.score_weights))
    if saved is not None:
        _load_checkpoint(nlp, optimizer, saved)
    return _Setup(
        nlp, settings, optimizer, train_corpus, dev_corpus, blocks["logger"], blocks["before_to_disk"], seed, device,
        fingerprint=fingerprint, checkpoint=saved,
    )


def _load_checkpoint(nlp: Language, optimizer: Optimizer, saved: Checkpoint) -> None:
    """The checkpoint's weights and learned state into the freshly initialised pipeline, its state into the optimizer."""
    for name, component in nlp.pipeline:
        folder = saved.pipeline_path / name
        if folder.is_dir():
            component.from_disk(folder)
    restore_optimizer(optimizer, nlp, saved.optimizer)


def _check_not_finished(saved: Checkpoint, values: Any) -> None:
    """Refuse to resume a run whose stop condition still holds under the new settings (it would stop at once)."""
    loop = saved.loop
    where = saved.path.parent
    if values.max_steps and loop.step >= values.max_steps:
        raise CheckpointError(
            f"{where}: the run already reached step {loop.step} (training.max_steps = {values.max_steps}); "
            "raise training.max_steps to continue it"
        )
    if loop.stop_reason == "patience" and values.patience and loop.best_step is not None and loop.step - loop.best_step >= values.patience:
        raise CheckpointError(
            f"{where}: the run stopped at step {loop.step}, {loop.step - loop.best_step} steps without a better score "
            f"(training.patience = {values.patience}); raise training.patience (or set 0) to continue it"
        )
    if values.max_epochs and loop.last_in_epoch and loop.epoch + 1 >= values.max_epochs:
        raise CheckpointError(
            f"{where}: the run already finished epoch {loop.epoch + 1} (training.max_epochs = {values.max_epochs}); "
            "raise training.max_epochs to continue it"
        )
