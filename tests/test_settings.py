"""The `[training]` / `[pretraining]` schema: defaults declared once, problems as `section.key`, effects for resume."""
from __future__ import annotations

from nbnlp.core.config import ConfigProblem
from nbnlp.core.settings import MODEL, RUN, PretrainingSchema, TrainingSchema, setting_effect, steers_run
from nbnlp.core.training.check import fill_config
from nbnlp.core.training.loop import TrainingSettings


def check(schema, values):
    problems: list[ConfigProblem] = []
    return schema.check(values, problems), {p.loc: p for p in problems}


def test_defaults_are_declared_once_and_used_by_the_loop_and_the_filled_config() -> None:
    settings, problems = check(TrainingSchema, {})
    assert problems == {} and settings.max_steps == 20000 and settings.eval_frequency == 200 and settings.seed is None
    assert TrainingSettings().values.patience == TrainingSchema.default("patience") == 1600
    filled = fill_config({"training": {"max_steps": 5}})["training"]
    assert filled["max_steps"] == 5 and filled["dropout"] == 0.1 and filled["batcher"]["size"] == 1000
    assert "logger" not in filled  # shown only when the config sets it


def test_problems_name_the_setting_what_was_expected_and_what_was_given() -> None:
    settings, problems = check(TrainingSchema, {"dropout": 2.0, "eval_frequency": True, "max_step": 10, "max_epochs": -1,
                                                "score_weights": {"tag_acc": "high", "pos_acc": 0.5}, "seed": None})
    assert str(problems["training.dropout"]) == "training.dropout: wrong value (expected a number from 0 to below 1, or a block with @schedules = \"...\", given 2.0)"
    assert "expected an integer of 1 or more" in str(problems["training.eval_frequency"])
    assert "did you mean 'training.max_steps'?" in problems["training.max_step"].message
    assert problems["training.max_epochs"].message == "streaming the corpus (-1) is not supported"
    assert problems["training.score_weights.tag_acc"].expected == "a number or null"
    # Wrong settings fall back to their defaults so the other checks can go on.
    assert settings.dropout == 0.1 and settings.max_epochs == 0 and settings.score_weights == {"pos_acc": 0.5}


def test_pretraining_schema() -> None:
    settings, problems = check(PretrainingSchema, {"max_epochs": 0, "n_save_every": None, "componnt": "x"})
    assert set(problems) == {"pretraining.max_epochs", "pretraining.componnt"} and settings.max_epochs == 1000
    assert PretrainingSchema.blocks() == {"batcher": "batchers", "objective": "architectures", "optimizer": "optimizers"}


def test_settings_say_whether_they_change_the_model_or_only_steer_the_run() -> None:
    assert {"max_steps", "eval_frequency", "patience", "logger", "max_epochs"} <= set(TrainingSchema.keys_with(RUN))
    assert {"dropout", "seed", "batcher", "optimizer", "frozen_components", "score_weights"} <= set(TrainingSchema.keys_with(MODEL))
    assert steers_run("training.logger.progress_bar") and not steers_run("training.optimizer.learn_rate")
    assert setting_effect("pretraining.dropout") == MODEL and setting_effect("components.tagger.model.width") is None
