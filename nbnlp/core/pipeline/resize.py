"""Grow a trained component's output layer when it meets new labels (`--base-model`, sourced components).

A component that continues from trained weights keeps what it learned: every output (one per label, or per
BILUO tag for NER) keeps its trained row at the position its name has in the new output order, and each new
output gets a zero row (a neutral score that training moves). Which weights hold one entry per output is the
component's business (`output_params`); the copying is done here, once, with thinc ops only.
"""
from __future__ import annotations

from typing import Any, Sequence

from thinc.api import Model


def grow_array(ops: Any, array: Any, axis: int, keep: Sequence[int], n_new: int) -> Any:
    """`array` resized to `n_new` entries along `axis`: old entry i at position keep[i], the others zero."""
    shape = list(array.shape)
    shape[axis] = n_new
    out = ops.alloc(tuple(shape), dtype=array.dtype)
    index: list[Any] = [slice(None)] * array.ndim
    index[axis] = ops.xp.asarray(list(keep), dtype="int64")
    out[tuple(index)] = array
    return out


def _ancestors_of(model: Model, targets: set[int]) -> list[Model]:
    """The nodes of `model` that contain a target node (the output layers) or are one: their nO is the output count."""
    return [node for node in model.walk() if any(n.id in targets for n in node.walk())]


def add_labels(component: Any, labels: Sequence[str]) -> list[str]:
    """Add `labels` to a component whose model has weights, growing every output weight; returns those added.

    New labels go after the old ones (a component that keeps its labels sorted reorders them; the trained rows
    follow their names either way)."""
    new = sorted({str(x) for x in labels} - set(component.labels))
    if not new:
        return []
    old_names = list(component.output_names())
    listed = list(component.output_params())
    params = [(layer, name, axis) for layer, name, axis in listed if layer.has_param(name)]
    if not params or len(params) != len(listed):  # labels growing without their outputs would mispredict later
        raise ValueError(f"{component.kind} {component.name!r}: cannot add labels {new}: its output weights are not all "
                         "there (a component must list every per-label weight in output_params)")
    component._set_labels([*component.labels, *new])
    new_names = list(component.output_names())
    position = {name: i for i, name in enumerate(new_names)}
    keep = [position[name] for name in old_names]
    n_old, n_new = len(old_names), len(new_names)
    for layer, name, axis in params:
        value = layer.get_param(name)
        if value.shape[axis] != n_old:
            raise ValueError(f"{component.kind} {component.name!r}: weight {name!r} has {value.shape[axis]} outputs, expected {n_old}")
        layer.set_param(name, grow_array(layer.ops, value, axis, keep, n_new))
        if layer.has_grad(name):
            layer.set_grad(name, layer.ops.alloc(layer.get_param(name).shape, dtype=value.dtype))
    outputs = {layer.id for layer, _, _ in params}
    for node in _ancestors_of(component.model, outputs):
        if node.has_dim("nO") is True and node.get_dim("nO") == n_old:
            node._dims["nO"] = n_new  # thinc's set_dim refuses to change a layer with weights; the weights match now
    return new


def has_weights(model: Model) -> bool:
    """Whether any layer of `model` holds weights (it was initialised or loaded)."""
    return any(node.has_param(name) for node in model.walk() for name in node.param_names)


__all__ = ["add_labels", "grow_array", "has_weights"]
