"""`nbnlp train` from the command line: the demo, overrides, --code, GPU errors, bad configs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbnlp
from nbnlp.core.commands.init_config import demo_config


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbnlp", *args], capture_output=True, text=True, cwd=cwd)


def test_train_demo_prints_table_and_saves_models(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("train", "demo", "--output", str(out), "--training.max_steps", "60", "--training.eval_frequency", "30")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("E "))
    assert header.split() == ["E", "#", "LOSS", "TAGGER", "TAG_ACC", "SCORE"]  # no tok2vec column: its "loss" is a gradient norm
    rows = [line.split() for line in lines if line.strip() and line.split()[0].isdigit()]
    assert [int(r[1]) for r in rows] == [30, 60]
    nlp = nbnlp.load(out / "model-best")
    meta = json.loads((out / "model-best" / "meta.json").read_text())
    assert meta["seed"] == 0 and meta["performance"]["tag_acc"] > 0.3 and meta["pipeline"] == ["tok2vec", "tagger"]
    assert (out / "model-best" / "config.cfg").read_text().count("[training") >= 1
    doc = nlp("The quick brown fox jumps over the lazy dog.")
    assert all(t.tag_ for t in doc)


def test_train_config_file_with_code_and_overrides(tmp_path: Path) -> None:
    config = tmp_path / "config.cfg"
    config.write_text(demo_config(), encoding="utf8")
    marker = tmp_path / "logged.txt"
    code = tmp_path / "functions.py"
    code.write_text(
        "import nbnlp\n"
        "@nbnlp.registry.loggers('test.FileLogger.v1')\n"
        "def file_logger(progress_bar: bool = False):\n"
        "    def setup(nlp, stdout, stderr):\n"
        f"        path = {str(marker)!r}\n"
        "        def log_step(info):\n"
        "            if info is not None and info.scores is not None:\n"
        "                open(path, 'a').write(f'{info.step}\\n')\n"
        "        return log_step, lambda: None\n"
        "    return setup\n",
        encoding="utf8",
    )
    proc = run_cli(
        "train", str(config), "--output", str(tmp_path / "out"), "--code", str(code),
        "--training.logger.@loggers", "test.FileLogger.v1", "--training.max_steps", "20", "--training.eval_frequency", "10",
    )
    assert proc.returncode == 0, proc.stderr
    assert marker.read_text().split() == ["10", "20"]


def test_bad_config_and_overrides_are_one_message(tmp_path: Path) -> None:
    config = tmp_path / "config.cfg"
    config.write_text(demo_config().replace("dropout = 0.1", 'dropout = "high"'), encoding="utf8")
    proc = run_cli("train", str(config), "--training.max_step", "5")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "training.max_step: no such setting" in proc.stderr and "did you mean 'training.max_steps'" in proc.stderr
    proc = run_cli("train", str(config))
    assert proc.returncode == 1 and "training.dropout" in proc.stderr and "Traceback" not in proc.stderr


def test_gpu_request_without_gpu_is_one_sentence(tmp_path: Path) -> None:
    proc = run_cli("train", "demo", "--gpu-id", "0", "--training.max_steps", "2")
    assert proc.returncode == 1
    assert "GPU 0 requested" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
