"""Configs written by spaCy's `init config` train in nbnlp (issue 16, item 2); fill-config; overrides of absent keys.

The configs are spaCy 3.8's own output (tests/fixtures/spacy_configs/README.md); the corpus is the three `.spacy`
fixtures together, so every component of tagger,parser,ner,textcat finds its annotations.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from thinc.api import Config

from nbnlp.cli import main
from nbnlp.core.commands.init_vectors import init_vectors
from nbnlp.core.config import ConfigError, load_config
from nbnlp.core.training import train
from nbnlp.core.training.check import check_config

FIXTURES = Path(__file__).parent / "fixtures"
CONFIGS = FIXTURES / "spacy_configs"
SHORT = {"training.max_steps": 2, "training.eval_frequency": 2}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("spacy_corpus")
    for name in ("ewt-dev", "uner-dev", "sms-dev"):
        shutil.copy(FIXTURES / "spacy" / f"{name}.spacy", folder)
    return str(folder)


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("vectors")
    words = ["the", "a", "of", "to", "and", "is", "in", "it", "you", "that"]
    rows = np.random.default_rng(0).normal(size=(len(words), 8))
    source = folder / "tiny.vec"
    source.write_text(f"{len(words)} 8\n" + "".join(w + " " + " ".join(f"{x:.4f}" for x in r) + "\n" for w, r in zip(words, rows)))
    init_vectors("en", source, folder / "pipeline")
    return str(folder / "pipeline")


def test_efficiency_config_checks_clean_and_reports_each_substitution_once(corpus: str) -> None:
    checked = check_config(CONFIGS / "efficiency.cfg", {"paths.train": corpus, "paths.dev": corpus})
    assert checked.ok, checked.problems
    lines = checked.substitutions
    assert len(lines) == len(set(lines))
    parser = next(line for line in lines if "spacy.TransitionBasedParser.v2 (state_type 'parser') -> nbnlp.BiaffineParser.v2" in line)
    assert "biaffine" in parser and "state_type" in parser and "use_upper" in parser
    assert any("-> nbnlp.EntityTagger.v1" in line for line in lines)
    assert any(line.startswith("spaCy's parser settings") and "update_with_oracle_cut_size" in line for line in lines)
    listener = [line for line in lines if "spacy.Tok2VecListener.v1" in line]
    assert len(listener) == 1 and "and 2 more" in listener[0]
    for name in ("spacy.Tok2Vec.v2", "spacy.MultiHashEmbed.v2", "spacy.MaxoutWindowEncoder.v2", "spacy.Tagger.v2", "spacy.TextCatBOW.v3",
                 "spacy.Corpus.v1", "spacy.batch_by_words.v1", "spacy.ConsoleLogger.v1", "spacy.Tokenizer.v1"):
        assert sum(name in line for line in lines) == 1, name
    assert "spacy." not in checked.config.to_str().replace("spacy_", "")


@pytest.mark.parametrize("variant", ["efficiency", "accuracy"])
def test_spacy_configs_train(variant: str, corpus: str, vectors: str, tmp_path: Path) -> None:
    overrides = {"paths.train": corpus, "paths.dev": corpus, "paths.vectors": vectors, **SHORT}
    stdout = io.StringIO()
    result = train(CONFIGS / f"{variant}.cfg", tmp_path / "out", overrides=overrides, stdout=stdout)
    assert result.nlp.pipe_names == ["tok2vec", "tagger", "parser", "ner", "textcat"]
    out = stdout.getvalue()
    assert out.count("-> nbnlp.BiaffineParser.v2") == 1
    if variant == "accuracy":
        assert "spaCy spacy.TextCatEnsemble.v2 -> nbnlp.TextCatEnsemble.v1" in out
        assert len(result.nlp.vocab.vectors.keys) == 10
    saved = Config().from_disk(tmp_path / "out" / "config.cfg")
    assert saved["components"]["parser"]["model"]["@architectures"] == "nbnlp.BiaffineParser.v2"


def test_vectors_package_not_installed_is_named_with_the_override(corpus: str) -> None:
    with pytest.raises(ConfigError) as err:
        train(CONFIGS / "accuracy.cfg", overrides={"paths.train": corpus, "paths.dev": corpus, **SHORT})
    text = str(err.value)
    assert "'en_core_web_lg' is neither a folder nor an installed package" in text
    assert "--paths.vectors null" in text and "include_static_vectors false" in text
    checked = check_config(CONFIGS / "accuracy.cfg", {"paths.vectors": None, "components.tok2vec.model.embed.include_static_vectors": False})
    assert checked.ok, checked.problems


def test_spacy_name_without_equivalent_names_the_nearest() -> None:
    text = (CONFIGS / "efficiency.cfg").read_text().replace('"spacy.TextCatBOW.v3"', '"spacy.TextCatCNN.v2"')
    with pytest.raises(ConfigError, match=r"components\.textcat\.model\.@architectures: spaCy's 'spacy\.TextCatCNN\.v2' has no nbnlp "
                                          r"equivalent; nearest nbnlp name: 'nbnlp\.TextCat\w+\.v1'"):
        load_config(text)


PARTIAL = """
[nlp]
lang = "en"
pipeline = ["tok2vec", "tagger"]

[components]
[components.tok2vec]
factory = "tok2vec"
[components.tagger]
factory = "tagger"
"""


def test_fill_config_cli_and_partial_config_with_absent_key_override(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    partial = tmp_path / "partial.cfg"
    partial.write_text(PARTIAL)
    assert main(["fill-config", str(partial), str(tmp_path / "filled.cfg"), "--training.dropout", "0.2"]) == 0
    filled = Config().from_disk(tmp_path / "filled.cfg", interpolate=False)
    assert filled["training"]["dropout"] == 0.2
    assert filled["components"]["tagger"]["model"]["@architectures"] == "nbnlp.Tagger.v1"
    assert filled["corpora"]["train"]["@readers"] == "nbnlp.Corpus.v1"
    assert main(["fill-config", str(CONFIGS / "efficiency.cfg"), "-"]) == 0
    captured = capsys.readouterr()
    assert "nbnlp.BiaffineParser.v2" in captured.out and "-> nbnlp.BiaffineParser.v2" in captured.err
    ewt = str(FIXTURES / "spacy" / "ewt-dev.spacy")
    assert main(["train", str(partial), "--output", str(tmp_path / "run"), "--paths.train", ewt, "--paths.dev", ewt,
                 "--training.dropout", "0.2", "--training.max_steps", "2", "--training.eval_frequency", "2"]) == 0
    used = Config().from_disk(tmp_path / "run" / "config.cfg")
    assert used["training"]["dropout"] == 0.2 and used["training"]["shuffle_buffer"] == 20000  # the filled config it used
    assert used["components"]["tok2vec"]["model"]["embed"]["@architectures"] == "nbnlp.HashEmbed.v1"
    with pytest.raises(ConfigError, match=r"did you mean 'training\.dropout'"):
        load_config(PARTIAL, {"training.dropuot": 0.2})


def test_magics_say_each_substitution_once(corpus: str, tmp_path: Path) -> None:
    """`%%nlp_config` with a spaCy config prints the substitution lines above its summary; `%nlp_train` on the file
    prints them above the live view; the stored config holds nbnlp's names only."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "nbnlp")
    expected = check_config(CONFIGS / "efficiency.cfg", {"paths.train": corpus, "paths.dev": corpus}).substitutions
    with capture_output() as cap:
        shell.run_cell_magic("nlp_config", "from_spacy --no-form", (CONFIGS / "efficiency.cfg").read_text())
    assert [line for line in cap.stdout.splitlines() if line] == expected
    assert "spacy." not in shell.user_ns["from_spacy"].to_str().replace("spacy_", "")
    with capture_output() as cap:
        shell.run_line_magic("nlp_train", f"{CONFIGS / 'efficiency.cfg'} --output {tmp_path / 'out'} --view console "
                                          f"--paths.train {corpus} --paths.dev {corpus} --training.max_steps 2 --training.eval_frequency 2")
    printed = cap.stdout.splitlines()
    assert all(printed.count(line) == 1 for line in expected), cap.stdout[:2000]
    assert shell.user_ns["train_result"].steps == 2
