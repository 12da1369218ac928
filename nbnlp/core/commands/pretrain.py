"""`pretrain`: train a config's tok2vec on raw text before training the pipeline on labelled data.

The `[pretraining]` section names the component whose model is pretrained (the tok2vec), the
corpus (raw JSONL text: `{"text"}` or `{"tokens"}` records), the objective (predict the first and
last characters, or the static vector, of words hidden from the input), the optimizer, batcher
and epochs. After every epoch the weights of the tok2vec alone are saved as `model{epoch}.bin`
(thinc `to_bytes`), the objective's head as `objective{epoch}.bin` (for `--epoch-resume`), a line
of `log.jsonl`, and the config used. `[initialize] init_tok2vec = "OUTPUT/modelN.bin"` then loads
them into training; weights of another shape are a ConfigError that says which settings differ.

`iter_pretrain` hands out one `PretrainStep` per batch (the notebook view and the CLI consume
it); `pretrain` drives it with an optional callback.
"""
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Union

import numpy
from thinc.api import Config, Model, Optimizer, chain, fix_random_seed, set_dropout_rate

from ...gpu.device import select_device
from ..config import ConfigError, ConfigProblem, is_int, load_config, naming_source, source_file
from ..corpus.atomic import atomic_write
from ..damaged import damaged_if_fails
from ..doc import Doc
from ..language import Language
from ..models.pretrain_objectives import mask_docs, objective_loss, set_output_width
from ..settings import PretrainingSchema
from ..training import raw_text as _raw_text  # noqa: F401  (registers nbnlp.JsonlCorpus.v1, which [corpora.pretrain] names)
from ..training.blocks import resolve_blocks, resolve_corpus
from ..training.dropout import dropout_schedule
from ..util import SteppedRun
from ..vectors import load_init_vectors
from ..weights import CONFIG_FILE, load_weights, read_weights_file, shape_differences

ConfigSource = Union[str, Path, Config, Mapping[str, Any]]

LOG_FILE = "log.jsonl"
N_INIT_DOCS = 50


# ----- steps and results --------------------------------------------------------------------------------
@dataclass
class PretrainStep:
    """The state after one batch, or at the end of an epoch (`is_epoch_end`: no update, the weights were saved)."""

    epoch: int  # 0-based; model{epoch}.bin holds the weights after it
    step: int  # batches done in this run
    words: int  # words seen in this run
    loss: float  # this batch's loss per predicted word (the epoch's, on epoch ends)
    epoch_loss: float  # mean loss per predicted word over the epoch so far
    seconds: float  # since this run started
    is_epoch_end: bool = False
    saved: Optional[Path] = None  # weights written at this step


@dataclass
class PretrainResult:
    output_dir: Path
    epochs: List[Dict[str, Any]]  # one log record per finished epoch
    steps: int
    words: int
    seconds: float
    saved: List[Path]
    interrupted: bool

    @property
    def last_weights(self) -> Optional[Path]:
        return self.saved[-1] if self.saved else None


@dataclass
class _Setup:
    nlp: Language
    tok2vec: Model
    head: Model
    model: Model
    optimizer: Optimizer
    corpus: Callable[[Language], Iterator[Doc]]
    batcher: Callable[[Any], Iterator[List[Doc]]]
    settings: Dict[str, Any]
    config: Config
    start_epoch: int
    rng: numpy.random.Generator
    start_step: int = 0  # batches of the epochs before start_epoch: where a dropout schedule goes on from


class PretrainRun(SteppedRun[PretrainStep]):
    """An iterator of PretrainSteps that saves weights as it goes; `result` is set once it has ended.
    `close()` stops after the current batch (the weights of finished epochs are already saved)."""

    def __init__(self, setup: _Setup, output_dir: Path) -> None:
        self.setup = setup
        self.output_dir = output_dir
        self.result: Optional[PretrainResult] = None
        self._opened = False
        super().__init__()

    def _open_output(self) -> None:
        """Make the output folder and write the config used, with the first weights: a run that fails before (a
        corpus cut short, say) leaves nothing behind."""
        if not self._opened:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.output_dir / CONFIG_FILE, "w", encoding="utf8") as f:
                f.write(self.setup.config.to_str())
            self._opened = True

    def _run(self) -> Iterator[PretrainStep]:
        s = self.setup
        settings = s.settings
        records: List[Dict[str, Any]] = []
        saved: List[Path] = []
        steps = words = 0
        start = time.perf_counter()
        interrupted = True
        log_mode = "a" if s.start_epoch > 0 else "w"
        try:
            for epoch in range(s.start_epoch, settings["max_epochs"]):
                epoch_loss = 0.0
                epoch_words = epoch_predicted = epoch_steps = 0
                for batch in s.batcher(s.corpus(s.nlp)):
                    docs = [doc for doc in batch if len(doc)]
                    if not docs:
                        continue
                    inputs, predict = mask_docs(docs, s.head.attrs.get("mask_probability", 0.0), s.rng)
                    set_dropout_rate(s.model, settings["dropout_at"](s.start_step + steps))
                    scores, backprop = s.model.begin_update(inputs)
                    loss, d_scores = objective_loss(s.head, docs, scores, predict)
                    backprop(d_scores)
                    s.model.finish_update(s.optimizer)
                    n_words = sum(len(doc) for doc in docs)
                    n_predicted = max(int(predict.sum()), 1)  # the loss is per predicted (masked) word
                    steps += 1
                    epoch_steps += 1
                    words += n_words
                    epoch_words += n_words
                    epoch_predicted += n_predicted
                    epoch_loss += loss
                    path = None
                    if settings["n_save_every"] and epoch_steps % settings["n_save_every"] == 0:
                        path = self._save(f"model{epoch}_{epoch_steps}.bin")
                        saved.append(path)
                    yield PretrainStep(epoch, steps, words, loss / n_predicted, epoch_loss / epoch_predicted, time.perf_counter() - start, saved=path)
                if not epoch_words:
                    raise ValueError(f"{settings['corpus']}: the pretraining corpus gave no text (check its path and min_length/max_length)")
                path = self._save(f"model{epoch}.bin")
                saved.append(path)
                with atomic_write(self.output_dir / f"objective{epoch}.bin", "wb") as f:  # for --epoch-resume
                    f.write(s.head.to_bytes())
                seconds = time.perf_counter() - start
                record = {"epoch": epoch, "steps": epoch_steps, "words": epoch_words, "predicted": epoch_predicted,
                          "loss": round(epoch_loss / epoch_predicted, 6), "seconds": round(seconds, 2),
                          "words_per_second": round(words / seconds) if seconds else 0, "weights": path.name}
                records.append(record)
                with open(self.output_dir / LOG_FILE, log_mode, encoding="utf8") as f:
                    f.write(json.dumps(record) + "\n")
                log_mode = "a"
                yield PretrainStep(epoch, steps, words, epoch_loss / epoch_predicted, epoch_loss / epoch_predicted, seconds, is_epoch_end=True, saved=path)
            interrupted = False
        finally:
            self.result = PretrainResult(self.output_dir, records, steps, words, time.perf_counter() - start, saved, interrupted)

    def _save(self, name: str) -> Path:
        self._open_output()
        path = self.output_dir / name
        with atomic_write(path, "wb") as f:
            f.write(self.setup.tok2vec.to_bytes())
        return path


# ----- entry points -------------------------------------------------------------------------------------
def iter_pretrain(
    config: ConfigSource,
    output_dir: Union[str, Path],
    *,
    overrides: Optional[Mapping[str, Any]] = None,
    epoch_resume: Optional[int] = None,
    use_gpu: Optional[int] = None,
) -> PretrainRun:
    """Check the config, build the tok2vec and objective, and return the run (an iterator of PretrainSteps).

    `epoch_resume=N` loads `output_dir/modelN.bin` and continues with epoch N + 1. Config problems
    raise one ConfigError listing them all.
    """
    output = Path(output_dir)
    with naming_source(source_file(config)):  # config problems found later name the file
        setup = prepare_pretraining(config, output, overrides=overrides, epoch_resume=epoch_resume, use_gpu=use_gpu)
    return PretrainRun(setup, output)


def pretrain(
    config: ConfigSource,
    output_dir: Union[str, Path],
    *,
    overrides: Optional[Mapping[str, Any]] = None,
    epoch_resume: Optional[int] = None,
    use_gpu: Optional[int] = None,
    callback: Optional[Callable[[PretrainStep], None]] = None,
) -> PretrainResult:
    """Pretrain the tok2vec of `config` on its raw text, saving `model{epoch}.bin` per epoch in `output_dir`.

    `callback(step)` sees every PretrainStep (the CLI prints the epoch ends). Ctrl-C stops cleanly:
    the weights of finished epochs are kept and `result.interrupted` is set.
    """
    run = iter_pretrain(config, output_dir, overrides=overrides, epoch_resume=epoch_resume, use_gpu=use_gpu)
    try:
        for step in run:
            if callback is not None:
                callback(step)
    except KeyboardInterrupt:
        run.close()
    assert run.result is not None
    return run.result


# ----- setup ---------------------------------------------------------------------------------------------
def prepare_pretraining(
    config: ConfigSource,
    output_dir: Path,
    *,
    overrides: Optional[Mapping[str, Any]] = None,
    epoch_resume: Optional[int] = None,
    use_gpu: Optional[int] = None,
) -> _Setup:
    raw = load_config(config, overrides, interpolate=False)
    cfg = load_config(raw)
    system = cfg.get("system", {}) or {}
    seed = system.get("seed", 0)
    fix_random_seed(seed if is_int(seed) else 0)
    gpu_id = use_gpu if use_gpu is not None else system.get("gpu_id", -1)
    select_device(-1 if gpu_id is None else int(gpu_id), system.get("gpu_allocator"))

    problems: List[ConfigProblem] = []
    if not isinstance(cfg.get("pretraining"), dict):
        raise ConfigError([ConfigProblem("pretraining", "the config has no [pretraining] section",
                                         expected="a [pretraining] section (nbnlp init-config --pretraining writes one)")])
    settings = _check_settings(cfg["pretraining"], problems)
    nlp: Optional[Language] = None
    try:
        nlp = Language.from_config(cfg)
    except ConfigError as err:
        problems.extend(err.problems)
    pipeline = list(cfg.get("nlp", {}).get("pipeline", []))
    if settings["component"] not in pipeline:
        problems.append(ConfigProblem("pretraining.component", "no such component in the pipeline", expected=" or ".join(pipeline) or "a component", given=settings["component"]))
    corpus = resolve_corpus(cfg, raw, settings["corpus"], problems)
    if problems or nlp is None:
        raise ConfigError(problems)
    vectors = load_init_vectors(cfg)
    if vectors is not None:
        nlp.vocab.vectors = vectors
    tok2vec = getattr(nlp.get_pipe(settings["component"]), "model", None)
    if not isinstance(tok2vec, Model):
        raise ConfigError([ConfigProblem("pretraining.component", "the component has no model to pretrain", given=settings["component"])])
    head = settings["objective"]
    if head.attrs.get("objective") == "vectors":
        if not nlp.vocab.vectors:
            raise ConfigError([ConfigProblem("pretraining.objective", "the vectors objective needs a vectors table, but initialize.vectors is not set",
                                             expected='[initialize] vectors = "DIR" (made by nbnlp init-vectors), or nbnlp.PretrainCharacters.v1')])
        try:
            set_output_width(head, nlp.vocab.vectors.width)
        except ValueError as err:
            raise ConfigError([ConfigProblem("pretraining.objective.nO", str(err))]) from None
    model = chain(tok2vec, head)
    sample = []
    for doc in corpus(nlp):
        sample.append(doc)
        if len(sample) >= N_INIT_DOCS:
            break
    if not sample:
        raise ConfigError([ConfigProblem(getattr(corpus, "config_key", settings["corpus"]), "the pretraining corpus has no text", given=getattr(corpus, "path", None))])
    model.initialize(X=sample)
    start_epoch = start_step = 0
    if output_dir.exists() and not output_dir.is_dir():
        raise ValueError(f"{output_dir}: is a file, but pretrain writes its weights into a folder; give a folder's path")
    if epoch_resume is not None:
        weights = output_dir / f"model{epoch_resume}.bin"
        if not weights.exists():
            found = ", ".join(sorted(p.name for p in output_dir.glob("model*.bin"))) or "none"
            raise FileNotFoundError(f"--epoch-resume {epoch_resume}: no {weights} to resume from (weights there: {found})")
        load_weights(tok2vec, weights, loc="epoch_resume", config=cfg, component=settings["component"],
                     fix="Resume from an earlier epoch whose modelN.bin is intact, or pretrain again without --epoch-resume")
        head_weights = output_dir / f"objective{epoch_resume}.bin"
        if head_weights.exists():  # the objective's head too, so the loss continues where it was (a new objective starts fresh)
            fix = "Delete it to start the objective afresh, or resume from another epoch"
            head_msg = read_weights_file(head_weights, what="the pretraining objective's weights file", fix=fix)
            with damaged_if_fails(head_weights, "the pretraining objective's weights file is not thinc weights", fix):
                if not shape_differences(head, head_msg["nodes"]):
                    head.from_dict(head_msg)
        start_epoch = epoch_resume + 1
        _trim_log(output_dir / LOG_FILE, epoch_resume)
        start_step = _steps_logged(output_dir / LOG_FILE)
    rng = numpy.random.default_rng(seed if isinstance(seed, int) and not isinstance(seed, bool) else 0)
    return _Setup(nlp, tok2vec, head, model, settings["optimizer"], corpus, settings["batcher"], settings, cfg, start_epoch, rng, start_step)


def _trim_log(path: Path, last_epoch: int) -> None:
    """Drop the log lines of epochs after `last_epoch`: a resumed run writes them again."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf8").splitlines():
        try:
            if json.loads(line).get("epoch", 0) <= last_epoch:
                kept.append(line)
        except (ValueError, AttributeError):
            continue
    with atomic_write(path, "w", encoding="utf8") as f:
        f.write("".join(line + "\n" for line in kept))


def _steps_logged(path: Path) -> int:
    """The batches of the epochs in the log (already trimmed to those before a resume)."""
    if not path.exists():
        return 0
    total = 0
    for line in path.read_text(encoding="utf8").splitlines():
        try:
            total += int(json.loads(line).get("steps", 0))
        except (ValueError, AttributeError, TypeError):
            continue
    return total


def _check_settings(section: Dict[str, Any], problems: List[ConfigProblem]) -> Dict[str, Any]:
    """The `[pretraining]` settings with defaults filled in and blocks resolved; problems are appended."""
    checked = PretrainingSchema.check(section, problems)
    values = {**checked.model_dump(), **resolve_blocks(checked, problems)}
    values["dropout_at"] = dropout_schedule(values["dropout"], problems, "pretraining.dropout")  # a number or a schedule
    head = values["objective"]
    if head is not None and (not isinstance(head, Model) or "objective" not in head.attrs):
        problems.append(ConfigProblem("pretraining.objective", "not a pretraining objective",
                                      expected="nbnlp.PretrainCharacters.v1 or nbnlp.PretrainVectors.v1"))
    return values


__all__ = [
    "PretrainResult", "PretrainRun", "PretrainStep", "iter_pretrain", "pretrain",
    "prepare_pretraining",
]
