"""Every `nbnlp.*` architecture: builds from small settings, initialises on real docs, runs forward
and backward with the right shapes, and does its array work through `model.ops`."""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy
import pytest
from thinc.api import Model, NumpyOps, use_ops

import nbnlp
from nbnlp.core.lang import create_vocab
from nbnlp.core.models.listener import batch_id, receive
from nbnlp.core.registry import registry
from nbnlp.data import demo_path

import nbnlp.core.models  # noqa: F401  (registers the architectures)
from nbnlp.core.vectors import Vectors

WIDTH = 16
SMALL_T2V = {
    "@architectures": "nbnlp.Tok2Vec.v1",
    "embed": {"@architectures": "nbnlp.HashEmbed.v1", "width": WIDTH, "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"], "rows": [50, 20, 30, 30]},
    "encode": {"@architectures": "nbnlp.MaxoutWindowEncoder.v2", "width": WIDTH, "depth": 2, "window_size": 1, "maxout_pieces": 2},
}

# name -> (small settings, what the model takes: "docs" or "vectors", output width)
SMALL: dict[str, tuple[dict[str, Any], str, int]] = {
    "nbnlp.FeatureExtractor.v1": ({"attrs": ["NORM", "ORTH", "SHAPE"]}, "docs", 3),
    "nbnlp.HashEmbed.v1": (SMALL_T2V["embed"], "docs", WIDTH),
    "nbnlp.MaxoutWindowEncoder.v1": ({**SMALL_T2V["encode"], "@architectures": "nbnlp.MaxoutWindowEncoder.v1"}, "vectors", WIDTH),
    "nbnlp.MaxoutWindowEncoder.v2": (SMALL_T2V["encode"], "vectors", WIDTH),
    "nbnlp.Tok2Vec.v1": (SMALL_T2V, "docs", WIDTH),
    "nbnlp.Tok2VecListener.v1": ({"width": WIDTH, "upstream": "*"}, "docs", WIDTH),
    "nbnlp.StaticVectors.v1": ({"nO": WIDTH, "key_attr": "LOWER"}, "docs", WIDTH),
    "nbnlp.PretrainCharacters.v1": ({"n_characters": 2, "hidden_size": 8, "maxout_pieces": 2}, "vectors", 2 * 2 * 256),
    "nbnlp.PretrainVectors.v1": ({"loss": "L2", "hidden_size": 8, "maxout_pieces": 2, "nO": 6}, "vectors", 6),
    "nbnlp.Tagger.v1": ({"tok2vec": SMALL_T2V, "nO": 5}, "docs", 5),
    "nbnlp.BiaffineParser.v1": ({"tok2vec": SMALL_T2V, "arc_width": 8, "label_width": 6, "depth": 1, "window_size": 1, "nO": 4}, "docs", 4),
    "nbnlp.BiaffineParser.v2": (
        {"tok2vec": SMALL_T2V, "arc_width": 8, "label_width": 6, "depth": 1, "window_size": 1, "sent_width": 5, "nO": 4}, "docs", 4,
    ),
    "nbnlp.EntityTagger.v1": ({"tok2vec": SMALL_T2V, "hidden_width": 8, "window_size": 1, "nO": 5}, "docs", 5),
    # doc-level models: one (n_docs, nO) array, not one array per doc
    "nbnlp.TextCatBOW.v1": ({"exclusive_classes": True, "ngram_size": 2, "length": 64, "nO": 3}, "docs", 3),
    "nbnlp.TextCatEnsemble.v1": (
        {"tok2vec": SMALL_T2V, "hidden_width": 8, "nO": 3,
         "linear_model": {"@architectures": "nbnlp.TextCatBOW.v1", "exclusive_classes": False, "length": 64}},
        "docs", 3,
    ),
}


def nbnlp_architectures() -> list[str]:
    return sorted(name for name in registry.architectures.get_all() if name.startswith("nbnlp."))


def build(name: str) -> Model:
    settings = SMALL[name][0]
    block = {k: v for k, v in settings.items() if k != "@architectures"}
    return registry.resolve({"m": {"@architectures": name, **block}})["m"]


@pytest.fixture(scope="module")
def docs() -> list[nbnlp.Doc]:
    vocab = create_vocab("en")
    loaded = nbnlp.load_docs(demo_path("ewt-dev"), vocab=vocab)
    docs = [next(loaded) for _ in range(3)]
    words = sorted({w.lower() for d in docs for w in d.words})[::2]  # half the words have a vector
    vocab.vectors = Vectors(numpy.random.default_rng(0).normal(size=(len(words), 7)).astype("f"), words)
    return docs


def test_the_sweep_covers_every_architecture() -> None:
    missing = set(nbnlp_architectures()) - set(SMALL)
    assert not missing, f"add small settings for {sorted(missing)} to SMALL"


@pytest.mark.parametrize("name", nbnlp_architectures())
def test_architecture(name: str, docs: list[nbnlp.Doc]) -> None:
    _, takes, width = SMALL[name]
    with use_ops("numpy"):
        model = build(name)
        rng = numpy.random.default_rng(0)
        X: Any = docs if takes == "docs" else [model.ops.asarray2f(rng.normal(size=(len(d), WIDTH)).astype("f")) for d in docs]
        if name == "nbnlp.Tok2VecListener.v1":  # the upstream component's output, as inference would see it
            for d in docs:
                d.tensor = model.ops.asarray2f(rng.normal(size=(len(d), width)).astype("f"))
        model.initialize(X=X)
        for node in model.walk():
            assert isinstance(node.ops, NumpyOps), f"{node.name} runs on {type(node.ops).__name__}"
        Y, backprop = model.begin_update(X)
    if name.startswith("nbnlp.BiaffineParser."):
        from nbnlp.core.models.parser import ParserGradients

        n_tokens = sum(len(d) for d in docs)
        assert Y.labels.shape == (n_tokens, width) and numpy.isfinite(Y.labels).all()
        assert sorted(t for g in Y.groups for t in g.tokens.ravel().tolist() if t < n_tokens) == list(range(n_tokens))
        has_sents = name.endswith(".v2")
        assert (Y.sent_logits is not None) == has_sents
        d_sents = Y.sent_logits * 0 + 1.0 if has_sents else None
        assert backprop(ParserGradients([g.scores * 0 + 1.0 for g in Y.groups], Y.labels * 0 + 1.0, d_sents)) == []
        if has_sents:
            assert model.get_grad("sent_w").any() and model.get_grad("sent_b").any()
        return
    if not isinstance(Y, list):  # a doc-level model
        assert Y.shape == (len(docs), width) and Y.dtype == numpy.float32 and numpy.isfinite(Y).all()
        assert backprop(model.ops.alloc2f(*Y.shape) + 1.0) == []
        return
    assert len(Y) == len(docs)
    for y, d in zip(Y, docs):
        assert isinstance(y, model.ops.xp.ndarray)
        assert y.shape == (len(d), width)
    if name == "nbnlp.FeatureExtractor.v1":
        assert all(y.dtype == numpy.uint64 for y in Y)
        assert backprop(Y) == []
        return
    assert all(y.dtype == numpy.float32 and numpy.isfinite(y).all() for y in Y)
    dX = backprop([model.ops.alloc2f(*y.shape) + 1.0 for y in Y])
    if takes == "vectors":
        assert [dx.shape for dx in dX] == [x.shape for x in X]
    else:
        assert dX == []
    for d in docs:
        d.tensor = None


@pytest.mark.parametrize("name", nbnlp_architectures())
def test_forward_passes_use_only_model_ops(name: str) -> None:
    """The forward functions of nbnlp's own layers never name numpy: array work goes through model.ops."""
    for node in build(name).walk():
        func: Callable = node._func
        if func.__module__.startswith("nbnlp."):
            source = inspect.getsource(func)
            assert "numpy" not in source and "np." not in source, f"{func.__module__}.{func.__name__} uses numpy directly"


@pytest.mark.parametrize("name", ["nbnlp.MaxoutWindowEncoder.v1", "nbnlp.MaxoutWindowEncoder.v2"])
def test_encoder_windows_do_not_cross_docs(name: str, docs: list[nbnlp.Doc]) -> None:
    model = build(name)
    X = [model.ops.alloc2f(len(d), WIDTH) + 1.0 for d in docs]
    model.initialize(X=X)
    alone = model.predict([X[1]])[0]
    changed = [X[0] * 5.0, X[1], X[2] * -3.0]
    assert numpy.allclose(model.predict(changed)[1], alone, atol=1e-5)


def test_hash_features_are_stable_across_vocabs(docs: list[nbnlp.Doc]) -> None:
    model = build("nbnlp.FeatureExtractor.v1")
    other = nbnlp.Doc(create_vocab("en"), ["unrelated", "words", "first"])
    assert other.vocab is not docs[0].vocab
    fresh = nbnlp.Doc(other.vocab, docs[0].words, docs[0].arrays["SPACY"].tolist())
    assert (model.predict([fresh])[0] == model.predict([docs[0]])[0]).all()


def test_feature_extractor_rejects_unknown_attrs() -> None:
    with pytest.raises(ValueError, match="attrs must be some of"):
        registry.resolve({"m": {"@architectures": "nbnlp.FeatureExtractor.v1", "attrs": ["IS_ALPHA"]}})


def test_hash_embed_needs_one_row_count_per_attr() -> None:
    with pytest.raises(ValueError, match="one row count per attribute"):
        registry.resolve({"m": {"@architectures": "nbnlp.HashEmbed.v1", "width": 8, "attrs": ["NORM"], "rows": [10, 10]}})


def test_listener_returns_the_broadcast_and_forwards_its_gradient(docs: list[nbnlp.Doc]) -> None:
    listener = build("nbnlp.Tok2VecListener.v1")
    outputs = [listener.ops.alloc2f(len(d), WIDTH) + i for i, d in enumerate(docs)]
    received: list[Any] = []
    receive(listener, batch_id(docs), outputs, received.append)
    Y, backprop = listener.begin_update(docs)
    assert Y is outputs
    backprop(outputs)
    assert received == [outputs]
    with pytest.raises(ValueError, match="different batch"):
        listener.begin_update(docs[:2])


def test_listener_without_upstream_output_says_so(docs: list[nbnlp.Doc]) -> None:
    listener = build("nbnlp.Tok2VecListener.v1")
    with pytest.raises(ValueError, match="tok2vec component must run before"):
        listener.predict(docs)
    docs[0].tensor = listener.ops.alloc2f(len(docs[0]), WIDTH + 1)
    try:
        with pytest.raises(ValueError, match="width must match"):
            listener.predict(docs[:1])
    finally:
        docs[0].tensor = None


def test_models_round_trip_through_bytes(docs: list[nbnlp.Doc]) -> None:
    model = build("nbnlp.Tagger.v1")
    model.initialize(X=docs)
    copy = build("nbnlp.Tagger.v1").from_bytes(model.to_bytes())
    for a, b in zip(model.predict(docs), copy.predict(docs)):
        assert numpy.array_equal(a, b)


def test_cpu_ops_dropout_masks_are_seeded_and_have_the_rate() -> None:
    from thinc.api import fix_random_seed

    from nbnlp.core.models.cpu import NbnlpCpuOps

    ops = NbnlpCpuOps(use_blis=False)
    fix_random_seed(3)
    first = ops.get_dropout_mask((400, 300), 0.25)
    fix_random_seed(3)
    assert numpy.array_equal(first, ops.get_dropout_mask((400, 300), 0.25))
    assert first.dtype == numpy.float32 and first.shape == (400, 300)
    assert abs((first == 0).mean() - 0.25) < 0.01
    assert numpy.allclose(first[first > 0], 1 / 0.75)  # kept units are scaled so the expectation is unchanged
    assert (ops.get_dropout_mask((5,), 0.0) == 1).all() and (ops.get_dropout_mask((5,), 1.0) == 0).all()
