"""Runs in a real kernel: `%nlp_train` without --output writes run-1, run-2...; `%nlp_runs` lists them with the
settings that differ; run names load their model in `%nlp_evaluate`; a missing model is named once."""
from __future__ import annotations

from pathlib import Path

from nbnlp.data import demo_path

DEV = str(demo_path("ewt-dev"))
FAST = "--training.max_steps 8 --training.eval_frequency 4"


def error_of(kernel, code: str, timeout: float = 120.0) -> dict:
    """The error reply of `code`, sent without stop_on_error: the next request is not aborted however fast it follows
    (ipykernel 7 aborts what arrives before its queue is cleared after an error)."""
    reply = kernel.reply(kernel.client.execute(code, stop_on_error=False), timeout)
    assert reply["status"] == "error", reply
    return reply


def test_trainings_without_output_make_runs_listed_and_loaded_by_name(kernel, tmp_path: Path) -> None:
    previous = kernel.run("import os", cwd="os.getcwd()")["cwd"]
    kernel.run(f"os.chdir({str(tmp_path)!r})")
    try:
        kernel.run(f"%nlp_train demo {FAST} --view console --as first", timeout=300)
        kernel.run(f"%nlp_train demo {FAST} --training.dropout 0.2 --view console --as second", timeout=300)
        runs = tmp_path / "training" / "demo"
        assert sorted(p.name for p in runs.iterdir()) == ["run-1", "run-2"]
        for run in ("run-1", "run-2"):
            assert (runs / run / "model-best" / "config.cfg").is_file() and (runs / run / "model-last" / "config.cfg").is_file()
            assert (runs / run / "run.json").is_file() and (runs / run / "config.cfg").is_file()

        values = kernel.run(
            "%nlp_runs", rows="[(r.name, r.status, r.steps, r.settings) for r in runs]", png="runs_view.plot_png()[:4]",
            checked="sorted(runs_view.selected)",
        )
        assert values["rows"] == [("run-1", "finished", 8, []), ("run-2", "finished", 8, ["--training.dropout 0.2"])]
        assert values["png"] == b"\x89PNG" and values["checked"] == ["run-1", "run-2"]
        sorted_names = kernel.run("runs_view.sort_by('name')", names="[r.name for r in runs_view.runs]")["names"]
        assert sorted_names == ["run-2", "run-1"]  # the column sorted by, clicked again: reversed

        score = kernel.run(f"%nlp_evaluate run-2 {DEV} --as ev", tag_acc="ev.scores['tag_acc']")["tag_acc"]
        assert 0 < score <= 1
        missing = error_of(kernel, f"%nlp_evaluate run-9 {DEV}")
        assert missing["ename"] == "UsageError", missing
        text = missing["evalue"]
        assert text == "no pipeline variable, pipeline folder, installed pipeline package or run in training/demo named 'run-9'"
        assert "No pipeline" not in text and text.count("run-9") == 1  # said once

        taken = error_of(kernel, f"%nlp_train demo --output training/demo/run-1 {FAST}")
        assert "training/demo/run-1 already holds a run: continue it with --resume, replace it with --overwrite" in taken["evalue"]
        resumed = kernel.run(  # the latest run, with its settings
            "%nlp_train demo --resume --training.dropout 0.2 --training.max_steps 12 --training.eval_frequency 4 --view console --as third",
            timeout=300, steps="third.steps", where="str(third.output_path)")
        assert resumed == {"steps": 12, "where": "training/demo/run-2"}
    finally:
        kernel.run(f"os.chdir({previous!r})")
