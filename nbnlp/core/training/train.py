"""`train` / `iter_training`: from a config to a trained pipeline saved as model-best and model-last.

`iter_training` does all the checking and setup up front (so a bad config fails at once, with every
problem listed), then hands out the loop's StepInfos while it saves model-best on each new best
score. However the run ends (finished, Ctrl-C, or the consumer closing it), model-last is saved
and `run.result` holds the best pipeline; `train` is the same run driven by a logger.
"""
import sys
from dataclasses import dataclass
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
from .loop import StepInfo, TrainingSettings, averaged_params, resolve_score_weights, train_steps
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


class TrainingRun(SteppedRun[StepInfo]):
    """An iterator of StepInfos that checkpoints as it goes; `result` is set once it has ended.

    Stop early with `close()` (model-last is saved then); a KeyboardInterrupt raised inside the
    loop saves model-last too and then reaches the consumer, with `result.interrupted` set.
    """

    def __init__(self, setup: _Setup, output_path: Optional[Path]) -> None:
        self.setup = setup
        self.nlp = setup.nlp
        self.settings = setup.settings
        self.optimizer = setup.optimizer
        self.logger = setup.logger
        self.device = setup.device
        self.output_path = output_path
        self.history: list[StepInfo] = []
        self.result: Optional[TrainResult] = None
        self._last: Optional[StepInfo] = None
        self._best_weights: dict[str, bytes] = {}
        self._best_info: Optional[StepInfo] = None
        super().__init__()

    @property
    def model_best(self) -> Optional[Path]:
        return self.output_path / "model-best" if self.output_path else None

    @property
    def model_last(self) -> Optional[Path]:
        return self.output_path / "model-last" if self.output_path else None

    def _run(self) -> Iterator[StepInfo]:
        setup = self.setup
        outcome = "error"
        try:
            for info in train_steps(self.nlp, self.settings, self.optimizer, setup.train_corpus, setup.dev_corpus):
                self._last = info
                if info.is_evaluation:
                    self.history.append(info)
                    if info.is_best:
                        self._keep_best(info)
                yield info
            outcome = "completed"
        except (KeyboardInterrupt, GeneratorExit):
            outcome = "interrupted"
            raise
        finally:
            if outcome != "error":
                self._finish(interrupted=outcome == "interrupted")

    def _keep_best(self, info: StepInfo) -> None:
        """Remember the best weights in memory and save them as model-best."""
        with averaged_params(self.nlp, self.optimizer):
            self._best_weights = {name: c.model.to_bytes() for name, c in self.nlp.pipeline if getattr(c, "model", None) is not None}
            self._best_info = info
            if self.model_best is not None:
                self._save(self.model_best, info, info.scores)

    def _finish(self, interrupted: bool) -> None:
        last = self._last
        final_scores = self.history[-1].scores if self.history else None
        if self.model_last is not None and last is not None:
            with averaged_params(self.nlp, self.optimizer):
                self._save(self.model_last, last, final_scores)
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
) -> TrainingRun:
    """Check the config, build and initialise the pipeline, and return the run (an iterator of StepInfos).

    `use_gpu` picks the device (-1 = CPU; None = `[system] gpu_id`, CPU when unset). Raises one
    ConfigError listing every problem found in the config.
    """
    setup = prepare_training(config, overrides=overrides, use_gpu=use_gpu)
    return TrainingRun(setup, Path(output_path) if output_path is not None else None)


def train(
    config: ConfigSource,
    output_path: Optional[Union[str, Path]] = None,
    *,
    overrides: Optional[Mapping[str, Any]] = None,
    use_gpu: Optional[int] = None,
    stdout: IO = sys.stdout,
    stderr: IO = sys.stderr,
) -> TrainResult:
    """Train with the `[training.logger]` reporting progress; Ctrl-C stops cleanly and returns the result."""
    run = iter_training(config, output_path, overrides=overrides, use_gpu=use_gpu)
    log_step, finalize = run.logger(run.nlp, stdout, stderr)
    try:
        for info in run:
            log_step(info)
    except KeyboardInterrupt:
        run.close()  # no-op if the interrupt came from inside the loop, which saved already
        stderr.write("Training interrupted: stopped cleanly.\n")
    finally:
        finalize()
    result = run.result
    assert result is not None
    if result.model_last is not None:
        stdout.write(f"Saved pipeline to {result.model_last}" + (f" (best: {result.model_best})" if result.model_best else "") + "\n")
    return result


# ----- setup ------------------------------------------------------------------------------------
def prepare_training(config: ConfigSource, *, overrides: Optional[Mapping[str, Any]] = None, use_gpu: Optional[int] = None) -> _Setup:
    """Load and check the config, pick the device, build and initialise the pipeline."""
    raw = load_config(config, overrides, interpolate=False)
    cfg = load_config(raw)
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
    if problems or nlp is None:
        raise ConfigError(problems)

    settings = TrainingSettings(
        values, seed=seed, score_weights=resolve_score_weights(nlp, values.score_weights),
        batcher=blocks["batcher"], before_update=blocks["before_update"],
    )
    optimizer = nlp.initialize(lambda: train_corpus(nlp), sgd=blocks["optimizer"])
    check_score_weights(nlp, dev_corpus, settings.score_weights, given=bool(values.score_weights))
    return _Setup(nlp, settings, optimizer, train_corpus, dev_corpus, blocks["logger"], blocks["before_to_disk"], seed, device)
