"""Which CPU backend nbnlp's layers are built with.

thinc's default CPU ops multiply matrices with blis; the numpy build's OpenBLAS is several
times faster at our layer sizes on common x86 machines (measured: ~32 vs ~100+ GFLOPS single
threaded for a 1000 x 288 x 288 product), and matrix products are most of the training time.
Only that choice changes: a GPU, or ops a user set explicitly other than blis NumpyOps, is kept.
"""
import contextlib
from typing import Iterator

from thinc.api import NumpyOps, get_current_ops, use_ops


@contextlib.contextmanager
def fast_cpu_ops() -> Iterator[None]:
    """Build the layers created inside this block with numpy's BLAS when the current ops are blis NumpyOps."""
    ops = get_current_ops()
    if type(ops) is NumpyOps and getattr(ops, "use_blis", False):
        with use_ops("numpy", use_blis=False):
            yield
    else:
        yield


__all__ = ["fast_cpu_ops"]
