"""Config loading, overrides, validation errors, the registry, and the Language pipeline object."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from thinc.api import Config

import nbnlp
from nbnlp.core.config import ConfigError, apply_overrides, load_config, parse_overrides
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.pipeline.component import Component
from nbnlp.core.registry import registry


class Marker(Component):
    """Writes a fixed tag on every token: enough to see settings arrive and the pipeline run."""

    def __init__(self, tag: str, repeat: int) -> None:
        self.tag = tag
        self.repeat = repeat

    def __call__(self, doc):
        for token in doc:
            token.tag_ = self.tag * self.repeat
        return doc


def make_marker(nlp, name: str, tag: str = "X", repeat: int = 1) -> Marker:
    return Marker(tag, repeat)


nbnlp.factory("test_marker", default_config={"tag": "X", "repeat": 1})(make_marker)

CONFIG = """
[paths]
train = null

[nlp]
lang = "en"
pipeline = ["first", "second"]

[components]

[components.first]
factory = "test_marker"
tag = "A"
repeat = 2

[components.second]
factory = "test_marker"
tag = "${components.first.tag}"
repeat = 1

[training]
max_steps = 10
dropout = 0.1
"""


def test_registering_a_name_again_replaces_it() -> None:
    @registry.architectures("test.Rereg.v1")
    def first() -> int:
        return 1

    @registry.architectures("test.Rereg.v1")
    def second() -> int:
        return 2

    assert registry.architectures.get("test.Rereg.v1")() == 2
    # The same for factories: re-running a notebook cell is safe.
    nbnlp.factory("test_marker", default_config={"tag": "X", "repeat": 1})(make_marker)
    nbnlp.factory("test_marker", default_config={"tag": "X", "repeat": 1})(make_marker)
    assert nbnlp.blank("en").add_pipe("test_marker").tag == "X"


def test_thinc_optimizers_and_schedules_resolve() -> None:
    cfg = Config().from_str(
        '[o]\n@optimizers = "Adam.v1"\nlearn_rate = 0.01\n[s]\n@schedules = "compounding.v1"\nstart = 1\nstop = 10\ncompound = 2.0'
    )
    resolved = registry.resolve(cfg)
    assert resolved["o"].learn_rate == 0.01
    assert [next(resolved["s"]) for _ in range(4)] == [1, 2, 4, 8]  # thinc 8.3 schedules are generators


def test_config_builds_pipeline_with_interpolation() -> None:
    nlp = nbnlp.Language.from_config(load_config(CONFIG))
    assert nlp.pipe_names == ["first", "second"]
    assert nlp.get_pipe("first").repeat == 2 and nlp.get_pipe("second").tag == "A"
    assert [t.tag_ for t in nlp("Hello there")] == ["A", "A"]
    assert nlp.config["components"]["first"] == {"factory": "test_marker", "tag": "A", "repeat": 2}


def test_overrides_are_parsed_as_json_and_checked() -> None:
    assert parse_overrides(["--training.max_steps", "5", "--paths.train=x.conllu", "--nlp.pipeline", '["a"]', "--training.x"]) == {
        "training.max_steps": 5, "paths.train": "x.conllu", "nlp.pipeline": ["a"], "training.x": True,
    }
    config = load_config(CONFIG, {"training.max_steps": 3, "components.first.tag": "B"})
    assert config["training"]["max_steps"] == 3 and config["components"]["second"]["tag"] == "B"
    with pytest.raises(ConfigError) as err:
        apply_overrides(load_config(CONFIG, interpolate=False), {"training.max_step": 1, "trainig.dropout": 0.2, "components.first": 3})
    text = str(err.value)
    assert "3 problems" in text
    assert "training.max_step: no such setting" in text and "did you mean 'training.max_steps'" in text
    assert "did you mean 'training'" in text
    assert "components.first: is a section" in text
    with pytest.raises(ConfigError, match="must name a section and a key"):
        parse_overrides(["--steps", "3"])


def test_validation_lists_every_problem_with_its_location() -> None:
    bad = CONFIG.replace("repeat = 2", 'repeat = "many"').replace('tag = "${components.first.tag}"', "tag = 7\ncolour = 1")
    with pytest.raises(ConfigError) as err:
        nbnlp.Language.from_config(load_config(bad))
    text = str(err.value)
    assert "components.first.repeat" in text and "many" in text
    assert "components.second.colour" in text
    assert len(err.value.problems) >= 2


def test_unknown_factory_and_missing_section() -> None:
    with pytest.raises(ConfigError, match="did you mean 'test_marker'"):
        nbnlp.blank("en").add_pipe("test_markr")
    broken = CONFIG.replace('pipeline = ["first", "second"]', 'pipeline = ["first", "third"]')
    with pytest.raises(ConfigError, match=r"components\.third: listed in nlp.pipeline but has no section"):
        nbnlp.Language.from_config(load_config(broken))
    with pytest.raises(ConfigError, match="nlp.lang"):
        nbnlp.Language.from_config(load_config(CONFIG.replace('lang = "en"', 'lang = "tlh"')))


def test_bad_config_syntax_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="cannot parse config"):
        load_config("[nlp\nlang = en")
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(Path("/nonexistent/config.cfg"))


def test_pipeline_order_pipe_and_names() -> None:
    nlp = nbnlp.blank("en")
    nlp.add_pipe("test_marker", name="b", config={"tag": "B"})
    nlp.add_pipe("test_marker", name="a", config={"tag": "A"}, first=True)
    nlp.add_pipe("test_marker", name="c", config={"tag": "C"}, after="a")
    assert nlp.pipe_names == ["a", "c", "b"]
    with pytest.raises(ValueError, match="already in the pipeline"):
        nlp.add_pipe("test_marker", name="a")
    docs = list(nlp.pipe(["one two", nbnlp.Doc(nlp.vocab, ["pre", "tokenized"])], batch_size=1))
    assert [t.tag_ for t in docs[1]] == ["B", "B"] and docs[1].words == ["pre", "tokenized"]
    nlp.remove_pipe("b")
    assert nlp("x")[0].tag_ == "C"


def test_to_disk_and_load_round_trip(tmp_path: Path) -> None:
    nlp = nbnlp.Language.from_config(load_config(CONFIG))
    nlp.to_disk(tmp_path / "model")
    loaded = nbnlp.load(tmp_path / "model")
    assert loaded.pipe_names == nlp.pipe_names
    assert [t.tag_ for t in loaded("I don't know")] == ["A"] * 4 and loaded.get_pipe("first").repeat == 2
    meta = nbnlp.core.language.srsly.read_json(tmp_path / "model" / "meta.json")
    assert meta["nbnlp_version"] == nbnlp.__version__ and "thinc_version" in meta and "python_version" in meta
    assert oct(os.stat(tmp_path / "model").st_mode & 0o777) != oct(0o700)


def test_failed_save_keeps_the_previous_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nlp = nbnlp.Language.from_config(load_config(CONFIG))
    nlp.to_disk(tmp_path / "model")
    before = sorted(p.name for p in (tmp_path / "model").iterdir())

    def crash(self, path):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Marker, "to_disk", crash)
    with pytest.raises(RuntimeError):
        nlp.to_disk(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temp dir left behind


def test_init_config_writes_every_section() -> None:
    text = init_config(pipeline=["tagger"])
    config = Config().from_str(text, interpolate=False)
    for section in ("paths", "system", "nlp", "components", "corpora", "training", "initialize"):
        assert section in config
    assert config["nlp"]["pipeline"] == ["tok2vec", "tagger"]
    assert config["training"]["score_weights"] == {"tag_acc": 1.0}
    assert text.count("\n# ") >= 10  # settings are commented
    with pytest.raises(ConfigError, match="unknown component"):
        init_config(pipeline=["tager"])


def test_init_config_cli(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "nbnlp", "init-config", "-", "--optimize", "accuracy"], capture_output=True, text=True)
    assert out.returncode == 0 and "width = 256" in out.stdout
    target = tmp_path / "c.cfg"
    assert subprocess.run([sys.executable, "-m", "nbnlp", "init-config", str(target), "--gpu"], capture_output=True).returncode == 0
    assert load_config(target)["system"]["gpu_id"] == 0
    bad = subprocess.run([sys.executable, "-m", "nbnlp", "init-config", "-", "--pipeline", "tagger,nerr"], capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown component" in bad.stderr and "Traceback" not in bad.stderr


def test_init_config_builds_every_combination() -> None:
    import itertools

    components = ["tagger", "parser", "ner", "textcat"]
    for k in range(1, len(components) + 1):
        for combo in itertools.combinations(components, k):
            text = init_config(pipeline=list(combo))
            nlp = nbnlp.Language.from_config(load_config(text))
            shared = combo != ("textcat",)  # a bag-of-words textcat alone needs no tok2vec
            assert nlp.pipe_names == (["tok2vec"] if shared else []) + list(combo)
            weights = load_config(text)["training"]["score_weights"]
            assert abs(sum(weights.values()) - 1.0) < 1e-3
    text = init_config(pipeline=["textcat_multilabel"])
    assert "exclusive_classes = false" in text
    # A parser learns sentence boundaries from running text: its pipelines read 10-sentence documents.
    for pipeline, n_sents in ((["tagger", "parser"], 10), (["parser"], 10), (["tagger", "ner"], 1)):
        corpora = load_config(init_config(pipeline=pipeline), interpolate=False)["corpora"]
        assert corpora["train"]["n_sents"] == corpora["dev"]["n_sents"] == n_sents, pipeline
    with pytest.raises(ConfigError, match="pick one"):
        init_config(pipeline=["textcat", "textcat_multilabel"])
