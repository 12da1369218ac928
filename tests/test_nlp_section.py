"""`[nlp]`: the creation callbacks (before_creation, after_creation, after_pipeline_creation) and `disabled`
components, in training, saving and loading; unknown `[nlp]` keys."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

import nbnlp
from nbnlp.core.config import ConfigError
from nbnlp.core.language import Language
from nbnlp.core.registry import registry
from nbnlp.core.training import iter_training
from nbnlp.data import demo_path
from training_helpers import gold_examples, load_refs

CALLS: list[tuple[str, Any]] = []


class CustomLanguage(Language):
    """What `before_creation` builds instead of Language."""


@registry.callbacks("test_nlp_section.subclass.v1")
def make_subclass() -> Callable[[type], type]:
    def before_creation(cls: type) -> type:
        CALLS.append(("before_creation", cls))
        return CustomLanguage

    return before_creation


@registry.callbacks("test_nlp_section.after_creation.v1")
def make_after_creation(batch_size: int = 7) -> Callable[[Language], Language]:
    def after_creation(nlp: Language) -> Language:
        CALLS.append(("after_creation", (type(nlp), nlp.component_names, nlp.tokenizer is not None)))
        nlp.meta["made_by"] = "after_creation"
        return nlp

    return after_creation


@registry.callbacks("test_nlp_section.after_pipeline.v1")
def make_after_pipeline() -> Callable[[Language], Language]:
    def after_pipeline_creation(nlp: Language) -> Language:
        CALLS.append(("after_pipeline_creation", (nlp.component_names, nlp.disabled)))
        return nlp

    return after_pipeline_creation


@registry.callbacks("test_nlp_section.returns.v1")
def make_returns(value: str = "none") -> Callable[[Any], Any]:
    """A callback returning the wrong kind of thing."""
    return lambda arg: {"none": None, "str": "nlp", "class": dict}[value]


SMALL_TOK2VEC = """
[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "nbnlp.Tok2Vec.v1"

[components.tok2vec.model.embed]
@architectures = "nbnlp.HashEmbed.v1"
width = 32
attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
rows = [500, 100, 250, 250]

[components.tok2vec.model.encode]
@architectures = "nbnlp.MaxoutWindowEncoder.v2"
width = 32
depth = 1
window_size = 1
maxout_pieces = 2
"""


def tagger_block(name: str, attr: str) -> str:
    return f"""
[components.{name}]
factory = "tagger"
label_attr = "{attr}"

[components.{name}.model]
@architectures = "nbnlp.Tagger.v1"

[components.{name}.model.tok2vec]
@architectures = "nbnlp.Tok2VecListener.v1"
width = 32
upstream = "tok2vec"
"""


def config_text(nlp_extra: str = "") -> str:
    """tok2vec + a tag tagger + a POS tagger that `[nlp] disabled` can switch off; a few steps on a slice of the demo corpus."""
    return f"""
[paths]
train = "{demo_path('ewt-train')}"
dev = "{demo_path('ewt-dev')}"

[nlp]
lang = "en"
pipeline = ["tok2vec", "tagger", "pos"]
{nlp_extra}

[components]
{SMALL_TOK2VEC}
{tagger_block("tagger", "tag")}
{tagger_block("pos", "pos")}

[corpora]

[corpora.train]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.train}}
limit = 60

[corpora.dev]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.dev}}
limit = 20

[training]
max_steps = 6
eval_frequency = 3

[training.batcher]
@batchers = "nbnlp.batch_by_words.v1"
size = 300
"""


def build(nlp_extra: str) -> Language:
    from nbnlp.core.config import load_config

    return Language.from_config(load_config(config_text(nlp_extra)))


# ----- callbacks -------------------------------------------------------------------------------------
CALLBACKS = """
[nlp.before_creation]
@callbacks = "test_nlp_section.subclass.v1"

[nlp.after_creation]
@callbacks = "test_nlp_section.after_creation.v1"

[nlp.after_pipeline_creation]
@callbacks = "test_nlp_section.after_pipeline.v1"
"""


def test_callbacks_run_in_order_on_build_and_on_load(tmp_path: Path) -> None:
    CALLS.clear()
    nlp = build('disabled = ["pos"]\n' + CALLBACKS)
    assert isinstance(nlp, CustomLanguage)
    assert [c[0] for c in CALLS] == ["before_creation", "after_creation", "after_pipeline_creation"]
    assert CALLS[0][1] is Language
    assert CALLS[1][1] == (CustomLanguage, [], True)  # the tokenizer is set, no component yet
    assert CALLS[2][1] == (["tok2vec", "tagger", "pos"], ["pos"])  # every component, disabled ones set
    assert nlp.meta["made_by"] == "after_creation"
    # The saved config keeps the callbacks: loading the pipeline runs them again.
    examples = gold_examples(nlp, load_refs(nlp, "ewt-dev")[:10])
    nlp.initialize(lambda: examples)
    nlp.to_disk(tmp_path / "model")
    assert "test_nlp_section.after_creation.v1" in (tmp_path / "model" / "config.cfg").read_text()
    CALLS.clear()
    loaded = nbnlp.load(tmp_path / "model")
    assert isinstance(loaded, CustomLanguage)
    assert [c[0] for c in CALLS] == ["before_creation", "after_creation", "after_pipeline_creation"]


@pytest.mark.parametrize("key, value", [
    ("before_creation", "none"), ("before_creation", "class"), ("after_creation", "none"),
    ("after_creation", "str"), ("after_pipeline_creation", "none"),
])
def test_a_callback_returning_the_wrong_kind_is_a_config_error(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"nlp\.{key}: the callback must return"):
        build(f'[nlp.{key}]\n@callbacks = "test_nlp_section.returns.v1"\nvalue = "{value}"\n')


def test_callback_blocks_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"nlp\.after_creation\.@callbacks: no such registered callback"):
        build('[nlp.after_creation]\n@callbacks = "test_nlp_section.missing.v1"\n')
    with pytest.raises(ConfigError, match=r"nlp\.after_creation\.bogus: unexpected argument"):
        build('[nlp.after_creation]\n@callbacks = "test_nlp_section.after_creation.v1"\nbogus = 1\n')
    with pytest.raises(ConfigError, match=r"nlp\.before_creation: must be a block"):
        build('before_creation = "test_nlp_section.subclass.v1"\n')
    nlp = build("before_creation = null\nafter_creation = null\nafter_pipeline_creation = null\n")  # spaCy's defaults
    assert type(nlp) is Language


# ----- [nlp] keys and disabled -----------------------------------------------------------------------
def test_unknown_nlp_keys_and_disabled_names_are_errors() -> None:
    with pytest.raises(ConfigError) as err:
        build('disabled = ["pos", "ner"]\nbatch_sise = 10\n')
    text = str(err.value)
    assert "nlp.batch_sise: unknown setting; did you mean 'nlp.batch_size'?" in text
    assert "nlp.disabled: 'ner' is not in nlp.pipeline" in text
    with pytest.raises(ConfigError, match=r"nlp\.disabled: wrong type"):
        build('disabled = "pos"\n')


def test_enable_and_disable_pipe() -> None:
    nlp = build('disabled = ["pos"]\n')
    assert nlp.pipe_names == ["tok2vec", "tagger"] and [n for n, _ in nlp.pipeline] == ["tok2vec", "tagger"]
    assert nlp.component_names == ["tok2vec", "tagger", "pos"] and [n for n, _ in nlp.components] == nlp.component_names
    assert nlp.disabled == ["pos"] and nlp.config["nlp"]["disabled"] == ["pos"]
    assert nlp.get_pipe("pos").name == "pos" and not nlp.has_pipe("pos")
    nlp.enable_pipe("pos")
    assert nlp.pipe_names == nlp.component_names and nlp.disabled == [] and nlp.config["nlp"]["disabled"] == []
    nlp.disable_pipe("tagger")
    assert nlp.pipe_names == ["tok2vec", "pos"]
    with pytest.raises(ValueError, match="No component 'ner'"):
        nlp.enable_pipe("ner")
    with pytest.raises(ValueError, match="already in the pipeline"):
        nlp.add_pipe("tagger", name="tagger")  # a disabled name is still taken
    nlp.remove_pipe("tagger")
    assert nlp.disabled == [] and nlp.component_names == ["tok2vec", "pos"]


def test_a_disabled_component_is_kept_but_neither_run_nor_trained(tmp_path: Path) -> None:
    run = iter_training(config_text('disabled = ["pos"]\n' + CALLBACKS), tmp_path / "out")
    assert isinstance(run.nlp, CustomLanguage)  # training builds the pipeline with the callbacks
    initial = run.nlp.get_pipe("pos").model.to_bytes()
    tagger_initial = run.nlp.get_pipe("tagger").model.to_bytes()
    for _ in run:
        pass
    nlp = run.result.nlp
    assert nlp.get_pipe("pos").model.to_bytes() == initial  # not trained
    assert nlp.get_pipe("tagger").model.to_bytes() != tagger_initial  # the others are
    assert all("pos_acc" not in info.scores for info in run.result.history)  # not evaluated
    doc = nlp("The cat sat on the mat.")
    assert all(t.tag_ for t in doc) and not any(t.pos_ for t in doc)  # not run
    # Saved with the rest, and loaded disabled.
    loaded = nbnlp.load(tmp_path / "out" / "model-last")
    assert isinstance(loaded, CustomLanguage) and loaded.disabled == ["pos"] and loaded.component_names == ["tok2vec", "tagger", "pos"]
    assert loaded.get_pipe("pos").model.to_bytes() == initial
    assert not any(t.pos_ for t in loaded("The cat sat on the mat."))
    loaded.enable_pipe("pos")
    assert all(t.pos_ for t in loaded("The cat sat on the mat."))


def test_disabling_a_tok2vec_that_active_components_listen_to_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"nlp\.disabled: 'tok2vec' feeds tagger, pos"):
        build('disabled = ["tok2vec"]\n')
    assert build('disabled = ["tok2vec", "tagger", "pos"]\n').pipe_names == []
