"""Choosing where thinc computes (CPU or one CUDA GPU), with one clear sentence when a GPU is not usable.

The device must be chosen before any model is built: thinc models allocate their weights with the
ops that are current when they are initialised.
"""
import platform
from typing import Any, Optional

from thinc.api import NumpyOps, get_current_ops, require_gpu, set_current_ops, set_gpu_allocator


class DeviceError(RuntimeError):
    """The requested device cannot be used; the message says why in one sentence."""


def select_device(gpu_id: int, allocator: Optional[str] = None) -> str:
    """Make thinc compute on CPU (`gpu_id` -1) or on CUDA GPU `gpu_id`; returns "cpu" or "cuda:N".

    `allocator` ("pytorch" or "tensorflow") routes cupy's memory through that framework's pool,
    which matters only when a GPU is used together with one of them.
    """
    if gpu_id < 0:
        set_current_ops(NumpyOps())
        return "cpu"
    visible = _visible_gpu_count(gpu_id)
    if gpu_id >= visible:
        raise DeviceError(
            f"GPU {gpu_id} requested, but only {visible} CUDA GPU{'s are' if visible != 1 else ' is'} visible "
            f"(ids 0..{visible - 1})"
        )
    if allocator:
        set_gpu_allocator(allocator)
    require_gpu(gpu_id)
    return f"cuda:{gpu_id}"


def _visible_gpu_count(gpu_id: int) -> int:
    """How many CUDA GPUs cupy sees; raises DeviceError when cupy is missing or sees none."""
    try:
        import cupy  # noqa: F401
    except ImportError:
        raise DeviceError(f"GPU {gpu_id} requested, but cupy is not installed (pip install 'nbnlp[gpu]')") from None
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # cupy raises its own CUDARuntimeError when no driver or device is present
        count = 0
    if count == 0:
        raise DeviceError(f"GPU {gpu_id} requested, but no CUDA GPU is visible")
    return count


def device_info() -> dict[str, Any]:
    """What thinc computes on now: ops class, device, and (on GPU) its name and memory in bytes."""
    ops = get_current_ops()
    info: dict[str, Any] = {"ops": type(ops).__name__, "device": "cpu", "name": platform.processor() or platform.machine()}
    device_id = getattr(ops, "device_id", None)
    if type(ops).__name__ == "CupyOps":
        import cupy

        device_id = int(device_id if device_id is not None else cupy.cuda.runtime.getDevice())
        props = cupy.cuda.runtime.getDeviceProperties(device_id)
        name = props.get("name", b"")
        free, total = cupy.cuda.runtime.memGetInfo()
        info.update(
            device=f"cuda:{device_id}",
            name=name.decode() if isinstance(name, bytes) else str(name),
            memory_total=int(total),
            memory_free=int(free),
        )
    return info
