"""Shared pieces of the end-to-end tests: test notebooks, running them in a kernel, a Jupyter server (JupyterLab
and Notebook 7), Chromium.

The e2e tests skip with a reason when a tool is missing, except when NBNLP_REQUIRE_BROWSER=1 (set by .ci/run):
then a missing tool is a failure, so CI can never pass without having run them.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nbnlp.data import demo_path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
NOTEBOOKS = TESTS / "notebooks"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
# Demo corpus files the test notebooks read by relative path (copied next to the notebook).
NOTEBOOK_DATA = ("ewt-train", "ewt-dev")


def kernel_env() -> dict[str, str]:
    """os.environ with this checkout first on PYTHONPATH, so kernels import the nbnlp under test wherever they run."""
    paths = [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def require(reason: str | None) -> None:
    """Skip with `reason` (or fail, under NBNLP_REQUIRE_BROWSER=1) when a tool the test needs is missing."""
    if reason is None:
        return
    if os.environ.get("NBNLP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"NBNLP_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def missing_modules(*names: str) -> str | None:
    """A reason naming the modules that cannot be imported, or None."""
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    return f"missing Python package(s) {', '.join(missing)} (pip install -e '.[dev]')" if missing else None


def browser_missing() -> str | None:
    """Why the real-browser test cannot run here, or None."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} not found (apt-get install -y --no-install-recommends chromium)"
    return missing_modules("playwright", "jupyterlab", "notebook", "jupyterlab_widgets", "ipykernel")


def prepare_notebook(name: str, folder: Path) -> Path:
    """Copy tests/notebooks/`name` and the demo corpus files it reads into `folder`; return the notebook's path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(NOTEBOOKS / name, target)
    for data in NOTEBOOK_DATA:
        shutil.copyfile(demo_path(data), folder / demo_path(data).name)
    return target


def execute_notebook(path: Path, timeout: int = 240):
    """Run every cell of `path` in a fresh python3 kernel (cwd = its folder), going on past errors.

    Returns the executed notebook and each code cell's execute_reply content by cell id: a UsageError is
    only a stderr line in the outputs, its ename and traceback are in the reply.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    replies: dict[str, dict] = {}

    def on_cell_executed(cell, cell_index, execute_reply):
        replies[cell.id] = execute_reply["content"]

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True, record_timing=False,
        resources={"metadata": {"path": str(path.parent)}}, on_cell_executed=on_cell_executed,
    )
    client.execute(env=kernel_env())
    return nb, replies


def cell_by_tag(nb, tag: str):
    """The one code cell carrying `tag` in its metadata (tests find cells by role, not by position)."""
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def error_outputs(cell) -> list[dict]:
    return [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def describe_errors(nb) -> str:
    """Every error output of the notebook, as 'cell source -> ename: evalue' lines, for assertion messages."""
    lines = []
    for cell in nb.cells:
        for err in error_outputs(cell):
            lines.append(f"{cell.source.splitlines()[0] if cell.source else ''!r} -> {err['ename']}: {err['evalue']}")
    return "\n".join(lines)


def html_of(cell) -> str:
    """The text/html of a cell's display outputs joined (display updates were applied by nbclient)."""
    parts = []
    for out in cell.get("outputs", []):
        html = out.get("data", {}).get("text/html")
        if html:
            parts.append(html if isinstance(html, str) else "".join(html))
    return "\n".join(parts)


def widget_views(cell) -> list[str]:
    """Model ids of the widgets a cell displayed."""
    views = []
    for out in cell.get("outputs", []):
        view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
        if view:
            views.append(view["model_id"])
    return views


def stream_text(cell, name: str = "stderr") -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == name)


class _TableParser(HTMLParser):
    """Header texts and row cell texts (plus each row's class) of the first <table> with a given class."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.depth = 0  # >0 while inside the wanted table (counts nested tables)
        self.done = False
        self.headers: list[str] = []
        self.rows: list[tuple[str, list[str]]] = []
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and not self.done and (self.depth or self.css_class in classes):
            self.depth += 1
        elif self.depth == 1:
            if tag == "thead":
                self._in_head = True
            elif tag == "tr" and not self._in_head:
                self.rows.append((" ".join(classes), []))
            elif tag in ("td", "th"):
                self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
            self.done = self.depth == 0
        elif self.depth == 1:
            if tag == "thead":
                self._in_head = False
            elif tag in ("td", "th") and self._cell is not None:
                text = " ".join("".join(self._cell).split())
                (self.headers if self._in_head else self.rows[-1][1]).append(text)
                self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_table(html: str, css_class: str) -> tuple[list[str], list[tuple[str, list[str]]]] | None:
    """(headers, [(row classes, cell texts)]) of the first table of class `css_class` in `html`, or None."""
    parser = _TableParser(css_class)
    parser.feed(html)
    return (parser.headers, parser.rows) if parser.done else None


def save_artifact(path: Path, name: str) -> Path:
    """Copy a file a human may want to look at (a screenshot) into test-artifacts/ at the repo root."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    shutil.copyfile(path, target)
    return target


# ---- one Jupyter server for both front ends, one Chromium --------------------------------------------------------

FRONTENDS = ("lab", "notebook7")  # JupyterLab at /lab/tree/..., Notebook 7 at /notebooks/...
THEMES_SETTINGS = "@jupyterlab/apputils-extension/themes"  # shared by both front ends (same settings folder)


@dataclass
class JupyterServer:
    """jupyter_server with the jupyterlab and notebook extensions: one root, one settings folder, both front ends."""

    url: str
    token: str
    root: Path
    settings: Path
    log: Path
    process: subprocess.Popen

    def notebook_url(self, path: str, frontend: str = "lab") -> str:
        """`path` (relative to the root) in `frontend`; JupyterLab opens it alone in a fresh workspace (`reset`)."""
        if frontend == "lab":
            return f"{self.url}/lab/tree/{path}?reset&token={self.token}"
        if frontend == "notebook7":
            return f"{self.url}/notebooks/{path}?token={self.token}"
        raise ValueError(f"unknown front end {frontend!r} (one of {', '.join(FRONTENDS)})")

    def api(self, path: str, method: str = "GET", timeout: float = 5.0):
        return _api(f"{self.url}{path}", self.token, method=method, timeout=timeout)

    def kernel_state(self, path: str) -> str | None:
        """The execution state of the kernel of the session on notebook `path` (None: no session yet)."""
        for session in self.api("/api/sessions") or []:
            if session.get("path") == path and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def shutdown_sessions(self, path: str) -> None:
        """End the sessions (and kernels) on notebook `path`: a closed page leaves its kernel running."""
        for session in self.api("/api/sessions") or []:
            if session.get("path") == path:
                with contextlib.suppress(Exception):
                    self.api(f"/api/sessions/{session['id']}", method="DELETE", timeout=15)

    def write_setting(self, plugin: str, values: dict) -> None:
        """Write a user-settings file (read by the next page load of either front end)."""
        path = self.settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"


LabServer = JupyterServer  # the name earlier tests knew it by


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(url: str, token: str, method: str = "GET", timeout: float = 5.0):
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def _front_end_settings(folder: Path) -> None:
    """User settings that make both front ends predictable: no news or update toasts over the notebook, every cell
    kept in the page (no windowed rendering, so selectors find outputs wherever they are scrolled), the light theme."""
    settings = {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        THEMES_SETTINGS: {"theme": "JupyterLab Light"},
    }
    for name, values in settings.items():
        path = folder / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextlib.contextmanager
def jupyter_server(root: Path, state: Path, startup_timeout: float = 120.0) -> Iterator[JupyterServer]:
    """One Jupyter server on loopback with a random token serving `root` to JupyterLab and Notebook 7 (both server
    extensions load); all of its state lives under `state`, and both front ends share one user-settings folder.

    Stopped on exit even when the body failed: the REST shutdown stops the kernels, then the server's process group
    is terminated, and any kernel still running from this server's runtime folder is killed by pid.
    """
    state.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    port = free_port()
    runtime = state / "runtime"
    settings = state / "settings"
    workspaces = state / "workspaces"
    _front_end_settings(settings)
    env = dict(kernel_env(), JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(state / "config"),
               JUPYTER_DATA_DIR=str(state / "data"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(workspaces), PYTHONUNBUFFERED="1")
    # Kernels find the shared labextension/kernelspec through sys.prefix; JUPYTER_DATA_DIR only adds a user folder.
    # The notebook extension (Notebook 7) is enabled there too, so this server also answers /notebooks/...
    cmd = [
        sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--allow-root", "--no-browser", f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workspaces}",
        f"--JupyterNotebookApp.user_settings_dir={settings}", f"--JupyterNotebookApp.workspaces_dir={workspaces}",
        "--LabApp.news_url=None", "--ServerApp.open_browser=False",
    ]
    log = state / "jupyter-server.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=root,
                                   start_new_session=True)
    server = JupyterServer(url=f"http://127.0.0.1:{port}", token=token, root=root, settings=settings, log=log,
                           process=process)
    try:
        _wait_until_up(server, startup_timeout)
        yield server
    finally:
        _stop(server, runtime)


lab_server = jupyter_server


def _wait_until_up(server: JupyterServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"Jupyter server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            _api(f"{server.url}/api/status", server.token, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"Jupyter server did not answer /api/status within {timeout:.0f} s:\n{server.log_tail()}")


def _stop(server: JupyterServer, runtime: Path) -> None:
    with contextlib.suppress(Exception):
        _api(f"{server.url}/api/shutdown", server.token, method="POST", timeout=10)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=15)
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
    # Kernels run in their own sessions; any left behind is found by this server's private runtime folder.
    for pid in _pids_mentioning(str(runtime)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _pids_mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def chromium():
    """One headless Debian Chromium (never a downloaded browser) driven by Playwright; callers open a context (a
    fresh profile: cookies, storage) per front end and a page per notebook."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


# ---- one live kernel shared by the tests that drive a kernel directly (see the `kernel` fixture in conftest.py) -----


class LiveKernel:
    """A python3 kernel (this checkout on its PYTHONPATH) with a blocking client: run code, watch its displays, interrupt or restart it."""

    def __init__(self, cwd: Path) -> None:
        from jupyter_client.manager import start_new_kernel

        self.cwd = cwd
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=kernel_env(), cwd=str(cwd))
        self.clean = True  # False while a test is using it; a test that failed may leave it busy

    def start(self, code: str, **expressions: str) -> str:
        """Send `code` (and user expressions to evaluate after it) without waiting; returns the message id."""
        return self.client.execute(code, user_expressions=expressions)

    def reply(self, msg_id: str, timeout: float = 120.0) -> dict:
        """The execute_reply content for `msg_id` (earlier replies are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]

    def run(self, code: str, timeout: float = 120.0, **expressions: str) -> dict:
        """Execute `code` and return the values of `expressions` (each a Python literal, read back with ast.literal_eval);
        fails on an error reply."""
        import ast

        content = self.reply(self.start(code, **expressions), timeout)
        assert content["status"] == "ok", content
        values = {}
        for name, value in content.get("user_expressions", {}).items():
            assert value["status"] == "ok", value
            values[name] = ast.literal_eval(value["data"]["text/plain"])
        return values

    def iopub(self, timeout: float) -> dict | None:
        """The next iopub message, or None after `timeout` seconds without one."""
        import queue

        try:
            return self.client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> None:
        while self.iopub(0.2) is not None:
            pass

    def restart(self) -> None:
        """Kill the kernel process and start a fresh one on the same connection (as the notebook's restart does)."""
        self.manager.restart_kernel(now=True)
        self.client.wait_for_ready(timeout=120)
        self.drain()
        while True:  # replies the old kernel sent, if any
            try:
                self.client.get_shell_msg(timeout=0.1)
            except Exception:
                break

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
