"""`nbnlp.Corpus.v1` read as a stream (issue 14): the same Examples as when kept, read lazily, kept in memory only
within `cache_words`, memory flat in the corpus size; the `[training] shuffle_buffer` setting."""
from __future__ import annotations

import gc
import random
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import nbnlp
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.corpus.errors import CorpusError
from nbnlp.core.settings import MODEL, RUN, TrainingSchema, setting_effect
from nbnlp.core.training import create_corpus
from nbnlp.core.training.batchers import configure_batch_by_words
from nbnlp.core.training.corpus import DEFAULT_CACHE_WORDS
from nbnlp.core.training.fingerprint import config_fingerprint
from nbnlp.core.training.shuffle import shuffled
from nbnlp.data import demo_path

TRAIN = str(demo_path("ewt-train"))


def signature(examples) -> list:
    """Everything an Example carries that training reads: both docs' columns, text and the alignment."""
    out = []
    for eg in examples:
        row = [eg.predicted.text, eg.reference.text]
        for doc in (eg.predicted, eg.reference):
            row += [(name, doc.arrays[name].tobytes()) for name in sorted(doc.arrays)]
        a = eg.alignment
        row += [arr.tobytes() for arr in (a.x2y.data, a.x2y.lengths, a.y2x.data, a.y2x.lengths)]
        out.append(row)
    return out


@pytest.mark.parametrize("options", [{}, {"n_sents": 10}, {"gold_preproc": True}, {"limit": 37, "max_length": 20}])
def test_streamed_and_kept_corpora_give_the_same_examples(options: dict) -> None:
    nlp = nbnlp.blank("en")
    kept = create_corpus(TRAIN, **options)
    streamed = create_corpus(TRAIN, cache_words=0, **options)
    first = signature(kept(nlp))
    assert kept.cached and not streamed.cached
    assert signature(kept(nlp)) == first  # from memory
    assert signature(streamed(nlp)) == first
    assert signature(streamed(nlp)) == first and not streamed.cached  # read again, still not kept
    if "limit" in options:
        assert len(first) == 37


def test_fresh_predicted_docs_on_every_call() -> None:
    nlp = nbnlp.blank("en")
    for corpus in (create_corpus(TRAIN, limit=5), create_corpus(TRAIN, limit=5, cache_words=0)):
        a, b = list(corpus(nlp)), list(corpus(nlp))
        assert all(x.predicted is not y.predicted for x, y in zip(a, b))


def test_a_corpus_over_the_budget_is_not_kept() -> None:
    nlp = nbnlp.blank("en")
    n_words = sum(len(eg.reference) for eg in create_corpus(TRAIN)(nlp))
    at = create_corpus(TRAIN, cache_words=n_words)
    over = create_corpus(TRAIN, cache_words=n_words - 1)
    assert len(list(at(nlp))) == len(list(over(nlp))) == 800
    assert at.cached and not over.cached
    assert DEFAULT_CACHE_WORDS == TrainingSchema.default("shuffle_buffer") * 50  # both about 20k documents of ~50 words


def test_a_call_abandoned_half_way_keeps_nothing() -> None:
    """Initialization reads only the start of the corpus for some components: no partial corpus may be kept."""
    nlp = nbnlp.blank("en")
    corpus = create_corpus(TRAIN)
    stream = corpus(nlp)
    [next(stream) for _ in range(10)]
    stream.close()
    assert not corpus.cached
    assert len(list(corpus(nlp))) == 800 and corpus.cached


def test_kept_per_vocab() -> None:
    corpus = create_corpus(TRAIN, limit=3)
    a, b = nbnlp.blank("en"), nbnlp.blank("en")
    list(corpus(a))
    egs = list(corpus(b))
    assert all(eg.reference.vocab is b.vocab and eg.predicted.vocab is b.vocab for eg in egs)


def test_reading_is_lazy(tmp_path: Path) -> None:
    """The first Examples come out before the end of the file is read: a damaged last sentence only fails there."""
    lines = Path(TRAIN).read_text(encoding="utf8").rstrip("\n").split("\n")
    bad = tmp_path / "bad.conllu"
    bad.write_text("\n".join(lines) + "\n\n1\tonly three\tcolumns\n\n", encoding="utf8")
    nlp = nbnlp.blank("en")
    for corpus in (create_corpus(str(bad)), create_corpus(str(bad), cache_words=0)):
        stream = corpus(nlp)
        assert next(stream).reference.text
        with pytest.raises(CorpusError, match="column"):
            list(stream)
        assert not corpus.cached


def _epoch_peak(path: Path, buffer: int) -> tuple[int, int]:
    """Traced peak bytes of one epoch read, shuffled through `buffer` and batched, and the number of docs."""
    nlp = nbnlp.blank("en")
    corpus = create_corpus(str(path), cache_words=0)
    list(corpus(nlp))  # strings and tokenizer caches filled first: they do not grow with repeats of the same text
    batcher = configure_batch_by_words(size=200)
    gc.collect()
    tracemalloc.start()
    try:
        n = sum(len(batch) for batch in batcher(shuffled(corpus(nlp), random.Random(0), buffer)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, n


def test_memory_of_an_epoch_does_not_grow_with_the_corpus(tmp_path: Path) -> None:
    sentences = Path(TRAIN).read_text(encoding="utf8").rstrip("\n").split("\n\n")[:200]
    text = "\n\n".join(sentences) + "\n\n"
    one, four = tmp_path / "x1.conllu", tmp_path / "x4.conllu"
    one.write_text(text, encoding="utf8")
    four.write_text(text * 4, encoding="utf8")
    peak1, n1 = _epoch_peak(one, 50)
    peak4, n4 = _epoch_peak(four, 50)
    assert (n1, n4) == (200, 800)
    assert peak4 < 1.25 * peak1, (peak1, peak4)
    # For scale: holding the 4x corpus, as a list of examples, takes several times that.
    nlp = nbnlp.blank("en")
    corpus = create_corpus(str(four), cache_words=0)
    list(corpus(nlp))
    tracemalloc.start()
    try:
        held = list(corpus(nlp))
        held_bytes = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(held) == 800 and peak4 < held_bytes / 3, (peak4, held_bytes)


def test_cache_words_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="cache_words"):
        create_corpus(TRAIN, cache_words=-1)


# ----- settings -------------------------------------------------------------------------------
def test_shuffle_buffer_setting() -> None:
    assert TrainingSchema.default("shuffle_buffer") == 20000
    assert setting_effect("training.shuffle_buffer") == MODEL  # it changes the order of the data
    assert TrainingSchema.filled()["shuffle_buffer"] == 20000  # %%nlp_config shows it
    problems: list = []
    TrainingSchema.check({"shuffle_buffer": 0}, problems)
    assert [p.loc for p in problems] == ["training.shuffle_buffer"]
    text = init_config(pipeline=["tagger"], train_path="t", dev_path="d")
    assert "\nshuffle_buffer = 20000\n" in text and "\ncache_words = 1000000\n" in text


def test_cache_words_only_steers_the_run() -> None:
    """Lowering the cache after running out of memory must not stop a resume: it changes no example."""
    assert setting_effect("corpora.train.cache_words") == RUN
    assert setting_effect("corpora.train.limit") is None
    base = {"corpora": {"train": {"@readers": "nbnlp.Corpus.v1", "limit": 0, "cache_words": 2000000}}}
    changed = {"corpora": {"train": {"@readers": "nbnlp.Corpus.v1", "limit": 0, "cache_words": 0}}}
    assert config_fingerprint(base) == config_fingerprint(changed)
    changed["corpora"]["train"]["limit"] = 5
    assert config_fingerprint(base) != config_fingerprint(changed)


def test_loop_order_is_unchanged_for_a_corpus_that_fits() -> None:
    """What the loop does per epoch, before (list + rng.shuffle) and now (shuffled): the same examples, same order."""
    nlp = nbnlp.blank("en")
    corpus = create_corpus(TRAIN, cache_words=0)
    before_rng, now_rng = random.Random(7), random.Random(7)
    for _ in range(3):  # epochs: the rng carries on
        before = list(corpus(nlp))
        before_rng.shuffle(before)
        now = list(shuffled(corpus(nlp), now_rng, 100000))
        assert signature(now) == signature(before)
    assert before_rng.getstate() == now_rng.getstate()
    assert np.array_equal(now[0].reference.arrays["ORTH"], before[0].reference.arrays["ORTH"])
