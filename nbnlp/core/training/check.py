"""Check a training config without training: what `%%nlp_config` shows as soon as a config cell runs.

`check_config` fills in every default (component factories' settings, registered functions'
arguments), builds the pipeline and resolves the `[training]` and `[corpora]` blocks, collecting
every problem as a `ConfigProblem`. Corpus paths that are simply not set yet are notes, not
problems: they are usually given at training time (`--paths.train ...`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from confection import ConfigValidationError
from thinc.api import Config

from ..config import ConfigError, ConfigProblem, load_config, problems_from_validation, unique_problems
from ..language import Language
from ..pipeline.factory import get_factory_meta
from ..registry import registry
from .. import pretrain as _pretrain  # noqa: F401  (registers nbnlp.JsonlCorpus.v1, which [corpora.pretrain] names)


@dataclass
class ConfigCheck:
    """The filled config (uninterpolated, `${...}` kept) and what is wrong with it."""

    config: Config
    problems: list[ConfigProblem] = field(default_factory=list)
    notes: list[ConfigProblem] = field(default_factory=list)
    nlp: Optional[Language] = None

    @property
    def ok(self) -> bool:
        return not self.problems


def fill_config(config: Config) -> Config:
    """`config` with the factories' default settings and registered functions' default arguments added.

    Values the user wrote always win; a model block naming another architecture replaces the default
    block as a whole. References like `${paths.train}` are kept.
    """
    filled = Config(config).copy()
    components = filled.get("components", {}) or {}
    for name, block in list(components.items()):
        factory_name = block.get("factory") if isinstance(block, dict) else None
        if not factory_name:
            continue
        try:
            defaults = get_factory_meta(factory_name).default_config
        except ValueError:
            continue  # reported by the pipeline check
        settings = {k: v for k, v in block.items() if k != "factory"}
        merged = Config(defaults).merge(Config(settings))
        components[name] = {"factory": factory_name, **merged}
    _fill_training(filled)
    try:
        return registry.fill(filled, validate=False)
    except Exception:  # an unknown function name: keep what we have, the checks below report it
        return filled


def _fill_training(config: Config) -> None:
    """Add the `[training]` settings the loop would default, so they can be seen and edited."""
    from .loop import TrainingSettings
    from .train import DEFAULT_BATCHER, DEFAULT_OPTIMIZER

    if "training" not in config or not isinstance(config["training"], dict):
        config["training"] = {}
    training = config["training"]
    defaults = TrainingSettings()
    for key in ("seed", "dropout", "accumulate_gradient", "patience", "max_epochs", "max_steps", "eval_frequency"):
        training.setdefault(key, getattr(defaults, key))
    training.setdefault("frozen_components", [])
    training.setdefault("batcher", dict(DEFAULT_BATCHER))
    training.setdefault("optimizer", dict(DEFAULT_OPTIMIZER))


def check_config(config: Any, overrides: Optional[Mapping[str, Any]] = None) -> ConfigCheck:
    """Parse, fill and validate a training config; raises ConfigError only when it cannot be parsed."""
    train_module = importlib.import_module(".train", __package__)  # the module, not the `train` function
    raw = load_config(config, overrides, interpolate=False)
    filled = fill_config(raw)
    result = ConfigCheck(filled)
    try:
        cfg = load_config(filled)
    except ConfigError as err:
        result.problems.extend(err.problems)
        return result
    problems: list[ConfigProblem] = []
    try:
        result.nlp = Language.from_config(cfg)
    except ConfigError as err:
        problems.extend(err.problems)
    except ConfigValidationError as err:
        problems.extend(problems_from_validation(err))
    except (ValueError, TypeError) as err:  # an architecture refusing its settings (e.g. mismatched list lengths)
        problems.append(ConfigProblem("components", str(err).strip().splitlines()[0]))
    training = dict(cfg.get("training", {}) or {})
    pipe_names = list(cfg.get("nlp", {}).get("pipeline", []))
    values, _ = train_module._check_training(training, pipe_names, problems)
    for key in ("train_corpus", "dev_corpus"):
        found: list[ConfigProblem] = []
        train_module.resolve_corpus(cfg, filled, values[key], found)
        for p in found:
            (result.notes if p.message == "no corpus path given" else problems).append(p)
    train_module._check_initialize(cfg, problems)
    result.problems = unique_problems(problems)
    result.notes = unique_problems(result.notes)
    return result
