"""Nothing in a config is silently ignored (issue 16, item 4): `bogus = 1` in each section is an error naming
`section.bogus`, where a config is checked (`check_config`: `%%nlp_config`, `nbnlp fill-config`), where it trains
(`prepare_training`); parts nothing reads are a warning line naming them."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from thinc.api import Config

from nbnlp.cli import main
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.config import ConfigError
from nbnlp.core.training.check import check_config
from nbnlp.core.training.setup import prepare_training
from nbnlp.data import demo_path

# (where `bogus = 1` goes, the problem's start; None: training does not read the section, only check_config does)
ERRORS: list[tuple[str, str, bool]] = [
    ("nlp", "nlp.bogus: unknown setting", True),
    ("nlp.tokenizer", "nlp.tokenizer.bogus: unexpected argument", True),
    ("components.tagger", "components.tagger.bogus: unexpected argument", True),
    ("components.tagger.model", "components.tagger.model.bogus: unexpected argument", True),
    ("components.tok2vec.model.embed", "components.tok2vec.model.embed.bogus: unexpected argument", True),
    ("corpora.train", "corpora.train.bogus: unexpected argument", True),
    ("corpora.dev", "corpora.dev.bogus: unexpected argument", True),
    ("corpora.pretrain", "corpora.pretrain.bogus: unexpected argument", False),
    ("training", "training.bogus: unknown setting", True),
    ("training.batcher", "training.batcher.bogus: unexpected argument", True),
    ("training.batcher.size", "training.batcher.size.bogus: unexpected argument", True),
    ("training.optimizer", "training.optimizer.bogus: unexpected argument", True),
    ("training.logger", "training.logger.bogus: unexpected argument", True),
    ("training.score_weights", "training.score_weights.bogus: the evaluation reports no such score", True),
    ("pretraining", "pretraining.bogus: unknown setting", True),
    ("pretraining.objective", "pretraining.objective.bogus: unexpected argument", False),
    ("pretraining.batcher", "pretraining.batcher.bogus: unexpected argument", False),
    ("initialize", "initialize.bogus: unknown setting", True),
    ("initialize.tokenizer", "initialize.tokenizer.bogus: unknown setting", True),
    ("initialize.components.tagger", "initialize.components.tagger.bogus: unknown setting", True),
    ("system", "system.bogus: unknown setting", True),
]

WARNINGS: list[tuple[str, str]] = [
    ("variables", "[variables] is not an nbnlp section and no setting refers to it"),
    ("components.extra", "[components.extra] is not in nlp.pipeline"),
    ("corpora.extra", "[corpora.extra] is named by no setting"),
    ("corpora", "corpora.bogus is a setting, not a [corpora.NAME] block"),
    ("components", "components.bogus is a setting, not a [components.NAME] block"),
]


def base_text() -> str:
    """A small tok2vec + tagger config with a [pretraining] section, training on a slice of the demo dev set."""
    dev = str(demo_path("ewt-dev"))
    return init_config(pipeline=["tagger"], pretraining=True, train_path=dev, dev_path=dev).replace("limit = 0", "limit = 20")


def with_bogus(place: str, block: Optional[dict] = None) -> Config:
    config = Config().from_str(base_text(), interpolate=False)
    node = config
    for part in place.split("."):
        node = node.setdefault(part, {})
    node.update(block if block is not None else {"bogus": 1})
    return config


@pytest.mark.parametrize("place, problem, in_training", ERRORS, ids=[p for p, _, _ in ERRORS])
def test_an_unknown_key_is_an_error_naming_it(place: str, problem: str, in_training: bool) -> None:
    checked = check_config(with_bogus(place))
    assert [str(p) for p in checked.problems if problem in str(p)], checked.problems
    assert all("bogus" in str(p) for p in checked.problems), checked.problems  # nothing else is wrong
    if in_training:
        with pytest.raises(ConfigError, match=problem.replace(".", r"\.")):
            prepare_training(with_bogus(place))


@pytest.mark.parametrize("place, warning", WARNINGS, ids=[p for p, _ in WARNINGS])
def test_parts_nothing_reads_are_a_warning_naming_them(place: str, warning: str) -> None:
    block = {"@readers": "nbnlp.Corpus.v1", "path": None} if place == "corpora.extra" else {"factory": "tagger"} if place == "components.extra" else None
    checked = check_config(with_bogus(place, block))
    assert checked.ok, checked.problems
    assert [line for line in checked.substitutions if line.startswith("Warning: ") and warning in line], checked.substitutions


def test_sections_referred_to_are_not_warned_about() -> None:
    text = base_text().replace("width = 96", "width = ${variables.width}", 1).replace('label_attr = "tag"', "label_attr = ${components.spare.label_attr}", 1)
    text += '\n[variables]\nwidth = 64\n\n[components.spare]\nfactory = "tagger"\nlabel_attr = "tag"\n'
    checked = check_config(text)
    assert checked.ok and not [line for line in checked.substitutions if line.startswith("Warning")], checked.substitutions


def test_spacy_only_settings_stay_reported_by_the_translation() -> None:
    text = base_text().replace("[initialize]", "[initialize]\nlookups = {\"x\": 1}")
    with pytest.raises(ConfigError) as err:
        check_config(text)
    assert [str(p) for p in err.value.problems] == ["initialize.lookups: a spaCy setting nbnlp does not support (expected null or empty, given {'x': 1})"]


def test_nlp_config_magic_and_fill_config_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "nbnlp")
    with pytest.raises(UsageError, match=r"system\.bogus: unknown setting"):
        with capture_output():
            shell.run_cell_magic("nlp_config", "bad_cfg --no-form", with_bogus("system").to_str())
    with capture_output() as cap:
        shell.run_cell_magic("nlp_config", "warned_cfg --no-form", with_bogus("variables").to_str())
    assert "Warning: [variables] is not an nbnlp section" in cap.stdout
    bad = tmp_path / "bad.cfg"
    with_bogus("initialize").to_disk(bad)
    assert main(["fill-config", str(bad), str(tmp_path / "out.cfg")]) == 1
    assert "initialize.bogus: unknown setting" in capsys.readouterr().err
