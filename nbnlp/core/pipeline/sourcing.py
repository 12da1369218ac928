"""`[components.NAME] source = "PATH or package"`: start a component from a trained nbnlp pipeline.

Users continue from work they have: the component is built with the source's factory and settings and gets
the source's weights and learned state (labels), so it predicts exactly as it did there. The new pipeline's
config holds those settings in full (no `source`), so a pipeline saved after training loads without the source.

A component that listened to a shared tok2vec in its source keeps listening to it when the new pipeline
sources that same tok2vec (same source, same component); otherwise its listener is replaced by its own copy of
that tok2vec, weights included (the tok2vec it would otherwise get is another, untrained or differently trained,
one). `replace_listeners = ["model.tok2vec"]` (spaCy's key) asks for the copy in every case.

`--base-model PATH` is the same, for every component of the config that the base pipeline has (`with_base_model`).
Pipelines trained by spaCy are refused with the reason: their weights belong to spaCy's architectures.
"""
from __future__ import annotations

import copy
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional

import numpy
from thinc.api import Config, Model

from ..config import ConfigError, ConfigProblem
from ..installed import NAME_RE, spacy_refusal, spacy_version_of
from ..models.listener import find_listener_layers
from .resize import add_labels, has_weights

if TYPE_CHECKING:
    from ..example import Example
    from ..language import Language

SOURCE_KEYS = ("source", "component", "replace_listeners")
NO_SOURCE = "no source given"
LISTENER_ARCHITECTURE = "nbnlp.Tok2VecListener.v1"
REPLACEABLE = ("model.tok2vec",)  # where nbnlp's components keep their listener


@dataclass(frozen=True)
class SourceSpec:
    """One sourced component: its name here, the source pipeline, its name there, and whether to copy its tok2vec."""

    name: str
    source: str
    component: str
    replace_listeners: bool = False

    @property
    def loc(self) -> str:
        return f"components.{self.name}"


def is_sourced_block(block: Any) -> bool:
    return isinstance(block, dict) and "source" in block


def read_spec(name: str, block: dict[str, Any]) -> SourceSpec:
    """The sourced block's settings, checked: any other key (a factory, settings) is an error naming it."""
    loc = f"components.{name}"
    problems = [
        ConfigProblem(f"{loc}.{key}", "a sourced component takes its factory and settings from its source",
                      expected="only " + ", ".join(SOURCE_KEYS), given=block[key])
        for key in block if key not in SOURCE_KEYS
    ]
    source, component = block.get("source"), block.get("component", name)
    if source is None:  # e.g. `${paths.base}` still null in a config cell: given when training
        problems.append(ConfigProblem(f"{loc}.source", NO_SOURCE, expected="a pipeline folder or an installed pipeline package"))
    elif not isinstance(source, (str, Path)) or not str(source):
        problems.append(ConfigProblem(f"{loc}.source", "wrong type", expected="a pipeline folder or an installed pipeline package", given=source))
    if not isinstance(component, str) or not component:
        problems.append(ConfigProblem(f"{loc}.component", "wrong type", expected="the component's name in the source pipeline", given=component))
    replace = block.get("replace_listeners") or []
    if not isinstance(replace, (list, tuple)) or any(path not in REPLACEABLE for path in replace):
        problems.append(ConfigProblem(f"{loc}.replace_listeners", "nbnlp's components listen at model.tok2vec only",
                                      expected='[] or ["model.tok2vec"]', given=replace))
    if problems:
        raise ConfigError(problems)
    return SourceSpec(name, str(source), component, bool(replace))


# ----- the source pipelines ---------------------------------------------------------------------
def spacy_pipeline_version(source: str) -> Optional[str]:
    """spaCy's version if `source` (a folder, or an installed package's folder) holds a pipeline spaCy trained."""
    folder = Path(source)
    if not folder.is_dir():
        spec = importlib.util.find_spec(source) if NAME_RE.match(source) else None
        if spec is None or spec.origin is None:
            return None
        folder = Path(spec.origin).parent
    return spacy_version_of(folder)


def load_source(source: str, loc: str) -> "Language":
    """The pipeline `source` names, or a ConfigError at `loc` saying why it cannot be one."""
    from ..language import load

    version = spacy_pipeline_version(source)
    if version is not None:
        raise ConfigError([ConfigProblem(loc, spacy_refusal(repr(source), version))])
    try:
        return load(source)
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(loc, "no such pipeline folder or installed pipeline package",
                                         expected="a folder saved by nlp.to_disk or nbnlp train (e.g. out/model-best), or an installed pipeline package",
                                         given=source)]) from None
    except ConfigError as err:
        raise ConfigError([ConfigProblem(loc, f"the source pipeline {source!r} does not load: {p}") for p in err.problems]) from None
    except (OSError, ValueError) as err:  # a damaged folder (DamagedFileError is a ValueError), unreadable files
        raise ConfigError([ConfigProblem(loc, f"the source pipeline {source!r} does not load: {str(err).splitlines()[0]}")]) from None


class SourcePipelines:
    """The source pipelines of one `from_config`, each loaded once however many components come from it."""

    def __init__(self) -> None:
        self._loaded: dict[str, "Language"] = {}

    def get(self, source: str, loc: str) -> "Language":
        if source not in self._loaded:
            self._loaded[source] = load_source(source, loc)
        return self._loaded[source]


# ----- building ---------------------------------------------------------------------------------
def add_sourced_pipe(nlp: "Language", spec: SourceSpec, sources: SourcePipelines, *, validate: bool = True) -> Any:
    """Add the source's component to `nlp` under `spec.name`: its factory and settings, then its weights and labels."""
    src = sources.get(spec.source, f"{spec.loc}.source")
    if spec.component not in src.component_names:  # a component disabled there can be sourced too
        raise ConfigError([ConfigProblem(f"{spec.loc}.component", f"the source pipeline {spec.source!r} has no such component",
                                         expected=" or ".join(src.component_names) or "a component (the source has none)", given=spec.component)])
    block = copy.deepcopy(dict(src.config["components"][spec.component]))
    factory = block.pop("factory")
    component = nlp.add_pipe(factory, name=spec.name, config=block, validate=validate)
    copy_state(src.get_pipe(spec.component), component)
    _share_vectors(nlp, src, block, component)
    component.sourced_from = spec  # `initialize` keeps its weights (see `continue_sourced`)
    return component


def copy_state(source: Any, component: Any) -> None:
    """The learned state (labels, ...) and weights of `source` into `component`, built from the same settings."""
    component.set_cfg(copy.deepcopy(source.get_cfg()))
    model = getattr(component, "model", None)
    if model is not None:
        component.prepare_model_for_load()
        model.from_bytes(source.model.to_bytes())


def resolve_listeners(nlp: "Language", specs: Iterable[SourceSpec], sources: SourcePipelines) -> None:
    """Keep or replace each sourced component's listeners (see the module docstring), once every component is in."""
    specs = list(specs)
    origin = {(s.source, s.component): s.name for s in specs}
    for spec in specs:
        src = sources.get(spec.source, f"{spec.loc}.source")
        source_component, component = src.get_pipe(spec.component), nlp.get_pipe(spec.name)
        old_layers = find_listener_layers(source_component.model) if getattr(source_component, "model", None) is not None else []
        new_layers = find_listener_layers(component.model) if old_layers else []
        for old, new in zip(old_layers, new_layers):
            upstream = _owner(src, old)
            if upstream is None:
                continue
            linked = origin.get((spec.source, upstream))
            if linked is not None and not spec.replace_listeners and nlp.component_names.index(linked) < nlp.component_names.index(spec.name):
                _point_at(nlp, spec.name, new, linked)
            else:
                _own_copy(nlp, spec, component, new, src.get_pipe(upstream), src.config["components"][upstream]["model"], src)
    nlp._link_listeners()


def _owner(src: "Language", listener: Any) -> Optional[str]:
    """The name of the source's tok2vec component feeding `listener` (linked when the source was loaded)."""
    owner = listener.attrs["inbox"].owner
    return next((name for name, c in src.components if id(c) == owner), None)


def _point_at(nlp: "Language", name: str, listener: Any, upstream: str) -> None:
    """Keep the listener, pinned to the tok2vec it must listen to here (with "*", a tok2vec added between them
    would take it over)."""
    if listener.attrs["upstream"] == upstream:
        return
    listener.attrs["upstream"] = upstream
    settings = copy.deepcopy(nlp._config["components"][name])  # the pipeline's own record of its settings
    for block in _listener_blocks(settings):
        block["upstream"] = upstream
    nlp._config["components"][name] = settings


def _own_copy(nlp: "Language", spec: SourceSpec, component: Any, listener: Any, tok2vec: Any, tok2vec_block: dict[str, Any],
              tok2vec_source: "Language") -> None:
    """Replace `listener` in the component's model by a copy of the source tok2vec's model (weights included), and
    its config block by that model's block, so the saved config rebuilds the same layers."""
    width = listener.get_dim("nO")
    if tok2vec.model.has_dim("nO") and tok2vec.model.get_dim("nO") != width:
        raise ConfigError([ConfigProblem(f"{spec.loc}.source", f"the source's {spec.component!r} listens with width {width} to a tok2vec of width {tok2vec.model.get_dim('nO')}")])
    component.model.replace_node(listener, copy_model(tok2vec.model))
    _share_vectors(nlp, tok2vec_source, tok2vec_block, component)
    settings = copy.deepcopy(nlp._config["components"][spec.name])  # the pipeline's own record of its settings
    blocks = list(_listener_blocks(settings))
    if len(blocks) != 1:
        raise ConfigError([ConfigProblem(spec.loc, f"cannot tell which of the {len(blocks)} tok2vec listeners in the source's settings to replace")])
    blocks[0].clear()
    blocks[0].update(copy.deepcopy(dict(tok2vec_block)))
    nlp._config["components"][spec.name] = settings


def copy_model(model: Model) -> Model:
    """A deep copy of `model` whose layers keep their ops (thinc's copy gives every layer the current ops, and
    other ops sum in another order: the copy would not predict bit for bit what the original does)."""
    copied = model.copy()
    for original, node in zip(model.walk(), copied.walk()):
        node.ops = original.ops
    return copied


def _share_vectors(nlp: "Language", src: "Language", settings: Any, component: Any) -> None:
    """Static-vectors layers read the vocab's table: a pipeline without one takes the source's (saved with it). The
    component remembers the table it was trained with, so that another one is found (`check_sourced_vectors`)."""
    if src.vocab.vectors and _uses_static_vectors(settings):
        component.sourced_vectors = src.vocab.vectors
        if not nlp.vocab.vectors:
            nlp.vocab.vectors = src.vocab.vectors


def check_sourced_vectors(nlp: "Language") -> None:
    """A sourced component reading static vectors must find the table it was trained with: rows of another table
    (a second source's, or `[initialize] vectors`) would silently mean other words."""
    table = nlp.vocab.vectors
    problems = []
    for name, component in nlp.components:
        own = getattr(component, "sourced_vectors", None)
        if own is None or own is table:
            continue
        if not table or own.info() != table.info() or not numpy.array_equal(own.data, table.data):
            problems.append(ConfigProblem(f"components.{name}.source", "its static vectors were trained with its source's table "
                                          f"({own.info()}), but this pipeline's table is another ({table.info() if table else 'none'})",
                                          expected="the same table: leave [initialize] vectors unset, or give the folder the source was trained with"))
    if problems:
        raise ConfigError(problems)


def _uses_static_vectors(settings: Any) -> bool:
    if isinstance(settings, dict):
        if settings.get("include_static_vectors") is True or settings.get("@architectures") == "nbnlp.StaticVectors.v1":
            return True
        return any(_uses_static_vectors(v) for v in settings.values())
    return False


def _listener_blocks(settings: Any) -> Iterator[dict[str, Any]]:
    """Every listener block in a component's settings, depth first."""
    if isinstance(settings, dict):
        if settings.get("@architectures") == LISTENER_ARCHITECTURE:
            yield settings
            return
        for value in settings.values():
            yield from _listener_blocks(value)


# ----- initialising -----------------------------------------------------------------------------
def is_sourced(component: Any) -> bool:
    return getattr(component, "sourced_from", None) is not None


def continue_sourced(component: Any, get_examples: Callable[[], Iterable["Example"]], *, frozen: bool,
                     labels: Optional[Iterable[str]] = None) -> list[str]:
    """`initialize` for a sourced component: its weights stay; unless frozen, labels the training data (or the given
    labels) have and it lacks are added, its output layer growing (`resize.add_labels`). Returns the labels added."""
    labels_of = getattr(component, "labels_of", None)
    extra = sorted(set(labels or ()) - set(getattr(component, "labels", ())))
    if frozen and extra:  # given labels a frozen component cannot take: said, not ignored
        raise ConfigError([ConfigProblem(f"initialize.components.{component.name}.labels", "the component is frozen "
                                         "(training.frozen_components) and keeps the labels of its source", given=extra)])
    if frozen or labels_of is None or not hasattr(component, "output_params"):
        return []
    found: set[str] = set(labels) if labels is not None else set()
    if labels is None:
        for eg in get_examples():
            found.update(labels_of(eg))
    return add_labels(component, found)


def frozen_components(config: Any) -> list[str]:
    """`[training] frozen_components` of a pipeline's config (what `initialize` leaves exactly as sourced)."""
    training = config.get("training") if hasattr(config, "get") else None
    frozen = training.get("frozen_components") if isinstance(training, dict) else None
    return list(frozen) if isinstance(frozen, (list, tuple)) else []


def needs_initialize(component: Any) -> bool:
    """A sourced component whose source never trained it (no weights) is initialised as a new one."""
    model = getattr(component, "model", None)
    return model is not None and not has_weights(model)


# ----- --base-model -----------------------------------------------------------------------------
def base_model_pipe_names(base_model: str) -> list[str]:
    """The components of the pipeline `base_model` names (its config only: sourcing loads it later)."""
    from ..installed import package_data_dir
    from ..pipeline_folder import read_pipeline_config

    loc = "--base-model"
    version = spacy_pipeline_version(base_model)
    if version is not None:
        raise ConfigError([ConfigProblem(loc, spacy_refusal(repr(base_model), version))])
    folder = Path(base_model)
    try:
        if not folder.is_dir():
            folder = package_data_dir(base_model)
        return list(read_pipeline_config(folder)["nlp"]["pipeline"])
    except (OSError, ValueError) as err:
        raise ConfigError([ConfigProblem(loc, str(err).splitlines()[0], expected="a pipeline folder (e.g. out/model-best) or an installed pipeline package", given=base_model)]) from None


def with_base_model(config: Config, base_model: str | Path, report: Optional[list[str]] = None,
                    overrides: Iterable[str] = ()) -> Config:
    """`config` with every pipeline component that the base model has (same name) sourced from it; one line saying
    which goes to `report` (their settings in the config give way to the base model's). An override of such a
    component's settings (`--components.tagger.model.x`) would be lost: it is an error naming it."""
    base = str(Path(base_model).resolve()) if Path(base_model).is_dir() else str(base_model)
    names = base_model_pipe_names(base)
    out = Config(config).copy()
    pipeline = list((out.get("nlp") or {}).get("pipeline") or [])
    shared = [name for name in pipeline if name in names]
    if not shared:
        raise ConfigError([ConfigProblem("--base-model", f"the base model has none of the config's components ({', '.join(pipeline) or 'none'})",
                                         expected="a pipeline with components named as in nlp.pipeline", given=", ".join(names))])
    lost = [key for key in overrides if key.split(".")[:1] == ["components"] and key.split(".")[1:2] and key.split(".")[1] in shared]
    if lost:
        raise ConfigError([ConfigProblem(f"--{key}", "this component continues from the base model and keeps its settings",
                                         expected="no override of a component the base model has") for key in lost])
    components = out.setdefault("components", {})
    for name in shared:
        components[name] = {"source": base}
    if report is not None:
        built = [name for name in pipeline if name not in shared]
        report.append(f"Base model {base}: {', '.join(shared)} continue from it (its settings, weights and labels)"
                      + (f"; {', '.join(built)} built from the config" if built else ""))
    return out


__all__ = [
    "SOURCE_KEYS", "SourcePipelines", "SourceSpec", "add_sourced_pipe", "check_sourced_vectors", "continue_sourced", "copy_state", "frozen_components", "is_sourced",
    "is_sourced_block", "load_source", "needs_initialize", "read_spec", "resolve_listeners", "spacy_pipeline_version",
    "with_base_model",
]
