"""The Ray that nbnlp trains on: started once per process on first use, reused, stopped with the process.

`ensure_ray(address)` connects to a running cluster (`"auto"`, `"ray://host:port"`, or a GCS address;
`$RAY_ADDRESS` when none is given, as Ray itself does) or, with none, starts a new local Ray with the
CPUs asked for and no dashboard, quietly: worker output is not sent to the driver (it would land in
whichever notebook cell runs next) and Ray's own log lines are limited to errors. A local Ray nbnlp
started is stopped by `shutdown()` or when the process exits; one it merely connected to is left running.
"""
from __future__ import annotations

import atexit
import logging
import os
from typing import Any, Optional


class DistributedError(RuntimeError):
    """A problem running on Ray that the user can act on (printed as one line by the CLI and the magics)."""


class RayUnavailable(DistributedError):
    """Ray is not installed, or the cluster cannot be reached."""


class WorkerLost(DistributedError):
    """A training worker's process died; training stopped (its models and checkpoint are kept)."""


_started_here = False
_address: Optional[str] = None


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable("training with workers and sweeps need Ray: pip install 'nbnlp[ray]'") from None
    return ray


def ensure_ray(address: Optional[str] = None, *, num_cpus: Optional[int] = None, num_gpus: Optional[int] = None) -> Any:
    """The `ray` module, initialised: the running one if this process already has one, else a new connection."""
    global _started_here, _address
    ray = import_ray()
    if ray.is_initialized():
        if address not in (None, _address) and _address is not None:
            raise RayUnavailable(f"this process already uses the Ray at {_address!r}; call nbnlp.shutdown() before using {address!r}")
        return ray
    address = address or os.environ.get("RAY_ADDRESS") or None  # Ray's own convention for "use this cluster"
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR, "configure_logging": True}
    if address is None:
        options.update(include_dashboard=False, num_cpus=num_cpus, num_gpus=num_gpus)
    try:
        ray.init(address=address or "local", **options)  # "local": a new Ray, even if another runs on this machine
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = address or "a local Ray"
        raise RayUnavailable(f"could not start or reach {where}: {err}") from None
    _started_here = address is None
    _address = address
    return ray


def shutdown() -> None:
    """Disconnect from Ray, stopping the local Ray this process started (a cluster it joined keeps running)."""
    global _started_here, _address
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
    _started_here = False
    _address = None


atexit.register(shutdown)
