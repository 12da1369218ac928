"""The driver's side of synchronous data-parallel training: `DataParallelUpdater` replaces one process's update.

Each global batch (formed by the config's batcher, exactly as in one process) is split by words into one
share per worker; every worker sums all workers' gradients in worker order and applies the sum with an
identical optimizer: the weights stay the same everywhere and equal one process's with
`accumulate_gradient = N` over the same sub-batches. Gradients go through Ray's object store (its CPU
collectives would need torch), straight from worker to worker. The driver's pipeline is brought up to date
(`sync`) before it evaluates or saves. Actors end with the training.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence

from thinc.api import Optimizer

from ..training.loop import split_by_words
from ..training.run_state import optimizer_state, restore_optimizer
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
    """Where a step's time goes, for benchmarks/ray_scaling.py (sums over steps)."""

    steps: int = 0
    gradient_bytes: int = 0  # one worker's gradients, per step (each worker reads the others')
    driver_seconds: float = 0.0  # splitting, encoding and submitting a step
    waiting_seconds: float = 0.0  # the driver waiting for a step two behind (pipelining bound) and for syncs
    compute_seconds: float = 0.0  # in the workers: forward and backward of their share (mean over workers)
    sum_seconds: float = 0.0  # in the workers: summing the workers' gradients
    apply_seconds: float = 0.0  # in the workers: the optimizer step
    syncs: int = 0
    sync_seconds: float = 0.0


@dataclass
class _InFlight:
    """A submitted step: its workers' apply tasks and step reports, and the losses dict they add to."""

    applies: list[Any]
    reports: list[Any]
    losses: dict[str, float]


class DataParallelUpdater:
    """The training loop's `update` and `sync` on `n_workers` Ray actors (see the module docstring).

    `update` only submits: each worker computes its share, then every worker sums all workers' gradients
    (read from the object store, never through the driver) and steps, while the driver already encodes the
    next batch; at most two steps are in flight. `sync` waits for them and copies worker 0's weights and
    optimizer state into the driver's pipeline, which evaluation, saving and checkpoints then use.
    """

    MAX_IN_FLIGHT = 2

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
        self.lost = False  # a worker died: the replicas can no longer be trusted to agree
        self._ray = ensure_ray(address, num_cpus=n_workers)
        gpu = int(options.get("gpu_id", -1)) >= 0
        actor = self._ray.remote(num_cpus=1, num_gpus=1 if gpu else 0, max_restarts=0, max_task_retries=0)(TrainingWorker)
        files = self._ray.put(pipeline_files(nlp))
        registrations = pack_registrations()
        state = optimizer_state(optimizer, nlp, start_step)
        worker_options = {**options, "gpu_id": 0 if gpu else -1}  # Ray shows each worker its one GPU as device 0
        self.workers = [
            actor.options(runtime_env={"env_vars": WORKER_ENV}).remote(i, files, registrations, optimizer_block, state, worker_options)
            for i in range(n_workers)
        ]
        self.descriptions = self._get([w.describe.remote() for w in self.workers])
        if worker_random_states is not None and len(worker_random_states) == n_workers:
            self._get([w.set_random_states.remote(s) for w, s in zip(self.workers, worker_random_states)])
        self._in_flight: deque[_InFlight] = deque()
        self._dirty = False

    def _get(self, refs: list[Any]) -> list[Any]:
        """`ray.get`, with a dead worker reported by index and process instead of Ray's traceback."""
        try:
            return list(self._ray.get(refs))
        except self._ray.exceptions.RayActorError as err:
            self.lost = True
            raise WorkerLost(
                f"{self._describe(self._dead_worker(err))} died ({type(err).__name__}); training stopped. "
                "model-best and the last checkpoint are kept: continue with --resume"
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

    def update(self, batch: Sequence["Example"], losses: dict[str, float], dropout: Optional[float] = None) -> None:
        """Submit one synchronous step over the global `batch` at `dropout` (the step's rate of a schedule; None: the
        workers' fixed rate); its losses are added to `losses` by the next sync."""
        while len(self._in_flight) >= self.MAX_IN_FLIGHT:
            self._finish_oldest()
        began = time.perf_counter()
        parts = split_by_words(batch, self.n_workers)
        gradients, reports = [], []
        for worker, part in zip(self.workers, parts):
            grads_ref, report_ref = worker.compute.options(num_returns=2).remote(encode_examples(part), dropout)
            gradients.append(grads_ref)
            reports.append(report_ref)
        applies = [worker.apply.remote(*gradients) for worker in self.workers]
        self._in_flight.append(_InFlight(applies, reports, losses))
        self.optimizer.step_schedules()  # the driver's schedules stay in step for StepInfo and checkpoints
        self._dirty = True
        self.stats.steps += 1
        self.stats.driver_seconds += time.perf_counter() - began

    def _finish_oldest(self) -> None:
        step = self._in_flight.popleft()
        began = time.perf_counter()
        done = self._get(step.reports + step.applies)
        self.stats.waiting_seconds += time.perf_counter() - began
        reports, applied = done[: len(step.reports)], done[len(step.reports):]
        for report in reports:
            for name, value in report["losses"].items():
                step.losses[name] = step.losses.get(name, 0.0) + value
        self.stats.gradient_bytes += reports[0]["gradient_bytes"]
        self.stats.compute_seconds += sum(r["seconds"] for r in reports) / len(reports)
        self.stats.sum_seconds += sum(a["sum_seconds"] for a in applied) / len(applied)
        self.stats.apply_seconds += sum(a["apply_seconds"] for a in applied) / len(applied)

    def sync(self) -> None:
        """Wait for the submitted steps and give the driver's pipeline and optimizer the workers' state."""
        while self._in_flight:
            self._finish_oldest()
        if not self._dirty:
            return
        began = time.perf_counter()
        weights, state = self._get([self.workers[0].state.remote()])[0]
        for name, component in self.nlp.pipeline:
            if name in weights:
                component.model.from_bytes(weights[name])
        restore_optimizer(self.optimizer, self.nlp, state, fast_forward=False)
        self._dirty = False
        self.stats.syncs += 1
        self.stats.sync_seconds += time.perf_counter() - began

    def random_states(self) -> list[dict[str, Any]]:
        return self._get([w.random_states.remote() for w in self.workers])

    def worker_weights(self) -> list[dict[str, bytes]]:
        return [weights for weights, _ in self._get([w.state.remote() for w in self.workers])]

    def close(self) -> None:
        """End every worker of this run (interrupting a cell does not stop actors by itself)."""
        for worker in getattr(self, "workers", []):
            try:
                self._ray.kill(worker, no_restart=True)
            except Exception:  # already dead, or Ray is shutting down
                pass
        self.workers = []
