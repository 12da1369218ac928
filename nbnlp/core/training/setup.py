"""From a config to everything a run needs: checked settings, the device, the built and initialised pipeline,
the optimizer and corpora, and (when resuming) the checkpoint's state loaded into them.

Problems in the config are collected and raised together, naming the config file when there is one.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

from thinc.api import Config, Optimizer, fix_random_seed

from ...gpu.device import select_device
from ..config import ConfigError, ConfigProblem, is_int, load_config, naming_source, source_file
from ..language import Language
from ..pipeline.sourcing import with_base_model
from ..settings import TrainingSchema
from .blocks import resolve_blocks, resolve_corpus
from .check import fill_config
from .checkpoint import Checkpoint, CheckpointError, read_checkpoint
from .dropout import dropout_schedule
from .fingerprint import config_fingerprint, fingerprint_problems
from .loggers import Logger
from .loop import TrainingSettings, resolve_score_weights
from .run_state import restore_optimizer
from .validate import check_frozen_listeners, check_initialize, check_score_weights, check_training

ConfigSource = Union[str, Path, Config, Mapping[str, Any]]


@dataclass
class TrainingSetup:
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
    workers: int = 1
    address: Optional[str] = None
    gpu_id: int = -1
    optimizer_block: dict[str, Any] = field(default_factory=dict)
    config_text: Optional[str] = None  # the interpolated config, written as RUN/config.cfg
    substitutions: list[str] = field(default_factory=list)  # spaCy names replaced by nbnlp's, one line each


def prepare_training(
    config: ConfigSource, *, overrides: Optional[Mapping[str, Any]] = None, use_gpu: Optional[int] = None,
    resume_from: Optional[Path] = None, base_model: Optional[Union[str, Path]] = None,
) -> TrainingSetup:
    """Load and check the config, pick the device, build and initialise the pipeline (from the checkpoint when resuming).

    `base_model`: a saved pipeline to continue from; each component of the config it has starts from its own there."""
    saved = read_checkpoint(resume_from) if resume_from is not None else None  # a missing checkpoint fails first
    with naming_source(source_file(config)):  # config problems name the config file
        return _prepare(config, overrides, use_gpu, saved, base_model)


def _prepare(config: ConfigSource, overrides: Optional[Mapping[str, Any]], use_gpu: Optional[int], saved: Optional[Checkpoint],
             base_model: Optional[Union[str, Path]] = None) -> TrainingSetup:
    substitutions: list[str] = []
    raw = fill_config(load_config(config, overrides, interpolate=False, report=substitutions))  # saved as used: defaults filled
    if base_model is not None:  # the components the base model has are sourced from it (weights, labels, settings)
        raw = with_base_model(raw, base_model, substitutions, overrides=list(overrides or ()))
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
    if nlp is not None:
        check_frozen_listeners(nlp, values, problems)
    if saved is not None and not problems:
        problems.extend(_base_model_left_off(saved.fingerprint, fingerprint, base_model) or fingerprint_problems(saved.fingerprint, fingerprint))
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
    return TrainingSetup(
        nlp, settings, optimizer, train_corpus, dev_corpus, blocks["logger"], blocks["before_to_disk"], seed, device,
        fingerprint=fingerprint, checkpoint=saved, gpu_id=-1 if gpu_id is None else int(gpu_id),
        optimizer_block=dict(cfg.get("training", {}).get("optimizer") or TrainingSchema.default("optimizer")),
        config_text=_config_text(cfg), substitutions=substitutions,
    )


def _config_text(cfg: Config) -> Optional[str]:
    """The config as text for the run folder; None if a value does not serialise (the models still carry theirs)."""
    try:
        return cfg.to_str()
    except Exception:  # thinc raises several types for values it cannot write
        return None


def data_parallel_updater(setup: TrainingSetup) -> Any:
    """The Ray workers' update for a run with `workers` > 1 (imported here: Ray is needed only then)."""
    from ..distributed.data_parallel import DataParallelUpdater

    saved = setup.checkpoint
    values = setup.settings.values
    return DataParallelUpdater(
        setup.nlp, setup.optimizer, n_workers=setup.workers, address=setup.address,
        start_step=saved.loop.step if saved is not None else 0,
        options={"gpu_id": setup.gpu_id, "dropout": dropout_schedule(values.dropout)(0), "accumulate_gradient": values.accumulate_gradient,
                 "frozen_components": list(values.frozen_components), "seed": setup.seed,
                 "annotating_components": list(values.annotating_components)},
        optimizer_block=setup.optimizer_block,
        worker_random_states=saved.random_states.get("workers") if saved is not None else None,
    )


def _base_model_left_off(saved: Mapping[str, Any], current: Mapping[str, Any], base_model: Any) -> list[ConfigProblem]:
    """One clear problem, instead of one per component setting, when a run begun with --base-model is resumed
    without it (its components were sourced from the base model; now they would be built from the config)."""
    sources = {key: value for key, value in saved.items() if key.endswith(".source") and key not in current}
    if base_model is not None or not sources:
        return []
    first = next(iter(sources.values()))
    path = first.get("path") if isinstance(first, dict) else first
    return [ConfigProblem("--base-model", f"this run started from the base model {path}: give --base-model {path} again to resume it")]


def _load_checkpoint(nlp: Language, optimizer: Optimizer, saved: Checkpoint) -> None:
    """The checkpoint's weights and learned state into the freshly initialised pipeline, its state into the optimizer."""
    for name, component in nlp.components:  # disabled ones too: they are saved with the rest
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
