"""`[training] dropout` as a schedule and `[corpora.train.augmenter]`: both used, and a close-then-resume run
equals an uninterrupted one with them on."""
import io
import re
from pathlib import Path
from typing import Any

import pytest

from nbnlp.core.commands.init_config import init_config
from nbnlp.core.training import iter_training, train
from nbnlp.core.training import loop as loop_module
from nbnlp.core.training.dropout import dropout_schedule
from nbnlp.data import demo_path

from test_resume import assert_same_weights

SCHEDULE = '\n[training.dropout]\n@schedules = "decaying.v1"\nbase_rate = 0.4\ndecay = 0.2\n'
STEPS = 8
SETTINGS = {"training.eval_frequency": 4, "training.patience": 0, "training.max_steps": STEPS,
            "corpora.train.limit": 3, "corpora.dev.limit": 2}


def tagger_config(append: str = "") -> str:
    config = init_config(lang="en", pipeline=["tagger"])
    config = config.replace("train = null", f'train = "{demo_path("ewt-train")}"').replace("dev = null", f'dev = "{demo_path("ewt-dev")}"')
    if "[training.dropout]" in append:
        config = re.sub(r"(?m)^dropout = .*\n", "", config, count=1)
    return config + append


def test_dropout_schedule_values() -> None:
    at = dropout_schedule({"@schedules": "decaying.v1", "base_rate": 0.4, "decay": 0.2})
    assert at(0) == pytest.approx(0.4) and at(5) == pytest.approx(0.4 / (1 + 0.2 * 5))
    assert dropout_schedule(0.25)(7) == 0.25


def test_loop_uses_the_schedules_rate_at_each_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    real = loop_module._update

    def spy(*args: Any) -> None:
        seen.append(args[-1])
        real(*args)

    monkeypatch.setattr(loop_module, "_update", spy)
    train(tagger_config(SCHEDULE), tmp_path, overrides={**SETTINGS, "training.max_steps": 3}, stdout=io.StringIO())
    assert seen == pytest.approx([0.4 / (1 + 0.2 * step) for step in range(3)])


def _close_then_resume(config: str, tmp_path: Path) -> None:
    full = train(config, tmp_path / "full", overrides=SETTINGS, stdout=io.StringIO())
    run = iter_training(config, tmp_path / "cut", overrides=SETTINGS)
    for info in run:
        if info.step == 5:  # mid-epoch, between checkpoints
            break
    run.close()
    resumed = train(config, tmp_path / "cut", overrides=SETTINGS, resume=True, stdout=io.StringIO())
    assert resumed.resumed_from == 5 and resumed.steps == STEPS and full.history[-1].epoch >= 1
    assert_same_weights(tmp_path / "full" / "model-last", tmp_path / "cut" / "model-last")
    assert [h.losses for h in resumed.history] == [h.losses for h in full.history]


def test_close_then_resume_with_a_dropout_schedule(tmp_path: Path) -> None:
    _close_then_resume(tagger_config(SCHEDULE), tmp_path)
