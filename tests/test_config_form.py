"""The `%%nlp_config` views: the HTML config summary and the ipywidgets override form (headless)."""
from __future__ import annotations

import json
import re
import shlex
from typing import Any

import ipywidgets as widgets
import pytest
from thinc.api import Config

import nbnlp
from nbnlp.core.config import ConfigError, ConfigProblem, apply_overrides, dotted_items, parse_overrides
from nbnlp.core.commands.init_config import demo_config, init_config
from nbnlp.core.registry import registered_names
from nbnlp.data import demo_path
from nbnlp.widgets.config_form import ConfigForm, format_override_value
from nbnlp.widgets.config_view import config_summary_html

FULL_PIPELINE = ["tagger", "parser", "ner", "textcat"]


def full_config() -> Config:
    return nbnlp.load_config(init_config(pipeline=FULL_PIPELINE), interpolate=False)


def demo() -> Config:
    return nbnlp.load_config(demo_config(), interpolate=False)


def expected_leaves(config: Config) -> dict[str, Any]:
    """Every setting the form must offer, found independently of the form's own walk."""
    leaves: dict[str, Any] = {}
    for key, value in config["training"].items():
        if not isinstance(value, dict):
            leaves[f"training.{key}"] = value
    for block in ("optimizer", "batcher"):
        leaves.update(dotted_items(config["training"][block], f"training.{block}"))
    for name, component in config["components"].items():
        if "model" in component:
            leaves.update(dotted_items(component["model"], f"components.{name}.model"))
    return leaves


def expected_widget(key: str, value: Any) -> tuple[type, Any]:
    if key.rsplit(".", 1)[1].startswith("@"):
        return widgets.Dropdown, value
    if isinstance(value, bool):
        return widgets.Checkbox, value
    if isinstance(value, int):
        return widgets.IntText, value
    if isinstance(value, float):
        return widgets.FloatText, value
    if value is None:
        return widgets.Text, "null"
    if isinstance(value, list):
        return widgets.Text, json.dumps(value)
    return widgets.Text, value  # plain strings and ${...} references, as written


@pytest.mark.parametrize("make_config", [full_config, demo], ids=["tagger-parser-ner-textcat", "demo"])
def test_every_training_and_model_setting_is_a_field(make_config) -> None:
    config = make_config()
    form = ConfigForm(config)
    expected = expected_leaves(config)
    assert set(form.fields) == set(expected)
    for key, value in expected.items():
        widget_type, shown = expected_widget(key, value)
        widget = form.fields[key]
        assert type(widget) is widget_type, key
        assert widget.value == shown, key
        assert widget.description == key
    # Sections outside the four are not offered; nothing is overridden yet.
    assert not any(k.startswith(("paths.", "nlp.", "corpora.", "training.logger", "training.score_weights")) for k in form.fields)
    assert form.overrides == {} and form.diff_lines() == []
    assert form.config == config
    assert "No overrides" in form.diff.value
    if make_config is full_config:
        assert "components.ner.model.hidden_width" in form.fields and "components.tok2vec.model.encode.width" in form.fields


def test_widget_has_the_contract_classes_and_one_pane_per_model() -> None:
    form = ConfigForm(full_config(), on_train=lambda config: None)
    assert "nbnlp-config-form" in form.widget._dom_classes
    assert "nbnlp-config-diff" in form.diff._dom_classes and isinstance(form.diff, widgets.HTML)
    assert "nbnlp-train-button" in form.train_button._dom_classes and not form.train_button.disabled
    assert "nbnlp-form-output" in form.output._dom_classes and isinstance(form.output, widgets.Output)
    titles = list(form.sections.titles)
    assert titles[0].startswith("[training]")
    assert [t.split("]")[0] + "]" for t in titles[1:]] == [f"[components.{n}.model]" for n in ["tok2vec", *FULL_PIPELINE]]
    assert form.sections.selected_index == 0
    # A form with nothing to train has a disabled button rather than one that fails.
    assert ConfigForm(full_config()).train_button.disabled


def test_changes_update_config_overrides_diff_and_callback() -> None:
    config = full_config()
    calls: list[tuple[Config, dict[str, Any]]] = []
    form = ConfigForm(config, on_change=lambda cfg, overrides: calls.append((cfg, overrides)))
    form.set_value("training.dropout", 0.3)
    form.fields["training.optimizer.learn_rate"].value = 0.002  # as the user would
    form.set_value("training.batcher.size.stop", 500)
    assert form.overrides == {"training.dropout": 0.3, "training.optimizer.learn_rate": 0.002, "training.batcher.size.stop": 500}
    assert form.diff_lines() == ["--training.dropout 0.3", "--training.optimizer.learn_rate 0.002", "--training.batcher.size.stop 500"]
    assert form.config["training"]["dropout"] == 0.3
    assert form.config["training"]["optimizer"]["learn_rate"] == 0.002
    assert form.config["training"]["batcher"]["size"]["stop"] == 500
    for line in form.diff_lines():
        assert line in form.diff.value
    assert len(calls) == 3 and calls[-1][1] == form.overrides and calls[-1][0] == form.config
    assert config["training"]["dropout"] == 0.1  # the original is never edited
    assert "nbnlp-modified" in form.fields["training.dropout"]._dom_classes
    assert form.fields["training.dropout"].layout.border_left  # the mark a user sees
    assert "0.1" in form.fields["training.dropout"].tooltip  # the value as written
    assert not form.fields["training.max_steps"].layout.border_left  # an unchanged field is not marked

    form.set_value("training.dropout", 0.1)  # back to the original: no longer an override
    assert "training.dropout" not in form.overrides
    assert form.diff_lines() == ["--training.optimizer.learn_rate 0.002", "--training.batcher.size.stop 500"]
    assert "--training.dropout" not in form.diff.value
    assert "nbnlp-modified" not in form.fields["training.dropout"]._dom_classes
    assert not form.fields["training.dropout"].layout.border_left

    form.reset()
    assert form.overrides == {} and form.config == config and form.fields["training.batcher.size.stop"].value == 1000
    assert calls[-1][1] == {}


def test_overridden_config_validates_and_diff_lines_reproduce_it() -> None:
    original = demo()
    form = ConfigForm(original)
    form.set_value("training.max_steps", 20)
    form.set_value("training.seed", "3")  # a ${system.seed} reference replaced by typing a number
    form.set_value("components.tok2vec.model.encode.width", 64)
    form.set_value("components.tok2vec.model.embed.attrs", '["NORM", "SHAPE"]')
    form.set_value("components.tok2vec.model.embed.rows", [2000, 500])
    form.set_value("training.optimizer.use_averages", False)
    form.set_value("components.tagger.model.tok2vec.upstream", "tok2vec")  # unchanged: no line
    assert form.errors == {}
    assert form.diff_lines() == [
        "--training.seed 3",
        "--training.max_steps 20",
        "--training.optimizer.use_averages false",
        "--components.tok2vec.model.embed.attrs '[\"NORM\", \"SHAPE\"]'",
        "--components.tok2vec.model.embed.rows '[2000, 500]'",
        "--components.tok2vec.model.encode.width 64",
    ]
    # The config loads (references resolve to the new width) and builds a pipeline.
    resolved = nbnlp.load_config(form.config)
    assert resolved["components"]["tok2vec"]["model"]["embed"]["width"] == 64
    assert resolved["components"]["tagger"]["model"]["tok2vec"]["width"] == 64
    assert resolved["training"]["seed"] == 3
    nlp = nbnlp.Language.from_config(resolved)
    assert nlp.pipe_names == ["tok2vec", "tagger"]
    assert form.problems == []
    # The lines, as a shell would split them, are the same overrides and the same config.
    parsed = parse_overrides(shlex.split(" ".join(form.diff_lines())))
    assert parsed == form.overrides
    assert [type(v) for v in parsed.values()] == [type(v) for v in form.overrides.values()]
    assert apply_overrides(original, parsed) == form.config
    assert parse_overrides(form.diff_args()) == form.overrides


def test_override_values_survive_the_shell_and_parse_overrides() -> None:
    for value in ["SGD.v1", "100", "true", "null", "two words", "${paths.train}", "", 0.0001, 1e-08, -3, True, None, ["a b", 1], []]:
        word = format_override_value(value)
        parsed = parse_overrides(shlex.split(f"--x.y {word}"))["x.y"]
        assert parsed == value and type(parsed) is type(value), (value, word)
    assert format_override_value("SGD.v1") == "SGD.v1"
    assert format_override_value(0.5) == "0.5"


def test_registry_dropdowns_list_registered_names() -> None:
    form = ConfigForm(full_config())
    optimizers = form.fields["training.optimizer.@optimizers"]
    assert isinstance(optimizers, widgets.Dropdown)
    assert list(optimizers.options) == registered_names("optimizers")
    assert {"Adam.v1", "SGD.v1"} <= set(optimizers.options) and optimizers.value == "Adam.v1"
    assert "nbnlp.Tagger.v1" in form.fields["components.tagger.model.@architectures"].options
    assert "compounding.v1" in form.fields["training.batcher.size.@schedules"].options
    assert "nbnlp.batch_by_words.v1" in form.fields["training.batcher.@batchers"].options
    form.set_value("training.optimizer.@optimizers", "RAdam.v1")
    assert form.diff_lines() == ["--training.optimizer.@optimizers RAdam.v1"]
    assert form.config["training"]["optimizer"]["@optimizers"] == "RAdam.v1"
    with pytest.raises(ValueError, match="not a registered function.*Adam.v1"):
        form.set_value("training.optimizer.@optimizers", "Adamm.v1")
    with pytest.raises(KeyError, match="did you mean 'training.dropout'"):
        form.set_value("training.dropuot", 0.2)
    with pytest.raises(TypeError, match="training.max_steps: expected an integer"):
        form.set_value("training.max_steps", "many")


def test_switching_optimizer_reports_its_unexpected_arguments() -> None:
    form = ConfigForm(full_config())
    assert form.problems == []
    form.set_value("training.optimizer.@optimizers", "SGD.v1")
    locs = {p.loc for p in form.problems}
    assert {"training.optimizer.beta1", "training.optimizer.beta2"} <= locs
    assert "nbnlp-config-problems" in form.diff.value and "training.optimizer.beta1" in form.diff.value


def test_invalid_text_marks_the_field_and_keeps_the_last_valid_value() -> None:
    calls: list[dict[str, Any]] = []
    trained: list[Config] = []
    form = ConfigForm(demo(), on_change=lambda cfg, overrides: calls.append(overrides), on_train=trained.append)
    key = "components.tok2vec.model.embed.rows"
    form.set_value(key, "[5000, 1000, 2500")  # no raise
    assert key in form.errors and "not valid JSON" in form.errors[key]
    assert "nbnlp-invalid" in form.fields[key]._dom_classes
    assert "nbnlp-config-errors" in form.diff.value and key in form.diff.value
    assert form.overrides == {} and calls == []
    form.train()
    assert trained == []  # no training on a config the user has not finished typing

    form.set_value(key, "5")
    assert "expected a JSON list" in form.errors[key]
    form.set_value("training.seed", "  ")
    assert "empty" in form.errors["training.seed"]

    form.set_value(key, "[4000, 1000, 2500, 2500]")
    form.set_value("training.seed", "${system.seed}")
    assert form.errors == {} and "nbnlp-invalid" not in form.fields[key]._dom_classes
    assert form.overrides == {key: [4000, 1000, 2500, 2500]} and calls[-1] == form.overrides
    assert "nbnlp-config-errors" not in form.diff.value


def test_references_and_nulls_are_left_alone_unless_edited() -> None:
    form = ConfigForm(full_config())
    assert form.fields["training.seed"].value == "${system.seed}"
    assert form.fields["components.tagger.model.nO"].value == "null"
    form.set_value("components.tagger.model.nO", "null")
    form.set_value("components.tagger.model.tok2vec.width", "${components.tok2vec.model.encode.width}")
    assert form.overrides == {}
    form.set_value("components.tagger.model.nO", "50")
    assert form.overrides == {"components.tagger.model.nO": 50}
    assert form.diff_lines() == ["--components.tagger.model.nO 50"]


def test_train_button_calls_on_train_with_the_current_config() -> None:
    trained: list[Config] = []
    form = ConfigForm(demo(), on_train=trained.append)
    form.set_value("training.dropout", 0.25)
    form.train_button.click()
    assert len(trained) == 1 and trained[0] == form.config and trained[0]["training"]["dropout"] == 0.25
    assert not form.train_button.disabled

    def failing(config: Config) -> None:
        raise ConfigError([ConfigProblem("paths.train", "no corpus path given")])

    form = ConfigForm(demo(), on_train=failing)
    form.train()  # a user error is shown in the output area, not raised
    assert not form.train_button.disabled


def test_form_over_a_config_without_training_or_models() -> None:
    text = '[nlp]\nlang = "en"\npipeline = ["tagger"]\n\n[components]\n\n[components.tagger]\nfactory = "tagger"\n\n[training]\ndropout = 0.2\n'
    form = ConfigForm(nbnlp.load_config(text, interpolate=False), validate=False)
    assert list(form.fields) == ["training.dropout"]
    form.set_value("training.dropout", 0.4)
    assert form.diff_lines() == ["--training.dropout 0.4"]
    empty = ConfigForm(nbnlp.load_config('[nlp]\nlang = "en"\npipeline = []\n', interpolate=False), validate=False)
    assert empty.fields == {} and isinstance(empty.widget, widgets.VBox)


def test_summary_names_pipeline_and_sections_and_flags_paths() -> None:
    config = full_config()
    config["paths"]["train"] = "no/such/<dir>&train.conllu"
    config["paths"]["dev"] = str(demo_path("ewt-dev"))
    markup = config_summary_html(config, title="my_config")
    assert markup.startswith('<div class="nbnlp-config"') and "<script" not in markup.lower()
    assert "my_config" in markup
    for name in ["tok2vec", *FULL_PIPELINE]:
        assert f">{name}</span>" in markup  # the pipeline chips
        assert f"[components.{name}]" in markup
    for section in ["[paths]", "[system]", "[nlp]", "[corpora.train]", "[training]", "[training.optimizer]", "[training.batcher.size]", "[components.ner.model.tok2vec]"]:
        assert section in markup
    # Values escaped; the missing path flagged (once), the existing one not.
    assert "no/such/&lt;dir&gt;&amp;train.conllu" in markup and "<dir>" not in markup
    assert markup.count(">missing</span>") == 1 and "1 path missing" in markup
    # [nlp] and [training] open, [components] (many blocks) and [system] collapsed; [paths] open for its missing path.
    opened = re.findall(r"<details open[^>]*><summary[^>]*><b>\[([^\]]+)\]", markup)
    assert opened == ["paths", "nlp", "training"]
    # Registered-function blocks name their function first.
    encode = markup.split("[components.tok2vec.model.encode]", 1)[1]
    assert encode.index("@architectures") < encode.index("width")
    assert "&quot;nbnlp.MaxoutWindowEncoder.v2&quot;" in encode


def test_summary_of_demo_config_is_compact() -> None:
    markup = config_summary_html(demo())
    assert "missing" not in markup  # the demo corpus ships with the package
    assert len(markup) < 25_000


def test_training_edits_do_not_rebuild_the_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    from nbnlp.core.training import check

    builds = []
    real = check.check_pipeline
    monkeypatch.setattr(check, "check_pipeline", lambda cfg: builds.append(1) or real(cfg))
    form = ConfigForm(demo())
    n = len(builds)
    form.set_value("training.dropout", 0.3)
    form.set_value("training.max_steps", 50)
    assert len(builds) == n and form.problems == []
    form.set_value("training.dropout", 2.0)  # still checked: the training settings are not cached
    assert [p.loc for p in form.problems] == ["training.dropout"] and len(builds) == n
    model_key = next(k for k in form.fields if k.startswith("components.") and k.endswith(".width"))
    form.set_value(model_key, 32)
    assert len(builds) == n + 1
