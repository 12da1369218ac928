"""The driver's side of synchronous data-parallel training: `DataParallelUpdater` replaces one process's update.

Each global batch (formed by the config's batcher, exactly as in one process) is split by words into one
share per worker; the workers' gradients are summed in worker order, and the sum is applied by every worker
and by the driver's own replica (which evaluates and saves), with identical optimizers: the weights stay
the same everywhere and equal one process's with `accumulate_gradient = N` over the same sub-batches.
Sends go through Ray's object store (its CPU collectives would need torch). Actors end with the training.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

from thinc.api import Optimizer

from ..training.loop import split_by_words
from ..training.run_state import optimizer_state
from ..training.gradients import apply_gradients, gradient_bytes, sum_gradients
from .ray_session import WorkerLost, ensure_ray
from .registrations import pack_registrations
from .shipping import pipeline_files
from .wire import encode_examples
from .worker import TrainingWorker

if TYPE_CHECKING:
    from ..example import Example
    from ..language import Language

WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class ExchangeStats:
    """Where a step's time goes, for benchmarks/ray_scaling.py."""

    steps: int = 0
    gradient_bytes: int = 0  # summed over workers, one direction (workers -> driver); the sum goes back once per worker
    compute_seconds: float = 0.0  # waiting for the workers' gradients
    exchange_seconds: float = 0.0  # encoding sub-batches, summing, sending the sum, applying it in the driver
    apply_seconds: float = 0.0  # of which: the driver applying the update to its own replica
    per_step: list[tuple[float, float]] = field(default_factory=list)


class DataParallelUpdater:
    """`update(batch, losses)` for the training loop, run on `n_workers` Ray actors (see the module docstring)."""

    def __init__(
        self,
        nlp: "Language",
        optimizer: Optimizer,
        *,
        n_workers: int,
        start_step: int,
        options: dict[str, Any],
        optimizer_block: dict[str, Any],
        address: Optional[str] = None,
        worker_random_states: Optional[Sequence[dict[str, Any]]] = None,
    ) -> None:
        self.nlp, self.optimizer, self.n_workers = nlp, optimizer, n_workers
        self.stats = ExchangeStats()
        self._ray = ensure_ray(address, num_cpus=n_workers)
        gpu = int(options.get("gpu_id", -1)) >= 0
        actor = self._ray.remote(num_cpus=1, num_gpus=1 if gpu else 0, max_restarts=0, max_task_retries=0)(TrainingWorker)
        files = self._ray.put(pipeline_files(nlp))
        registrations = pack_registrations()
        state = optimizer_state(optimizer, nlp, start_step)
        worker_options = {**options, "gpu_id": 0 if gpu else -1}  # Ray shows each worker its one GPU as device 0
        self.workers = [
            actor.options(runtime_env={"env_vars": WORKER_ENV}, name=None).remote(i, files, registrations, optimizer_block, state, worker_options)
            for i in range(n_workers)
        ]
        self.descriptions = self._get([w.describe.remote() for w in self.workers])
        if worker_random_states is not None and len(worker_random_states) == n_workers:
            self._get([w.set_random_states.remote(s) for w, s in zip(self.workers, worker_random_states)])
        self._pending_apply: list[Any] = []

    def _get(self, refs: list[Any]) -> list[Any]:
        """`ray.get`, with a dead worker reported by index and process instead of Ray's traceback."""
        try:
            return list(self._ray.get(refs))
        except self._ray.exceptions.RayActorError as err:
            raise WorkerLost(
                f"{self._describe(self._dead_worker(err))} died ({type(err).__name__}); training stopped. "
                "model-best, model-last and the checkpoint are kept: continue with --resume"
            ) from None

    def _dead_worker(self, err: Any) -> Optional[int]:
        """Which worker `err` is about: by the actor id Ray reports, else the first that no longer answers."""
        actor_id = getattr(err, "actor_id", None)
        for index, worker in enumerate(self.workers):
            if actor_id is not None and worker._actor_id.hex() == actor_id:
                return index
        for index, worker in enumerate(self.workers):
            try:
                self._ray.get(worker.describe.remote(), timeout=10)
            except Exception:
                return index
        return None

    def _describe(self, index: Optional[int]) -> str:
        described = getattr(self, "descriptions", None)
        if index is None or not described or index >= len(described):
            return "a training worker"
        d = described[index]
        return f"training worker {d['index']} (pid {d['pid']} on {d['node']})"

    def update(self, batch: Sequence["Example"], losses: dict[str, float]) -> None:
        """One synchronous step over the global `batch`."""
        began = time.perf_counter()
        parts = split_by_words(batch, self.n_workers)
        refs = [worker.compute.remote(encode_examples(part)) for worker, part in zip(self.workers, parts)]
        sent = time.perf_counter()
        results = self._get(refs + self._pending_apply)[: len(refs)]  # last step's applies finished too
        received = time.perf_counter()
        summed = sum_gradients(grads for grads, _ in results)
        for _, part_losses in results:
            for name, value in part_losses.items():
                losses[name] = losses.get(name, 0.0) + value
        shared = self._ray.put(summed)
        self._pending_apply = [worker.apply.remote(shared) for worker in self.workers]
        applying = time.perf_counter()
        apply_gradients(self.nlp, self.optimizer, summed)
        self.optimizer.step_schedules()
        done = time.perf_counter()
        self.stats.apply_seconds += done - applying
        self.stats.steps += 1
        self.stats.gradient_bytes += sum(gradient_bytes(g) for g, _ in results)
        self.stats.compute_seconds += received - sent
        self.stats.exchange_seconds += (sent - began) + (done - received)
        self.stats.per_step.append((received - sent, (sent - began) + (done - received)))

    def random_states(self) -> list[dict[str, Any]]:
        return self._get([w.random_states.remote() for w in self.workers])

    def worker_weights(self) -> list[dict[str, bytes]]:
        return self._get([w.weights.remote() for w in self.workers])

    def close(self) -> None:
        """End every worker of this run (interrupting a cell does not stop actors by itself)."""
        for worker in getattr(self, "workers", []):
            try:
                self._ray.kill(worker, no_restart=True)
            except Exception:  # already dead, or Ray is shutting down
                pass
        self.workers = []
