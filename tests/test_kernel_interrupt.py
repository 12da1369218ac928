"""Interrupting `%nlp_train` in a real kernel (SIGINT through the kernel manager, as the notebook's stop button does)."""
import queue
import time
from pathlib import Path

import pytest

from notebook_helpers import kernel_env, missing_modules, require


def _run(client, code: str, timeout: float = 60.0) -> dict:
    """Execute `code` and return its reply, failing on an error reply."""
    msg_id = client.execute(code)
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply


def _drain_iopub(client) -> None:
    while True:
        try:
            client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            return


def test_kernel_interrupt_stops_training_cleanly(tmp_path: Path) -> None:
    require(missing_modules("jupyter_client", "ipykernel"))
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", env=kernel_env(), cwd=str(tmp_path))
    try:
        _run(client, "%load_ext nbnlp")
        _drain_iopub(client)
        out = tmp_path / "out"
        msg_id = client.execute(f"%nlp_train demo --output {out} --training.max_steps 100000 --training.eval_frequency 10 --as run")
        # wait until the live view shows two evaluation rows, then interrupt the kernel
        deadline = time.monotonic() + 180
        last_html = ""
        while last_html.count('<tr class="nbnlp-row') < 2:
            assert time.monotonic() < deadline, "no evaluation rows appeared in the live view"
            msg = client.get_iopub_msg(timeout=60)
            if msg["msg_type"] in ("display_data", "update_display_data"):
                last_html = msg["content"]["data"].get("text/html", last_html)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=120)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = client.get_shell_msg(timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]  # no KeyboardInterrupt traceback
        final = last_html
        while True:
            try:
                msg = client.get_iopub_msg(timeout=1)
            except queue.Empty:
                break
            if msg["msg_type"] in ("display_data", "update_display_data"):
                final = msg["content"]["data"].get("text/html", final)
            assert msg["msg_type"] != "error", msg["content"]
        assert 'data-status="interrupted"' in final and "Interrupted" in final
        assert (out / "model-best" / "config.cfg").exists() and (out / "model-last" / "config.cfg").exists()
        _run(client, "assert run.interrupted and run.best_step is not None and len(run.history) >= 2, run\n"
                     "assert [t.tag_ for t in run.nlp('Training stopped early.')]")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
