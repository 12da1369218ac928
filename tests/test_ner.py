"""The ner component: constrained BILUO decoding, entity scores, and training on the demo NER corpus."""
import itertools
import random
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from thinc.api import Adam, NumpyOps, fix_random_seed

from nbnlp.core.biluo import validate_biluo
from nbnlp.core.components.ner import EntityRecognizer
from nbnlp.core.components.tok2vec import DEFAULT_TOK2VEC_MODEL
from nbnlp.core.doc import Doc
from nbnlp.core.example import Example
from nbnlp.core.language import Language, blank, load
from nbnlp.core.scores.ner import score_ents
from nbnlp.core.viterbi import biluo_constraints, biluo_tag_names, viterbi_decode
from training_helpers import batches, gold_examples, load_refs

OPS = NumpyOps()
LABELS = ("LOC", "ORG", "PER")
USEFUL = 0.2  # ents_f on uner-dev; predicting nothing scores 0


# ----- decoding ----------------------------------------------------------------------------------
def decode(scores: Sequence[numpy.ndarray], n_labels: int) -> List[List[int]]:
    lengths = numpy.array([len(s) for s in scores], dtype="int32")
    paths = viterbi_decode(OPS, OPS.pad([OPS.asarray2f(s) for s in scores]), lengths, *biluo_constraints(n_labels))
    return [paths[i, :n].tolist() for i, n in enumerate(lengths.tolist())]


def path_score(scores: numpy.ndarray, path: Sequence[int]) -> float:
    return float(sum(scores[t, tag] for t, tag in enumerate(path)))


def is_valid(path: Sequence[int], n_labels: int) -> bool:
    names = biluo_tag_names([f"L{k}" for k in range(n_labels)])
    return not validate_biluo([names[i] for i in path])


def score_batches() -> st.SearchStrategy:
    """1-3 labels, 1-5 docs of 0-12 tokens, scores anywhere in [-20, 20]."""

    def for_labels(n_labels: int) -> st.SearchStrategy:
        doc = st.integers(0, 12).flatmap(
            lambda n: arrays("float32", (n, 1 + 4 * n_labels), elements=st.floats(-20, 20, width=32))
        )
        return st.tuples(st.just(n_labels), st.lists(doc, min_size=1, max_size=5))

    return st.integers(1, 3).flatmap(for_labels)


@settings(max_examples=150, deadline=None)
@given(score_batches())
def test_viterbi_always_returns_valid_biluo(case: Tuple[int, List[numpy.ndarray]]) -> None:
    n_labels, scores = case
    paths = decode(scores, n_labels)
    for s, path in zip(scores, paths):
        assert len(path) == len(s)
        assert is_valid(path, n_labels), path
    # Decoding a doc alone or inside a padded batch gives the same best score.
    for s, path in zip(scores, paths):
        (alone,) = decode([s], n_labels)
        assert path_score(s, alone) == pytest.approx(path_score(s, path), abs=1e-3)


@pytest.mark.parametrize("n_labels,length", [(1, 1), (1, 4), (2, 3), (2, 4)])
def test_viterbi_equals_brute_force(n_labels: int, length: int) -> None:
    rng = numpy.random.default_rng(n_labels * 10 + length)
    n_tags = 1 + 4 * n_labels
    valid = [p for p in itertools.product(range(n_tags), repeat=length) if is_valid(p, n_labels)]
    for _ in range(20):
        scores = rng.normal(size=(length, n_tags)).astype("float32") * 3
        best = max(valid, key=lambda p: path_score(scores, p))
        (path,) = decode([scores], n_labels)
        assert tuple(path) == best


def test_viterbi_repairs_an_invalid_argmax() -> None:
    # Argmax per token is "I-X I-X" (invalid); the best valid sequence is "B-X L-X".
    scores = numpy.full((2, 5), -5.0, dtype="float32")
    scores[:, 2] = 0.0  # I-X
    scores[0, 1], scores[1, 3] = -1.0, -1.0  # B-X, L-X
    assert decode([scores], 1) == [[1, 3]]
    assert decode([numpy.zeros((0, 5), "float32"), scores], 1) == [[], [1, 3]]


def test_biluo_constraints() -> None:
    trans, start, end = biluo_constraints(2)
    names = biluo_tag_names(["A", "B"])
    assert names[:5] == ["O", "B-A", "I-A", "L-A", "U-A"]
    ok = {(names[i], names[j]) for i, j in zip(*numpy.nonzero(trans == 0))}
    assert ("B-A", "L-A") in ok and ("B-A", "L-B") not in ok and ("O", "I-A") not in ok and ("L-A", "B-B") in ok
    assert [names[i] for i in numpy.flatnonzero(start == 0)] == ["O", "B-A", "U-A", "B-B", "U-B"]
    assert [names[i] for i in numpy.flatnonzero(end == 0)] == ["O", "L-A", "U-A", "L-B", "U-B"]


# ----- scores ------------------------------------------------------------------------------------
def make_example(words: List[str], predicted: List[str], reference: List[str], ref_words: List[str] = None) -> Example:
    vocab = blank("en").vocab
    x = Doc(vocab, words, ents=predicted)
    y = Doc(vocab, ref_words or words, ents=reference)
    return Example(x, y)


def test_scores_per_type_on_hand_made_examples() -> None:
    words = ["Ann", "met", "Bob", "Lee", "in", "New", "York", "."]
    eg = make_example(
        words,
        ["U-PER", "O", "B-PER", "L-PER", "O", "U-LOC", "U-ORG", "O"],  # right, right, wrong LOC span, spurious ORG
        ["U-PER", "O", "B-PER", "L-PER", "O", "B-LOC", "L-LOC", "O"],
    )
    scores = score_ents([eg])
    assert scores["ents_p"] == pytest.approx(2 / 4) and scores["ents_r"] == pytest.approx(2 / 3)
    assert scores["ents_f"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert scores["ents_per_type"] == {
        "LOC": {"p": 0.0, "r": 0.0, "f": 0.0},
        "ORG": {"p": 0.0, "r": 0.0, "f": 0.0},
        "PER": {"p": 1.0, "r": 1.0, "f": 1.0},
    }


def test_scores_compare_characters_across_tokenizations() -> None:
    # The prediction splits "New-York" differently; the entity covers the same characters.
    vocab = blank("en").vocab
    x = Doc(vocab, ["in", "New", "-", "York"], [True, False, False, False], ents=["O", "B-LOC", "I-LOC", "L-LOC"])
    y = Doc(vocab, ["in", "New-York"], [True, False], ents=["O", "U-LOC"])
    assert score_ents([Example(x, y)])["ents_f"] == 1.0


def test_scores_skip_predictions_over_missing_annotation() -> None:
    words = ["Ann", "and", "Bob", "left"]
    eg = make_example(words, ["U-PER", "O", "U-PER", "O"], ["U-PER", "O", "-", "O"])
    scores = score_ents([eg])
    assert (scores["ents_p"], scores["ents_r"]) == (1.0, 1.0)  # "Bob" is neither right nor wrong
    no_annotation = make_example(words, ["U-PER", "O", "O", "O"], ["-"] * 4)
    assert score_ents([no_annotation])["ents_f"] is None
    nothing = make_example(words, ["O"] * 4, ["O"] * 4)
    assert score_ents([nothing]) == {"ents_p": None, "ents_r": None, "ents_f": None, "ents_per_type": None}


# ----- training ----------------------------------------------------------------------------------
def train(nlp: Language, examples: List[Example], epochs: int, seed: int = 0) -> None:
    fix_random_seed(seed)
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    order = list(examples)
    for _ in range(epochs):
        rng.shuffle(order)
        for batch in batches(order, 300):
            nlp.update(batch, drop=0.1, sgd=optimizer)


@pytest.fixture(scope="module")
def trained() -> Tuple[Language, List[Example]]:
    """tok2vec + ner listening to it, trained on the demo UNER slice."""
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("ner")
    train(nlp, gold_examples(nlp, load_refs(nlp, "uner-train")), epochs=5)
    return nlp, gold_examples(nlp, load_refs(nlp, "uner-dev"))


def test_shared_tok2vec_ner_learns(trained: Tuple[Language, List[Example]]) -> None:
    nlp, dev = trained
    ner = nlp.get_pipe("ner")
    assert ner.labels == LABELS
    assert nlp.get_pipe("tok2vec").listeners == [ner.model.get_ref("tok2vec")]
    scores = nlp.evaluate(dev)
    assert scores["ents_f"] > USEFUL, scores
    assert set(scores["ents_per_type"]) <= set(LABELS)
    docs = list(nlp.pipe([eg.text for eg in dev]))
    assert sum(len(d.ents) for d in docs) > 0
    for doc in docs:  # every token is O or inside a well-formed entity
        assert (doc.arrays["ENT_IOB"] != 0).all()
        assert all(e.label_ in LABELS for e in doc.ents)


def test_ner_with_its_own_tok2vec_learns() -> None:
    nlp = blank("en")
    model = {"@architectures": "nbnlp.EntityTagger.v1", "tok2vec": DEFAULT_TOK2VEC_MODEL}
    nlp.add_pipe("ner", config={"model": model})
    train(nlp, gold_examples(nlp, load_refs(nlp, "uner-train")), epochs=4)
    scores = nlp.evaluate(gold_examples(nlp, load_refs(nlp, "uner-dev")))
    assert scores["ents_f"] > USEFUL, scores
    assert Language.from_config(nlp.config).pipe_names == ["ner"]


def test_save_and_load_give_identical_entities(trained: Tuple[Language, List[Example]], tmp_path: Path) -> None:
    nlp, dev = trained
    nlp.to_disk(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.pipe_names == ["tok2vec", "ner"] and loaded.get_pipe("ner").labels == LABELS
    texts = [eg.text for eg in dev]
    found = 0
    for a, b in zip(nlp.pipe(texts), loaded.pipe(texts)):
        assert [(e.start, e.end, e.label_) for e in a.ents] == [(e.start, e.end, e.label_) for e in b.ents]
        found += len(a.ents)
    assert found > 0


def test_missing_annotation_gives_no_gradient(trained: Tuple[Language, List[Example]]) -> None:
    nlp, _ = trained
    ner: EntityRecognizer = nlp.get_pipe("ner")
    words = ["Ann", "visited", "Paris", "today"]
    vocab = nlp.vocab
    unannotated = Example(Doc(vocab, words), Doc(vocab, words))
    partial = Example(Doc(vocab, words), Doc(vocab, words, ents=["U-PER", "-", "U-LOC", "-"]))
    unknown_label = Example(Doc(vocab, words), Doc(vocab, words, ents=["U-PER", "O", "U-NEW", "O"]))
    assert ner.gold_indices(partial).tolist() == [ner.tag_names.index("U-PER"), -1, ner.tag_names.index("U-LOC"), -1]
    assert ner.gold_indices(unknown_label)[2] == -1
    examples = [unannotated, partial, unknown_label]
    docs = [eg.predicted for eg in examples]
    nlp.get_pipe("tok2vec").set_annotations(docs, nlp.get_pipe("tok2vec").predict(docs))
    scores, _ = ner.model.begin_update(docs)
    loss, grads = ner.get_loss(examples, scores)
    assert numpy.isfinite(loss) and loss > 0
    assert not grads[0].any()
    assert grads[1][0].any() and not grads[1][1].any() and grads[1][2].any() and not grads[1][3].any()
    assert grads[2][0].any() and grads[2][1].any() and not grads[2][2].any()
    only_missing, _ = ner.get_loss([unannotated], scores[:1])
    assert only_missing == 0.0
    losses = nlp.update(examples, sgd=Adam(0.001))
    assert numpy.isfinite(losses["ner"]) and "NEW" not in ner.labels


def test_entity_weight_scales_entity_tokens() -> None:
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    plain = nlp.add_pipe("ner", "plain", config={"entity_weight": 1.0})
    weighted = nlp.add_pipe("ner", "weighted", config={"entity_weight": 3.0})
    words = ["Ann", "left", "."]
    eg = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words, ents=["U-PER", "O", "O"]))
    nlp.initialize(lambda: [eg])
    assert plain.tag_names == weighted.tag_names == ["O", "B-PER", "I-PER", "L-PER", "U-PER"]
    scores = [numpy.full((3, 5), 0.2, dtype="f")]
    _, (g1,) = plain.get_loss([eg], scores)
    _, (g3,) = weighted.get_loss([eg], scores)
    assert numpy.allclose(g1.sum(axis=1), 0.0, atol=1e-6)  # probabilities minus one-hot sum to 0 per token
    ratio = numpy.abs(g3).sum(axis=1) / numpy.abs(g1).sum(axis=1)
    assert ratio[0] == pytest.approx(3 * ratio[1]) and ratio[1] == pytest.approx(ratio[2])


def test_ner_settings_state_and_edge_cases(trained: Tuple[Language, List[Example]]) -> None:
    nlp, _ = trained
    ner = nlp.get_pipe("ner")
    assert ner.get_cfg() == {"labels": list(LABELS)}
    assert ner.tag_names[:5] == ["O", "B-LOC", "I-LOC", "L-LOC", "U-LOC"]
    with pytest.raises(ValueError, match="after the model is initialised"):
        ner.add_label("MISC")
    assert len(nlp("")) == 0
    from nbnlp.core.lang import create_vocab

    text = "Barack Obama visited Paris ."
    other = Doc(create_vocab("en"), text.split(), [True, True, True, True, False])
    (doc,) = nlp.pipe([other])
    assert doc.vocab is not nlp.vocab
    assert [(e.text, e.label_) for e in doc.ents] == [(e.text, e.label_) for e in nlp(text).ents]
    fresh = blank("en")
    fresh.add_pipe("tok2vec")
    fresh.add_pipe("ner")
    words = ["no", "entities", "here"]
    with pytest.raises(ValueError, match="no entity annotation"):
        fresh.initialize(lambda: [Example(Doc(fresh.vocab, words), Doc(fresh.vocab, words, ents=["O"] * 3))])
    with pytest.raises(Exception, match="entity_weight"):
        blank("en").add_pipe("ner", config={"entity_weight": 0.0})


def test_entity_tagger_window_does_not_cross_docs() -> None:
    from nbnlp.core.registry import registry

    model = registry.resolve(
        {"m": {"@architectures": "nbnlp.EntityTagger.v1", "tok2vec": DEFAULT_TOK2VEC_MODEL, "hidden_width": 16, "window_size": 1, "nO": 5}}
    )["m"]
    vocab = blank("en").vocab
    docs = [Doc(vocab, ["Ann", "met", "Bob"]), Doc(vocab, ["in", "Paris"]), Doc(vocab, ["Zed", "left"])]
    model.initialize(X=docs)
    alone = model.predict([docs[1]])[0]
    assert numpy.allclose(model.predict(docs)[1], alone, atol=1e-5)
