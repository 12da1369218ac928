"""Exact resume: N steps, a stop (close, Ctrl-C in evaluation, SIGTERM, SIGKILL after a checkpoint), then
--resume gives the same weights, bit for bit, and the same scores as one uninterrupted run; a config that
would train something else is refused, naming what changed."""
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbnlp
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.config import ConfigError
from nbnlp.core.training import iter_training, train
from nbnlp.core.training.checkpoint import CheckpointError
from nbnlp.core.training.signals import EXIT_TERMINATED, StopSignals
from nbnlp.data import demo_path

STEPS = 24
# Short epochs (6 docs of 10 sentences) so the run crosses epoch boundaries; Adam keeps parameter averages by default.
SETTINGS = {"training.eval_frequency": 5, "training.patience": 0, "corpora.train.limit": 6, "corpora.dev.limit": 5}

KILL_CODE = '''
import os, signal
from nbnlp import registry

@registry.callbacks("test.signal_from_env.v1")
def signal_from_env():
    """Sends the signal named in NBNLP_TEST_SIGNAL to this process before update number NBNLP_TEST_AT."""
    def before_update(nlp, info):
        if os.environ.get("NBNLP_TEST_SIGNAL") and info["step"] == int(os.environ["NBNLP_TEST_AT"]):
            os.kill(os.getpid(), getattr(signal, os.environ["NBNLP_TEST_SIGNAL"]))
    return before_update
'''


def tagger_parser_config(**extra: Any) -> str:
    config = init_config(lang="en", pipeline=["tagger", "parser"])
    config = config.replace('train = null', f'train = "{demo_path("ewt-train")}"').replace('dev = null', f'dev = "{demo_path("ewt-dev")}"')
    return config + textwrap.dedent("".join(f"\n{line}" for line in extra.get("append", [])))


def overrides(**more: Any) -> dict[str, Any]:
    return {**SETTINGS, "training.max_steps": STEPS, **more}


def params(path: Path) -> dict[str, np.ndarray]:
    nlp = nbnlp.load(path)
    out = {}
    for name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is None:
            continue
        for position, node in enumerate(model.walk()):
            for param in node.param_names:
                if node.has_param(param):
                    out[f"{name}:{position}:{param}"] = node.get_param(param)
    return out


def assert_same_weights(a: Path, b: Path) -> None:
    pa, pb = params(a), params(b)
    assert pa.keys() == pb.keys()
    different = [key for key in pa if not np.array_equal(pa[key], pb[key])]
    assert not different, f"{len(different)} of {len(pa)} parameters differ, e.g. {different[:3]}"


@pytest.fixture(scope="module")
def config() -> str:
    return tagger_parser_config()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, config: str) -> Any:
    out = tmp_path_factory.mktemp("uninterrupted")
    result = train(config, out, overrides=overrides(), stdout=io.StringIO())
    assert result.steps == STEPS and result.history[-1].epoch >= 1  # crossed an epoch boundary
    return out, result


def scores(result: Any) -> list[tuple[int, float]]:
    return [(h.step, h.score) for h in result.history]


def test_close_then_resume_equals_uninterrupted(tmp_path: Path, config: str, uninterrupted: Any) -> None:
    reference, full = uninterrupted
    run = iter_training(config, tmp_path, overrides=overrides())
    for info in run:
        if info.step == 13:  # mid-epoch, between checkpoints
            break
    run.close()
    assert run.result is not None and run.result.interrupted and (tmp_path / "checkpoint").is_dir()
    resumed = train(config, tmp_path, overrides=overrides(), resume=True, stdout=io.StringIO())
    assert resumed.resumed_from == 13 and resumed.steps == STEPS
    assert_same_weights(reference / "model-last", tmp_path / "model-last")
    assert_same_weights(reference / "model-best", tmp_path / "model-best")
    assert scores(resumed) == scores(full)
    assert [h.losses for h in resumed.history] == [h.losses for h in full.history]
    assert nbnlp.load(tmp_path / "model-last").meta["training"]["resumed_from"] == 13


def test_interrupt_during_evaluation_evaluates_on_resume(tmp_path: Path, config: str, uninterrupted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reference, full = uninterrupted
    run = iter_training(config, tmp_path, overrides=overrides())
    real_evaluate = run.nlp.evaluate
    calls = []

    def evaluate_then_interrupt(examples: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # step 10's evaluation: Ctrl-C arrives in the middle of it
            raise KeyboardInterrupt
        return real_evaluate(examples)

    monkeypatch.setattr(run.nlp, "evaluate", evaluate_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        for _ in run:
            pass
    assert run.result is not None and run.result.steps == 10 and [h.step for h in run.result.history] == [5]
    resumed = train(config, tmp_path, overrides=overrides(), resume=True, stdout=io.StringIO())
    assert scores(resumed) == scores(full)
    assert_same_weights(reference / "model-last", tmp_path / "model-last")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbnlp", *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
def test_cli_signal_then_resume_equals_uninterrupted(tmp_path: Path, config: str, uninterrupted: Any, signal_name: str) -> None:
    reference, full = uninterrupted
    code = tmp_path / "signal_code.py"
    code.write_text(KILL_CODE)
    config_file = tmp_path / "config.cfg"
    config_file.write_text(config + '\n[training.before_update]\n@callbacks = "test.signal_from_env.v1"\n')
    out = tmp_path / "out"
    cli_overrides = [f"--{key}={value}" for key, value in overrides().items()]
    args = ["train", str(config_file), "--output", str(out), "--code", str(code), *cli_overrides]
    stopped = run_cli(*args, env={"NBNLP_TEST_SIGNAL": signal_name, "NBNLP_TEST_AT": "17"})
    if signal_name == "SIGTERM":
        assert stopped.returncode == EXIT_TERMINATED, stopped.stderr
        assert "stopped by SIGTERM" in stopped.stdout + stopped.stderr and "Traceback" not in stopped.stderr
        assert nbnlp.load(out / "model-last").meta["training"]["steps"] == 18  # the update under way was finished
    else:
        assert stopped.returncode == -signal.SIGKILL
        assert nbnlp.load(out / "model-last").meta["training"]["steps"] == 15  # the last checkpoint's
    resumed = run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming" in resumed.stdout
    assert_same_weights(reference / "model-last", out / "model-last")
    assert_same_weights(reference / "model-best", out / "model-best")
    assert nbnlp.load(out / "model-best").meta["performance"] == nbnlp.load(reference / "model-best").meta["performance"] | {
        "speed": nbnlp.load(out / "model-best").meta["performance"]["speed"]
    }


def test_resume_refuses_settings_that_change_the_model(tmp_path: Path, config: str) -> None:
    train(config, tmp_path, overrides=overrides(**{"training.max_steps": 6}), stdout=io.StringIO())
    with pytest.raises(ConfigError) as err:
        train(config, tmp_path, overrides=overrides(**{"training.dropout": 0.3, "components.tok2vec.model.encode.depth": 2}), resume=True, stdout=io.StringIO())
    message = str(err.value)
    assert "training.dropout" in message and "components.tok2vec.model.encode.depth" in message
    assert "0.1 there, 0.3 now" in message
    # a changed corpus is refused by content, even under the same path
    train_copy = tmp_path / "train.conllu"
    train_copy.write_text(demo_path("ewt-train").read_text(encoding="utf8"), encoding="utf8")
    out = tmp_path / "copy"
    train(config, out, overrides=overrides(**{"training.max_steps": 6, "paths.train": str(train_copy)}), stdout=io.StringIO())
    with train_copy.open("a", encoding="utf8") as f:
        f.write("\n")
    with pytest.raises(ConfigError, match=r"paths.train: the content of .*train.conllu differs"):
        train(config, out, overrides=overrides(**{"paths.train": str(train_copy)}), resume=True, stdout=io.StringIO())
    # settings that only steer the run may change: more steps, other evaluation frequency, patience
    result = train(config, tmp_path, overrides=overrides(**{"training.max_steps": 8, "training.eval_frequency": 4, "training.patience": 100}),
                   resume=True, stdout=io.StringIO())
    assert result.resumed_from == 6 and result.steps == 8


def test_resume_of_a_finished_or_missing_run_is_a_clear_error(tmp_path: Path, config: str) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint to resume from"):
        train(config, tmp_path / "nothing", overrides=overrides(), resume=True, stdout=io.StringIO())
    with pytest.raises(CheckpointError, match="needs the output folder"):
        iter_training(config, None, overrides=overrides(), resume=True)
    train(config, tmp_path, overrides=overrides(**{"training.max_steps": 5}), stdout=io.StringIO())
    with pytest.raises(CheckpointError, match=r"already reached step 5 \(training.max_steps = 5\); raise training.max_steps"):
        train(config, tmp_path, overrides=overrides(**{"training.max_steps": 5}), resume=True, stdout=io.StringIO())
    state = tmp_path / "checkpoint" / "state.msgpack"
    state.write_bytes(state.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=r"state.msgpack: cut short or not a checkpoint"):
        train(config, tmp_path, overrides=overrides(), resume=True, stdout=io.StringIO())


def test_signals_are_held_back_during_an_update_and_ignored_while_saving() -> None:
    signals = StopSignals()
    signals.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals.protected():
                os.kill(os.getpid(), signal.SIGINT)
                finished_the_update = True  # reached: the signal waited for the protected part to end
        assert finished_the_update and signals.stopped_by == "SIGINT"
        signals.stopping = True
        with signals.protected():
            os.kill(os.getpid(), signal.SIGTERM)  # a second stop while saving: ignored, the save completes
        os.kill(os.getpid(), signal.SIGINT)
    finally:
        signals.uninstall()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_setting_added_later_and_left_off_does_not_block_a_resume() -> None:
    """A checkpoint written before a reader gained an argument (e.g. `augmenter`, off by default) still resumes;
    the argument set to something is a real difference."""
    from nbnlp.core.training.fingerprint import fingerprint_problems

    saved = {"corpora.train.path": "train.conllu"}
    assert fingerprint_problems(saved, {**saved, "corpora.train.augmenter": None}) == []
    problems = fingerprint_problems(saved, {**saved, "corpora.train.augmenter": {"@augmenters": "nbnlp.lower_case.v1"}})
    assert [p.loc for p in problems] == ["corpora.train.augmenter"]
