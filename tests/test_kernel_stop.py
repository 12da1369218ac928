"""The live view's Stop button in a real kernel: the click reaches the kernel while the training cell runs (as the
front end sends it: a comm message to the button's model), training ends after the current step with both models
and the checkpoint saved, the result is bound, and the next queued cell runs."""
import time
from pathlib import Path

from test_kernel_interrupt import wait_for_rows

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def click(kernel, model_id: str) -> None:
    """What a browser sends when the button is clicked."""
    content = {"comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}}}
    kernel.client.shell_channel.send(kernel.client.session.msg("comm_msg", content))


def test_stop_button_ends_training_and_the_notebook_goes_on(kernel, tmp_path: Path) -> None:
    out = tmp_path / "out"
    msg_id = kernel.start(f"%nlp_train demo --output {out} --training.max_steps 100000 --training.eval_frequency 10 --as stopped_run")
    after = kernel.start(f"open({str(tmp_path / 'next-cell-ran')!r}, 'w').close()")
    last_html, seen = wait_for_rows(kernel, 2)
    buttons = [m["content"]["data"][WIDGET_VIEW]["model_id"] for m in seen
               if m["msg_type"] == "display_data" and WIDGET_VIEW in m["content"]["data"]]
    assert len(buttons) == 1, "the live view shows one Stop button"
    clicked_at = time.monotonic()
    click(kernel, buttons[0])
    reply = kernel.reply(msg_id, timeout=120)
    waited = time.monotonic() - clicked_at
    assert reply["status"] == "ok", reply
    assert kernel.reply(after, timeout=60)["status"] == "ok" and (tmp_path / "next-cell-ran").exists()
    final = last_html
    while (msg := kernel.iopub(timeout=1)) is not None:
        assert msg["msg_type"] != "error", msg["content"]
        if msg["msg_type"] in ("display_data", "update_display_data") and "text/html" in msg["content"]["data"]:
            final = msg["content"]["data"]["text/html"]
        if msg["msg_type"] == "comm_close":  # the button is removed once the run is over
            buttons.remove(msg["content"]["comm_id"]) if msg["content"]["comm_id"] in buttons else None
    assert 'data-status="stopped"' in final and "continue with --resume" in final
    assert buttons == []
    assert waited < 30, f"the click took {waited:.1f} s to stop training"
    values = kernel.run(
        "stats = get_ipython().magics_manager.registry['TrainingMagics'].last_stop_button",
        result="(stopped_run.stop_reason, stopped_run.interrupted, stopped_run.steps, str(stopped_run.model_last), "
               "str(stopped_run.checkpoint), stats.polls, stats.clicked)",
    )
    reason, interrupted, steps, model_last, checkpoint, polls, clicked = values["result"]
    assert (reason, interrupted, clicked) == ("stopped", False, True) and steps >= 20 and polls >= 1
    assert Path(model_last, "config.cfg").exists() and (out / "model-best" / "config.cfg").exists()
    from nbnlp.core.training.checkpoint import read_checkpoint

    assert read_checkpoint(Path(checkpoint)).loop.step == steps  # --resume continues from where it stopped
