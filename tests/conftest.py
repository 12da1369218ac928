"""Test settings: one BLAS thread, so timings and test durations do not collapse when the 2 cores are shared;
the live kernel the kernel tests share."""
import contextlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(session, config, items) -> None:
    """The tutorial notebooks (but the Ray one) run first, two at a time, while the machine is otherwise idle; the
    tests on the shared Ray cluster run last, since its processes keep about half a core busy once it is up."""
    def first(item) -> bool:
        return item.nodeid.startswith("tests/test_tutorial_notebooks.py::test_notebook_runs_top_to_bottom[") \
            and "07_ray" not in item.nodeid

    def on_ray(item) -> bool:
        return "ray_address" in getattr(item, "fixturenames", ()) or "07_ray" in item.nodeid

    items[:] = ([i for i in items if first(i)] + [i for i in items if not first(i) and not on_ray(i)]
                + [i for i in items if on_ray(i) and not first(i)])


def pytest_collection_finish(session) -> None:
    """Let test modules start slow, I/O-bound work as soon as the tests are collected, so it overlaps with the tests
    before them: a module-level `start_in_background(selected)` gets the names of its tests that will run."""
    selected: dict = {}
    for item in session.items:
        module = getattr(item, "module", None)
        if hasattr(module, "start_in_background"):
            selected.setdefault(module, []).append(item.name)
    for module, names in selected.items():
        module.start_in_background(names)


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
    train with workers or sweep, in this process, in CLI subprocesses and in the shared kernel, all use it.

    Started with `ray start --block` in a process group of its own and stopped by ending that group, so it never
    touches another Ray on the machine (`ray stop` would stop them all). Token authentication is off for this
    throwaway local cluster (clients in subprocesses and kernels would otherwise need the token)."""
    import shutil
    import socket
    import subprocess
    import time

    try:
        import ray  # noqa: F401 - only checks that Ray is installed
    except ImportError:
        pytest.fail("Ray is needed for these tests: pip install -e '.[dev]' (it includes ray[tune])")
    ray_cli = shutil.which("ray")
    assert ray_cli, "the `ray` command is not on PATH"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ["RAY_AUTH_MODE"] = "disabled"
    for attempt in range(3):  # a loaded machine can miss Ray's fixed 30 s start-up wait: start it again, fresh
        temp = tmp_path_factory.mktemp("ray")
        log = (temp / "ray-start.log").open("w")
        head = subprocess.Popen(
            [ray_cli, "start", "--head", "--block", "--num-cpus", "2", "--include-dashboard=false", f"--port={port}",
             "--node-ip-address=127.0.0.1", "--disable-usage-stats", f"--temp-dir={temp}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "RAY_agent_register_timeout_ms": "120000"},
        )
        deadline = time.time() + 180
        while "Ray runtime started" not in (temp / "ray-start.log").read_text() and head.poll() is None:
            assert time.time() < deadline, (temp / "ray-start.log").read_text()
            time.sleep(0.5)
        if head.poll() is None:
            break
        _kill_cluster(head, temp)
        assert attempt < 2, (temp / "ray-start.log").read_text()
    address = f"127.0.0.1:{port}"
    os.environ["RAY_ADDRESS"] = address  # kernels and notebooks started from now on use it too
    yield address
    os.environ.pop("RAY_ADDRESS", None)
    from nbnlp.core.distributed import shutdown

    shutdown()
    _kill_cluster(head, temp)
    log.close()


def _kill_cluster(head, temp: Path) -> None:
    """End a `ray start --block` process group, and anything of that cluster that left it (its paths name `temp`)."""
    import signal
    import subprocess

    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGTERM)  # --block stops the processes it started when it is terminated
    try:
        head.wait(timeout=3)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(temp).encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except OSError:
            pass
