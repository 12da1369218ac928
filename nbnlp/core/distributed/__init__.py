"""Training beyond one process, on Ray (the `ray` extra): data-parallel workers and Tune sweeps.

Ray is imported only when one of these is used, so the core stays importable without it.
"""
from .ray_session import DistributedError, RayUnavailable, WorkerLost, ensure_ray, shutdown

__all__ = ["DistributedError", "RayUnavailable", "WorkerLost", "ensure_ray", "shutdown"]
