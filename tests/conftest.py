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


@pytest.fixture(scope="session")
def ray_address(tmp_path_factory):
    """One local Ray cluster (2 CPUs, no dashboard) for the whole test session, reached by address: the tests that
    train with workers or sweep, in this process, in CLI subprocesses and in the shared kernel, all use it."""
    import shutil
    import socket
    import subprocess

    try:
        import ray  # noqa: F401
    except ImportError:
        pytest.fail("Ray is needed for these tests: pip install -e '.[dev]' (it includes ray[tune])")
    ray_cli = shutil.which("ray")
    assert ray_cli, "the `ray` command is not on PATH"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tmp_path_factory.mktemp("ray")
    started = subprocess.run(
        [ray_cli, "start", "--head", "--num-cpus", "2", "--include-dashboard=false", f"--port={port}",
         "--disable-usage-stats", f"--temp-dir={temp}"],
        capture_output=True, text=True, timeout=180,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    address = f"127.0.0.1:{port}"
    yield address
    from nbnlp.core.distributed import shutdown

    shutdown()
    subprocess.run([ray_cli, "stop", "--force"], capture_output=True, timeout=120)
