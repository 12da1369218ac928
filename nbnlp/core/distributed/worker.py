"""One data-parallel replica: a Ray actor that holds the pipeline and an identical optimizer.

Each step it computes the gradients of its sub-batch (`compute`) and, once the driver has summed every
worker's, applies the sum (`apply`), so all replicas keep the same weights. The class is plain Python;
`data_parallel.py` turns it into an actor, so this module imports without Ray.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from thinc.api import fix_random_seed, set_current_ops

from ...gpu.device import select_device
from ..registry import registry
from ..training.loop import split_by_words
from ..training.run_state import global_random_states, restore_optimizer, set_global_random_states
from ..training.gradients import Gradients, apply_gradients, take_gradients
from .registrations import restore_registrations
from .shipping import load_pipeline_files
from .wire import decode_examples


class TrainingWorker:
    """A replica of the driver's pipeline and optimizer (see the module docstring)."""

    def __init__(
        self,
        index: int,
        files: dict[str, bytes],
        registrations: Optional[bytes],
        optimizer_block: dict[str, Any],
        optimizer_state: dict[str, Any],
        options: dict[str, Any],
    ) -> None:
        self.index = index
        restore_registrations(registrations)  # notebook and --code registrations, before anything is built
        self.device = select_device(int(options.get("gpu_id", -1)))
        from thinc.api import get_current_ops

        self.ops = get_current_ops()
        self.nlp = load_pipeline_files(files)
        self.optimizer = registry.resolve({"optimizer": optimizer_block})["optimizer"]
        restore_optimizer(self.optimizer, self.nlp, optimizer_state)
        self.dropout = float(options.get("dropout", 0.0))
        self.accumulate = int(options.get("accumulate_gradient", 1))
        frozen = set(options.get("frozen_components", []))
        self.updated = [name for name, c in self.nlp.pipeline if c.is_trainable and name not in frozen]
        self.excluded = sorted(frozen)
        fix_random_seed(int(options.get("seed", 0)) + 7919 * (index + 1))  # each replica draws its own dropout masks

    def _use_ops(self) -> None:
        set_current_ops(self.ops)  # thinc keeps the current ops per thread; Ray may call from another one

    def describe(self) -> dict[str, Any]:
        return {"index": self.index, "pid": os.getpid(), "device": self.device, "node": os.uname().nodename}

    def compute(self, payload: dict[str, Any]) -> tuple[Gradients, dict[str, float]]:
        """The summed gradients and losses of this worker's share of a global batch."""
        self._use_ops()
        examples = decode_examples(payload, self.nlp.vocab)
        losses: dict[str, float] = {}
        for part in split_by_words(examples, self.accumulate):
            self.nlp.update(part, drop=self.dropout, sgd=False, losses=losses, exclude=self.excluded)  # type: ignore[arg-type]
        return take_gradients(self.nlp, self.updated), losses

    def apply(self, gradients: Gradients) -> None:
        """Apply the summed gradients of all workers and advance the schedules (one optimizer step)."""
        self._use_ops()
        apply_gradients(self.nlp, self.optimizer, gradients)
        self.optimizer.step_schedules()

    def random_states(self) -> dict[str, Any]:
        return global_random_states()

    def set_random_states(self, states: Optional[dict[str, Any]]) -> None:
        if states is not None:
            set_global_random_states(states)

    def weights(self) -> dict[str, bytes]:
        """Each component's weights (tests compare replicas with them)."""
        return {name: c.model.to_bytes() for name, c in self.nlp.pipeline if getattr(c, "model", None) is not None}
