"""The tok2vec and tagger components trained on the demo treebank (UD English EWT sample)."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy
import pytest
from thinc.api import Adam, fix_random_seed

from nbnlp.core.components.tagger import Tagger
from nbnlp.core.components.tok2vec import DEFAULT_TOK2VEC_MODEL, Tok2Vec
from nbnlp.core.doc import Doc
from nbnlp.core.example import Example
from nbnlp.core.language import Language, blank, load
from training_helpers import batches, gold_examples, load_refs

TRIVIAL = 0.75  # far above always guessing the commonest tag (0.12 on ewt-dev)


def fresh_examples(nlp: Language, refs: Sequence[Doc]) -> list[Example]:
    """Examples whose predicted side is nbnlp's own tokenization of the text."""
    return [Example(nlp.make_doc(ref.text), ref) for ref in refs]


def train(nlp: Language, examples: list[Example], epochs: int, seed: int = 0) -> dict[str, float]:
    fix_random_seed(seed)
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    order = list(examples)
    losses: dict[str, float] = {}
    for _ in range(epochs):
        rng.shuffle(order)
        losses = {}
        for batch in batches(order, 1000):
            nlp.update(batch, drop=0.1, sgd=optimizer, losses=losses)
    return losses


@pytest.fixture(scope="module")
def trained() -> tuple[Language, list[Doc]]:
    """tok2vec + tagger sharing it through a listener, trained on nbnlp's own tokenization."""
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger")
    train(nlp, fresh_examples(nlp, load_refs(nlp, "ewt-train")), epochs=4)
    return nlp, load_refs(nlp, "ewt-dev")


def test_shared_tok2vec_tagger_learns(trained: tuple[Language, list[Doc]]) -> None:
    nlp, dev = trained
    assert nlp.get_pipe("tok2vec").listeners == [nlp.get_pipe("tagger").model.get_ref("tok2vec")]
    fresh = nlp.evaluate(fresh_examples(nlp, dev))
    gold = nlp.evaluate(gold_examples(nlp, dev))
    assert fresh["tag_acc"] > TRIVIAL, fresh
    assert gold["tag_acc"] > TRIVIAL, gold
    doc = nlp("The cats sat on the mat.")
    assert doc[1].tag_ == "NNS" and doc[-1].tag_ == "."
    assert doc.tensor.shape == (len(doc), 96)


def test_tagger_with_its_own_tok2vec_learns() -> None:
    nlp = blank("en")
    model = {"@architectures": "nbnlp.Tagger.v1", "tok2vec": DEFAULT_TOK2VEC_MODEL}
    nlp.add_pipe("tagger", config={"model": model})
    train(nlp, gold_examples(nlp, load_refs(nlp, "ewt-train")), epochs=4)
    scores = nlp.evaluate(gold_examples(nlp, load_refs(nlp, "ewt-dev")))
    assert scores["tag_acc"] > TRIVIAL, scores
    assert Language.from_config(nlp.config).pipe_names == ["tagger"]


def tok2vec_weights(component: Tok2Vec) -> list[numpy.ndarray]:
    return [node.get_param(p).copy() for node in component.model.walk() for p in node.param_names if node.has_param(p)]


def test_two_taggers_share_one_tok2vec() -> None:
    nlp = blank("en")
    tok2vec = nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger", "tagger")
    nlp.add_pipe("tagger", "pos_tagger", config={"label_attr": "pos"})
    assert len(tok2vec.listeners) == 2
    examples = gold_examples(nlp, load_refs(nlp, "ewt-train"))
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.001)
    before = tok2vec_weights(tok2vec)
    nlp.update(examples[:40], sgd=optimizer)  # the output layers start at zero: no gradient reaches tok2vec yet
    losses = nlp.update(examples[40:80], sgd=optimizer)
    after = tok2vec_weights(tok2vec)
    assert losses["tok2vec"] > 0 and losses["tagger"] > 0 and losses["pos_tagger"] > 0
    assert all(not numpy.array_equal(a, b) for a, b in zip(before, after))  # the listeners' gradient arrived

    train(nlp, examples, epochs=3)
    scores = nlp.evaluate(gold_examples(nlp, load_refs(nlp, "ewt-dev")))
    assert scores["tag_acc"] > TRIVIAL and scores["pos_acc"] > TRIVIAL, scores
    doc = nlp("She reads books.")
    assert doc.has_annotation("TAG") and doc.has_annotation("POS")


def test_tok2vec_without_listeners_does_nothing_in_update() -> None:
    nlp = blank("en")
    tok2vec = nlp.add_pipe("tok2vec")
    examples = gold_examples(nlp, load_refs(nlp, "ewt-dev")[:5])
    nlp.initialize(lambda: examples)
    before = tok2vec_weights(tok2vec)
    assert nlp.update(examples, sgd=Adam(0.001)) == {}
    assert all(numpy.array_equal(a, b) for a, b in zip(before, tok2vec_weights(tok2vec)))


def test_save_and_load_give_identical_predictions(trained: tuple[Language, list[Doc]], tmp_path: Path) -> None:
    nlp, dev = trained
    nlp.to_disk(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.pipe_names == ["tok2vec", "tagger"]
    assert loaded.get_pipe("tagger").labels == nlp.get_pipe("tagger").labels
    texts = [ref.text for ref in dev]
    for a, b in zip(nlp.pipe(texts), loaded.pipe(texts)):
        assert [t.tag_ for t in a] == [t.tag_ for t in b]
        assert numpy.allclose(a.tensor, b.tensor)


def test_pipe_runs_one_forward_pass_per_batch(trained: tuple[Language, list[Doc]], monkeypatch: pytest.MonkeyPatch) -> None:
    nlp, dev = trained
    calls: dict[str, list[int]] = {"tok2vec": [], "tagger": []}

    def counting(cls: type, key: str) -> None:
        original: Callable[..., Any] = cls.predict

        def predict(self: Any, docs: Sequence[Doc]) -> Any:
            calls[key].append(len(docs))
            return original(self, docs)

        monkeypatch.setattr(cls, "predict", predict)

    counting(Tok2Vec, "tok2vec")
    counting(Tagger, "tagger")
    texts = [ref.text for ref in dev[:100]]
    docs = list(nlp.pipe(texts, batch_size=40))
    assert calls == {"tok2vec": [40, 40, 20], "tagger": [40, 40, 20]}
    assert all(d.has_annotation("TAG") for d in docs if len(d))


def test_listener_needs_the_tok2vec_to_run(trained: tuple[Language, list[Doc]]) -> None:
    nlp, _ = trained
    with pytest.raises(ValueError, match="tok2vec component must run before"):
        list(nlp.pipe(["A short text."], disable=["tok2vec"]))


def test_missing_and_unknown_tags_are_ignored(trained: tuple[Language, list[Doc]]) -> None:
    nlp, _ = trained
    tagger = nlp.get_pipe("tagger")
    words = ["Dogs", "bark", "loudly", "."]
    no_tags = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words))
    new_tag = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words, tags=["NNS", "NEWTAG", None, "."]))
    docs = [no_tags.predicted, new_tag.predicted]
    nlp.get_pipe("tok2vec").set_annotations(docs, nlp.get_pipe("tok2vec").predict(docs))
    scores, _ = tagger.model.begin_update(docs)
    loss, grads = tagger.get_loss([no_tags, new_tag], scores)
    assert numpy.isfinite(loss)
    assert not grads[0].any()  # no gold tags at all: no gradient
    assert grads[1][0].any() and not grads[1][1].any() and not grads[1][2].any() and grads[1][3].any()
    only_missing, _ = tagger.get_loss([no_tags], scores[:1])
    assert only_missing == 0.0
    losses = nlp.update([no_tags, new_tag], sgd=Adam(0.001))
    assert numpy.isfinite(losses["tagger"])
    assert "NEWTAG" not in tagger.labels


def test_tagger_settings_and_state() -> None:
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    tagger = nlp.add_pipe("tagger", config={"label_attr": "pos"})
    assert tagger.add_label("NOUN") == 1 and tagger.add_label("NOUN") == 0
    assert tagger.get_cfg() == {"labels": ["NOUN"], "label_attr": "pos"}
    words = ["Dogs", "bark"]
    eg = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words, pos=["NOUN", "VERB"]))
    nlp.initialize(lambda: [eg])
    assert tagger.labels == ("NOUN", "VERB")
    assert tagger.score([eg]) == {"pos_acc": 0.0}  # nothing predicted yet
    with pytest.raises(ValueError, match="after the model is initialised"):
        tagger.add_label("ADJ")
    with pytest.raises(Exception, match="label_attr"):
        blank("en").add_pipe("tagger", config={"label_attr": "lemma"})


def test_empty_docs_and_docs_from_another_vocab(trained: tuple[Language, list[Doc]]) -> None:
    nlp, _ = trained
    from nbnlp.core.lang import create_vocab

    assert len(nlp("")) == 0
    empty, doc = nlp.pipe(["", "The cats sat on the mat."])
    assert len(empty) == 0 and doc[1].tag_ == "NNS"
    other = Doc(create_vocab("en"), ["The", "cats", "sat", "."], [True, True, False, False])
    (tagged,) = nlp.pipe([other])
    assert tagged.vocab is not nlp.vocab and [t.tag_ for t in tagged] == [t.tag_ for t in nlp("The cats sat.")]


def test_listener_gradients_are_summed_before_one_backprop() -> None:
    nlp = blank("en")
    tok2vec = nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger", "a")
    nlp.add_pipe("tagger", "b", config={"label_attr": "pos"})
    examples = gold_examples(nlp, load_refs(nlp, "ewt-dev")[:4])
    nlp.initialize(lambda: examples)
    tok2vec.update(examples)
    docs = [eg.predicted for eg in examples]
    ones = [numpy.ones((len(d), 96), dtype="f") for d in docs]
    for listener, scale in zip(tok2vec.listeners, (1.0, 2.0)):
        outputs, backprop = listener.begin_update(docs)
        backprop([o * scale for o in ones])
    calls = []
    pending = tok2vec._pending[0]
    original = pending["backprop"]
    pending["backprop"] = lambda grads: calls.append([g.copy() for g in grads]) or original(grads)
    tok2vec.finish_update(Adam(0.001))
    assert len(calls) == 1 and all(numpy.allclose(g, 3.0) for g in calls[0])
    assert tok2vec._pending == [] and all(listener.attrs["inbox"].outputs is None for listener in tok2vec.listeners)
