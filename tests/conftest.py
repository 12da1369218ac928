"""Test settings: one BLAS thread, so timings and test durations do not collapse when the 2 cores are shared;
the live kernel the kernel tests share."""
import os

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def _live_kernel(tmp_path_factory):
    """One kernel for the whole test session, started when a test first asks for `kernel`."""
    from notebook_helpers import LiveKernel, missing_modules, require

    require(missing_modules("jupyter_client", "ipykernel"))
    kernel = LiveKernel(tmp_path_factory.mktemp("kernel"))
    yield kernel
    kernel.shutdown()


@pytest.fixture
def kernel(_live_kernel):
    """The shared live kernel with nbnlp's magics loaded, idle, its output so far drained; restarted first when an
    earlier test left it busy. Use absolute paths: its working folder is shared."""
    if not _live_kernel.clean:
        _live_kernel.restart()
    _live_kernel.clean = False
    _live_kernel.run("%load_ext nbnlp")
    _live_kernel.drain()
    yield _live_kernel
    try:
        _live_kernel.run("pass", timeout=10)  # answers at once unless the test left something running
        _live_kernel.clean = True
    except Exception:
        pass
