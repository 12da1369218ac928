"""`nbnlp init-labels` and `[initialize.components.NAME] labels` / `[initialize.tokenizer]` settings."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbnlp.cli import main
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.commands.init_labels import init_labels
from nbnlp.core.config import ConfigError, load_config
from nbnlp.core.language import Language
from nbnlp.core.pipeline.given_labels import MissingLabelError
from nbnlp.core.training.train import iter_training
from nbnlp.data import demo_path

CORPORA = {"ewt": ("ewt-train", "ewt-dev"), "uner": ("uner-train", "uner-dev"), "sms": ("sms-train", "sms-dev")}
LIMIT = {"corpora.train.limit": 200, "corpora.dev.limit": 20}


def config_for(pipeline: list[str], corpus: str, labels_dir: Path | None = None, extra: str = "") -> str:
    train, dev = CORPORA[corpus]
    text = init_config(pipeline=pipeline, train_path=str(demo_path(train)), dev_path=str(demo_path(dev)), max_steps=2, eval_frequency=2)
    for name in pipeline if labels_dir is not None else []:
        text += f'\n[initialize.components.{name}]\n\n[initialize.components.{name}.labels]\n@readers = "nbnlp.read_labels.v1"\npath = "{labels_dir / (name + ".json")}"\n'
    return text + extra


def initialized(config: str) -> Language:
    """The pipeline built from `config` and initialised on its (limited) training corpus, as `train` does."""
    from nbnlp.core.training.blocks import resolve_corpus

    cfg = load_config(config, LIMIT)
    nlp = Language.from_config(cfg)
    reader = resolve_corpus(cfg, cfg, "corpora.train", [])
    nlp.initialize(lambda: reader(nlp))
    return nlp


@pytest.mark.parametrize("pipeline,corpus", [(["tagger", "parser"], "ewt"), (["ner"], "uner"), (["textcat"], "sms")])
def test_labels_written_and_used(tmp_path: Path, pipeline: list[str], corpus: str) -> None:
    written = init_labels(config_for(pipeline, corpus), tmp_path / "labels", LIMIT)
    assert sorted(written) == sorted(pipeline)
    inferred = initialized(config_for(pipeline, corpus))
    for name in pipeline:
        assert json.loads(written[name].read_text()) == list(inferred.get_pipe(name).labels)
    reads = []
    given = config_for(pipeline, corpus, tmp_path / "labels")
    nlp = load_config(given, LIMIT)
    built = Language.from_config(nlp)
    from nbnlp.core.training.blocks import resolve_corpus

    reader = resolve_corpus(nlp, nlp, "corpora.train", [])

    def counted() -> Any:
        for eg in reader(built):
            reads.append(1)
            yield eg

    built.initialize(counted)
    for name in pipeline:
        assert built.get_pipe(name).labels == inferred.get_pipe(name).labels
    assert len(reads) <= 10 * (len(pipeline) + 1)  # a sample per component, no pass over the corpus
    if pipeline == ["tagger", "parser"]:
        infos = list(iter_training(given, tmp_path / "run", overrides=LIMIT))
        assert [i.step for i in infos] == [1, 2]


def test_missing_label_named(tmp_path: Path) -> None:
    written = init_labels(config_for(["tagger"], "ewt"), tmp_path, LIMIT)
    labels = json.loads(written["tagger"].read_text())
    labels.remove("NN")
    written["tagger"].write_text(json.dumps(labels))
    with pytest.raises(MissingLabelError) as err:
        initialized(config_for(["tagger"], "ewt", tmp_path))
    text = str(err.value)
    assert "tagger 'tagger'" in text and "'NN'" in text and str(written["tagger"]) in text


def test_missing_file_infers_unless_required(tmp_path: Path) -> None:
    nlp = initialized(config_for(["textcat"], "sms", tmp_path / "nowhere"))
    assert len(nlp.get_pipe("textcat").labels) == 2
    required = config_for(["textcat"], "sms", tmp_path / "nowhere").replace('"nbnlp.read_labels.v1"', '"nbnlp.read_labels.v1"\nrequire = true')
    with pytest.raises(Exception, match="does not exist"):
        initialized(required)


def test_tokenizer_settings_reach_the_tokenizer() -> None:
    extra = '\n[initialize.tokenizer]\nsplit_final_period = true\n\n[initialize.tokenizer.rules]\ngimme = ["gim", "me"]\n'
    nlp = initialized(config_for(["tagger"], "ewt", extra=extra))
    assert [t.text for t in nlp.make_doc("gimme that")] == ["gim", "me", "that"]
    assert nlp.tokenizer.split_final_period is True


def test_unknown_initialize_keys_named() -> None:
    with pytest.raises(ConfigError, match=r"initialize\.tokenizer\.bogus"):
        initialized(config_for(["tagger"], "ewt", extra="\n[initialize.tokenizer]\nbogus = 1\n"))
    with pytest.raises(ConfigError, match=r"initialize\.components\.tagger\.lables.*did you mean"):
        initialized(config_for(["tagger"], "ewt", extra="\n[initialize.components.tagger]\nlables = []\n"))
    with pytest.raises(ConfigError, match=r"initialize\.components\.nope"):
        initialized(config_for(["tagger"], "ewt", extra="\n[initialize.components.nope]\n"))


def test_cli(tmp_path: Path, capsys: Any) -> None:
    config = tmp_path / "config.cfg"
    config.write_text(config_for(["ner"], "uner"))
    assert main(["init-labels", str(config), str(tmp_path / "out"), "--corpora.train.limit", "100"]) == 0
    assert json.loads((tmp_path / "out" / "ner.json").read_text())
    assert "ner.json" in capsys.readouterr().out
    assert main(["init-labels", str(tmp_path / "missing.cfg"), str(tmp_path / "out")]) == 1


def test_spacy_read_labels_and_initialize_sections_pass(tmp_path: Path) -> None:
    init_labels(config_for(["textcat"], "sms"), tmp_path, LIMIT)
    (tmp_path / "textcat.json").write_text(json.dumps(["spam", "ham"]))  # the file's order is kept
    spacy_style = config_for(["textcat"], "sms", tmp_path).replace('"nbnlp.read_labels.v1"', '"spacy.read_labels.v1"')
    report: list[str] = []
    load_config(spacy_style, report=report)
    assert any("spacy.read_labels.v1" in line and "nbnlp.read_labels.v1" in line for line in report)
    assert initialized(spacy_style).get_pipe("textcat").labels == ("spam", "ham")


def test_initialize_sections_need_no_parents(tmp_path: Path) -> None:
    """`[initialize.components.NAME.labels]` or `[initialize.tokenizer.rules]` alone, without `[initialize]` or
    `[initialize.components]` above them, work; init-config writes the empty parents as spaCy does, and a config
    that appends one of them again (nothing under it) still parses."""
    generated = config_for(["tagger"], "ewt")
    assert "\n[initialize.components]\n" in generated and "\n[initialize.tokenizer]\n" in generated
    bare = generated[: generated.index("\n[initialize]\n")]
    (tmp_path / "tagger.json").write_text(json.dumps(["NN", "DT", *sorted(initialized(generated).get_pipe("tagger").labels)]))
    extra = (f'\n[initialize.components.tagger.labels]\n@readers = "nbnlp.read_labels.v1"\npath = "{tmp_path / "tagger.json"}"\n'
             '\n[initialize.tokenizer.rules]\ngimme = ["gim", "me"]\n')
    for text in (bare + extra, generated + "\n[initialize.components]\n" + extra):
        nlp = initialized(text)
        assert list(nlp.get_pipe("tagger").labels[:2]) == ["NN", "DT"]  # the file's labels, in its order
        assert [t.text for t in nlp.make_doc("gimme that")] == ["gim", "me", "that"]
