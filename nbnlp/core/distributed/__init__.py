"""Training beyond one process, on Ray (the `ray` extra): data-parallel workers and Tune sweeps.

Ray is imported only when one of these is used, so the core stays importable without it.
"""
from .ray_session import RayUnavailable, ensure_ray, shutdown

__all__ = ["RayUnavailable", "ensure_ray", "shutdown"]
