"""`%nlp_train ... --resume` in a real kernel: after an interrupt, and after a kernel restart in the middle of training.

The runs train the demo config with a before_update callback that sleeps a little each step (registered by a --code
file), so there is time to stop them mid-run; the resumed run uses the same config and code, as a resume must.
"""
import io
import re
import time
from pathlib import Path

import numpy as np
import pytest

import nbnlp
from nbnlp.core.commands.init_config import demo_config
from nbnlp.core.training import train
from nbnlp.core.training.checkpoint import checkpoint_path, read_checkpoint
from notebook_helpers import parse_table

MAX_STEPS, EVERY = 40, 5
SETTINGS = f"--training.eval_frequency {EVERY} --training.max_steps {MAX_STEPS} --corpora.train.limit 40"
ALL_STEPS = list(range(EVERY, MAX_STEPS + 1, EVERY))

SLOW_CODE = '''
import time
from nbnlp import registry

@registry.callbacks("test.slow_steps.v1")
def slow_steps(seconds: float):
    def before_update(nlp, info):
        time.sleep(seconds)
    return before_update
'''
# 0.15 s a step: five steps between evaluations outlast the view's 0.3 s throttle, so renders between evaluations
# always come (the tests wait for one to stop the run mid-way between checkpoints)
SLOW_BLOCK = '\n[training.before_update]\n@callbacks = "test.slow_steps.v1"\nseconds = 0.15\n'


@pytest.fixture
def slow_demo(tmp_path: Path) -> str:
    """The magic's arguments for the demo config slowed down: `CONFIG --code FILE`."""
    code = tmp_path / "slow_steps.py"
    code.write_text(SLOW_CODE)
    config = tmp_path / "slow_demo.cfg"
    config.write_text(demo_config() + SLOW_BLOCK)
    return f"{config} --code {code}"


def html_of(msg: dict) -> str | None:
    if msg["msg_type"] in ("display_data", "update_display_data"):
        return msg["content"]["data"].get("text/html")
    return None


def view_state(html: str) -> tuple[int, list[int]]:
    """(the step the progress text shows, the steps of the metrics table's rows)."""
    step = re.search(r'class="nbnlp-progress-text"[^>]*>step ([\d,]+)', html)
    return int(step.group(1).replace(",", "")) if step else 0, [int(s) for s in re.findall(r'<tr class="nbnlp-row[^"]*" data-step="(\d+)"', html)]


def watch_until(kernel, done, timeout: float = 120.0) -> str:
    """Read the live view's renders until `done(step, row_steps)` holds; returns that render."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, "the live view did not get there in time"
        msg = kernel.iopub(timeout=60)
        assert msg is not None, "no output from the kernel for 60 s"
        assert msg["msg_type"] != "error", msg["content"]
        html = html_of(msg)
        if html and done(*view_state(html)):
            return html


def run_cell(kernel, code: str, timeout: float = 180.0) -> list[str]:
    """Execute `code` to its end; every HTML render it displayed, in order."""
    msg_id = kernel.start(code)
    reply = kernel.reply(msg_id, timeout)
    assert reply["status"] == "ok", reply
    renders = []
    while True:
        msg = kernel.iopub(timeout=30)
        assert msg is not None, "the cell's output did not end"
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        assert msg["msg_type"] != "error", msg["content"]
        if (html := html_of(msg)) is not None:
            renders.append(html)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return renders


def check_resumed_view(renders: list[str], earlier: list[int], resumed_from: int) -> None:
    """The new live view shows the earlier evaluations (rows and curves) and the resume from its first render on."""
    first, final = renders[0], renders[-1]
    assert view_state(first) == (resumed_from, earlier), view_state(first)
    assert f"resumed from step {resumed_from}" in first
    assert re.search(r'<img class="nbnlp-curves"[^>]*src="data:image/png;base64,[A-Za-z0-9+/]{200,}', first)
    assert 'data-status="training"' in first
    headers, rows = parse_table(final, "nbnlp-metrics")
    assert [int(cells[headers.index("#")]) for _, cells in rows] == ALL_STEPS
    assert 'data-status="finished"' in final and f"resumed from step {resumed_from}" in final


def params(path: Path) -> dict[str, np.ndarray]:
    out = {}
    for name, component in nbnlp.load(path).pipeline:
        model = getattr(component, "model", None)
        for position, node in enumerate(model.walk() if model is not None else []):
            for param in node.param_names:
                if node.has_param(param):
                    out[f"{name}:{position}:{param}"] = node.get_param(param)
    return out


def test_resume_after_interrupt_shows_the_whole_run(kernel, tmp_path: Path, slow_demo: str) -> None:
    out = tmp_path / "out"
    # without stop_on_error: the next request must not be aborted with the queue the interrupted cell ends
    msg_id = kernel.client.execute(f"%nlp_train {slow_demo} --output {out} {SETTINGS} --as first", stop_on_error=False)
    watch_until(kernel, lambda step, rows: len(rows) >= 2)
    kernel.manager.interrupt_kernel()
    interrupted = kernel.reply(msg_id)
    assert interrupted["status"] == "error" and interrupted["ename"] == "CellInterrupted", interrupted  # saved, then ended
    kernel.drain()
    first = kernel.run("", steps="first.steps", history="[h.step for h in first.history]", interrupted="first.interrupted")
    assert first["interrupted"] and EVERY * 2 <= first["steps"] < MAX_STEPS, first
    # the evaluations so far (an interrupt in the middle of an evaluation leaves it to the resumed run)
    assert len(first["history"]) >= 2 and first["history"] == ALL_STEPS[: len(first["history"])], first

    renders = run_cell(kernel, f"%nlp_train {slow_demo} --output {out} --resume {SETTINGS}")
    check_resumed_view(renders, first["history"], first["steps"])
    result = kernel.run("", history="[h.step for h in train_result.history]", resumed_from="train_result.resumed_from",
                        steps="train_result.steps", interrupted="train_result.interrupted")
    assert result == {"history": ALL_STEPS, "resumed_from": first["steps"], "steps": MAX_STEPS, "interrupted": False}


def test_resume_after_kernel_restart_trains_the_same_weights(kernel, tmp_path: Path, slow_demo: str) -> None:
    out = tmp_path / "out"
    kernel.start(f"%nlp_train {slow_demo} --output {out} {SETTINGS}")
    # a checkpoint is written at each evaluation: kill the kernel a few steps after one
    watch_until(kernel, lambda step, rows: len(rows) >= 2 and step > rows[-1])
    kernel.restart()
    saved = read_checkpoint(checkpoint_path(out)).loop.step
    assert saved in ALL_STEPS[1:-1], saved  # killed in the middle of the run

    kernel.run("%load_ext nbnlp")
    renders = run_cell(kernel, f"%nlp_train {slow_demo} --output {out} --resume {SETTINGS}")
    check_resumed_view(renders, ALL_STEPS[: saved // EVERY], saved)
    result = kernel.run("", history="[h.step for h in train_result.history]", resumed_from="train_result.resumed_from",
                        steps="train_result.steps")
    assert result == {"history": ALL_STEPS, "resumed_from": saved, "steps": MAX_STEPS}

    # the same settings trained here without a stop (and without the sleeps, which change nothing)
    other = tmp_path / "uninterrupted"
    overrides = {"training.eval_frequency": EVERY, "training.max_steps": MAX_STEPS, "corpora.train.limit": 40}
    train(demo_config(), other, overrides=overrides, stdout=io.StringIO(), stderr=io.StringIO())
    resumed, uninterrupted = params(out / "model-last"), params(other / "model-last")
    assert resumed.keys() == uninterrupted.keys() and resumed
    different = [key for key in resumed if not np.array_equal(resumed[key], uninterrupted[key])]
    assert not different, f"{len(different)} of {len(resumed)} parameters differ, e.g. {different[:3]}"
