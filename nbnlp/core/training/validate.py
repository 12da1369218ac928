"""Checks of a training config beyond each setting's own type and limits (those are in `settings.py`):
settings that must agree with the pipeline, `[initialize]` files, and score weights the evaluation reports.

`prepare_training` and `check_config` both run them, so a config checked in a notebook fails in
training for no other reason than its data.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ..config import ConfigError, ConfigProblem, dotted_items
from ..settings import TrainingSchema
from ..vectors import has_vectors_dir
from .dropout import dropout_schedule
from .sections import check_section_keys

if TYPE_CHECKING:
    from ..language import Language


def check_training(cfg: Mapping[str, Any], problems: list[ConfigProblem]) -> TrainingSchema:
    """The `[training]` settings (defaults filled in, wrong ones replaced by defaults); problems are appended, with
    those of the other sections without a schema of their own (`sections.py`)."""
    settings = TrainingSchema.check(cfg.get("training", {}) or {}, problems)
    check_section_keys(cfg, problems)
    if isinstance(settings.dropout, dict):  # a schedule: resolvable, and a rate at step 0
        dropout_schedule(settings.dropout, problems)
    pipe_names = list(cfg.get("nlp", {}).get("pipeline", []))
    disabled = cfg.get("nlp", {}).get("disabled") or []
    for key in ("frozen_components", "annotating_components"):
        for name in getattr(settings, key):
            if name not in pipe_names:
                problems.append(ConfigProblem(f"training.{key}", f"{name!r} is not in the pipeline",
                                              expected=" or ".join(pipe_names) or "a component in nlp.pipeline", given=name))
            elif key == "annotating_components" and name in disabled:  # it would never run: say so, not nothing
                problems.append(ConfigProblem(f"training.{key}", f"{name!r} is disabled (nlp.disabled): it does not run, so it cannot annotate",
                                              expected="an active component", given=name))
    return settings


def check_frozen_listeners(nlp: "Language", settings: TrainingSchema, problems: list[ConfigProblem]) -> None:
    """A frozen tok2vec that trained components listen to must set `doc.tensor` as it goes (be annotating): it is
    not updated, so nothing else hands them its output. A frozen component listening to a trained tok2vec keeps its
    weights but not its predictions, which is worth a warning (sourcing it alone gives it its own tok2vec copy)."""
    import warnings

    from ..models.listener import find_listener_layers

    frozen, annotating = set(settings.frozen_components), set(settings.annotating_components)
    owners = {id(c): name for name, c in nlp.pipeline}
    for name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is None or not hasattr(model, "walk"):
            continue
        for layer in find_listener_layers(model):
            upstream = owners.get(layer.attrs["inbox"].owner)
            if upstream is None or upstream == name:
                continue
            if upstream in frozen and name not in frozen and upstream not in annotating:
                problems.append(ConfigProblem(
                    "training.frozen_components", f"the frozen {upstream!r} feeds {name!r}, which trains: it must set its "
                    f"vectors on the docs as it goes", expected=f"{upstream!r} in training.annotating_components too", given=upstream))
            elif name in frozen and upstream not in frozen:
                warnings.warn(f"the frozen {name!r} listens to {upstream!r}, which trains: its weights stay the same but its "
                              f"predictions change; freeze {upstream!r} too, or source {name!r} without it (it gets its own copy)",
                              UserWarning, stacklevel=2)


def check_initialize(cfg: Mapping[str, Any], problems: list[ConfigProblem]) -> None:
    """`[initialize] vectors` is a folder with a vectors table, `init_tok2vec` a weights file for a component
    in the pipeline; static-vectors layers need the table. (Weights that do not fit are found by `initialize`.)"""
    section = cfg.get("initialize", {}) or {}
    vectors = section.get("vectors")
    if vectors not in (None, ""):
        if not isinstance(vectors, str):
            problems.append(ConfigProblem("initialize.vectors", "wrong type", expected="a folder path or null", given=vectors))
        elif not Path(vectors).is_dir():
            problems.append(_missing_vectors(cfg, vectors))
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


def _missing_vectors(cfg: Mapping[str, Any], vectors: str) -> ConfigProblem:
    """A vectors source that is not a folder: a package name (spaCy's configs name `en_core_web_lg`) or a wrong path,
    with the override that fixes it (the setting the value came from, `paths.vectors` in spaCy's configs)."""
    import importlib.util

    setting = "paths.vectors" if (cfg.get("paths", {}) or {}).get("vectors") == vectors else "initialize.vectors"
    installed = vectors.isidentifier() and importlib.util.find_spec(vectors) is not None
    if not vectors.isidentifier():
        what = "no such folder"
    elif installed:
        what = f"{vectors!r} is an installed package, but nbnlp reads vectors only from a folder made by nbnlp init-vectors"
    else:
        what = f"the vectors source {vectors!r} is neither a folder nor an installed package"
    statics = static_vectors_settings(cfg)
    off = f" and {statics[0]} false" if statics else ""
    return ConfigProblem("initialize.vectors", f"{what}; override it: --{setting} null (no vectors{off}) or --{setting} DIR "
                         "(a folder made by nbnlp init-vectors)", given=vectors)


def static_vectors_settings(cfg: Mapping[str, Any]) -> list[str]:
    """The settings under [components] that turn on static vectors (`include_static_vectors = true`, StaticVectors blocks)."""
    found = []
    for loc, value in dotted_items(cfg.get("components", {}) or {}, "components"):
        if (loc.endswith(".include_static_vectors") and value is True) or (loc.endswith(".@architectures") and value == "nbnlp.StaticVectors.v1"):
            found.append(loc)
    return found


def check_score_weights(nlp: "Language", dev_corpus: Callable[["Language"], Any], weights: Mapping[str, Optional[float]], *, given: bool) -> None:
    """Score names the evaluation does not report are config problems (found by scoring a few dev examples)."""
    sample = []
    for eg in dev_corpus(nlp):
        sample.append(eg)
        if len(sample) >= 3:
            break
    reported = nlp.evaluate(sample)  # with no sample, still every score name the components report
    problems = []
    for name in weights:
        if name not in reported:
            close = difflib.get_close_matches(name, list(reported), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            source = "" if given else " (a default weight of the pipeline's components)"
            problems.append(ConfigProblem(f"training.score_weights.{name}", f"the evaluation reports no such score{hint}{source}", expected="one of " + ", ".join(sorted(reported))))
    if problems:
        raise ConfigError(problems)
