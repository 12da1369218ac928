"""Gradients as plain arrays keyed by stable names, so they can cross processes and be summed.

One process with `accumulate_gradient = N` and N data-parallel workers do the same arithmetic: each
sub-batch's gradients are taken separately (from zeroed gradients), summed in sub-batch order, and the
sum applied once, so the two give bit-identical updates. A worker computes a sub-batch's gradients (`take_gradients`), the driver sums the workers' (`sum_gradients`),
and every replica applies the sum with its own, identical optimizer (`apply_gradients`): that is one
step of one process with `accumulate_gradient` over the same sub-batches. Keys are the "component:position"
names of `stable_param_names`, because thinc's node ids differ between processes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy
from thinc.api import Optimizer

from .run_state import stable_param_names

if TYPE_CHECKING:
    from ..language import Language

Gradients = dict[str, dict[str, Any]]  # component -> "component:position:param" -> array


def _nodes_by_name(nlp: "Language") -> dict[str, Any]:
    names = stable_param_names(nlp)
    nodes = {}
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None:
            for node in model.walk():
                nodes.setdefault(names[node.id], node)
    return nodes


def take_gradients(nlp: "Language", components: Sequence[str]) -> Gradients:
    """The finished gradients of `components` (copied to the host), each zeroed afterwards as an optimizer step would."""
    names = stable_param_names(nlp)
    taken: Gradients = {}
    for name in components:
        component = nlp.get_pipe(name)
        if not component.backprop_pending():
            continue
        grads: dict[str, Any] = {}
        for node in component.model.walk():
            for param in node.param_names:
                if node.has_grad(param):
                    grad = node.get_grad(param)
                    grads[f"{names[node.id]}:{param}"] = _to_host(grad).copy()
                    grad *= 0
        taken[name] = grads
    return taken


def sum_gradients(parts: Iterable[Gradients]) -> Gradients:
    """The element-wise sum over workers, in worker order (a key missing from a worker counts as zero)."""
    total: Gradients = {}
    for part in parts:
        for component, grads in part.items():
            into = total.setdefault(component, {})
            for key, grad in grads.items():
                if key in into:
                    into[key] = into[key] + grad
                else:
                    into[key] = numpy.array(grad, copy=True)
    return total


def apply_gradients(nlp: "Language", optimizer: Optimizer, gradients: Mapping[str, Mapping[str, Any]]) -> None:
    """Put summed gradients into the models and step the optimizer on each component that has some."""
    nodes = _nodes_by_name(nlp)
    for component_name, grads in gradients.items():
        component = nlp.get_pipe(component_name)
        for key, grad in grads.items():
            node_name, _, param = key.rpartition(":")
            node = nodes[node_name]
            node.set_grad(param, node.ops.xp.array(grad))  # a writable copy on the replica's device
        component.model.finish_update(optimizer)


def _to_host(array: Any) -> Any:
    return array.get() if hasattr(array, "get") and not isinstance(array, numpy.ndarray) else array


def gradient_bytes(gradients: Gradients) -> int:
    return sum(int(g.nbytes) for grads in gradients.values() for g in grads.values())
