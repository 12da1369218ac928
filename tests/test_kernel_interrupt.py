"""Interrupting `%nlp_train` in a real kernel (SIGINT through the kernel manager, as the notebook's Interrupt does):
training stops cleanly, keeps its models and result, and the cell ends as interrupted in one line, so the cells
queued after it (a Run All) are not run."""
import time
from pathlib import Path


def wait_for_rows(kernel, rows: int, timeout: float = 180) -> tuple[str, list[dict]]:
    """The live view's HTML once it shows `rows` evaluation rows, and the iopub messages seen on the way."""
    deadline = time.monotonic() + timeout
    last_html, seen = "", []
    while last_html.count('<tr class="nbnlp-row') < rows:
        assert time.monotonic() < deadline, "no evaluation rows appeared in the live view"
        msg = kernel.iopub(timeout=60)
        assert msg is not None, "no output from the kernel for 60 s"
        seen.append(msg)
        if msg["msg_type"] in ("display_data", "update_display_data"):
            last_html = msg["content"]["data"].get("text/html", last_html)
    return last_html, seen


def test_kernel_interrupt_stops_training_and_the_queue(kernel, tmp_path: Path) -> None:
    out = tmp_path / "out"
    msg_id = kernel.start(f"%nlp_train demo --output {out} --training.max_steps 100000 --training.eval_frequency 10 --as run")
    queued = kernel.start(f"open({str(tmp_path / 'queued-ran')!r}, 'w').close()")  # the next cell of a Run All
    last_html, _ = wait_for_rows(kernel, 2)
    kernel.manager.interrupt_kernel()
    reply = kernel.reply(msg_id, timeout=120)
    assert reply["status"] == "error" and reply["ename"] == "CellInterrupted", reply
    assert len(reply["traceback"]) == 1 and reply["traceback"][0].startswith("Training interrupted at step "), reply["traceback"]
    assert "result stored as run (continue with --resume)" in reply["traceback"][0]
    assert kernel.reply(queued, timeout=60)["status"] == "aborted"
    assert not (tmp_path / "queued-ran").exists()
    final, errors = last_html, []
    while (msg := kernel.iopub(timeout=1)) is not None:
        if msg["msg_type"] in ("display_data", "update_display_data"):
            final = msg["content"]["data"].get("text/html", final)
        if msg["msg_type"] == "error":
            errors.append(msg["content"])
    assert [e["traceback"] for e in errors] == [reply["traceback"]]  # what the notebook shows: that one line
    assert 'data-status="interrupted"' in final and "Interrupted" in final
    assert (out / "model-best" / "config.cfg").exists() and (out / "model-last" / "config.cfg").exists()
    kernel.run("assert run.interrupted and run.best_step is not None and len(run.history) >= 2, run\n"
               "assert [t.tag_ for t in run.nlp('Training stopped early.')]")
