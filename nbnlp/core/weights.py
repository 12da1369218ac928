"""Pretrained tok2vec weights (`nbnlp pretrain`'s modelN.bin) loaded into a pipeline: `[initialize] init_tok2vec`.

Lives below `language.py` (which calls it from `initialize`) and `pretrain.py` (which writes the
files), so neither imports the other. Weights of another shape are a ConfigError saying which
settings differ between the pretraining config saved beside them and this one.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Union

from thinc.api import Model

from .config import ConfigError, ConfigProblem, dotted_items, load_config
from .damaged import RESAVE, DamagedFileError, damaged_if_fails, read_msgpack_file

if TYPE_CHECKING:
    from .language import Language

CONFIG_FILE = "config.cfg"  # the pretraining config, written beside the weights


def load_pretrained_tok2vec(nlp: "Language", path: Union[str, Path]) -> None:
    """`[initialize] init_tok2vec`: load pretrained weights into the `[pretraining] component` (default tok2vec)."""
    config = nlp.config
    component = str((config.get("pretraining", {}) or {}).get("component") or "tok2vec")
    loc = "initialize.init_tok2vec"
    if not nlp.has_pipe(component):
        raise ConfigError([ConfigProblem(loc, f"the weights go into component {component!r} (pretraining.component), which is not in the pipeline",
                                         expected=" or ".join(nlp.pipe_names) or "a component", given=component)])
    model = getattr(nlp.get_pipe(component), "model", None)
    if not isinstance(model, Model):
        raise ConfigError([ConfigProblem(loc, f"component {component!r} has no model to load weights into", given=str(path))])
    load_weights(model, path, loc=loc, config=config, component=component)


def load_weights(model: Model, path: Union[str, Path], *, loc: str, config: Optional[Mapping[str, Any]] = None, component: str = "tok2vec",
                 fix: str = "") -> None:
    """Load thinc weights into an initialised model; weights of another shape are a ConfigError at `loc` saying what differs,
    a damaged file a DamagedFileError naming it (with `fix`, what to do; by default, for `[initialize] init_tok2vec`)."""
    fix = fix or PRETRAINED_FIX
    path = Path(path)
    if not path.exists():
        raise ConfigError([ConfigProblem(loc, "no such file", expected="weights saved by nbnlp pretrain (OUTPUT_DIR/modelN.bin)", given=str(path))])
    what = f"the pretrained {component} weights file"
    msg = read_weights_file(path, what=what, fix=fix)
    with damaged_if_fails(path, f"{what} is not thinc weights", fix):
        differences = shape_differences(model, msg["nodes"])
    if differences:
        settings = config_differences(path.parent / CONFIG_FILE, config, component)
        detail = "; ".join(settings) if settings else "; ".join(differences)
        raise ConfigError([ConfigProblem(loc, f"the pretrained weights do not fit components.{component}.model: {detail}", given=str(path))])
    with damaged_if_fails(path, f"{what} does not fit components.{component}.model", fix):
        model.from_dict(msg)


PRETRAINED_FIX = "Run nbnlp pretrain again, or point [initialize] init_tok2vec at another OUTPUT_DIR/modelN.bin"


def read_weights_file(path: Path, *, what: str, fix: str = RESAVE) -> Dict[str, Any]:
    """The decoded thinc weights (`model.to_bytes()`) in `path`; anything else is a DamagedFileError naming the file."""
    msg = read_msgpack_file(path, what=what, fix=fix)
    nodes = msg.get("nodes") if isinstance(msg, dict) else None
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes) or not isinstance(msg.get("params"), list):
        raise DamagedFileError(path, f"{what} is not thinc weights (it decodes, but to something else)", fix)
    return msg


def load_model_file(model: Model, path: Path, *, what: str, fix: str = RESAVE) -> None:
    """Load weights saved with `model.to_bytes()` from `path` into `model` (a pipeline component's model).

    A missing, empty, cut-short or garbled file, or weights of another model (another component's, another
    pipeline's), is a DamagedFileError naming the file, rather than the decoder's own message.
    """
    msg = read_weights_file(path, what=what, fix=fix)
    with damaged_if_fails(path, f"{what} is not thinc weights", fix):
        differences = shape_differences(model, msg["nodes"])
    if differences:
        raise DamagedFileError(path, f"{what} holds weights of another model ({'; '.join(differences)})", fix)
    with damaged_if_fails(path, f"{what} holds weights that do not fit its model", fix):
        model.from_dict(msg)


def shape_differences(model: Model, nodes: List[Dict[str, Any]]) -> List[str]:
    """How the saved layers differ from the model's (layer count, then each set dimension), in words."""
    here = list(model.walk())
    if len(nodes) != len(here):
        return [f"the pretrained model has {len(nodes)} layers and this one {len(here)} "
                "(the architectures differ, e.g. depth, attrs or include_static_vectors)"]
    out = []
    for i, (saved, node) in enumerate(zip(nodes, here)):
        for dim, value in (saved.get("dims") or {}).items():
            if value is not None and node.has_dim(dim) is True and node.get_dim(dim) != value:
                out.append(f"layer {i} ({node.name}) {_DIM_NAMES.get(dim, dim)}: {value} pretrained, {node.get_dim(dim)} here")
    if len(out) > 4:
        out = out[:4] + [f"and {len(out) - 4} more"]
    return out


_DIM_NAMES = {"nO": "output width nO", "nI": "input width nI", "nV": "rows nV", "nP": "maxout pieces nP"}


def config_differences(saved_config: Path, config: Optional[Mapping[str, Any]], component: str) -> List[str]:
    """Settings of the component's model that differ between the pretraining config saved with the weights and `config`."""
    if config is None or not saved_config.exists():
        return []
    try:
        saved = load_config(saved_config)
    except ConfigError:
        return []
    saved_component = str((saved.get("pretraining", {}) or {}).get("component") or component)
    theirs = dict(_model_items(saved, saved_component))
    ours = dict(_model_items(config, component))
    out = []
    for key in sorted(set(theirs) | set(ours)):
        if theirs.get(key, "(unset)") != ours.get(key, "(unset)"):
            out.append(f"components.{component}.model.{key} is {_show(theirs.get(key))} in the pretraining config, {_show(ours.get(key))} here")
    return out


def _model_items(config: Mapping[str, Any], component: str) -> Iterator[tuple]:
    block = ((config.get("components", {}) or {}).get(component, {}) or {}).get("model", {}) or {}
    yield from dotted_items(block)


def _show(value: Any) -> str:
    return "unset" if value is None else json.dumps(value)
