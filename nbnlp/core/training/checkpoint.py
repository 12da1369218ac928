"""`OUTPUT/checkpoint/`: everything needed to continue a run exactly where it stopped.

A checkpoint is one folder, written atomically (the previous one stays complete until the new one
is): `pipeline/` holds the live (not averaged) weights as an ordinary pipeline folder, and
`state.msgpack` the optimizer's full state, the random states, the loop's position, the best
weights and score so far, the evaluation history, and the fingerprint of the settings that a
resumed run must not change.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import srsly
import thinc

from ..about import __version__
from ..corpus.atomic import atomic_directory, recover_directory
from .loop import StepInfo
from .run_state import LoopState

if TYPE_CHECKING:
    from ..language import Language

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.msgpack"
PIPELINE_DIR = "pipeline"
FORMAT = 1


@dataclass
class Checkpoint:
    """A checkpoint as read back from disk."""

    path: Path
    loop: LoopState
    random_states: dict[str, Any]
    optimizer: dict[str, Any]
    best_weights: dict[str, bytes]
    history: list[StepInfo]
    fingerprint: dict[str, Any]
    seed: int

    @property
    def pipeline_path(self) -> Path:
        return self.path / PIPELINE_DIR


class CheckpointError(ValueError):
    """No usable checkpoint where a resume looked for one."""


def write_checkpoint(
    folder: Path,
    nlp: "Language",
    *,
    loop: LoopState,
    random_states: dict[str, Any],
    optimizer: dict[str, Any],
    best_weights: dict[str, bytes],
    history: list[StepInfo],
    fingerprint: dict[str, Any],
    seed: int,
) -> None:
    """Write `folder` (normally OUTPUT/checkpoint) in one atomic swap."""
    state = {
        "format": FORMAT,
        "versions": {"nbnlp": __version__, "thinc": thinc.__version__},
        "seed": seed,
        "loop": loop.to_dict(),
        "random_states": random_states,
        "optimizer": optimizer,
        "best_weights": best_weights,
        "history": [step_to_dict(info) for info in history],
        "fingerprint": fingerprint,
    }
    with atomic_directory(folder) as tmp:
        (tmp / PIPELINE_DIR).mkdir()
        nlp.write_files(tmp / PIPELINE_DIR)
        (tmp / STATE_FILE).write_bytes(srsly.msgpack_dumps(state))


def read_checkpoint(folder: Path) -> Checkpoint:
    """Read a checkpoint, with an error naming the file and what to do when it is missing or damaged."""
    recover_directory(folder)
    if not folder.is_dir():
        raise CheckpointError(
            f"{folder}: no checkpoint to resume from (a run writes one at its first evaluation). Start the run without --resume"
        )
    pipeline = folder / PIPELINE_DIR
    if not (pipeline / "config.cfg").is_file():
        raise CheckpointError(f"{pipeline}: the checkpoint's pipeline is missing. Start the run again without --resume")
    state = _read_state(folder / STATE_FILE)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{folder / STATE_FILE}: not a checkpoint this version of nbnlp can resume (format {state.get('format') if isinstance(state, dict) else '?'}, expected {FORMAT})")
    return Checkpoint(
        path=folder,
        loop=LoopState.from_dict(state["loop"]),
        random_states=state["random_states"],
        optimizer=state["optimizer"],
        best_weights=dict(state["best_weights"]),
        history=[step_from_dict(d) for d in state["history"]],
        fingerprint=state["fingerprint"],
        seed=int(state["seed"]),
    )


def _read_state(path: Path) -> Any:
    fix = "the checkpoint is damaged; start the run again without --resume (model-best and model-last are separate and still load)"
    if not path.is_file():
        raise CheckpointError(f"{path}: missing; {fix}")
    data = path.read_bytes()
    if not data:
        raise CheckpointError(f"{path}: empty; {fix}")
    try:
        return srsly.msgpack_loads(data)
    except Exception as err:  # msgpack raises several unrelated types for cut or garbled data
        raise CheckpointError(f"{path}: cut short or not a checkpoint ({type(err).__name__}: {err}); {fix}") from None


def step_to_dict(info: StepInfo) -> dict[str, Any]:
    from .loggers import jsonable

    return jsonable(dict(info.__dict__))


def step_from_dict(data: dict[str, Any]) -> StepInfo:
    known = {k: v for k, v in data.items() if k in StepInfo.__dataclass_fields__}
    return StepInfo(**known)


def checkpoint_path(output_path: Optional[Path]) -> Optional[Path]:
    return output_path / CHECKPOINT_DIR if output_path is not None else None
