"""Runs (nbnlp/core/training/runs.py, run_record.py): numbered run folders, the output rules, run.json, the runs table
and its curves, run names resolving to models, and `nbnlp runs`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import nbnlp
from nbnlp.cli import main
from nbnlp.core.commands.init_config import demo_config
from nbnlp.core.training import iter_training, train
from nbnlp.core.training.run_record import RECORD_FILE, live_status
from nbnlp.core.training.runs import (
    RunsError, curves, find_run_model, format_runs_table, latest_run, list_runs, new_run, resolve_output, setting_diffs,
    sort_runs,
)

FAST = {"training.max_steps": 8, "training.eval_frequency": 4}


def quiet_train(output: Path, **overrides) -> nbnlp.core.training.TrainResult:
    import io

    return train(demo_config(), output, overrides={**FAST, **overrides}, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> Path:
    """training/demo with run-1 (defaults) and run-2 (--training.dropout 0.2), made the way a notebook makes them."""
    folder = tmp_path_factory.mktemp("runs") / "training" / "demo"
    quiet_train(resolve_output(None, runs=folder).path)
    quiet_train(resolve_output(None, runs=folder).path, **{"training.dropout": 0.2})
    return folder


# ----- naming and the output rules ------------------------------------------------------------------------
def test_new_runs_are_numbered_after_the_highest(tmp_path: Path) -> None:
    assert new_run(tmp_path / "cfg").name == "run-1"
    (tmp_path / "cfg" / "run-7").mkdir()
    (tmp_path / "cfg" / "notes").mkdir()
    assert new_run(tmp_path / "cfg").name == "run-8"


def test_concurrent_new_runs_never_share_a_folder(tmp_path: Path) -> None:
    made: list[Path] = []
    threads = [threading.Thread(target=lambda: made.append(new_run(tmp_path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.name for p in made) == sorted(f"run-{i}" for i in range(1, 9))


def test_explicit_output_holding_a_run_needs_resume_or_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert resolve_output(out).path == out  # new folder: fine
    (out / "model-last").mkdir(parents=True)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RunsError, match=r"out already holds a run: continue it with --resume, replace it with --overwrite"):
        resolve_output(out)
    assert resolve_output(out, resume=True).resume
    replaced = resolve_output(out, overwrite=True)
    assert replaced.note == f"--overwrite: replacing the run in {out}" and replaced.overwrite
    assert (out / "model-last").is_dir()  # nothing removed yet: that waits until the new run is set up
    with pytest.raises(RunsError, match="give one of them"):
        resolve_output(out, resume=True, overwrite=True)
    with pytest.raises(RunsError, match="--overwrite replaces the run in --output"):
        resolve_output(None, runs=tmp_path / "cfg", overwrite=True)
    assert resolve_output(None).path is None  # the CLI without --output: nothing saved


def test_resume_without_output_takes_the_latest_run(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    with pytest.raises(RunsError, match=rf"{folder}: no run to resume there"):
        resolve_output(None, runs=folder, resume=True)
    for name in ("run-2", "run-10"):
        (folder / name / "checkpoint").mkdir(parents=True)
    (folder / "run-11").mkdir()  # empty: not a run
    target = resolve_output(None, runs=folder, resume=True)
    assert target.path == folder / "run-10" and target.resume and latest_run(folder) == folder / "run-10"


def test_a_config_error_leaves_no_empty_run_folder(tmp_path: Path) -> None:
    target = resolve_output(None, runs=tmp_path / "cfg")
    with pytest.raises(Exception, match="max_stepz"):
        iter_training(demo_config(), target.path, overrides={"training.max_stepz": 3})
    assert not target.path.exists()
    assert resolve_output(None, runs=tmp_path / "cfg").path.name == "run-1"


# ----- records ---------------------------------------------------------------------------------------------
def test_run_record_and_config_written_as_the_run_goes(two_runs: Path) -> None:
    run = two_runs / "run-1"
    data = json.loads((run / RECORD_FILE).read_text())
    assert data["status"] == "finished" and data["steps"] == 8 and data["stop_reason"] == "max_steps"
    assert [h["step"] for h in data["history"]] == [4, 8] and 0 < data["best_score"] <= 1
    assert data["best_step"] in (4, 8) and data["pid"] == os.getpid() and data["seconds"] > 0
    assert "tag_acc" in data["history"][0]["scores"]
    assert "[training]" in (run / "config.cfg").read_text()
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint", "config.cfg", "model-best", "model-last", "run.json"]


def test_a_run_whose_process_died_reads_as_killed(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    import socket

    record = {"status": "running", "pid": proc.pid, "hostname": socket.gethostname()}
    assert live_status(record) == "killed"
    assert live_status({**record, "pid": os.getpid()}) == "running"
    assert live_status({**record, "hostname": "elsewhere"}) == "running"  # another host's process: cannot tell
    (tmp_path / "run-1").mkdir()
    (tmp_path / "run-1" / RECORD_FILE).write_text(json.dumps(record))
    assert list_runs(tmp_path)[0].status == "killed"


def test_stopped_and_failed_runs(tmp_path: Path) -> None:
    run = iter_training(demo_config(), tmp_path / "stop", overrides={"training.max_steps": 50, "training.eval_frequency": 4})
    for info in run:
        if info.step == 5:
            run.request_stop()
    assert json.loads((tmp_path / "stop" / RECORD_FILE).read_text())["status"] == "stopped"
    run = iter_training(demo_config(), tmp_path / "closed", overrides=FAST)
    next(run)
    run.close()
    assert json.loads((tmp_path / "closed" / RECORD_FILE).read_text())["status"] == "interrupted"


# ----- the table ---------------------------------------------------------------------------------------------
def test_runs_table_lists_runs_with_differing_settings(two_runs: Path) -> None:
    runs = list_runs(two_runs)
    assert [r.name for r in runs] == ["run-1", "run-2"]
    assert runs[0].settings == [] and runs[1].settings == ["--training.dropout 0.2"]
    table = format_runs_table(runs)
    lines = table.splitlines()
    assert lines[0].split() == ["RUN", "STATUS", "STEPS", "TIME", "BEST", "AT", "STEP", "SETTINGS"]
    assert lines[2].startswith("run-2") and "finished" in lines[2] and lines[2].endswith("--training.dropout 0.2")
    assert f"{100 * runs[0].best_score:.2f}" in lines[1]  # a percentage with 2 decimals
    assert [r.name for r in sort_runs(runs, "score")] == sorted(["run-1", "run-2"], key=lambda n: -next(r.best_score for r in runs if r.name == n))
    assert [r.name for r in sort_runs(runs, "-name")] == ["run-2", "run-1"]
    with pytest.raises(RunsError, match="--sort 'bogus'"):
        sort_runs(runs, "bogus")
    (name, steps, values), _ = curves(runs)
    assert name == "run-1" and steps == [4, 8] and all(0 < v <= 1 for v in values)
    assert curves(runs, "tag_acc")[0][2] == values  # score = tag_acc for the demo


def test_setting_diffs_and_folders_without_runs(tmp_path: Path) -> None:
    assert setting_diffs({"a.b": 1, "a.c": "x"}, {"a.b": 2, "a.c": "x", "a.d": [1]}) == ["--a.b 2", "--a.d '[1]'"]
    with pytest.raises(RunsError, match="no such folder"):
        list_runs(tmp_path / "missing")
    (tmp_path / "sweeps" / "sweep-1" / "trial_0" / "model-last").mkdir(parents=True)
    with pytest.raises(RunsError, match=r"no runs here .*holds runs folders: .*sweep-1"):
        list_runs(tmp_path / "sweeps")


def test_run_names_and_folders_resolve_to_their_model(two_runs: Path, tmp_path: Path) -> None:
    assert find_run_model("run-2", two_runs) == two_runs / "run-2" / "model-best"
    assert find_run_model(str(two_runs / "run-1"), None) == two_runs / "run-1" / "model-best"
    assert find_run_model("run-9", two_runs) is None and find_run_model("run-2", None) is None
    only_last = tmp_path / "run-1"
    (only_last / "model-last").mkdir(parents=True)
    (only_last / "model-last" / "config.cfg").write_text("")
    assert find_run_model("run-1", tmp_path) == only_last / "model-last"


# ----- the command line -------------------------------------------------------------------------------------
def test_cli_runs_table_and_plot(two_runs: Path, tmp_path: Path, capsys) -> None:
    png = tmp_path / "curves.png"
    assert main(["runs", str(two_runs), "--sort", "score", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "--training.dropout 0.2" in out and f"Wrote {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert main(["runs", str(tmp_path / "nothing")]) == 1
    assert "no such folder" in capsys.readouterr().err


def test_cli_train_refuses_an_output_holding_a_run(two_runs: Path, capsys) -> None:
    assert main(["train", "demo", "--output", str(two_runs / "run-1"), "--training.max_steps", "2"]) == 1
    err = capsys.readouterr().err
    assert "run-1 already holds a run: continue it with --resume, replace it with --overwrite" in err


def test_the_python_api_keeps_the_rule_and_overwrite_waits_for_a_good_config(tmp_path: Path) -> None:
    """`train`/`iter_training` refuse a folder holding a run too; `overwrite` replaces it only once the new run is set
    up, so a config error loses nothing; only the run's own files go."""
    out = tmp_path / "out"
    first = quiet_train(out)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RunsError, match="out already holds a run: continue it with --resume"):
        iter_training(demo_config(), out, overrides=FAST)
    with pytest.raises(Exception, match="max_stepz"):
        iter_training(demo_config(), out, overrides={"training.max_stepz": 3}, overwrite=True)
    assert nbnlp.load(out / "model-last").meta["training"]["steps"] == first.steps  # the earlier run is untouched
    import io

    second = train(demo_config(), out, overrides={**FAST, "training.max_steps": 4}, overwrite=True, stdout=io.StringIO(),
                   stderr=io.StringIO())
    assert second.steps == 4 and nbnlp.load(out / "model-last").meta["training"]["steps"] == 4
    assert (out / "notes.txt").read_text() == "mine"
