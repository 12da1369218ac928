"""One data-parallel replica: a Ray actor that holds the pipeline and an identical optimizer.

Each step it computes the gradients of its sub-batch (`compute`), then sums every worker's gradients, read
from Ray's object store, in worker order and applies the sum (`apply`): all replicas keep the same weights. The class is plain Python;
`data_parallel.py` turns it into an actor, so this module imports without Ray.
"""
from __future__ import annotations

import os
import time
from typing import Any, Optional

from thinc.api import fix_random_seed, set_current_ops

from ...gpu.device import select_device
from ..registry import registry
from ..training.loop import split_by_words
from ..training.run_state import global_random_states, optimizer_state, restore_optimizer, set_global_random_states
from ..training.gradients import Gradients, apply_gradients, gradient_bytes, sum_gradients, take_gradients
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
        self.annotating = list(options.get("annotating_components", []))
        fix_random_seed(int(options.get("seed", 0)) + 7919 * (index + 1))  # each replica draws its own dropout masks

    def _use_ops(self) -> None:
        set_current_ops(self.ops)  # thinc keeps the current ops per thread; Ray may call from another one

    def describe(self) -> dict[str, Any]:
        return {"index": self.index, "pid": os.getpid(), "device": self.device, "node": os.uname().nodename}

    def compute(self, payload: dict[str, Any], dropout: Optional[float] = None) -> tuple[Gradients, dict[str, Any]]:
        """The gradients of this worker's share of a global batch at `dropout` (the step's rate; None: the fixed
        one), and a report (losses, bytes, seconds)."""
        self._use_ops()
        began = time.perf_counter()
        examples = decode_examples(payload, self.nlp.vocab)
        losses: dict[str, float] = {}
        for part in split_by_words(examples, self.accumulate):
            self.nlp.update(part, drop=self.dropout if dropout is None else dropout, sgd=False, losses=losses,  # type: ignore[arg-type]
                            exclude=self.excluded, annotates=self.annotating)
        gradients = take_gradients(self.nlp, self.updated)
        report = {"losses": losses, "gradient_bytes": gradient_bytes(gradients), "seconds": time.perf_counter() - began}
        return gradients, report

    def apply(self, *gradients: Gradients) -> dict[str, float]:
        """Sum every worker's gradients (in worker order, as every replica does) and take one optimizer step.

        Ray hands the other workers' gradients over from the object store; the driver never touches them."""
        self._use_ops()
        began = time.perf_counter()
        summed = sum_gradients(gradients)
        summed_at = time.perf_counter()
        apply_gradients(self.nlp, self.optimizer, summed)
        self.optimizer.step_schedules()
        return {"sum_seconds": summed_at - began, "apply_seconds": time.perf_counter() - summed_at}

    def state(self) -> tuple[dict[str, bytes], dict[str, Any]]:
        """The weights and the optimizer's arrays, for the driver's copy (evaluation, saving, checkpoints)."""
        weights = {name: c.model.to_bytes() for name, c in self.nlp.pipeline if getattr(c, "model", None) is not None}
        return weights, optimizer_state(self.optimizer, self.nlp, 0)

    def random_states(self) -> dict[str, Any]:
        return global_random_states()

    def set_random_states(self, states: Optional[dict[str, Any]]) -> None:
        if states is not None:
            set_global_random_states(states)

    def weights(self) -> dict[str, bytes]:
        """Each component's weights (tests compare replicas with them)."""
        return {name: c.model.to_bytes() for name, c in self.nlp.pipeline if getattr(c, "model", None) is not None}
