"""Word vectors: reading word2vec files (plain and archived), truncate/prune, bad lines, the vectors table,
the static-vectors layer, and a tagger trained with `[initialize] vectors` that saves and reloads them."""
import gzip
import io
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import nbnlp
from nbnlp.cli import main
from nbnlp.core.config import ConfigError, load_config
from nbnlp.core.corpus.errors import CorpusError
from nbnlp.core.commands.debug_data import OK, debug_data
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.commands.init_vectors import init_vectors, read_word2vec
from nbnlp.core.registry import registry
from nbnlp.core.training import train
from nbnlp.core.vectors import Vectors
from nbnlp.data import demo_path

WIDTH = 12


def write_vectors(path: Path, words: list, data: np.ndarray, header: str = "") -> Path:
    lines = [header or f"{len(words)} {data.shape[1]}"]
    lines += [w + " " + " ".join(f"{x:.6f}" for x in row) + " " for w, row in zip(words, data)]
    text = "\n".join(lines) + "\n"
    if path.name.endswith(".gz") and not path.name.endswith(".tar.gz"):
        with gzip.open(path, "wt", encoding="utf8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf8")
    return path


@pytest.fixture(scope="module")
def demo_words() -> list:
    """The 600 most frequent words of the demo training corpus, most frequent first (as in real vector files)."""
    counts = Counter(w for doc in nbnlp.load_docs(demo_path("ewt-train")) for w in doc.words)
    return [w for w, _ in counts.most_common(600)]


@pytest.fixture(scope="module")
def demo_data(demo_words: list) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(len(demo_words), WIDTH)).astype("float32")


@pytest.fixture(scope="module")
def vectors_dir(tmp_path_factory, demo_words: list, demo_data: np.ndarray) -> Path:
    folder = tmp_path_factory.mktemp("vectors")
    source = write_vectors(folder / "demo.vec", demo_words, demo_data)
    init_vectors("en", source, folder / "pipeline")
    return folder / "pipeline"


# ----- reading -------------------------------------------------------------------------------------
def test_plain_gz_zip_and_tar_read_the_same(tmp_path: Path, demo_words: list, demo_data: np.ndarray) -> None:
    plain = write_vectors(tmp_path / "v.txt", demo_words, demo_data)
    gz = write_vectors(tmp_path / "v.txt.gz", demo_words, demo_data)
    with zipfile.ZipFile(tmp_path / "v.zip", "w") as z:
        z.write(plain, "inner/v.txt")
    with tarfile.open(tmp_path / "v.tar.gz", "w:gz") as t:
        t.add(plain, "v.txt")
    tables = [read_word2vec(p) for p in (plain, gz, tmp_path / "v.zip", tmp_path / "v.tar.gz")]
    for table in tables:
        assert table.keys == demo_words
        assert table.data.dtype == np.float32 and table.data.shape == (600, WIDTH)
        assert np.allclose(table.data, demo_data, atol=1e-5)


def test_truncate_reads_only_the_first_rows(tmp_path: Path, demo_words: list, demo_data: np.ndarray) -> None:
    path = write_vectors(tmp_path / "v.txt", demo_words, demo_data)
    result = init_vectors("en", path, tmp_path / "out", truncate=50)
    vectors = nbnlp.load(tmp_path / "out").vocab.vectors
    assert vectors.shape == (50, WIDTH) and vectors.keys == demo_words[:50]
    assert result.n_read == 50
    assert demo_words[49] in vectors and demo_words[50] not in vectors


def test_prune_maps_the_rest_to_the_nearest_kept_vector(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    kept = rng.normal(size=(20, WIDTH)).astype("float32")
    # Each rare word is a kept vector scaled and slightly perturbed: its nearest kept vector by cosine is known.
    source = rng.integers(0, 20, size=80)
    rare = kept[source] * rng.uniform(0.5, 3.0, size=(80, 1)) + rng.normal(scale=0.05, size=(80, WIDTH))
    words = [f"freq{i}" for i in range(20)] + [f"rare{i}" for i in range(80)]
    path = write_vectors(tmp_path / "v.txt", words, np.concatenate([kept, rare]).astype("float32"))
    result = init_vectors("en", path, tmp_path / "out", prune=20)
    vectors = nbnlp.load(tmp_path / "out").vocab.vectors
    assert vectors.shape == (20, WIDTH) and vectors.n_keys == 100 and result.n_pruned == 80
    assert [vectors.find_row(f"rare{i}") for i in range(80)] == source.tolist()
    assert [vectors.find_row(f"freq{i}") for i in range(20)] == list(range(20))
    assert np.allclose(vectors["rare3"], vectors[f"freq{source[3]}"])
    assert result.mean_similarity > 0.9


@pytest.mark.parametrize(
    "line, message",
    [
        ("apple 0.1 0.2", r"v\.txt:3: expected a word and 3 numbers, found 2 values"),
        ("apple 0.1 0.2 0.3 0.4", r"v\.txt:3: expected a word and 3 numbers, found 4 values"),
        ("apple 0.1 zero 0.3", r"v\.txt:3: value 2 of 'apple' \(column 3\) is not a finite number \(expected a number.*got 'zero'\)"),
        ("apple 0.1 nan 0.3", r"v\.txt:3: value 2 of 'apple' \(column 3\) is not a finite number"),
    ],
)
def test_bad_lines_name_the_file_line_and_what_was_expected(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "v.txt"
    path.write_text(f"3 3\npear 1 2 3\n{line}\nplum 4 5 6\n", encoding="utf8")
    with pytest.raises(CorpusError, match=message):
        read_word2vec(path)


def test_bad_headers_counts_and_archives(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("pear 1 2 3\nplum 4 5 6\n", encoding="utf8")
    with pytest.raises(CorpusError, match=r"v\.txt:1: the first line must give the number of rows and the width"):
        read_word2vec(path)
    path.write_text("5 3\npear 1 2 3\nplum 4 5 6\n", encoding="utf8")
    with pytest.raises(CorpusError, match="announces 5 rows but the file has 2"):
        read_word2vec(path)
    assert read_word2vec(path, truncate=2).keys == ["pear", "plum"]
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as z:
        z.writestr("a.txt", "1 3\na 1 2 3\n")
        z.writestr("b.txt", "1 3\nb 1 2 3\n")
    with pytest.raises(CorpusError, match="exactly one vectors file; it holds a.txt, b.txt"):
        read_word2vec(tmp_path / "two.zip")
    assert main(["init-vectors", "en", str(path), str(tmp_path / "out")]) == 1  # the CLI reports it as an error


def test_cli_writes_a_loadable_pipeline(tmp_path: Path, demo_words: list, demo_data: np.ndarray, capsys) -> None:
    path = write_vectors(tmp_path / "v.vec.gz", demo_words, demo_data)
    assert main(["init-vectors", "en", str(path), str(tmp_path / "out"), "--prune", "100", "--name", "demo_vectors"]) == 0
    assert "600 words, 100 vectors of width 12" in capsys.readouterr().out
    nlp = nbnlp.load(tmp_path / "out")
    assert nlp.pipe_names == [] and nlp.meta["vectors"] == {"name": "demo_vectors", "keys": 600, "rows": 100, "width": WIDTH}
    assert np.allclose(nlp.vocab.vectors[demo_words[7]], demo_data[7], atol=1e-5)
    assert sorted(p.name for p in (tmp_path / "out" / "vectors").iterdir()) == ["data.npy", "keys.msgpack"]


# ----- the table and the layer ----------------------------------------------------------------------
def test_rows_for_tokens_by_orth_and_lower() -> None:
    vectors = Vectors(np.eye(3, dtype="float32"), ["the", "cat", "Sat"])
    nlp = nbnlp.blank("en")
    doc = nlp.make_doc("The cat Sat on the mat")
    assert vectors.rows_for(nlp.vocab, doc.arrays["ORTH"], "ORTH").tolist() == [-1, 1, 2, -1, 0, -1]
    assert vectors.rows_for(nlp.vocab, doc.arrays["ORTH"], "LOWER").tolist() == [0, 1, -1, -1, 0, -1]
    with pytest.raises(ValueError, match="ORTH, LOWER, NORM"):
        vectors.rows_for(nlp.vocab, doc.arrays["ORTH"], "SHAPE")


def test_static_vectors_project_known_words_and_zero_unknown_ones() -> None:
    nlp = nbnlp.blank("en")
    data = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
    nlp.vocab.vectors = Vectors(data, ["cat", "dog"])
    docs = [nlp.make_doc("cat zebra dog"), nlp.make_doc("dog")]
    model = registry.resolve({"m": {"@architectures": "nbnlp.StaticVectors.v1", "nO": 4}})["m"]
    model.initialize(X=docs)
    W, b = model.get_param("W"), model.get_param("b")
    model.set_param("b", b + 0.5)
    Y = model.predict(docs)
    assert np.allclose(Y[0][0], W @ data[0] + 0.5, atol=1e-5)
    assert np.allclose(Y[0][1], 0.5)  # unknown word: the zero row, projected
    assert np.allclose(Y[1][0], W @ data[1] + 0.5, atol=1e-5)
    _, backprop = model.begin_update(docs)
    backprop([np.ones_like(y) for y in Y])
    assert np.allclose(model.get_grad("W"), np.ones((4, 1)) @ (2 * data[1] + data[0])[None, :], atol=1e-5)
    blank_docs = [nbnlp.blank("en").make_doc("cat")]
    with pytest.raises(ValueError, match="no vectors table"):
        model.predict(blank_docs)


# ----- training with vectors -------------------------------------------------------------------------
def vectors_config(vectors: str | None, **tok2vec) -> dict:
    config = load_config(
        init_config(pipeline=["tagger"], train_path=str(demo_path("ewt-train")), dev_path=str(demo_path("ewt-dev")), max_steps=40, eval_frequency=20),
        interpolate=False,
    )
    t2v = config["components"]["tok2vec"]["model"]
    t2v["embed"].update({"include_static_vectors": True, "rows": [500, 100, 200, 200], **tok2vec})
    t2v["encode"].update({"width": 24, "depth": 1})
    config["initialize"]["vectors"] = vectors
    return config


def test_tagger_trained_with_vectors_saves_and_reloads_them(tmp_path: Path, vectors_dir: Path) -> None:
    result = train(vectors_config(str(vectors_dir)), tmp_path / "out", stdout=io.StringIO(), stderr=io.StringIO())
    assert result.best_score is not None and result.best_score > 0.2
    assert result.nlp.vocab.vectors.shape == (600, WIDTH)
    loaded = nbnlp.load(result.model_best)  # result.nlp holds the best weights
    assert loaded.vocab.vectors.shape == (600, WIDTH) and loaded.meta["vectors"]["keys"] == 600
    assert np.array_equal(loaded.vocab.vectors.data, result.nlp.vocab.vectors.data)
    texts = ["I saw the film last night .", "They didn't come to the party , sadly ."]
    before = list(result.nlp.pipe(texts))
    after = list(loaded.pipe(texts))
    assert [[t.tag_ for t in d] for d in before] == [[t.tag_ for t in d] for d in after]
    assert all(np.allclose(a.tensor, b.tensor, atol=1e-6) for a, b in zip(before, after))
    # The vectors feed the model: another table gives other token vectors.
    loaded.vocab.vectors = Vectors(loaded.vocab.vectors.data[::-1].copy(), loaded.vocab.vectors.keys)
    changed = list(loaded.pipe(texts))
    assert not np.allclose(changed[0].tensor, after[0].tensor)


def test_vectors_settings_are_checked(tmp_path: Path, vectors_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"components\.tok2vec\.model\.embed\.include_static_vectors: static vectors need a vectors table"):
        train(vectors_config(None))
    with pytest.raises(ConfigError, match=r"initialize\.vectors: no such folder"):
        train(vectors_config(str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match=r"initialize\.vectors: the folder holds no vectors table"):
        train(vectors_config(str(tmp_path)))
    plain = vectors_config(str(vectors_dir), include_static_vectors=False)
    plain["training"]["max_steps"] = 1
    assert train(plain).steps == 1  # vectors without a layer that uses them are fine


def test_debug_data_reports_vectors_and_their_coverage(vectors_dir: Path, demo_words: list) -> None:
    report = debug_data(vectors_config(str(vectors_dir)))
    check = report.check("vocab.vectors")
    assert check.status == OK and "600 words, 600 rows of width 12" in check.message
    docs = list(nbnlp.load_docs(demo_path("ewt-train")))
    words = [w for d in docs for w in d.words]
    known = set(demo_words)
    assert check.counts["tokens"] == len(words)
    assert check.counts["tokens_covered"] == sum(w in known for w in words)
    assert check.counts["unique_covered"] == 600
    missing = debug_data(vectors_config(None)).check("vocab.vectors")
    assert missing.status == "error" and "include_static_vectors" in missing.message
