"""`train` / `iter_training`: from a config to a trained pipeline saved as model-best and model-last.

`iter_training` does all the checking and setup up front (so a bad config fails at once, with every
problem listed), then hands out the loop's StepInfos while it saves model-best on each new best
score. However the run ends (finished, Ctrl-C, or the consumer closing it), model-last is saved
and `run.result` holds the best pipeline; `train` is the same run driven by a logger.
"""
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Mapping, Optional, Union

import catalogue
from confection import ConfigValidationError
from thinc.api import Config, Optimizer, fix_random_seed

from ...gpu.device import select_device
from ..config import ConfigError, ConfigProblem, dotted_items, is_int, load_config, problems_from_validation
from ..language import Language
from ..registry import registered_names, registry
from ..util import SteppedRun
from ..vectors import has_vectors_dir
from .corpus import Corpus
from .loggers import Logger
from .loop import StepInfo, TrainingSettings, averaged_params, resolve_score_weights, train_steps

ConfigSource = Union[str, Path, Config, Mapping[str, Any]]

DEFAULT_BATCHER = {"@batchers": "nbnlp.batch_by_words.v1", "size": 1000, "tolerance": 0.2, "discard_oversize": False}
DEFAULT_OPTIMIZER = {"@optimizers": "Adam.v1", "learn_rate": 0.001}
DEFAULT_LOGGER = {"@loggers": "nbnlp.ConsoleLogger.v1", "progress_bar": False}
# [training] keys and the registry each block resolves from.
TRAINING_BLOCKS = {"batcher": "batchers", "optimizer": "optimizers", "logger": "loggers", "before_update": "callbacks", "before_to_disk": "callbacks"}
TRAINING_KEYS = {
    "seed", "dropout", "accumulate_gradient", "patience", "max_epochs", "max_steps", "eval_frequency",
    "frozen_components", "annotating_components", "dev_corpus", "train_corpus", "score_weights", "gpu_allocator",
    *TRAINING_BLOCKS,
}


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
        best = "no evaluation" if self.best_score is None else f"best score {self.best_score:.4f} at step {self.best_step}"
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


# ----- setup and validation ---------------------------------------------------------------------
def prepare_training(config: ConfigSource, *, overrides: Optional[Mapping[str, Any]] = None, use_gpu: Optional[int] = None) -> _Setup:
    """Load and check the config, pick the device, build and initialise the pipeline."""
    raw = load_config(config, overrides, interpolate=False)
    cfg = load_config(raw)
    system = cfg.get("system", {}) or {}
    training = dict(cfg.get("training", {}) or {})
    seed = training.get("seed")
    seed = system.get("seed", 0) if seed is None else seed
    seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else 0  # a bad seed is reported below
    fix_random_seed(seed)
    gpu_id = use_gpu if use_gpu is not None else system.get("gpu_id", -1)
    device = select_device(-1 if gpu_id is None else int(gpu_id), system.get("gpu_allocator") or training.get("gpu_allocator"))

    problems: list[ConfigProblem] = []
    nlp: Optional[Language] = None
    try:
        nlp = Language.from_config(cfg)
    except ConfigError as err:
        problems.extend(err.problems)
    pipe_names = list(cfg.get("nlp", {}).get("pipeline", []))
    values, blocks = _check_training(training, pipe_names, problems)
    train_corpus = resolve_corpus(cfg, raw, values["train_corpus"], problems)
    dev_corpus = resolve_corpus(cfg, raw, values["dev_corpus"], problems)
    _check_initialize(cfg, problems)
    if problems or nlp is None:
        raise ConfigError(problems)

    settings = TrainingSettings(
        seed=values["seed"] if values["seed"] is not None else seed,
        dropout=values["dropout"], accumulate_gradient=values["accumulate_gradient"], patience=values["patience"],
        max_epochs=values["max_epochs"], max_steps=values["max_steps"], eval_frequency=values["eval_frequency"],
        frozen_components=values["frozen_components"],
        score_weights=resolve_score_weights(nlp, values["score_weights"]),
        batcher=blocks["batcher"], before_update=blocks["before_update"],
    )
    optimizer = nlp.initialize(lambda: train_corpus(nlp), sgd=blocks["optimizer"])
    _check_score_weights(nlp, dev_corpus, settings.score_weights, given=bool(values["score_weights"]))
    return _Setup(nlp, settings, optimizer, train_corpus, dev_corpus, blocks["logger"], blocks["before_to_disk"], seed, device)


def _check_training(training: dict[str, Any], pipe_names: list[str], problems: list[ConfigProblem]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `[training]` scalar settings (defaults filled in) and resolved blocks; problems are appended."""
    for key in training:
        if key not in TRAINING_KEYS:
            close = difflib.get_close_matches(key, sorted(TRAINING_KEYS), n=1)
            hint = f"; did you mean 'training.{close[0]}'?" if close else ""
            problems.append(ConfigProblem(f"training.{key}", f"unknown setting{hint}", given=training[key]))
    defaults = TrainingSettings()
    v: dict[str, Any] = {}
    v["seed"] = _get(training, "seed", None, is_int, "an integer", problems, allow_none=True)
    v["dropout"] = _get(training, "dropout", defaults.dropout, lambda x: _is_number(x) and 0 <= x < 1, "a number from 0 to below 1", problems)
    v["accumulate_gradient"] = _get(training, "accumulate_gradient", 1, lambda x: is_int(x) and x >= 1, "an integer of 1 or more", problems)
    v["patience"] = _get(training, "patience", defaults.patience, lambda x: is_int(x) and x >= 0, "an integer of 0 (off) or more", problems)
    v["max_steps"] = _get(training, "max_steps", defaults.max_steps, lambda x: is_int(x) and x >= 0, "an integer of 0 (no limit) or more", problems)
    v["eval_frequency"] = _get(training, "eval_frequency", defaults.eval_frequency, lambda x: is_int(x) and x >= 1, "an integer of 1 or more", problems)
    if training.get("max_epochs") == -1:
        problems.append(ConfigProblem("training.max_epochs", "streaming the corpus (-1) is not supported", expected="0 (no limit) or a number of epochs", given=-1))
        v["max_epochs"] = 0
    else:
        v["max_epochs"] = _get(training, "max_epochs", 0, lambda x: is_int(x) and x >= 0, "an integer of 0 (no limit) or more", problems)
    frozen = _get(training, "frozen_components", [], lambda x: isinstance(x, list) and all(isinstance(n, str) for n in x), "a list of component names", problems)
    for name in frozen:
        if name not in pipe_names:
            problems.append(ConfigProblem("training.frozen_components", f"{name!r} is not in the pipeline", expected=" or ".join(pipe_names) or "a component in nlp.pipeline", given=name))
    v["frozen_components"] = list(frozen)
    annotating = training.get("annotating_components") or []
    if annotating:
        problems.append(ConfigProblem("training.annotating_components", "is not supported yet", expected="[]", given=annotating))
    for key, default in (("train_corpus", "corpora.train"), ("dev_corpus", "corpora.dev")):
        v[key] = _get(training, key, default, lambda x: isinstance(x, str) and bool(x), "a dotted section name like " + repr(default), problems)
    weights = training.get("score_weights") or {}
    if not isinstance(weights, dict):
        problems.append(ConfigProblem("training.score_weights", "must be a section of score names and weights", given=weights))
        weights = {}
    for name, weight in weights.items():
        if weight is not None and not _is_number(weight):
            problems.append(ConfigProblem(f"training.score_weights.{name}", "wrong type", expected="a number or null", given=weight))
    v["score_weights"] = {k: w for k, w in weights.items() if w is None or _is_number(w)}
    defaults_blocks = {"batcher": DEFAULT_BATCHER, "optimizer": DEFAULT_OPTIMIZER, "logger": DEFAULT_LOGGER, "before_update": None, "before_to_disk": None}
    blocks = {key: _resolve_block(f"training.{key}", training.get(key, default), TRAINING_BLOCKS[key], problems) for key, default in defaults_blocks.items()}
    return v, blocks


def _get(section: dict[str, Any], key: str, default: Any, ok: Callable[[Any], bool], expected: str, problems: list[ConfigProblem], *, allow_none: bool = False) -> Any:
    """`section[key]` if valid; else the default, with a problem recorded."""
    if key not in section:
        return default
    value = section[key]
    if (value is None and allow_none) or (value is not None and ok(value)):
        return value
    problems.append(ConfigProblem(f"training.{key}", "wrong value" if value is not None else "missing value", expected=expected, given=value))
    return default


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _resolve_block(loc: str, block: Any, namespace: str, problems: list[ConfigProblem]) -> Any:
    """Resolve one `@registry` block; every problem is recorded under `loc`."""
    if block is None:
        return None
    marker = f"@{namespace}"
    if not isinstance(block, dict) or marker not in block:
        problems.append(ConfigProblem(loc, "must be a block naming a registered function", expected=f"[{loc}] with {marker} = \"...\"", given=block))
        return None
    name = block[marker]
    if not registry.has(namespace, str(name)):
        options = registered_names(namespace)
        close = difflib.get_close_matches(str(name), options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(ConfigProblem(f"{loc}.{marker}", f"no such function{hint}", expected=", ".join(options), given=name))
        return None
    try:
        return registry.resolve({"block": block})["block"]
    except ConfigValidationError as err:
        found = problems_from_validation(err)
        for p in found:
            problems.append(ConfigProblem(re.sub(r"^block\b", loc, p.loc), p.message, p.expected, p.given))
    except (catalogue.RegistryError, ValueError, TypeError) as err:
        problems.append(ConfigProblem(loc, str(err).strip().splitlines()[0]))
    return None


def resolve_corpus(cfg: Config, raw: Config, dotted: str, problems: list[ConfigProblem]) -> Any:
    """The reader at `dotted` (e.g. corpora.train), with its path checked; problems name the setting to fix."""
    node: Any = cfg
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        problems.append(ConfigProblem(dotted, "no such section", expected=f"[{dotted}] with @readers = \"nbnlp.Corpus.v1\""))
        return None
    reader = _resolve_block(dotted, node, "readers", problems)
    if isinstance(reader, Corpus):
        reader.config_key = _path_setting(raw, dotted)
        try:
            reader.check_path()
        except ConfigError as err:
            problems.extend(err.problems)
    return reader


def _path_setting(raw: Config, dotted: str) -> str:
    """Where a corpus path is set: the `${paths.x}` variable it refers to, else its own key."""
    node: Any = raw
    for part in dotted.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    value = node.get("path") if isinstance(node, dict) else None
    match = re.fullmatch(r"\$\{([\w.]+)\}", value) if isinstance(value, str) else None
    return match.group(1) if match else f"{dotted}.path"


def _check_initialize(cfg: Config, problems: list[ConfigProblem]) -> None:
    """`[initialize] vectors` is a folder with a vectors table, `init_tok2vec` a weights file for a component
    in the pipeline; static-vectors layers need the table. (Weights that do not fit are found by `initialize`.)"""
    section = cfg.get("initialize", {}) or {}
    vectors = section.get("vectors")
    if vectors not in (None, ""):
        if not isinstance(vectors, str):
            problems.append(ConfigProblem("initialize.vectors", "wrong type", expected="a folder path or null", given=vectors))
        elif not Path(vectors).is_dir():
            problems.append(ConfigProblem("initialize.vectors", "no such folder", expected="a folder made by nbnlp init-vectors", given=vectors))
        elif not has_vectors_dir(vectors):
            problems.append(ConfigProblem("initialize.vectors", "the folder holds no vectors table (vectors/data.npy and vectors/keys.msgpack)",
                                          expected="a folder made by nbnlp init-vectors", given=vectors))
    else:
        for loc in static_vectors_settings(cfg):
            problems.append(ConfigProblem(loc, "static vectors need a vectors table, but initialize.vectors is not set",
                                          expected='[initialize] vectors = "DIR" (made by nbnlp init-vectors), or false here'))
    weights = section.get("init_tok2vec")
    if weights not in (None, ""):
        component = str((cfg.get("pretraining", {}) or {}).get("component") or "tok2vec")
        pipeline = list(cfg.get("nlp", {}).get("pipeline", []))
        if not isinstance(weights, str):
            problems.append(ConfigProblem("initialize.init_tok2vec", "wrong type", expected="a file path or null", given=weights))
        elif not Path(weights).is_file():
            problems.append(ConfigProblem("initialize.init_tok2vec", "no such file", expected="weights saved by nbnlp pretrain (OUTPUT_DIR/modelN.bin)", given=weights))
        if component not in pipeline:
            problems.append(ConfigProblem("initialize.init_tok2vec", f"the weights go into component {component!r} (pretraining.component), which is not in the pipeline",
                                          expected=" or ".join(pipeline) or "a component in nlp.pipeline", given=component))


def static_vectors_settings(cfg: Mapping[str, Any]) -> list[str]:
    """The settings under [components] that turn on static vectors (`include_static_vectors = true`, StaticVectors blocks)."""
    found = []
    for loc, value in dotted_items(cfg.get("components", {}) or {}, "components"):
        if (loc.endswith(".include_static_vectors") and value is True) or (loc.endswith(".@architectures") and value == "nbnlp.StaticVectors.v1"):
            found.append(loc)
    return found


def _check_score_weights(nlp: Language, dev_corpus: Callable[[Language], Any], weights: dict[str, Optional[float]], *, given: bool) -> None:
    """Score names the evaluation does not report are config problems (found by scoring a few dev examples)."""
    sample = []
    for eg in dev_corpus(nlp):
        sample.append(eg)
        if len(sample) >= 3:
            break
    reported = nlp.evaluate(sample) if sample else {}
    problems = []
    for name in weights:
        if name not in reported:
            close = difflib.get_close_matches(name, list(reported), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            source = "" if given else " (a default weight of the pipeline's components)"
            problems.append(ConfigProblem(f"training.score_weights.{name}", f"the evaluation reports no such score{hint}{source}", expected="one of " + ", ".join(sorted(reported))))
    if problems:
        raise ConfigError(problems)
