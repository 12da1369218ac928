"""`Language`: a tokenizer plus an ordered list of components, built from and saved as a config.

`nlp(text)` annotates one text, `nlp.pipe(texts)` batches (one forward pass per component per
batch), `nlp.initialize` / `nlp.update` / `nlp.evaluate` are what the training loop drives, and
`nlp.to_disk` / `nbnlp.load` save and restore everything (config.cfg, meta.json, weights).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import srsly
from confection import ConfigValidationError
from thinc.api import Config, Optimizer
from .util import minibatch

from . import pipeline_folder
from .config import ConfigError, ConfigProblem, problems_from_validation
from .corpus.atomic import atomic_directory, recover_directory
from .doc import Doc
from .example import Example
from .init_settings import component_sections, initialize_settings
from .installed import package_loader
from .lang import LANGUAGES, create_tokenizer, create_vocab
from .pipeline import creation
from .pipeline.component import Component
from .pipeline.factory import get_factory_meta
from .pipeline.sourcing import (SourcePipelines, add_sourced_pipe, check_sourced_vectors, continue_sourced, frozen_components,
                               is_sourced, is_sourced_block, needs_initialize, read_spec, resolve_listeners)
from .registry import registry
from .scorer import Scorer
from .settings import TrainingSchema
from .tokenizer import Tokenizer
from .vectors import load_init_vectors
from .weights import load_pretrained_tok2vec

DEFAULT_BATCH_SIZE = 1000


@registry.tokenizers("nbnlp.Tokenizer.v1")
def rule_based_tokenizer() -> Callable[["Language"], Tokenizer]:
    """The language's rule-based tokenizer (exceptions, prefixes, suffixes, infixes)."""

    def make(nlp: "Language") -> Tokenizer:
        return create_tokenizer(nlp.lang, nlp.vocab)

    return make


def default_nlp_section(lang: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "pipeline": [],
        "batch_size": DEFAULT_BATCH_SIZE,
        "tokenizer": {"@tokenizers": "nbnlp.Tokenizer.v1"},
    }


class Language:
    """A processing pipeline: text -> tokenizer -> components -> annotated Doc."""

    def __init__(self, lang: str = "en", *, tokenizer: Tokenizer | None = None, meta: dict[str, Any] | None = None) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"Unknown language {lang!r}; known languages: {', '.join(sorted(LANGUAGES))}")
        self.lang = lang
        self.vocab = tokenizer.vocab if tokenizer is not None else create_vocab(lang)
        self.tokenizer = tokenizer if tokenizer is not None else create_tokenizer(lang, self.vocab)
        self.meta: dict[str, Any] = {"lang": lang, "name": "pipeline", "version": "0.0.0", **(meta or {})}
        self.batch_size = DEFAULT_BATCH_SIZE
        self._components: list[tuple[str, Component]] = []  # every component, disabled ones included
        self._disabled: set[str] = set()  # built and saved, but not run or trained (`[nlp] disabled`)
        self._config = Config({"nlp": default_nlp_section(lang), "components": {}})
        self._optimizer: Optimizer | None = None  # what `update` uses when given no `sgd` (kept across calls)

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Config | dict[str, Any], *, validate: bool = True) -> "Language":
        """Build the pipeline a config describes (interpolated; see `load_config`). Weights are untrained."""
        config = Config(config)
        problems: list[ConfigProblem] = []
        nlp_cfg = {**default_nlp_section(config.get("nlp", {}).get("lang", "en")), **config.get("nlp", {})}
        lang = nlp_cfg["lang"]
        if lang not in LANGUAGES:
            raise ConfigError([ConfigProblem("nlp.lang", "unknown language", expected=" or ".join(sorted(LANGUAGES)), given=lang)])
        problems.extend(creation.check_nlp_section(nlp_cfg))
        if problems:
            raise ConfigError(problems)
        callbacks = creation.resolve_callbacks(nlp_cfg, validate=validate)
        try:
            make_tokenizer = registry.resolve({"t": nlp_cfg["tokenizer"]}, validate=validate)["t"]
        except ConfigValidationError as err:
            raise ConfigError([creation.unwrapped(p, "nlp.tokenizer") for p in problems_from_validation(err, "nlp.tokenizer")]) from None
        nlp = creation.language_class(cls, callbacks)(lang)
        nlp.tokenizer = make_tokenizer(nlp)
        nlp.vocab = nlp.tokenizer.vocab
        nlp = creation.after("after_creation", callbacks.after_creation, nlp)
        nlp.batch_size = int(nlp_cfg.get("batch_size", DEFAULT_BATCH_SIZE))
        components = config.get("components", {})
        pipeline = list(nlp_cfg.get("pipeline", []))
        for name in pipeline:
            if name not in components:
                problems.append(ConfigProblem(f"components.{name}", "listed in nlp.pipeline but has no section", expected=f"[components.{name}] with a factory"))
        if problems:
            raise ConfigError(problems)
        sources, sourced = SourcePipelines(), []  # `source = ...` components: each source pipeline loaded once
        for name in pipeline:
            try:
                if is_sourced_block(components[name]):
                    sourced.append(read_spec(name, components[name]))
                    add_sourced_pipe(nlp, sourced[-1], sources, validate=validate)
                else:
                    nlp.add_pipe(components[name].get("factory", ""), name=name, config=_without(components[name], "factory"), validate=validate)
            except ConfigError as err:
                problems.extend(err.problems)
        if problems:
            raise ConfigError(problems)
        resolve_listeners(nlp, sourced, sources)  # each sourced listener: linked to a tok2vec sourced with it, or its own copy
        check_sourced_vectors(nlp)
        full = Config(config)
        full["nlp"] = {**nlp_cfg, "pipeline": pipeline}
        full["components"] = nlp._config["components"]
        nlp._config = full
        creation.set_disabled(nlp, creation.disabled_names(nlp_cfg))
        return creation.after("after_pipeline_creation", callbacks.after_pipeline_creation, nlp)

    def add_pipe(
        self,
        factory_name: str,
        name: str | None = None,
        *,
        config: dict[str, Any] | None = None,
        before: str | None = None,
        after: str | None = None,
        first: bool = False,
        last: bool = False,
        validate: bool = True,
    ) -> Component:
        """Create a component from a registered factory and add it; its settings join `nlp.config`."""
        name = name or factory_name
        if name in self.component_names:
            raise ValueError(f"A component named {name!r} is already in the pipeline {self.component_names}; pick another name")
        try:
            meta = get_factory_meta(factory_name)
        except ValueError as err:
            raise ConfigError([ConfigProblem(f"components.{name}.factory", str(err), given=factory_name)]) from None
        settings = Config(meta.default_config).merge(Config(config or {}))
        try:
            builder = registry.resolve({"component": {"@factories": factory_name, **settings}}, validate=validate)["component"]
        except ConfigValidationError as err:
            problems = problems_from_validation(err, f"components.{name}")
            for p in problems:  # confection locates errors under our wrapper key; strip it
                object.__setattr__(p, "loc", p.loc.replace(f"components.{name}.component", f"components.{name}"))
            raise ConfigError(problems) from None
        component = builder(self, name)
        component.name = name
        index = self._insert_index(before, after, first, last)
        self._components.insert(index, (name, component))
        self._config["components"][name] = {"factory": factory_name, **settings}
        self._link_listeners()
        return component

    def _insert_index(self, before: str | None, after: str | None, first: bool, last: bool) -> int:
        if sum(x is not None and x is not False for x in (before, after, first or None, last or None)) > 1:
            raise ValueError("add_pipe: give at most one of before, after, first, last")
        if first:
            return 0
        if before is not None:
            return self.component_names.index(self._check_name(before))
        if after is not None:
            return self.component_names.index(self._check_name(after)) + 1
        return len(self._components)

    def _check_name(self, name: str) -> str:
        if name not in self.component_names:
            raise ValueError(f"No component {name!r} in the pipeline; it has {self.component_names}")
        return name

    def remove_pipe(self, name: str) -> Component:
        index = self.component_names.index(self._check_name(name))
        self._disabled.discard(name)
        _, component = self._components.pop(index)
        self._config["components"].pop(name, None)
        self._link_listeners()
        return component

    def _link_listeners(self) -> None:
        """Connect every shared tok2vec component to the listener layers of the components after it."""
        for i, (_, comp) in enumerate(self._components):
            if hasattr(comp, "find_listeners"):
                comp.find_listeners([c for _, c in self._components[i + 1 :]])

    # ----- access -------------------------------------------------------------------------
    # As in spaCy: `pipeline`/`pipe_names` are the components that run (and train); `components`/`component_names`
    # all of them, disabled ones included (built, initialised, saved; `enable_pipe` makes one run).
    @property
    def pipeline(self) -> list[tuple[str, Component]]:
        return [(name, c) for name, c in self._components if name not in self._disabled]

    @property
    def pipe_names(self) -> list[str]:
        return [name for name, _ in self.pipeline]

    @property
    def components(self) -> list[tuple[str, Component]]:
        return list(self._components)

    @property
    def component_names(self) -> list[str]:
        return [name for name, _ in self._components]

    @property
    def disabled(self) -> list[str]:
        """The disabled components' names, in pipeline order."""
        return [name for name in self.component_names if name in self._disabled]

    def disable_pipe(self, name: str) -> None:
        """Keep the component (it is saved) but stop running and training it."""
        self._disabled.add(self._check_name(name))

    def enable_pipe(self, name: str) -> None:
        """Run (and train) a disabled component again."""
        self._disabled.discard(self._check_name(name))

    def get_pipe(self, name: str) -> Component:
        return dict(self._components)[self._check_name(name)]

    def has_pipe(self, name: str) -> bool:
        """Whether `name` runs (as spaCy's: `name in nlp.pipe_names`; `get_pipe` also finds disabled ones)."""
        return name in self.pipe_names

    @property
    def config(self) -> Config:
        """The config this pipeline is built from (the single source of truth; saved with the model)."""
        config = Config(self._config)
        nlp = {**config.get("nlp", {}), "lang": self.lang, "pipeline": self.component_names, "batch_size": self.batch_size}
        if self._disabled or "disabled" in nlp:
            nlp["disabled"] = self.disabled
        config["nlp"] = nlp
        return config

    def __repr__(self) -> str:
        return f"<nbnlp.Language lang={self.lang!r} pipeline={self.pipe_names}>"

    # ----- processing ---------------------------------------------------------------------
    def make_doc(self, text: str) -> Doc:
        return self.tokenizer(text)

    def _ensure_doc(self, text_or_doc: str | Doc) -> Doc:
        if isinstance(text_or_doc, Doc):
            return text_or_doc
        if isinstance(text_or_doc, str):
            return self.make_doc(text_or_doc)
        raise TypeError(f"Expected a str or a Doc, got {type(text_or_doc).__name__}")

    def __call__(self, text_or_doc: str | Doc, *, disable: Sequence[str] = ()) -> Doc:
        doc = self._ensure_doc(text_or_doc)
        for name, component in self.pipeline:
            if name not in disable:
                doc = component(doc)
        return doc

    def pipe(self, texts: Iterable[str | Doc], *, batch_size: int | None = None, disable: Sequence[str] = ()) -> Iterator[Doc]:
        """Annotate many texts (or pre-tokenized Docs, which skip the tokenizer) in batches."""
        size = batch_size or self.batch_size
        for batch in minibatch(texts, size=size):
            docs = [self._ensure_doc(x) for x in batch]
            for name, component in self.pipeline:
                if name not in disable:
                    docs = list(component.pipe(docs, batch_size=size))
            yield from docs

    # ----- training -----------------------------------------------------------------------
    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *, sgd: Optimizer | None = None) -> Optimizer:
        """Infer labels and shapes from the examples and initialise every component; returns the optimizer."""
        if get_examples is None:
            def get_examples() -> list[Example]:
                return []
        self._link_listeners()
        settings = self._config.get("initialize") or {}
        vectors = load_init_vectors(self._config)  # before the models: static-vectors layers size themselves from it
        if vectors is not None:
            self.vocab.vectors = vectors
            check_sourced_vectors(self)
        tokenizer_initialize = getattr(self.tokenizer, "initialize", None)
        if tokenizer_initialize is not None:
            tokenizer_initialize(get_examples, nlp=self, **initialize_settings("initialize.tokenizer", settings.get("tokenizer"), tokenizer_initialize))
        elif settings.get("tokenizer"):
            raise ConfigError([ConfigProblem("initialize.tokenizer", "this tokenizer takes no settings", given=settings.get("tokenizer"))])
        sections = component_sections(settings, self.component_names)
        for name, component in self._components:
            extra = initialize_settings(f"initialize.components.{name}", sections.get(name), component.initialize)
            if is_sourced(component) and not needs_initialize(component):  # trained weights stay; new labels are added
                continue_sourced(component, get_examples, frozen=name in frozen_components(self._config), labels=extra.get("labels"))
            else:
                component.initialize(get_examples, nlp=self, **extra)
        if settings.get("init_tok2vec"):
            load_pretrained_tok2vec(self, settings["init_tok2vec"])
        self._optimizer = sgd if sgd is not None else self.create_optimizer()
        return self._optimizer

    @property
    def optimizer(self) -> Optimizer:
        """The optimizer `update` uses without `sgd`: made once (or by `initialize`) and kept, so Adam's moments
        and step count carry over from call to call."""
        if getattr(self, "_optimizer", None) is None:
            self._optimizer = self.create_optimizer()
        return self._optimizer

    def create_optimizer(self) -> Optimizer:
        """The optimizer of `[training.optimizer]` when the config has one, else the schema's default."""
        block = self._config.get("training", {}).get("optimizer") or TrainingSchema.default("optimizer")
        return registry.resolve({"o": block})["o"]

    def update(
        self,
        examples: Sequence[Example],
        *,
        drop: float = 0.0,
        sgd: Optimizer | None = None,
        losses: dict[str, float] | None = None,
        exclude: Sequence[str] = (),
        annotates: Sequence[str] = (),
    ) -> dict[str, float]:
        """Compute gradients of every trainable component on a batch, then apply them all. Each component in
        `annotates` (`[training] annotating_components`) then sets its predictions on the examples' predicted docs
        right after its own update (or, excluded, in its place), so the components after it see them."""
        losses = {} if losses is None else losses
        if not examples:
            return losses
        trainable = [(n, c) for n, c in self.pipeline if c.is_trainable and n not in exclude]  # disabled ones are not trained
        updating = {id(c) for _, c in trainable}
        for name, component in [(n, c) for n, c in self.pipeline if id(c) in updating or n in annotates]:
            if id(component) in updating:
                component.update(examples, drop=drop, sgd=None, losses=losses)
            if name in annotates:
                list(component.pipe([eg.predicted for eg in examples], batch_size=len(examples)))  # annotates in place
        if sgd is not False:
            optimizer = sgd if sgd is not None else self.optimizer
            for _, component in trainable:
                component.finish_update(optimizer)
        return losses

    def evaluate(self, examples: Iterable[Example], *, batch_size: int | None = None) -> dict[str, Any]:
        """Annotate fresh copies of the examples' texts and score them against the references."""
        return self.evaluate_examples(examples, batch_size=batch_size)[0]

    def evaluate_examples(self, examples: Iterable[Example], *, batch_size: int | None = None) -> tuple[dict[str, Any], list[Example]]:
        """Scores and the annotated examples (predicted docs made by this pipeline, same references)."""
        examples = list(examples)
        docs = [Doc.from_orths(self.vocab, eg.predicted.arrays["ORTH"], eg.predicted.arrays["SPACY"]) for eg in examples]
        start = time.perf_counter()
        docs = list(self.pipe(docs, batch_size=batch_size))
        seconds = time.perf_counter() - start
        scored = [Example(doc, eg.reference) for doc, eg in zip(docs, examples)]
        scores = Scorer().score(scored, [c for _, c in self.pipeline])
        n_words = sum(len(d) for d in docs)
        scores["speed"] = n_words / seconds if seconds > 0 else 0.0
        return scores, scored

    # ----- serialisation ------------------------------------------------------------------
    def to_disk(self, path: str | Path) -> None:
        """Save config.cfg, meta.json, the tokenizer and each component, atomically (temp dir + rename)."""
        with atomic_directory(path) as tmp:
            self.write_files(tmp)

    def write_files(self, folder: Path) -> None:
        """Write the pipeline's files into an existing, empty `folder` (callers make that atomic)."""
        self.config.to_disk(folder / "config.cfg")
        srsly.write_json(folder / "meta.json", pipeline_folder.meta_for_disk(self))
        srsly.write_json(folder / "tokenizer.json", self.tokenizer.to_dict())
        if self.vocab.vectors:
            self.vocab.vectors.to_disk(folder / "vectors")
        for name, component in self._components:
            component.to_disk(folder / name)

    @classmethod
    def from_disk(cls, path: str | Path) -> "Language":
        """Load a folder saved by `to_disk`; a missing, empty, cut-short or overwritten file in it is an error naming
        that file and what to do (`pipeline_folder.py`, `damaged.py`), never a decoder's bare message."""
        recover_directory(path)  # a save killed mid-swap left the previous version aside
        return pipeline_folder.read_pipeline(cls, Path(path))


def _without(block: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k != key}


def blank(lang: str = "en") -> Language:
    """An empty pipeline for `lang`: tokenizer only."""
    return Language(lang)


def load(path: str | Path) -> Language:
    """Load a pipeline folder saved with `nlp.to_disk(path)`, or an installed pipeline package by name."""
    if isinstance(path, str) and not recover_directory(path) and not Path(path).exists():
        folder, loader = package_loader(path)  # raises FileNotFoundError naming both possibilities
        return loader() if loader is not None else Language.from_disk(folder)
    return Language.from_disk(path)
