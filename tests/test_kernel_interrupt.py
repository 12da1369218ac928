"""Interrupting `%nlp_train` in a real kernel (SIGINT through the kernel manager, as the notebook's stop button does)."""
import time
from pathlib import Path


def test_kernel_interrupt_stops_training_cleanly(kernel, tmp_path: Path) -> None:
    out = tmp_path / "out"
    msg_id = kernel.start(f"%nlp_train demo --output {out} --training.max_steps 100000 --training.eval_frequency 10 --as run")
    # wait until the live view shows two evaluation rows, then interrupt the kernel
    deadline = time.monotonic() + 180
    last_html = ""
    while last_html.count('<tr class="nbnlp-row') < 2:
        assert time.monotonic() < deadline, "no evaluation rows appeared in the live view"
        msg = kernel.iopub(timeout=60)
        assert msg is not None, "no output from the kernel for 60 s"
        if msg["msg_type"] in ("display_data", "update_display_data"):
            last_html = msg["content"]["data"].get("text/html", last_html)
    kernel.manager.interrupt_kernel()
    reply = kernel.reply(msg_id, timeout=120)
    assert reply["status"] == "ok", reply  # no KeyboardInterrupt traceback
    final = last_html
    while (msg := kernel.iopub(timeout=1)) is not None:
        if msg["msg_type"] in ("display_data", "update_display_data"):
            final = msg["content"]["data"].get("text/html", final)
        assert msg["msg_type"] != "error", msg["content"]
    assert 'data-status="interrupted"' in final and "Interrupted" in final
    assert (out / "model-best" / "config.cfg").exists() and (out / "model-last" / "config.cfg").exists()
    kernel.run("assert run.interrupted and run.best_step is not None and len(run.history) >= 2, run\n"
               "assert [t.tag_ for t in run.nlp('Training stopped early.')]")
