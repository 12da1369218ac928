"""Which CPU backend nbnlp's layers are built with.

thinc's default CPU ops multiply matrices with blis; the numpy build's OpenBLAS is several
times faster at our layer sizes on common x86 machines (measured: ~32 vs ~100+ GFLOPS single
threaded for a 1000 x 288 x 288 product), and matrix products are most of the training time.
Only that choice changes: a GPU, or ops a user set explicitly other than blis NumpyOps, is kept.

The same ops also draw dropout masks more cheaply: thinc draws a float64 uniform per unit and
converts the result, which measured ~10% of a tagger+parser training step; 16-bit random
integers compared with a threshold give the same distribution (to 1/65536) at a fraction of the
cost, from numpy's global random state, so `fix_random_seed` still makes runs repeatable.
"""
import contextlib
from typing import Iterator, Optional

import numpy
from thinc.api import NumpyOps, get_current_ops, use_ops
from thinc.api import registry
from thinc.types import FloatsXd, Shape


@registry.ops("NbnlpCpuOps")
class NbnlpCpuOps(NumpyOps):
    """NumpyOps with numpy's BLAS and cheaper dropout masks."""

    name = "nbnlp_cpu"

    def get_dropout_mask(self, shape: Shape, drop: Optional[float]) -> FloatsXd:
        if drop is None or drop <= 0 or drop >= 1.0:
            return super().get_dropout_mask(shape, drop)
        size = int(numpy.prod(shape))
        draws = numpy.frombuffer(numpy.random.bytes(2 * size), dtype=numpy.uint16).reshape(shape)
        keep = draws >= numpy.uint16(round(drop * 65536))
        return numpy.multiply(keep, numpy.float32(1.0 / (1.0 - drop)), dtype=numpy.float32)


@contextlib.contextmanager
def fast_cpu_ops() -> Iterator[None]:
    """Build the layers created inside this block with nbnlp's CPU ops when the current ops are blis NumpyOps."""
    ops = get_current_ops()
    if type(ops) is NumpyOps and getattr(ops, "use_blis", False):
        with use_ops(NbnlpCpuOps.name, use_blis=False):
            yield
    else:
        yield


__all__ = ["NbnlpCpuOps", "fast_cpu_ops"]
