"""Check a training config without training: what `%%nlp_config` shows as soon as a config cell runs.

`check_config` fills in every default (component factories' settings, registered functions'
arguments), builds the pipeline and resolves the `[training]` and `[corpora]` blocks, collecting
every problem as a `ConfigProblem`. Corpus paths that are simply not set yet are notes, not
problems: they are usually given at training time (`--paths.train ...`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

import srsly

from confection import ConfigValidationError
from thinc.api import Config

from ..config import ConfigError, ConfigProblem, load_config, problems_from_validation, unique_problems
from ..language import Language
from ..pipeline.factory import get_factory_meta
from ..pipeline.sourcing import NO_SOURCE
from ..registry import registry
from ..settings import PretrainingSchema, TrainingSchema
from . import raw_text as _raw_text  # noqa: F401  (registers nbnlp.JsonlCorpus.v1, which [corpora.pretrain] names)
from .blocks import resolve_blocks, resolve_corpus
from .sections import check_initialize_keys
from .validate import check_frozen_listeners, check_initialize, check_score_weights, check_training


@dataclass
class ConfigCheck:
    """The filled config (uninterpolated, `${...}` kept) and what is wrong with it."""

    config: Config
    problems: list[ConfigProblem] = field(default_factory=list)
    notes: list[ConfigProblem] = field(default_factory=list)
    nlp: Optional[Language] = None
    substitutions: list[str] = field(default_factory=list)  # spaCy names replaced by nbnlp's, one line each

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
    _fill_corpora(filled)
    try:
        return registry.fill(filled, validate=False)
    except Exception:  # an unknown function name: keep what we have, the checks below report it
        return filled


def _fill_training(config: Config) -> None:
    """Add the `[training]` settings the schema marks as shown, so they can be seen and edited."""
    if "training" not in config or not isinstance(config["training"], dict):
        config["training"] = {}
    system = config.get("system") if isinstance(config.get("system"), dict) else {}
    for key, value in TrainingSchema.filled().items():
        if key == "seed" and "seed" in system:
            value = "${system.seed}"  # an unset training seed means [system]'s
        config["training"].setdefault(key, value)


def _fill_corpora(config: Config) -> None:
    """Readers for a config without `[corpora.train]`/`[corpora.dev]`: nbnlp's corpus reader of `${paths.train}`/`${paths.dev}`."""
    training = config.get("training") or {}
    for which in ("train", "dev"):
        section, _, name = str(training.get(f"{which}_corpus") or f"corpora.{which}").partition(".")
        corpora = config.setdefault(section, {})
        if isinstance(corpora, dict) and name and name not in corpora:
            paths = config.setdefault("paths", {})
            if isinstance(paths, dict):
                paths.setdefault(which, None)
            corpora[name] = {"@readers": "nbnlp.Corpus.v1", "path": f"${{paths.{which}}}"}


PipelineCheck = tuple[Optional[Language], list[ConfigProblem]]


def check_pipeline(cfg: Config) -> PipelineCheck:
    """Build the pipeline of an interpolated config: the pipeline, or the problems that stopped it."""
    try:
        return Language.from_config(cfg), []
    except ConfigError as err:
        return None, list(err.problems)
    except ConfigValidationError as err:
        return None, problems_from_validation(err)
    except (ValueError, TypeError) as err:  # an architecture refusing its settings (e.g. mismatched list lengths)
        return None, [ConfigProblem("components", str(err).strip().splitlines()[0])]


def check_config(
    config: Any, overrides: Optional[Mapping[str, Any]] = None, *, build: Callable[[Config], PipelineCheck] = check_pipeline,
) -> ConfigCheck:
    """Parse, fill and validate a training config; raises ConfigError only when it cannot be parsed."""
    substitutions: list[str] = []
    raw = load_config(config, overrides, interpolate=False, report=substitutions)
    filled = fill_config(raw)
    result = ConfigCheck(filled, substitutions=substitutions)
    try:
        cfg = load_config(filled)
    except ConfigError as err:
        result.problems.extend(err.problems)
        return result
    result.nlp, found = build(cfg)
    problems: list[ConfigProblem] = []
    for p in found:  # a source still null (`source = ${paths.base}`) is given when training, like a corpus path
        (result.notes if p.message == NO_SOURCE else problems).append(_where_set(filled, p) if p.message == NO_SOURCE else p)
    values = check_training(cfg, problems)
    resolve_blocks(values, problems)
    for dotted in (values.train_corpus, values.dev_corpus):
        found = []
        resolve_corpus(cfg, filled, dotted, found)
        for p in found:
            (result.notes if p.message == "no corpus path given" else problems).append(p)
    check_initialize(cfg, problems)
    if result.nlp is not None:
        _check_against_pipeline(cfg, result.nlp, values, problems)
    _check_pretraining(cfg, filled, result, problems)
    result.problems = unique_problems(problems)
    result.notes = unique_problems(result.notes)
    return result


def _where_set(raw: Config, problem: ConfigProblem) -> ConfigProblem:
    """The note for a missing source, located at the `${paths.x}` variable it refers to when it refers to one."""
    node: Any = raw
    for part in problem.loc.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    match = re.fullmatch(r"\$\{([\w.]+)\}", node) if isinstance(node, str) else None
    return ConfigProblem(match.group(1), problem.message, expected=problem.expected) if match else problem


def _check_against_pipeline(cfg: Config, nlp: Language, values: TrainingSchema, problems: list[ConfigProblem]) -> None:
    """What training finds only once it starts: `[initialize]` keys the components do not take, score weights the
    evaluation does not report (its score names are known without data)."""
    check_initialize_keys(cfg, nlp, problems)
    check_frozen_listeners(nlp, values, problems)
    if values.score_weights:
        try:
            check_score_weights(nlp, lambda _nlp: [], values.score_weights, given=True)
        except ConfigError as err:
            problems.extend(err.problems)
        except Exception:  # a custom component that cannot score nothing: training checks the weights on dev data
            pass


def _check_pretraining(cfg: Config, filled: Config, result: ConfigCheck, problems: list[ConfigProblem]) -> None:
    """A `[pretraining]` section with settings: its blocks resolve and its corpus reader is valid (as `nbnlp pretrain` checks)."""
    section = cfg.get("pretraining")
    if not isinstance(section, dict) or not section:
        return
    values = PretrainingSchema.check(section, [])  # its own problems are reported by check_training
    resolve_blocks(values, problems)
    found: list[ConfigProblem] = []
    resolve_corpus(cfg, filled, values.corpus, found)
    for p in found:
        (result.notes if p.message == "no corpus path given" else problems).append(p)


class ConfigChecker:
    """`check_config` for a config edited again and again (the override form): building the pipeline is the slow
    part of a check, so it is done again only when `[nlp]` or `[components]` changed since the last check."""

    def __init__(self) -> None:
        self._last: Optional[tuple[str, PipelineCheck]] = None

    def __call__(self, config: Any, overrides: Optional[Mapping[str, Any]] = None) -> ConfigCheck:
        return check_config(config, overrides, build=self._build)

    def _build(self, cfg: Config) -> PipelineCheck:
        try:
            key = srsly.json_dumps({"nlp": cfg.get("nlp"), "components": cfg.get("components")}, sort_keys=True)
        except (TypeError, ValueError):  # a value JSON cannot hold: no reuse
            return check_pipeline(cfg)
        if self._last is None or self._last[0] != key:
            self._last = (key, check_pipeline(cfg))
        return self._last[1]
