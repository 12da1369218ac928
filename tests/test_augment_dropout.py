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


# ----- augmenters -------------------------------------------------------------------------------
import random  # noqa: E402

from nbnlp.core.alignment import Alignment  # noqa: E402
from nbnlp.core.doc import Doc  # noqa: E402
from nbnlp.core.registry import registry  # noqa: E402
from nbnlp.core.vocab import Vocab  # noqa: E402

AUGMENTER = '\n[corpora.train.augmenter]\n@augmenters = "nbnlp.orth_variants.v1"\nlevel = 0.5\nlower = 0.5\n'


def _docs() -> tuple[Doc, Doc, Alignment]:
    vocab = Vocab()
    words = ["He", "said", "“", "Hi", "—", "Bob", "”", "."]
    ref = Doc(vocab, words, [True] * 8, tags=["PRP", "VBD", "``", "UH", ":", "NNP", "''", "."])
    pred = Doc(vocab, words)
    return pred, ref, Alignment.from_docs(pred, ref)


def test_lower_case_keeps_tokens_and_annotations() -> None:
    pred, ref, alignment = _docs()
    augment = registry.resolve({"a": {"@augmenters": "nbnlp.lower_case.v1", "level": 1.0}})["a"]
    p, r = augment(pred, ref, alignment, random.Random(0))
    assert p.words == r.words == [w.lower() for w in ref.words]
    assert [t.tag_ for t in r] == [t.tag_ for t in ref] and ref.words[0] == "He"  # the original is unchanged
    assert augment(pred, ref, alignment, random.Random(0)) is not None
    never = registry.resolve({"a": {"@augmenters": "nbnlp.lower_case.v1", "level": 0.0}})["a"]
    assert never(pred, ref, alignment, random.Random(0)) == (pred, ref)


def test_orth_variants_replace_whole_tokens_in_both_docs() -> None:
    pred, ref, alignment = _docs()
    augment = registry.resolve({"a": {"@augmenters": "nbnlp.orth_variants.v1", "level": 1.0}})["a"]
    styles = set()
    for seed in range(20):
        p, r = augment(pred, ref, alignment, random.Random(seed))
        assert p.words == r.words and len(r) == len(ref)
        assert [t.tag_ for t in r] == [t.tag_ for t in ref]
        assert r.words[4] in ("-", "–", "—") and (r.words[2], r.words[6]) in (('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"))
        styles.add((r.words[2], r.words[4]))
    assert len(styles) > 3


def test_training_reads_augmented_examples_and_resumes_exactly(tmp_path: Path) -> None:
    _close_then_resume(tagger_config(AUGMENTER + SCHEDULE), tmp_path)


def test_spacy_augmenters_map_to_nbnlp() -> None:
    from thinc.api import Config

    from nbnlp.core.spacy_config import translate_spacy

    cfg = Config({"corpora": {"train": {"@readers": "spacy.Corpus.v1", "path": "x", "augmenter": {
        "@augmenters": "spacy.orth_variants.v1", "level": 0.1, "lower": 0.5, "orth_variants": {"@readers": "srsly.read_json.v1", "path": "v.json"}}},
        "dev": {"@readers": "spacy.Corpus.v1", "path": "y", "augmenter": {"@augmenters": "spacy.lower_case.v1", "level": 0.2}}}})
    out = translate_spacy(cfg)
    assert dict(out["corpora"]["train"]["augmenter"]) == {"@augmenters": "nbnlp.orth_variants.v1", "level": 0.1, "lower": 0.5}
    assert dict(out["corpora"]["dev"]["augmenter"]) == {"@augmenters": "nbnlp.lower_case.v1", "level": 0.2}


def test_corpus_augments_only_reads_given_a_seed() -> None:
    import nbnlp
    from nbnlp.core.training.augment import create_lower_case
    from nbnlp.core.training.corpus import Corpus

    nlp = nbnlp.blank("en")
    corpus = Corpus(str(demo_path("ewt-dev")), limit=3, augmenter=create_lower_case(1.0))
    plain = [eg.reference.words for eg in corpus(nlp)]
    lowered = [eg.reference.words for eg in corpus(nlp, seed=1)]
    assert lowered == [[w.lower() for w in words] for words in plain] and plain != lowered
    assert [eg.reference.words for eg in corpus(nlp)] == plain  # the kept docs are not changed
