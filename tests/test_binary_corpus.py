"""The .nbnlp binary corpus: exact round trips (property-based), streaming, corruption errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbnlp import CorpusError, Doc, Vocab, load_docs, save_docs
from nbnlp.core.corpus.binary import read_nbnlp, write_nbnlp

WORD = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
LABEL = st.sampled_from(["", "NN", "VB", "DT", "ROOT", "nsubj", "Ünï", "x" * 30])


@st.composite
def docs(draw) -> dict:
    n = draw(st.integers(min_value=0, max_value=12))
    words = draw(st.lists(WORD, min_size=n, max_size=n))
    spaces = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    heads = draw(st.lists(st.integers(min_value=-1, max_value=max(n - 1, 0)), min_size=n, max_size=n))
    ent_tags = draw(st.lists(st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "-", "U-ORG"]), min_size=n, max_size=n))
    return {
        "words": words,
        "spaces": spaces,
        "tags": draw(st.lists(LABEL, min_size=n, max_size=n)),
        "pos": draw(st.lists(LABEL, min_size=n, max_size=n)),
        "morphs": draw(st.lists(st.sampled_from(["", "Number=Sing", "Case=Nom|Number=Plur"]), min_size=n, max_size=n)),
        "lemmas": draw(st.lists(WORD, min_size=n, max_size=n)),
        "deps": draw(st.lists(LABEL, min_size=n, max_size=n)),
        "heads": heads,
        "sent_starts": draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n)),
        "ents": ent_tags,
        "cats": draw(st.dictionaries(st.sampled_from(["A", "B", "spam"]), st.floats(0, 1), max_size=3)),
        "user_data": draw(st.dictionaries(st.sampled_from(["sent_id", "k"]), st.text(max_size=5), max_size=2)),
    }


def build(vocab: Vocab, spec: dict) -> Doc:
    doc = Doc(
        vocab, spec["words"], spec["spaces"], tags=spec["tags"], pos=spec["pos"], morphs=spec["morphs"],
        lemmas=spec["lemmas"], deps=spec["deps"], sent_starts=spec["sent_starts"], ents=spec["ents"], cats=spec["cats"],
    )
    doc.arrays["HEAD"][:] = spec["heads"]
    doc.user_data.update(spec["user_data"])
    return doc


def assert_same(a: Doc, b: Doc) -> None:
    assert a.text == b.text and a.words == b.words
    for name in a.arrays:
        if name in ("ORTH", "TAG", "POS", "MORPH", "LEMMA", "DEP", "ENT_TYPE"):
            sa = [a.vocab.strings[int(x)] for x in a.arrays[name]]
            sb = [b.vocab.strings[int(x)] for x in b.arrays[name]]
            assert sa == sb, name
        else:
            assert np.array_equal(a.arrays[name], b.arrays[name]), name
    assert a.cats == b.cats and a.user_data == b.user_data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(docs(), min_size=1, max_size=6), chunk=st.integers(1, 4))
def test_round_trip_is_exact(tmp_path: Path, specs: list[dict], chunk: int) -> None:
    vocab = Vocab()
    originals = [build(vocab, s) for s in specs]
    path = tmp_path / "c.nbnlp"
    assert write_nbnlp(originals, path, chunk_size=chunk) == len(originals)
    loaded = list(read_nbnlp(path, Vocab()))  # a fresh vocab: strings travel with the file
    assert len(loaded) == len(originals)
    for a, b in zip(originals, loaded):
        assert_same(a, b)


def test_reading_streams_frame_by_frame(tmp_path: Path) -> None:
    vocab = Vocab()
    docs_ = [Doc(vocab, [f"w{i}", "x"], cats={"i": float(i)}) for i in range(100)]
    path = tmp_path / "many.nbnlp"
    write_nbnlp(docs_, path, chunk_size=10)
    data = path.read_bytes()
    path.write_bytes(data[:-5])  # break the last frame only
    stream = read_nbnlp(path, Vocab())
    first = [next(stream) for _ in range(90)]  # the first 9 frames decode before the damage is reached
    assert first[89].cats == {"i": 89.0}
    with pytest.raises(CorpusError, match=r"many\.nbnlp: the file is cut short: frame 10 has \d+ of its \d+ bytes; the first 90 docs"):
        list(stream)


def test_not_an_nbnlp_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.nbnlp"
    path.write_bytes(b"hello world, not a corpus")
    with pytest.raises(CorpusError, match="fake.nbnlp: not an .nbnlp corpus file"):
        list(read_nbnlp(path, Vocab()))


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    vocab = Vocab()

    def docs_then_crash():
        yield Doc(vocab, ["a"])
        raise RuntimeError("boom")

    path = tmp_path / "out.nbnlp"
    with pytest.raises(RuntimeError):
        write_nbnlp(docs_then_crash(), path)
    assert list(tmp_path.iterdir()) == []


def test_save_and_load_docs_dispatch_on_extension(tmp_path: Path) -> None:
    vocab = Vocab()
    doc = Doc(vocab, ["New", "York", "!"], [True, False, False], ents=["B-GPE", "I-GPE", "O"])
    assert save_docs([doc, doc], tmp_path / "d.nbnlp") == 2
    loaded = list(load_docs(tmp_path / "d.nbnlp"))
    assert [(e.text, e.label_) for e in loaded[1].ents] == [("New York", "GPE")]
