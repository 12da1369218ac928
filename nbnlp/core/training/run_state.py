"""What a training run is, beyond its weights, as plain data a checkpoint can store and a resume restore.

`LoopState` is the training loop's position (step, epoch, place in the epoch's batch order, the
shuffle RNG) and running totals. The process-wide random states and the optimizer's state (Adam
moments, parameter averages, update counts, schedule positions) are captured here too, keyed by
names that are stable across processes (thinc keys optimizer state by node id, which is not).
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy
from thinc.api import Optimizer

if TYPE_CHECKING:
    from ..language import Language


@dataclass
class LoopState:
    """The loop's position after its last finished update (what `TrainingLoop` resumes from)."""

    step: int = 0
    epoch: int = 0
    batches_done: int = 0  # batches of the current epoch already trained on
    words: int = 0
    seconds: float = 0.0  # training time so far (evaluations included), over all sessions
    losses: dict[str, float] = field(default_factory=dict)  # summed since the last evaluation
    best_score: Optional[float] = None
    best_step: Optional[int] = None
    pending_evaluation: bool = False  # the step's evaluation was cut short; a resume evaluates first
    last_in_epoch: bool = False  # whether the last update was its epoch's last batch
    stop_reason: Optional[str] = None  # set when a stop condition ended the run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LoopState":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# ----- random states ----------------------------------------------------------------------------
def python_rng_state(rng: random.Random) -> list[Any]:
    """`rng.getstate()` as msgpack-friendly lists."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_python_rng_state(rng: random.Random, state: list[Any]) -> None:
    version, internal, gauss = state
    rng.setstate((version, tuple(internal), gauss))


def global_random_states() -> dict[str, Any]:
    """Python's and numpy's global random states (dropout masks and batchers draw from them)."""
    kind, keys, pos, has_gauss, cached = numpy.random.get_state()
    return {
        "python": python_rng_state(random),  # type: ignore[arg-type]
        "numpy": {"kind": kind, "keys": numpy.asarray(keys, dtype="uint32"), "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)},
    }


def set_global_random_states(states: dict[str, Any]) -> None:
    set_python_rng_state(random, states["python"])  # type: ignore[arg-type]
    np_state = states["numpy"]
    numpy.random.set_state((np_state["kind"], numpy.asarray(np_state["keys"], dtype="uint32"), np_state["pos"], np_state["has_gauss"], np_state["cached"]))


# ----- optimizer --------------------------------------------------------------------------------
def stable_param_names(nlp: "Language") -> dict[int, str]:
    """node id -> "component:position" for every model node, in pipeline and walk order (shared nodes named once)."""
    names: dict[int, str] = {}
    for component_name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is None:
            continue
        for position, node in enumerate(model.walk()):
            names.setdefault(node.id, f"{component_name}:{position}")
    return names


_PER_PARAM = ("mom1", "mom2", "nr_update", "last_seen")


def optimizer_state(optimizer: Optimizer, nlp: "Language", steps: int) -> dict[str, Any]:
    """The optimizer's full state, keyed by stable names; `steps` schedule steps taken so far."""
    names = stable_param_names(nlp)

    def rekey(table: Optional[dict[Any, Any]]) -> Optional[dict[str, Any]]:
        if table is None:
            return None
        out = {}
        for (node_id, param), value in table.items():
            if node_id not in names:
                raise ValueError(f"the optimizer holds state for a model node that is not in the pipeline ({node_id}, {param})")
            out[f"{names[node_id]}:{param}"] = _host(value)
        return out

    state: dict[str, Any] = {name: rekey(getattr(optimizer, name)) for name in _PER_PARAM}
    state["averages"] = rekey(optimizer.averages)
    state["radam_buffer"] = [[_host(v) for v in entry] for entry in optimizer._radam_buffer]
    state["schedule_steps"] = steps
    return state


def restore_optimizer(optimizer: Optimizer, nlp: "Language", state: dict[str, Any], *, fast_forward: bool = True) -> None:
    """Put a saved state into an optimizer built from the same config: into a fresh one with its schedules
    fast-forwarded, or (`fast_forward=False`) into one whose schedules are already where the state's were."""
    by_name = {name: node_id for node_id, name in stable_param_names(nlp).items()}
    ops = _ops_of(nlp)

    def unkey(table: Optional[dict[str, Any]], arrays: bool) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, value in (table or {}).items():
            node_name, _, param = key.rpartition(":")
            if node_name not in by_name:
                raise ValueError(f"the checkpoint's optimizer state names {node_name}, which this pipeline does not have")
            out[(by_name[node_name], param)] = ops.xp.array(value) if arrays else value  # a writable copy
        return out

    optimizer.mom1 = unkey(state["mom1"], True)
    optimizer.mom2 = unkey(state["mom2"], True)
    optimizer.nr_update.clear()
    optimizer.nr_update.update(unkey(state["nr_update"], False))
    optimizer.last_seen.clear()
    optimizer.last_seen.update(unkey(state["last_seen"], False))
    if optimizer.averages is not None and state["averages"] is not None:
        optimizer.averages = unkey(state["averages"], True)
    optimizer._radam_buffer = [list(entry) for entry in state["radam_buffer"]]
    for _ in range(int(state["schedule_steps"]) if fast_forward else 0):
        optimizer.step_schedules()


def _host(value: Any) -> Any:
    """numpy arrays as they are, cupy arrays copied to the host, scalars unchanged."""
    if hasattr(value, "get") and not isinstance(value, (dict, numpy.ndarray)):
        return value.get()
    return value


def _ops_of(nlp: "Language") -> Any:
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None:
            return model.ops
    from thinc.api import get_current_ops

    return get_current_ops()
