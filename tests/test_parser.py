"""The dependency parser: tree decoding, parse scores, and tok2vec + tagger + parser trained on the demo treebank."""
from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy
import pytest

import nbnlp
from thinc.api import Adam, fix_random_seed

from nbnlp.core.components.parser import DependencyParser
from nbnlp.core.decode import chu_liu_edmonds, decode_heads, eisner, is_projective, well_formed
from nbnlp.core.doc import Doc
from nbnlp.core.example import Example
from nbnlp.core.language import Language, blank, load
from nbnlp.core.models.parser import sentence_units
from nbnlp.core.scores.parser import score_deps, score_parse, score_sents
from nbnlp.data import demo_path
from training_helpers import batches, gold_examples, load_refs

TRIVIAL_UAS = 0.6  # attaching every token to its right neighbour scores about 0.3 on ewt-dev


# ----- decoding -----------------------------------------------------------------------------
def all_trees(n: int) -> list[numpy.ndarray]:
    """Every single-root tree over n tokens (brute force, small n only)."""
    out = []
    for hs in itertools.product(range(n), repeat=n):
        heads = numpy.array(hs)
        if well_formed(heads[None], numpy.array([n]))[0]:
            out.append(heads)
    return out


def tree_score(scores: numpy.ndarray, heads: numpy.ndarray) -> float:
    return float(scores[numpy.arange(len(heads)), heads].sum())


def test_decoders_find_the_best_tree() -> None:
    rng = numpy.random.default_rng(0)
    for n in range(1, 6):
        trees = all_trees(n)
        projective = [t for t in trees if is_projective(t)]
        for _ in range(10):
            scores = rng.normal(size=(n, n))
            best = max(tree_score(scores, t) for t in trees)
            best_projective = max(tree_score(scores, t) for t in projective)
            mst = chu_liu_edmonds(scores)
            eis = eisner(scores[None], numpy.array([n]))[0]
            assert tree_score(scores, mst) == pytest.approx(best)
            assert tree_score(scores, eis) == pytest.approx(best_projective)
            assert is_projective(eis)


def test_decode_heads_gives_well_formed_trees_from_arbitrary_scores() -> None:
    rng = numpy.random.default_rng(1)
    lengths = rng.integers(1, 40, size=50)
    scores = rng.normal(size=(50, 40, 40)).astype("float32") * 3
    for method in ("eisner", "mst"):
        heads = decode_heads(scores, lengths, True, method)
        assert well_formed(heads, lengths).all()
        for u, n in enumerate(lengths.tolist()):
            assert (heads[u, :n] == numpy.arange(n)).sum() == 1  # exactly one root
            assert (heads[u, n:] == numpy.arange(n, 40)).all()  # padding points to itself
            if method == "eisner":
                assert is_projective(heads[u, :n])
    # MST keeps a non-projective argmax tree as it is, and so does the argmax shortcut.
    nonproj = numpy.array([2, 3, 2, 2])  # arcs 0->2 and 1->3 cross
    assert not is_projective(nonproj)
    scores = numpy.full((1, 4, 4), -5.0, dtype="float32")
    scores[0, numpy.arange(4), nonproj] = 5.0
    assert (decode_heads(scores, numpy.array([4]), True, "mst")[0] == nonproj).all()


def test_well_formed_rules() -> None:
    lengths = numpy.array([4])
    assert well_formed(numpy.array([[1, 1, 1, 2]]), lengths)[0]
    assert not well_formed(numpy.array([[1, 0, 1, 2]]), lengths)[0]  # cycle 0 <-> 1, no root
    assert not well_formed(numpy.array([[0, 0, 2, 2]]), lengths)[0]  # two roots in one sentence
    # Without a known sentence, two trees over contiguous stretches are two sentences ...
    assert well_formed(numpy.array([[0, 0, 2, 2]]), lengths, False)[0]
    # ... but not two interleaved trees.
    assert not well_formed(numpy.array([[0, 1, 0, 1]]), lengths, False)[0]
    # A cycle hanging off a root is still a cycle.
    assert not well_formed(numpy.array([[0, 2, 1, 0]]), lengths, False)[0]


def test_argmax_is_kept_when_it_is_a_tree_and_repaired_when_not() -> None:
    scores = numpy.full((2, 3, 3), -4.0, dtype="float32")
    scores[0, [0, 1, 2], [1, 1, 1]] = 4.0  # a tree rooted at 1
    scores[1, [0, 1, 2], [1, 0, 1]] = 4.0  # 0 <-> 1 cycle
    scores[1, 1, 1] = 3.0
    heads = decode_heads(scores, numpy.array([3, 3]), True, "eisner")
    assert heads[0].tolist() == [1, 1, 1]
    assert heads[1].tolist() == [1, 1, 1]


def test_several_roots_keep_the_most_confident_one() -> None:
    scores = numpy.full((1, 4, 4), -4.0, dtype="float32")
    scores[0, [0, 1, 2, 3], [0, 0, 3, 3]] = 4.0  # two trees: 0 <- 1 and 3 <- 2
    scores[0, 3, 3] = 6.0  # 3 is the more confident root
    scores[0, 0, 2] = 1.0  # 0's best other head
    heads = decode_heads(scores, numpy.array([4]), True, "eisner")
    assert heads[0].tolist() == [2, 0, 3, 3]
    # Without a known sentence (single_root False) two contiguous trees are kept as two sentences.
    assert decode_heads(scores, numpy.array([4]), False, "eisner")[0].tolist() == [0, 0, 3, 3]


def test_docs_with_sentences_are_found_for_the_whole_batch() -> None:
    from nbnlp.core.components.parser import _given_sentences

    vocab = blank("en").vocab
    docs = [
        Doc(vocab, ["a", "b", "c"]), Doc(vocab, ["a", "b"], sent_starts=[1, 1]), Doc(vocab, []), Doc(vocab, ["x"]),
        Doc(vocab, ["a", "b"], heads=[1, 1], deps=["x", "root"]), Doc(vocab, ["a", "b", "c"], sent_starts=[1, 0, 0]),
        Doc(vocab, ["x"], heads=[0], deps=["root"]), Doc(vocab, []),
    ]
    for batch in (docs, docs[::-1], docs[2:3], docs[1:3]):
        given, starts = _given_sentences(batch)
        assert given.tolist() == [d.has_annotation("SENT_START") for d in batch]
        assert starts.tolist() == [bool(c == 1) for d in batch for c in d.arrays["SENT_START"].tolist()]


def test_single_sentence_training_data_is_reported() -> None:
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("parser")
    examples = gold_examples(nlp, load_refs(nlp, "ewt-dev")[:20])
    with pytest.warns(UserWarning, match="n_sents = 10"):
        nlp.initialize(lambda: examples)


# ----- scores -------------------------------------------------------------------------------
def parsed(vocab, words, heads, deps, spaces=None) -> Doc:
    return Doc(vocab, words, spaces, heads=heads, deps=deps)


def test_scores_on_hand_made_parses() -> None:
    vocab = blank("en").vocab
    words = ["She", "reads", "old", "books", "."]
    gold = parsed(vocab, words, [1, 1, 3, 1, 1], ["nsubj", "root", "amod", "obj", "punct"])
    # Head of "old" wrong; "books" right head, wrong label; "." wrong head but punct (not scored).
    pred = parsed(vocab, words, [1, 1, 1, 1, 3], ["nsubj", "root", "amod", "iobj", "punct"])
    scores = score_deps([Example(pred, gold)])
    assert scores["dep_uas"] == pytest.approx(3 / 4)
    assert scores["dep_las"] == pytest.approx(2 / 4)
    per_type = scores["dep_las_per_type"]
    assert per_type["nsubj"] == {"p": 1.0, "r": 1.0, "f": 1.0}
    assert per_type["amod"]["f"] == 0.0 and per_type["obj"]["r"] == 0.0 and per_type["iobj"]["p"] == 0.0
    assert "punct" not in per_type


def test_scores_with_a_different_tokenization() -> None:
    vocab = blank("en").vocab
    gold = parsed(vocab, ["I", "do", "n't", "know"], [3, 3, 3, 3], ["nsubj", "aux", "advmod", "root"], [True, False, True, False])
    # "don't" is one predicted token: its arc cannot be right, the others can.
    pred = parsed(vocab, ["I", "don't", "know"], [2, 2, 2], ["nsubj", "aux", "root"], [True, True, False])
    scores = score_deps([Example(pred, gold)])
    # Gold: 4 arcs; predicted: 3, of which 2 map onto the reference and are right.
    assert scores["dep_uas"] == pytest.approx(2 * (2 / 3) * (2 / 4) / ((2 / 3) + (2 / 4)))
    assert score_deps([Example(pred, Doc(vocab, ["I", "don't", "know"]))])["dep_uas"] is None


def test_sentence_scores_compare_character_spans() -> None:
    vocab = blank("en").vocab
    words = ["Hi", ".", "Go", "home", "."]
    gold = Doc(vocab, words, sent_starts=[1, 0, 1, 0, 0])
    pred = Doc(vocab, words, sent_starts=[1, 0, 0, 1, 0])
    scores = score_sents([Example(pred, gold)])
    assert scores == {"sents_p": 0.0, "sents_r": 0.0, "sents_f": 0.0}
    pred = Doc(vocab, words, sent_starts=[1, 0, 1, 0, 0])
    assert score_sents([Example(pred, gold)])["sents_f"] == 1.0
    assert score_parse([Example(pred, Doc(vocab, words))])["sents_f"] is None


# ----- training -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained() -> tuple[Language, list[Doc]]:
    """tok2vec + tagger + parser sharing the tok2vec, trained on the demo treebank's own tokens,
    as documents of 10 sentences (running text, so the parser learns sentence boundaries)."""
    fix_random_seed(0)
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("tagger")
    nlp.add_pipe("parser")
    examples = gold_examples(nlp, list(nbnlp.load_docs(demo_path("ewt-train"), vocab=nlp.vocab, n_sents=10)))
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.002)
    rng = random.Random(0)
    for _ in range(3):
        rng.shuffle(examples)
        for batch in batches(examples, 500):
            nlp.update(batch, drop=0.1, sgd=optimizer)
    return nlp, load_refs(nlp, "ewt-dev")


def test_tagger_and_parser_learn_together(trained: tuple[Language, list[Doc]]) -> None:
    nlp, dev = trained
    assert len(nlp.get_pipe("tok2vec").listeners) == 2
    scores = nlp.evaluate(gold_examples(nlp, dev))
    assert scores["dep_uas"] > TRIVIAL_UAS, scores
    assert scores["dep_las"] > TRIVIAL_UAS - 0.15, scores
    assert scores["tag_acc"] > 0.75, scores
    # One-sentence docs: a predicted boundary inside one is an error (few after this short training).
    assert scores["sents_f"] > 0.7, scores
    parser = nlp.get_pipe("parser")
    assert parser.root_label == "root" and list(parser.labels) == sorted(parser.labels)


def test_parse_sets_heads_labels_and_sentences_on_raw_text(trained: tuple[Language, list[Doc]]) -> None:
    nlp, _ = trained
    doc = nlp("The old man saw a dog in the park.")
    roots = [t for t in doc if t.head.i == t.i]
    assert len(roots) == 1 and roots[0].dep_ == "root"
    assert all(t.dep_ and t.dep_ != "root" for t in doc if t.head.i != t.i)
    assert doc.has_annotation("SENT_START")
    assert [s.text for s in doc.sents] == [doc.text]
    # The sentences of raw text are the trees of the parse.
    doc = nlp("I like green tea very much. My brother prefers coffee with milk.")
    heads = doc.arrays["HEAD"]
    starts = [s.start for s in doc.sents]
    for s, e in zip(starts, starts[1:] + [len(doc)]):
        assert ((heads[s:e] >= s) & (heads[s:e] < e)).all()
        assert (heads[s:e] == numpy.arange(s, e)).sum() == 1


def test_sentences_of_running_text_are_predicted(trained: tuple[Language, list[Doc]]) -> None:
    """Raw 10-sentence documents of unseen text: the parser finds most boundaries, and parses
    sentence by sentence (no tree crosses a predicted boundary)."""
    nlp, _ = trained
    refs = list(nbnlp.load_docs(demo_path("ewt-dev"), vocab=nlp.vocab, n_sents=10))
    scores, scored = nlp.evaluate_examples([Example(nlp.make_doc(ref.text), ref) for ref in refs])
    # Splitting only at the document starts scores about 0.18 (one sentence in ten).
    assert scores["sents_f"] > 0.5, scores
    assert scores["dep_uas"] > TRIVIAL_UAS - 0.05, scores
    n_sents = [len(list(eg.predicted.sents)) for eg in scored]
    assert 5 < sum(n_sents) / len(n_sents) < 15
    for eg in scored:
        heads = eg.predicted.arrays["HEAD"]
        sent_of = numpy.cumsum(eg.predicted.arrays["SENT_START"] == 1)
        assert (sent_of[heads] == sent_of).all()
    # The model's units were the predicted sentences, so there is one root per sentence.
    doc = nlp("I went to the store yesterday. They had no milk, so I left. Tomorrow I will try again at the other shop.")
    words = [t.text for t in doc]
    starts = {s.start for s in doc.sents}
    assert {words.index("They"), words.index("Tomorrow")} <= starts, [s.text for s in doc.sents]
    assert sum(t.head.i == t.i for t in doc) == len(starts)


def test_known_sentence_starts_are_kept_and_parsed_one_tree_each(trained: tuple[Language, list[Doc]]) -> None:
    nlp, _ = trained
    words = ["Dogs", "bark", ".", "Cats", "sleep", "all", "day", "."]
    doc = Doc(nlp.vocab, words, sent_starts=[1, 0, 0, 1, 0, 0, 0, 0])
    doc = nlp(doc)
    assert [s.start for s in doc.sents] == [0, 3]
    heads = doc.arrays["HEAD"]
    assert (heads[:3] < 3).all() and (heads[3:] >= 3).all()
    assert (heads[:3] == numpy.arange(3)).sum() == 1 and (heads[3:] == numpy.arange(3, 8)).sum() == 1


def test_units_are_sentences_cut_into_chunks() -> None:
    starts = numpy.zeros(13, dtype=bool)
    starts[[0, 12]] = True  # a 12-token sentence, then a 1-token one
    single = numpy.array([True] * 12 + [False])
    units, single_root = sentence_units(starts, single, 5)
    assert units.tolist() == [[0, 5], [5, 10], [10, 12], [12, 13]]
    assert single_root.tolist() == [True, True, True, False]


def test_long_sentences_are_parsed_in_chunks(trained: tuple[Language, list[Doc]]) -> None:
    nlp, _ = trained
    parser = nlp.get_pipe("parser")
    words = ["word"] * 12
    docs = [Doc(nlp.vocab, words, sent_starts=[1] + [0] * 11), Doc(nlp.vocab, ["one"])]
    old = parser.max_length
    parser.max_length = 5
    try:
        nlp.get_pipe("tok2vec").set_annotations(docs, nlp.get_pipe("tok2vec").predict(docs))
        scores = parser.predict(docs)
        assert scores.units.tolist() == [[0, 5], [5, 10], [10, 12], [12, 13]] and scores.single_root.all()
        parser.set_annotations(docs, scores)
    finally:
        parser.max_length = old
    heads = docs[0].arrays["HEAD"]
    chunk = numpy.arange(12) // 5
    assert (chunk[heads] == chunk).all()
    assert [s.start for s in docs[0].sents] == [0]  # the given sentence is kept


def test_save_and_load_give_identical_parses(trained: tuple[Language, list[Doc]], tmp_path: Path) -> None:
    nlp, dev = trained
    nlp.to_disk(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.pipe_names == ["tok2vec", "tagger", "parser"]
    assert loaded.get_pipe("parser").labels == nlp.get_pipe("parser").labels
    texts = [ref.text for ref in dev[:60]]
    for a, b in zip(nlp.pipe(texts), loaded.pipe(texts)):
        assert a.arrays["HEAD"].tolist() == b.arrays["HEAD"].tolist()
        assert [t.dep_ for t in a] == [t.dep_ for t in b]


def test_missing_gold_gets_no_gradient(trained: tuple[Language, list[Doc]]) -> None:
    nlp, _ = trained
    parser: DependencyParser = nlp.get_pipe("parser")
    words = ["Dogs", "bark", "loudly", "."]
    full = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words, heads=[1, 1, 1, 1], deps=["nsubj", "root", "advmod", "punct"]))
    partial = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words, heads=[1, 1, None, 1], deps=["nsubj", "root", None, "NEWDEP"]))
    docs = [full.predicted, partial.predicted]
    nlp.get_pipe("tok2vec").set_annotations(docs, nlp.get_pipe("tok2vec").predict(docs))
    gold_heads, gold_labels, gold_starts = parser._gold([full, partial])
    assert gold_heads.tolist() == [1, 1, 1, 1, 5, 5, -1, 5]
    assert gold_labels[6] == -1 and gold_labels[7] == -1  # no head; unknown label
    assert gold_starts.tolist() == [1, -1, -1, -1, 1, 0, 0, 0]  # no sentence ends without all heads
    scores, _ = parser.model.begin_update(parser._input(docs, gold_heads, gold_starts))
    loss, grads = parser.get_loss([full, partial], scores)
    assert numpy.isfinite(loss)
    (group,) = scores.groups
    d_arcs = grads.arcs[0]
    row_of = {int(t): (u, i) for u, row in enumerate(group.tokens) for i, t in enumerate(row) if t < 8}
    u, i = row_of[6]
    assert not d_arcs[u, i].any() and d_arcs[row_of[7]].any()
    assert not grads.labels[6].any() and not grads.labels[7].any() and grads.labels[4].any()
    losses = nlp.update([full, partial], sgd=Adam(0.001))
    assert numpy.isfinite(losses["parser"])
    assert "NEWDEP" not in parser.labels


def test_parser_settings_are_checked() -> None:
    nlp = blank("en")
    nlp.add_pipe("tok2vec")
    with pytest.raises(Exception, match="decoder"):
        nlp.add_pipe("parser", config={"decoder": "greedy"})
    parser = nlp.add_pipe("parser", config={"decoder": "mst"})
    assert parser.add_label("nsubj") == 1 and parser.add_label("nsubj") == 0
    words = ["Dogs", "bark"]
    eg = Example(Doc(nlp.vocab, words), Doc(nlp.vocab, words, heads=[1, 1], deps=["nsubj", "root"]))
    nlp.initialize(lambda: [eg])
    assert parser.labels == ("nsubj", "root") and parser.get_cfg() == {"labels": ["nsubj", "root"], "root_label": "root"}
    with pytest.raises(ValueError, match="after the model is initialised"):
        parser.add_label("obj")
    doc = nlp("Dogs bark")
    assert well_formed(doc.arrays["HEAD"][None].astype(numpy.int64), numpy.array([2]))[0]
    assert len(nlp("")) == 0
