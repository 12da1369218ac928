"""textcat / textcat_multilabel: scores on hand-made cases, training on the demo SMS corpus, save/load."""
from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy
import pytest
from thinc.api import Adam, fix_random_seed

import nbnlp
from nbnlp.core.doc import Doc
from nbnlp.core.example import Example
from nbnlp.core.language import Language, blank, load
from nbnlp.core.scores.textcat import roc_auc, score_cats
from nbnlp.data import demo_path

CHANCE_F = 0.5  # macro F of always guessing "ham" is ~0.46 on sms-dev; a coin flip ~0.45
ENSEMBLE_MODEL = {
    "@architectures": "nbnlp.TextCatEnsemble.v1",
    "hidden_width": 32,
    "linear_model": {"@architectures": "nbnlp.TextCatBOW.v1", "exclusive_classes": True},
    "tok2vec": {"@architectures": "nbnlp.Tok2VecListener.v1", "width": 32, "upstream": "*"},
}
SMALL_TOK2VEC = {  # a narrow, shallow tok2vec keeps the ensemble tests fast
    "@architectures": "nbnlp.Tok2Vec.v1",
    "embed": {"@architectures": "nbnlp.HashEmbed.v1", "width": 32, "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"], "rows": [2000, 500, 1000, 500]},
    "encode": {"@architectures": "nbnlp.MaxoutWindowEncoder.v2", "width": 32, "depth": 2, "window_size": 1, "maxout_pieces": 3},
}


# ----- scores ----------------------------------------------------------------------------------
def brute_force_auc(scores: list[float], truths: list[bool]) -> float:
    pos = [s for s, t in zip(scores, truths) if t]
    neg = [s for s, t in zip(scores, truths) if not t]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_pairwise_count_with_ties() -> None:
    rng = random.Random(3)
    for _ in range(50):
        n = rng.randint(2, 40)
        scores = [rng.choice([0.1, 0.2, 0.5, 0.5, 0.9, rng.random()]) for _ in range(n)]
        truths = [rng.random() < 0.4 for _ in range(n)]
        if len(set(truths)) < 2:
            assert roc_auc(scores, truths) is None
            continue
        assert roc_auc(scores, truths) == pytest.approx(brute_force_auc(scores, truths))
    assert roc_auc([0.2, 0.2, 0.2], [True, False, False]) == 0.5  # all tied
    assert roc_auc([0.1, 0.9], [False, True]) == 1.0 and roc_auc([0.1, 0.9], [True, False]) == 0.0


def make_example(nlp: Language, pred: dict[str, float], gold: dict[str, float]) -> Example:
    predicted = nlp.make_doc("some text")
    predicted.cats = dict(pred)
    reference = nlp.make_doc("some text")
    reference.cats = dict(gold)
    return Example(predicted, reference)


def test_exclusive_scores_by_hand() -> None:
    nlp = blank("en")
    labels = ["a", "b", "c"]
    examples = [
        make_example(nlp, {"a": 0.7, "b": 0.2, "c": 0.1}, {"a": 1.0}),  # right
        make_example(nlp, {"a": 0.1, "b": 0.6, "c": 0.3}, {"b": 1.0}),  # right
        make_example(nlp, {"a": 0.5, "b": 0.1, "c": 0.4}, {"c": 1.0}),  # a predicted, c gold
        make_example(nlp, {"a": 0.2, "b": 0.3, "c": 0.5}, {"c": 1.0}),  # right
        make_example(nlp, {"a": 0.9, "b": 0.05, "c": 0.05}, {}),  # unannotated: not counted
    ]
    s = score_cats(examples, labels, multi_label=False)
    assert s["cats_accuracy"] == pytest.approx(3 / 4)
    # a: tp 1, fp 1 -> p .5 r 1; b: p 1 r 1; c: tp 1, fn 1 -> p 1 r .5
    assert s["cats_f_per_type"]["a"] == pytest.approx({"p": 0.5, "r": 1.0, "f": 2 / 3})
    assert s["cats_f_per_type"]["b"] == pytest.approx({"p": 1.0, "r": 1.0, "f": 1.0})
    assert s["cats_f_per_type"]["c"] == pytest.approx({"p": 1.0, "r": 0.5, "f": 2 / 3})
    assert s["cats_macro_f"] == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert s["cats_score"] == s["cats_macro_f"] and s["cats_score_desc"] == "macro F"
    assert s["cats_micro_f"] == pytest.approx(3 / 4)  # one label per doc: micro F is accuracy
    # AUC of c: positives score .4, .5; negatives .1, .3 -> 1.0
    assert s["cats_auc_per_type"]["c"] == 1.0
    assert s["cats_auc_per_type"]["a"] == pytest.approx(brute_force_auc([0.7, 0.1, 0.5, 0.2], [True, False, False, False]))
    assert s["cats_macro_auc"] == pytest.approx(numpy.mean(list(s["cats_auc_per_type"].values())))


def test_multilabel_scores_by_hand() -> None:
    nlp = blank("en")
    examples = [
        make_example(nlp, {"x": 0.9, "y": 0.2}, {"x": 1.0, "y": 0.0}),
        make_example(nlp, {"x": 0.6, "y": 0.7}, {"x": 0.0, "y": 1.0}),
        make_example(nlp, {"x": 0.3, "y": 0.4}, {"x": 1.0}),  # y absent from the gold
    ]
    s = score_cats(examples, ["x", "y"], multi_label=True, threshold=0.5, absent_as_negative=False)
    assert s["cats_score_desc"] == "macro AUC" and "cats_accuracy" not in s
    assert s["cats_f_per_type"]["x"] == pytest.approx({"p": 0.5, "r": 0.5, "f": 0.5})
    assert s["cats_f_per_type"]["y"] == pytest.approx({"p": 1.0, "r": 1.0, "f": 1.0})  # doc 3 not counted for y
    assert s["cats_micro_p"] == pytest.approx(2 / 3) and s["cats_micro_r"] == pytest.approx(2 / 3)
    assert s["cats_auc_per_type"]["x"] == pytest.approx(brute_force_auc([0.9, 0.6, 0.3], [True, False, True]))
    assert s["cats_score"] == s["cats_macro_auc"]
    negative = score_cats(examples, ["x", "y"], multi_label=True, absent_as_negative=True)
    assert negative["cats_f_per_type"]["y"] == pytest.approx({"p": 1.0, "r": 1.0, "f": 1.0})  # 0.4 < 0.5: a true negative
    assert negative["cats_auc_per_type"]["y"] == 1.0
    assert score_cats([], ["x"], multi_label=True)["cats_score"] is None


# ----- training on the demo SMS corpus ---------------------------------------------------------
def load_examples(nlp: Language, name: str) -> list[Example]:
    refs = list(nbnlp.load_docs(demo_path(name), vocab=nlp.vocab))
    return [Example(nlp.make_doc(ref.text), ref) for ref in refs]


def train(nlp: Language, examples: list[Example], epochs: int, batch_size: int = 32, seed: int = 0) -> None:
    fix_random_seed(seed)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.005)
    rng = random.Random(seed)
    order = list(examples)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in range(0, len(order), batch_size):
            nlp.update(order[i : i + batch_size], drop=0.1, sgd=optimizer)


@pytest.fixture(scope="module")
def bow() -> tuple[Language, list[Example]]:
    nlp = blank("en")
    nlp.add_pipe("textcat")
    train(nlp, load_examples(nlp, "sms-train"), epochs=15)
    return nlp, load_examples(nlp, "sms-dev")


def test_bow_textcat_learns_the_demo_corpus(bow: tuple[Language, list[Example]]) -> None:
    nlp, dev = bow
    textcat = nlp.get_pipe("textcat")
    assert textcat.labels == ("ham", "spam")  # "ham" records name only their own class; spam got 0.0
    scores = nlp.evaluate(dev)
    assert scores["cats_macro_f"] > 0.8 and scores["cats_accuracy"] > 0.9, scores
    assert scores["cats_macro_auc"] > 0.9, scores
    doc = nlp("WINNER!! You have won a FREE prize. Call 09061701461 now to claim")
    assert set(doc.cats) == {"ham", "spam"} and doc.cats["spam"] > 0.5


def test_exclusive_scores_sum_to_one(bow: tuple[Language, list[Example]]) -> None:
    nlp, dev = bow
    docs = list(nlp.pipe([eg.reference.text for eg in dev[:50]] + ["", "ok"]))
    sums = numpy.asarray([sum(doc.cats.values()) for doc in docs])
    assert numpy.allclose(sums, 1.0, atol=1e-5)
    assert all(0.0 <= v <= 1.0 for doc in docs for v in doc.cats.values())


def test_save_and_load_give_identical_cats(bow: tuple[Language, list[Example]], tmp_path: Path) -> None:
    nlp, dev = bow
    nlp.to_disk(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.get_pipe("textcat").labels == ("ham", "spam")
    texts = [eg.reference.text for eg in dev]
    for a, b in zip(nlp.pipe(texts), loaded.pipe(texts)):
        assert a.cats == b.cats


def test_ensemble_with_a_shared_tok2vec_learns() -> None:
    nlp = blank("en")
    tok2vec = nlp.add_pipe("tok2vec", config={"model": SMALL_TOK2VEC})
    textcat = nlp.add_pipe("textcat", config={"model": ENSEMBLE_MODEL})
    assert tok2vec.listeners == [textcat.model.get_ref("tok2vec")]
    train(nlp, load_examples(nlp, "sms-train"), epochs=3)
    scores = nlp.evaluate(load_examples(nlp, "sms-dev"))
    assert scores["cats_macro_f"] > 0.8, scores
    hidden = [node for node in textcat.model.walk() if node.name == "maxout"]
    assert hidden and hidden[0].get_param("W").any()  # the pooled network was trained too
    assert textcat.model.get_ref("cnn_output").get_param("W").any()
    doc = nlp("Call now to claim your FREE prize")
    assert abs(sum(doc.cats.values()) - 1.0) < 1e-5
    assert Language.from_config(nlp.config).pipe_names == ["tok2vec", "textcat"]


def test_empty_and_tokenless_docs() -> None:
    nlp = blank("en")
    nlp.add_pipe("tok2vec", config={"model": SMALL_TOK2VEC})
    nlp.add_pipe("textcat", config={"model": ENSEMBLE_MODEL})
    examples = load_examples(nlp, "sms-dev")[:20]
    nlp.initialize(lambda: examples)
    docs = list(nlp.pipe(["", "hello there", ""]))
    assert all(abs(sum(d.cats.values()) - 1.0) < 1e-5 for d in docs)
    assert docs[0].cats == docs[2].cats


# ----- multilabel --------------------------------------------------------------------------------
TOPICS = {
    "sport": ["match", "goal", "team", "score", "league", "coach"],
    "money": ["bank", "price", "loan", "cash", "market", "invest"],
    "food": ["pizza", "dinner", "cook", "recipe", "bread", "lunch"],
}
FILLER = ["the", "a", "today", "we", "said", "about", "very", "and", "then", "it"]


def write_multilabel_corpus(path: Path, n: int, seed: int, drop_labels: bool = False) -> None:
    """Texts mixing the words of 0-2 topics; cats give 1.0 for the topics used, 0.0 for the others."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf8") as f:
        for _ in range(n):
            topics = rng.sample(sorted(TOPICS), rng.choice([0, 1, 1, 2]))
            words = [rng.choice(FILLER) for _ in range(6)]
            for topic in topics:
                words += rng.sample(TOPICS[topic], 2)
            rng.shuffle(words)
            cats = {t: float(t in topics) for t in TOPICS}
            if drop_labels:  # partial annotation: keep the positives, forget some negatives
                cats = {t: v for t, v in cats.items() if v or rng.random() < 0.5}
            f.write(json.dumps({"text": " ".join(words), "cats": cats}) + "\n")


def test_multilabel_learns_independent_labels(tmp_path: Path) -> None:
    write_multilabel_corpus(tmp_path / "train.jsonl", 400, seed=1, drop_labels=True)
    write_multilabel_corpus(tmp_path / "dev.jsonl", 100, seed=2)
    nlp = blank("en")
    textcat = nlp.add_pipe("textcat_multilabel")
    train_egs = [Example(nlp.make_doc(r.text), r) for r in nbnlp.load_docs(tmp_path / "train.jsonl", vocab=nlp.vocab)]
    dev_egs = [Example(nlp.make_doc(r.text), r) for r in nbnlp.load_docs(tmp_path / "dev.jsonl", vocab=nlp.vocab)]
    train(nlp, train_egs, epochs=10)
    assert textcat.labels == ("food", "money", "sport")
    scores = nlp.evaluate(dev_egs)
    assert scores["cats_score"] == scores["cats_macro_auc"] and scores["cats_macro_auc"] > 0.95, scores
    assert scores["cats_macro_f"] > 0.85, scores
    doc = nlp("the team scored a goal then we had pizza")
    assert doc.cats["sport"] > 0.5 and doc.cats["food"] > 0.5 and doc.cats["money"] < 0.5
    nothing = nlp("we said it today and then")
    assert all(v < 0.5 for v in nothing.cats.values())


def test_multilabel_absent_labels_get_no_gradient_unless_negative() -> None:
    words = ["cheap", "loans"]
    for negative, expect_sport in ((False, False), (True, True)):
        nlp = blank("en")
        textcat = nlp.add_pipe("textcat_multilabel", config={"absent_as_negative": negative})
        textcat.add_label("money")
        textcat.add_label("sport")
        eg = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words, cats={"money": 1.0}))
        unannotated = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words))
        nlp.initialize(lambda: [eg])
        scores = textcat.predict([eg.predicted, unannotated.predicted])
        loss, d_scores = textcat.get_loss([eg, unannotated], scores)
        assert d_scores[0, 0] < 0  # money: pushed up
        assert bool(d_scores[0, 1]) == expect_sport  # sport: pushed down only when absent counts as 0
        assert not d_scores[1].any() and numpy.isfinite(loss)
        assert not any(d.any() for d in textcat.get_loss([unannotated], scores[1:])[1])


# ----- settings and errors ---------------------------------------------------------------------
def test_textcat_settings_and_errors() -> None:
    nlp = blank("en")
    with pytest.raises(ValueError, match="exclusive_classes"):
        nlp.add_pipe("textcat", config={"model": {"exclusive_classes": False}})
    with pytest.raises(ValueError, match="exclusive_classes"):
        blank("en").add_pipe("textcat_multilabel", config={"model": {"exclusive_classes": True}})
    one_label = Example(nlp.make_doc("hi"), Doc(nlp.vocab, ["hi"], cats={"greeting": 1.0}))
    textcat = nlp.add_pipe("textcat")
    with pytest.raises(ValueError, match="at least two labels"):
        nlp.initialize(lambda: [one_label])
    assert textcat.add_label("other") == 1 and textcat.add_label("other") == 0
    nlp.initialize(lambda: [one_label])
    assert textcat.labels == ("other", "greeting") and textcat.get_cfg() == {"labels": ["other", "greeting"]}
    with pytest.raises(ValueError, match="after the model is initialised"):
        textcat.add_label("third")
    meta_weights = nbnlp.core.pipeline.factory.get_factory_meta("textcat").default_score_weights
    assert meta_weights["cats_score"] == 1.0 and all(v is None for k, v in meta_weights.items() if k != "cats_score")
