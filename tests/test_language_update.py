"""`Language.update` without `sgd` keeps one optimizer across calls, so Adam's state carries over (as spaCy's)."""
from __future__ import annotations

from nbnlp.core.doc import Doc
from nbnlp.core.example import Example
from nbnlp.core.language import blank


def _examples(nlp) -> list[Example]:
    words, tags = ["I", "like", "green", "eggs"], ["PRP", "VBP", "JJ", "NNS"]
    ref = Doc(nlp.vocab, words=words, tags=tags)
    return [Example(nlp.make_doc(ref.text), ref)]


def test_update_without_sgd_keeps_one_optimizer() -> None:
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger")
    examples = _examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    assert nlp.optimizer is optimizer
    nlp.update(examples)
    nlp.update(examples)
    assert nlp.optimizer is optimizer
    assert optimizer.nr_update and set(optimizer.nr_update.values()) == {2}  # each parameter stepped twice by one Adam


def test_optimizer_is_made_once_and_initialize_starts_a_fresh_one() -> None:
    nlp = blank("en")
    first = nlp.optimizer
    assert nlp.optimizer is first
    fresh = nlp.initialize()  # a new training run: new optimizer state, kept from then on
    assert fresh is not first and nlp.optimizer is fresh
