"""Hyperparameter sweeps on Ray Tune: `--param KEY=DIST` parsing and checks, `%nlp_sweep` in a real kernel (live table,
plot, best settings, result; a function registered in a notebook cell reaching the trials), and `nbnlp sweep`
stopped by Ctrl-C keeping what the trials reported.

The sweeps use the session's shared Ray (`ray_address`) and the demo config cut down to a few seconds a trial."""
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nbnlp.core.commands.init_config import demo_config
from nbnlp.core.config import ConfigError
from nbnlp.core.distributed.search_space import Distribution, as_space, check_space, parse_distribution, parse_params
from nbnlp.core.distributed.sweep import plan_sweep
from nbnlp.core.distributed.sweep_trial import error_summary
from nbnlp.core.distributed.sweep_progress import SweepProgress, format_sweep_table, override_line
from notebook_helpers import kernel_env, parse_table

SETTINGS = "--training.max_steps 20 --training.eval_frequency 5 --corpora.train.limit 40 --corpora.dev.limit 40"
STEPS = [5, 10, 15, 20]


# ----- the search space (no Ray) -------------------------------------------------------------------
@pytest.mark.parametrize("text, kind, args", [
    ("loguniform(1e-4,1e-2)", "loguniform", (1e-4, 1e-2)),
    ("uniform(.05, 0.3)", "uniform", (0.05, 0.3)),
    ("randint(1, 4)", "randint", (1, 4)),
    ("choice(adam, 0.3, \"a b\", [1,2])", "choice", ("adam", 0.3, "a b", [1, 2])),
    ("choice(0.1,0.2)", "choice", (0.1, 0.2)),
])
def test_distributions_parse(text: str, kind: str, args: tuple) -> None:
    assert parse_distribution(text) == Distribution(kind, args)


@pytest.mark.parametrize("text, message", [
    ("unifrom(1,2)", "did you mean uniform(...)"),
    ("loguniform(0, 1)", "low end above 0"),
    ("uniform(3, 1)", "low end below the high end"),
    ("randint(1.5, 3)", "two integers"),
    ("choice()", "at least one value"),
    ("0.1", "not a distribution"),
])
def test_bad_distributions_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_params([f"training.dropout={text}"])
    assert "training.dropout" in str(err.value) and message in str(err.value)


def test_space_keys_are_checked_against_the_config() -> None:
    config = demo_config()
    with pytest.raises(ConfigError) as err:
        check_space(config, parse_params(["training.dropot=uniform(0.1,0.2)", "training.optimizer.learn_rat=loguniform(1e-4,1e-2)"]))
    text = str(err.value)
    assert "did you mean 'training.dropout'" in text and "did you mean 'training.optimizer.learn_rate'" in text
    with pytest.raises(ConfigError, match=r"training.dropout: .*from --param training.dropout=uniform\(0.1, 2.0\)"):
        check_space(config, parse_params(["training.dropout=uniform(0.1,2)"]))  # dropout must stay below 1
    with pytest.raises(ConfigError, match="both as a --param and as an override"):
        check_space(config, parse_params(["training.dropout=uniform(0.1,0.2)"]), {"training.dropout": 0.1})
    assert as_space({"training.dropout": [0.1, 0.2]}) == {"training.dropout": Distribution("choice", (0.1, 0.2))}


def test_plan_checks_metric_and_config_before_starting() -> None:
    with pytest.raises(ConfigError, match="did you mean 'tag_acc'"):
        plan_sweep(demo_config(), ["training.dropout=uniform(0.1,0.2)"], metric="tag_ac")
    with pytest.raises(ConfigError, match="no corpus path given"):
        plan_sweep(demo_config(), ["training.dropout=uniform(0.1,0.2)"], overrides={"paths.train": None})
    plan = plan_sweep(demo_config(), ["training.dropout=uniform(0.1,0.2)"], output="relative/sweep", trials=3)
    assert plan.output_path.is_absolute() and plan.max_steps == 1000 and plan.score_names == ["tag_acc"]


def test_progress_table_and_lines() -> None:
    progress = SweepProgress(["training.dropout"], n_trials=2, concurrent=2)
    progress.trial_started("a_00000", "trial_0", {"training.dropout": 0.123456})
    progress.trial_reported("a_00000", {"step": 5, "score": 0.5, "scores/tag_acc": 0.5, "stop_reason": ""})
    progress.trial_reported("a_00000", {"step": 10, "score": 0.25, "scores/tag_acc": 0.25, "stop_reason": "max_steps"})
    progress.trial_ended("a_00000")
    progress.trial_seen("a_00001", "trial_1", {"training.dropout": 0.2})
    progress.finish("Interrupted")
    table = format_sweep_table(list(progress.trials.values()), progress.param_keys)
    assert re.search(r"trial_0\s+0.1235\s+finished\s+10\s+25.00\s+50.00 @5", table), table
    assert re.search(r"trial_1\s+0.2\s+not started\s+0", table), table
    assert override_line("training.optimizer.@optimizers", "Adam.v1") == "--training.optimizer.@optimizers Adam.v1"
    assert override_line("paths.train", "my data.conllu") == "--paths.train 'my data.conllu'"
    assert error_summary("Traceback...\n  File x\nnbnlp.core.config.ConfigError: Invalid config: 1 problem\n  - a.b: bad\n") == \
        "ConfigError: Invalid config: 1 problem - a.b: bad"
    assert error_summary("ray.exceptions.RayTaskError(TrialFailed): ray::x\nnbnlp.core.distributed.sweep.TrialFailed: "
                         "ValueError: width 0\n") == "ValueError: width 0"


def test_magic_sweeps_the_override_forms_config(monkeypatch) -> None:
    """The form's settings are the sweep's base config (through the config variable or NAME_form); the magic binds
    the result and NAME_best and closes the view with the best settings. Tune is replaced by a stand-in here."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from nbnlp.core.distributed import sweep as sweep_module

    plans = []

    def fake_run(plan, progress):
        plans.append(plan)
        for i, value in enumerate([0.001, 0.002]):
            progress.trial_started(f"x_{i:05d}", f"trial_{i}", {"training.optimizer.learn_rate": value})
            progress.trial_reported(f"x_{i:05d}", {"step": 5, "score": 0.5 + i / 10, "stop_reason": "max_steps"})
            progress.trial_ended(f"x_{i:05d}")
        progress.finish("Finished")
        return sweep_module.sweep_result(plan, progress, interrupted=False, seconds=1.0)

    monkeypatch.setattr(sweep_module, "run_sweep", fake_run)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "nbnlp")
    with capture_output():
        shell.run_cell_magic("nlp_config", "formcfg", demo_config())
    shell.user_ns["formcfg_form"].set_value("training.dropout", 0.25)
    for ref in ("formcfg", "formcfg_form"):
        with capture_output() as cap:
            shell.run_line_magic("nlp_sweep", f"{ref} --param training.optimizer.learn_rate=choice(0.001, 0.002) --trials 2 "
                                              f"--as swept --training.max_steps 5")
        assert plans[-1].config["training"]["dropout"] == 0.25 and plans[-1].overrides == {"training.max_steps": 5}
        html = cap.outputs[-1].data["text/html"]
        assert 'data-status="finished"' in html and "--training.optimizer.learn_rate 0.002" in html
        assert "Best config stored as formcfg_best" in html
        best = shell.user_ns["formcfg_best"]
        assert best["training"]["optimizer"]["learn_rate"] == 0.002 and best["training"]["dropout"] == 0.25
        assert shell.user_ns["swept"].best_lines == ["--training.max_steps 5", "--training.optimizer.learn_rate 0.002"]


# ----- in a kernel ---------------------------------------------------------------------------------
MARK_CODE = '''
import os
from pathlib import Path
from thinc.api import Config
from nbnlp import registry
from nbnlp.core.commands.init_config import demo_config

@registry.callbacks("test.sweep_mark.v1")
def sweep_mark(folder: str):
    """Registered in this cell only: a trial can use it only if the sweep sends it to the Ray workers."""
    def before_update(nlp, info):
        Path(folder, str(os.getpid())).touch()
    return before_update

cfg = Config().from_str(demo_config() + '\\n[training.before_update]\\n@callbacks = "test.sweep_mark.v1"\\nfolder = "{marks}"\\n', interpolate=False)
'''


def run_cell(kernel, code: str, timeout: float = 240.0) -> tuple[dict, list[dict]]:
    """Execute `code` to its end: its execute_reply content and every iopub message it produced."""
    msg_id = kernel.start(code)
    reply = kernel.reply(msg_id, timeout)
    messages = []
    while True:
        msg = kernel.iopub(timeout=30)
        assert msg is not None, "the cell's output did not end"
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply, messages


def test_sweep_magic_in_a_kernel(kernel, ray_address: str, tmp_path: Path) -> None:
    marks, out = tmp_path / "marks", tmp_path / "sweep"
    marks.mkdir()
    kernel.run(MARK_CODE.replace("{marks}", str(marks)))
    reply, messages = run_cell(
        kernel,
        f"%nlp_sweep cfg --param training.optimizer.learn_rate=loguniform(1e-4,1e-2) --param 'training.dropout=choice(0.1, 0.2)' "
        f"--trials 3 --concurrent 2 --scheduler asha --seed 0 --output {out} --address {ray_address} {SETTINGS}",
    )
    assert reply["status"] == "ok", reply

    displays = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
    assert displays[0]["msg_type"] == "display_data" and len(displays) > 2
    view_id = displays[0]["content"]["transient"]["display_id"]
    others = [m["content"] for m in displays[1:] if m["msg_type"] != "update_display_data" or m["content"]["transient"]["display_id"] != view_id]
    assert not others, [str(o)[:400] for o in others]
    streams = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert streams.strip() == "", f"Ray or Tune printed into the notebook: {streams[:500]}"

    final = displays[-1]["content"]["data"]["text/html"]
    assert 'data-status="finished"' in final
    headers, rows = parse_table(final, "nbnlp-sweep")
    assert headers == ["TRIAL", "training.optimizer.learn_rate", "training.dropout", "STATUS", "STEPS", "SCORE", "BEST SCORE"]
    assert [cells[0] for _, cells in rows] == ["trial_0", "trial_1", "trial_2"]
    statuses = [cells[3] for _, cells in rows]
    assert set(statuses) <= {"finished", "stopped early"} and "finished" in statuses, statuses
    assert sum("nbnlp-best" in css for css, _ in rows) == 1
    assert re.search(r'<img class="nbnlp-sweep-plot"[^>]*src="data:image/png;base64,[A-Za-z0-9+/]{200,}', final)
    assert "Best config stored as cfg_best" in final and "Result stored as sweep_result" in final

    result = kernel.run(
        "", n="len(sweep_result.trials)", steps="[[p.step for p in t.history] for t in sweep_result.trials]",
        statuses="[t.status for t in sweep_result.trials]", best="sweep_result.best.name", overrides="sweep_result.best_overrides",
        lines="sweep_result.best_lines", model_best="str(sweep_result.model_best)",
        config="[cfg_best['training']['optimizer']['learn_rate'], cfg_best['training']['dropout'], cfg_best['training']['max_steps']]",
        dropouts="[t.params['training.dropout'] for t in sweep_result.trials]",
    )
    assert result["n"] == 3 and result["statuses"] == statuses
    for status, steps in zip(result["statuses"], result["steps"]):
        assert steps == (STEPS if status == "finished" else STEPS[: len(steps)]) and steps, (status, steps)
    assert set(result["dropouts"]) <= {0.1, 0.2}
    best = result["overrides"]
    assert best["training.max_steps"] == 20 and 1e-4 <= best["training.optimizer.learn_rate"] <= 1e-2
    assert result["config"] == [best["training.optimizer.learn_rate"], best["training.dropout"], 20]
    assert f"--training.optimizer.learn_rate {best['training.optimizer.learn_rate']!r}" in result["lines"]
    for line in result["lines"]:
        assert re.search(rf'<code class="nbnlp-best-setting"[^>]*>{re.escape(line)}</code>', final), line
    assert Path(result["model_best"]).is_dir() and Path(result["model_best"]).parent == out / result["best"]
    assert (out / result["best"] / "model-last").is_dir() and (out / "sweep.json").is_file()
    pids = {int(p.name) for p in marks.iterdir()}
    kernel_pid = kernel.run("import os", pid="os.getpid()")["pid"]
    assert pids and kernel_pid not in pids  # the cell's function ran in the trials' worker processes


def test_bad_param_is_one_usage_error(kernel) -> None:
    reply, messages = run_cell(kernel, "%nlp_sweep demo --param training.dropot=uniform(0.1,0.2) --trials 2", timeout=120)
    assert reply["status"] == "error" and reply["ename"] == "UsageError", reply
    assert "training.dropot" in reply["evalue"] and "did you mean 'training.dropout'" in reply["evalue"]
    reply, _ = run_cell(kernel, "%nlp_sweep demo --param training.dropout=unifrom(0.1,0.2)", timeout=120)
    assert reply["ename"] == "UsageError" and "training.dropout" in reply["evalue"] and "uniform" in reply["evalue"]


# ----- the command line -----------------------------------------------------------------------------
def test_cli_sweep_interrupted_keeps_the_trials(ray_address: str, tmp_path: Path) -> None:
    """Ctrl-C stops the sweep: exit 130, the trials' actors end, the table and sweep.json keep every evaluation."""
    out = tmp_path / "sweep"
    settings = SETTINGS.replace("--training.max_steps 20", "--training.max_steps 2000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbnlp", "sweep", "demo", "--param", "training.dropout=uniform(0.05,0.3)", "--trials", "3",
         "--concurrent", "2", "--output", str(out), "--address", ray_address, "--seed", "1", *settings.split()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=kernel_env(), cwd=tmp_path,
    )
    lines = []
    deadline = time.monotonic() + 180
    try:
        while not any(re.match(r"trial_\d step 5:", line) for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines) + proc.stderr.read()
            lines.append(proc.stdout.readline())
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    stdout = "".join(lines) + stdout
    assert proc.returncode == 130, stdout + stderr
    assert "Sweep interrupted" in stdout and re.search(r"trial_\d\s+\S+\s+interrupted\s+\d+", stdout), stdout
    assert re.search(r"Best: trial_\d .*\n  nbnlp train demo --training.max_steps 2000 .*--training.dropout 0\.\d+", stdout), stdout
    assert "tune" not in stderr.lower() and "Trial" not in stderr, stderr

    saved = json.loads((out / "sweep.json").read_text())
    assert saved["interrupted"] and len(saved["trials"]) >= 2
    evaluated = [t for t in saved["trials"] if t["history"]]
    assert evaluated and all(t["status"] == "interrupted" for t in evaluated)
    assert all([h["step"] for h in t["history"]] == STEPS[: len(t["history"])] for t in evaluated)
    assert Path(saved["model_best"]).is_dir()
    best = max(evaluated, key=lambda t: t["best_score"])
    assert saved["best"] == best["name"] and saved["best_overrides"]["training.dropout"] == best["params"]["training.dropout"]


# ----- a trial Tune ends during a report (no Ray cluster: Tune's report stands in) -------------------------------
def test_trial_ended_by_the_scheduler_reads_as_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ASHA may end a trial by raising out of `tune.report`: the run closes (saving as after an interrupt), and its
    record must still say "stopped", as the sweep's table does."""
    from ray import tune

    from nbnlp.core.distributed import sweep_trial
    from nbnlp.core.training.runs import read_run

    class EndTrial(Exception):
        pass

    reports: list[dict] = []

    def report(metrics: dict) -> None:
        reports.append(metrics)
        if len(reports) == 2:
            raise EndTrial()

    monkeypatch.setattr(tune, "report", report)
    spec = sweep_trial.TrialSpec(config=demo_config(), overrides={
        "training.max_steps": 20, "training.eval_frequency": 5, "corpora.train.limit": 40, "corpora.dev.limit": 40},
        output_path=str(tmp_path), cwd=str(tmp_path), registrations=None, use_gpu=-1, metric="score")
    with pytest.raises(EndTrial):
        sweep_trial._run_trial(spec, tmp_path / "trial_1", {})
    record = read_run(tmp_path / "trial_1")
    assert [r["step"] for r in reports] == [5, 10] and (record.status, record.steps) == ("stopped", 10)
