"""Pretraining: the character and vectors objectives learn on raw demo text, weights are saved per epoch and
resume, `[initialize] init_tok2vec` loads them into training, and mismatched settings are clear config errors."""
import json
from pathlib import Path

import numpy as np
import pytest
import srsly

import nbnlp
from nbnlp.cli import main
from nbnlp.core.config import ConfigError, load_config
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.models.pretrain_objectives import (
    MASK_TOKEN,
    N_CHAR_CLASSES,
    _character_loss,
    _vector_loss,
    character_targets,
    mask_docs,
    objective_loss,
)
from nbnlp.core.registry import registry
from nbnlp.core.commands.pretrain import iter_pretrain, pretrain
from nbnlp.core.training import iter_training
from nbnlp.core.vectors import Vectors
from nbnlp.data import demo_path


@pytest.fixture(scope="module")
def raw_text(tmp_path_factory) -> Path:
    """300 demo training texts as JSONL: most as {"text"}, some as {"tokens"}."""
    path = tmp_path_factory.mktemp("raw") / "raw.jsonl"
    docs = [doc for _, doc in zip(range(300), nbnlp.load_docs(demo_path("ewt-train")))]
    with open(path, "w", encoding="utf8") as f:
        for i, doc in enumerate(docs):
            record = {"tokens": doc.words} if i % 5 == 0 else {"text": doc.text}
            f.write(json.dumps(record) + "\n")
    return path


def small_config(raw_text: Path, *, width: int = 32, rows: list | None = None, epochs: int = 2) -> dict:
    text = init_config(pipeline=["tagger"], train_path=str(demo_path("ewt-train")), dev_path=str(demo_path("ewt-dev")),
                       max_steps=5, eval_frequency=5, pretraining=True)
    config = load_config(text, interpolate=False)
    t2v = config["components"]["tok2vec"]["model"]
    t2v["encode"].update({"width": width, "depth": 2})
    t2v["embed"]["rows"] = rows or [1000, 200, 500, 500]
    config["paths"]["raw_text"] = str(raw_text)
    config["pretraining"]["max_epochs"] = epochs
    config["pretraining"]["objective"]["hidden_size"] = 64
    config["pretraining"]["batcher"]["size"] = 1000
    config["corpora"]["pretrain"]["min_length"] = 1
    return config


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, raw_text: Path) -> Path:
    out = tmp_path_factory.mktemp("pretrain")
    pretrain(small_config(raw_text, epochs=3), out)
    return out


def test_character_targets_are_first_and_last_characters() -> None:
    doc = nbnlp.blank("en").make_doc("Hello it's épée")
    targets = character_targets([doc], 3)
    assert targets.shape == (len(doc), 6)
    assert targets[0].tolist() == [ord("H"), ord("e"), ord("l"), ord("l"), ord("l"), ord("o")]
    assert targets[1].tolist() == [ord("i"), ord("t"), 0, 0, ord("i"), ord("t")]  # 0: no character
    assert targets[3].tolist()[:3] == [ord("é"), ord("p"), ord("é")]
    assert targets.max() < N_CHAR_CLASSES


def test_masking_hides_words_and_only_they_are_predicted() -> None:
    nlp = nbnlp.blank("en")
    docs = [nlp.make_doc(doc.text) for _, doc in zip(range(60), nbnlp.load_docs(demo_path("ewt-dev")))]
    masked, predict = mask_docs(docs, 0.15, np.random.default_rng(0))
    words = [w for d in docs for w in d.words]
    shown = [w for d in masked for w in d.words]
    assert [len(d) for d in masked] == [len(d) for d in docs] and docs[0].words != [] and len(shown) == len(words)
    hidden = predict.astype(bool)
    assert 0.10 < hidden.mean() < 0.20
    assert all(a == b for a, b, h in zip(words, shown, hidden) if not h)  # only hidden words change
    replaced = [b for b, h in zip(shown, hidden) if h]
    assert 0.7 < replaced.count(MASK_TOKEN) / len(replaced) < 0.9 and MASK_TOKEN not in [b for b, h in zip(shown, hidden) if not h]
    head = registry.resolve({"o": {"@architectures": "nbnlp.PretrainCharacters.v1", "n_characters": 2, "hidden_size": 8}})["o"]
    X = [head.ops.alloc2f(len(d), 6) + 0.1 for d in docs]
    head.initialize(X=X)
    loss, grads = objective_loss(head, docs, head.predict(X), predict)
    flat = np.concatenate(grads)
    assert np.all(flat[~hidden] == 0) and np.all(np.abs(flat[hidden]).sum(axis=1) > 0)
    assert mask_docs(docs, 0.0, np.random.default_rng(0))[1].all()  # 0: every word predicted, none hidden


@pytest.mark.parametrize("kind", ["characters", "cosine", "L2"])
def test_loss_gradients_match_finite_differences(kind: str) -> None:
    from thinc.api import NumpyOps

    ops, rng = NumpyOps(), np.random.default_rng(0)
    if kind == "characters":
        Y = rng.normal(size=(3, 2 * N_CHAR_CLASSES))
        gold = rng.integers(0, N_CHAR_CLASSES, size=(3, 2))
        weights = np.array([[1.0], [0.0], [1.0]], dtype="float32")  # token 1 is not predicted
        # The loss is summed over the predicted tokens (averaged over positions); the gradient is per predicted token.
        loss_of = lambda y: _character_loss(ops, y.copy(), gold, weights)[0] / 2  # noqa: E731
        _, d = _character_loss(ops, Y.copy(), gold, weights)
        assert np.all(d[1] == 0)
    else:
        Y, target = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
        known = np.array([[1.0], [1.0], [0.0], [1.0], [1.0]])
        loss_of = lambda y: _vector_loss(ops, y, target, known, kind)[0] / 4  # noqa: E731  (4 known words)
        _, d = _vector_loss(ops, Y, target, known, kind)
        assert np.all(d[2] == 0)  # no gradient for a word without a vector
    eps = 1e-6
    for i, j in [(0, 0), (1, 3), (2, 1)] + ([(2, int(gold[2, 0]))] if kind == "characters" else []):
        up, down = Y.copy(), Y.copy()
        up[i, j] += eps
        down[i, j] -= eps
        assert abs((loss_of(up) - loss_of(down)) / (2 * eps) - d[i, j]) < 1e-6


def test_pretraining_learns_and_saves_weights_per_epoch(pretrained: Path, raw_text: Path) -> None:
    names = sorted(p.name for p in pretrained.iterdir())
    assert names == ["config.cfg", "log.jsonl", "model0.bin", "model1.bin", "model2.bin", "objective0.bin", "objective1.bin", "objective2.bin"]
    log = [json.loads(line) for line in (pretrained / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [0, 1, 2]
    n_words = sum(len(d) for d in nbnlp.load_docs(raw_text))
    assert all(r["words"] == n_words for r in log)  # both record kinds are read
    losses = [r["loss"] for r in log]
    assert losses[0] > losses[1] > losses[2]
    assert losses[0] < np.log(N_CHAR_CLASSES) + 1  # starts near chance, per word per position
    msg = srsly.msgpack_loads((pretrained / "model2.bin").read_bytes())
    assert msg["nodes"][0]["name"] == "tok2vec"  # the tok2vec alone, not the objective's head


def params(model) -> list:
    return [(node.name, name, node.get_param(name).copy()) for node in model.walk() for name in node.param_names if node.has_param(name)]


def test_init_tok2vec_loads_the_pretrained_weights(pretrained: Path, raw_text: Path) -> None:
    config = small_config(raw_text)
    config["initialize"]["init_tok2vec"] = str(pretrained / "model2.bin")
    run = iter_training(config)
    loaded = params(run.nlp.get_pipe("tok2vec").model)
    reference = iter_training(small_config(raw_text)).nlp.get_pipe("tok2vec").model  # same architecture, its own init
    initial = params(reference)
    reference.from_bytes((pretrained / "model2.bin").read_bytes())
    expected = params(reference)
    assert len(loaded) == len(expected) > 0
    for (node, name, got), (_, _, want) in zip(loaded, expected):
        assert np.array_equal(got, want), (node, name)
    assert any(not np.array_equal(a[2], b[2]) for a, b in zip(initial, expected))  # loading changed the weights
    steps = list(run)  # and training goes on from them
    assert steps[-1].step == 5 and steps[-1].scores is not None


def test_mismatched_settings_say_what_differs(pretrained: Path, raw_text: Path) -> None:
    wider = small_config(raw_text, width=48)
    wider["initialize"]["init_tok2vec"] = str(pretrained / "model0.bin")
    with pytest.raises(ConfigError, match=r"initialize\.init_tok2vec: the pretrained weights do not fit .*encode\.width is 32 in the pretraining config, 48 here"):
        iter_training(wider)
    more_rows = small_config(raw_text, rows=[2000, 200, 500, 500])
    more_rows["initialize"]["init_tok2vec"] = str(pretrained / "model0.bin")
    with pytest.raises(ConfigError, match=r"embed\.rows is \[1000, 200, 500, 500\] in the pretraining config, \[2000, 200, 500, 500\] here"):
        iter_training(more_rows)
    # Without the pretraining config next to the weights, the layer dimensions are compared instead.
    lone = pretrained.parent / "lone"
    lone.mkdir(exist_ok=True)
    (lone / "weights.bin").write_bytes((pretrained / "model0.bin").read_bytes())
    more_rows["initialize"]["init_tok2vec"] = str(lone / "weights.bin")
    with pytest.raises(ConfigError, match=r"hashembed\) rows nV: 1000 pretrained, 2000 here"):
        iter_training(more_rows)
    missing = small_config(raw_text)
    missing["initialize"]["init_tok2vec"] = str(pretrained / "model9.bin")
    with pytest.raises(ConfigError, match=r"initialize\.init_tok2vec: no such file"):
        iter_training(missing)


def test_epoch_resume_continues_from_the_saved_epoch(pretrained: Path, raw_text: Path, tmp_path: Path) -> None:
    out = tmp_path / "resume"
    out.mkdir()
    for name in ("config.cfg", "log.jsonl", "model1.bin", "objective1.bin"):
        (out / name).write_bytes((pretrained / name).read_bytes())
    result = pretrain(small_config(raw_text, epochs=3), out, epoch_resume=1)
    assert [r["epoch"] for r in result.epochs] == [2] and (out / "model2.bin").exists()
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [0, 1, 2]
    assert log[2]["loss"] < log[1]["loss"]  # the tok2vec and the head carried on
    with pytest.raises(FileNotFoundError, match="no .*model7.bin to resume from"):
        pretrain(small_config(raw_text), out, epoch_resume=7)


def test_vectors_objective_with_cosine_loss(raw_text: Path, tmp_path: Path) -> None:
    nlp = nbnlp.blank("en")
    words = sorted({w for d in nbnlp.load_docs(raw_text) for w in d.words})
    table = Vectors(np.random.default_rng(0).normal(size=(len(words), 10)).astype("float32"), words)
    nlp.vocab.vectors = table
    nlp.to_disk(tmp_path / "vectors")
    config = small_config(raw_text, epochs=3)
    config["initialize"]["vectors"] = str(tmp_path / "vectors")
    config["pretraining"]["objective"] = {"@architectures": "nbnlp.PretrainVectors.v1", "loss": "cosine", "hidden_size": 32, "maxout_pieces": 2}
    result = pretrain(config, tmp_path / "out")
    losses = [r["loss"] for r in result.epochs]
    assert losses[0] > losses[-1] and losses[-1] < 1.0  # 1 - cosine: below 1 means better than orthogonal
    config["initialize"]["vectors"] = None
    with pytest.raises(ConfigError, match=r"pretraining\.objective: the vectors objective needs a vectors table"):
        iter_pretrain(config, tmp_path / "out2")


def test_config_problems_are_listed(raw_text: Path, tmp_path: Path) -> None:
    config = small_config(raw_text)
    config["pretraining"]["max_epoch"] = 3
    config["pretraining"]["component"] = "tagr"
    with pytest.raises(ConfigError) as err:
        iter_pretrain(config, tmp_path)
    text = str(err.value)
    assert "pretraining.max_epoch: unknown setting; did you mean 'pretraining.max_epochs'?" in text
    assert "pretraining.component: no such component in the pipeline" in text
    no_section = load_config(init_config(pipeline=["tagger"]), interpolate=False)
    with pytest.raises(ConfigError, match=r"pretraining: the config has no \[pretraining\] section"):
        iter_pretrain(no_section, tmp_path)
    no_text = small_config(raw_text)
    no_text["paths"]["raw_text"] = str(tmp_path / "missing.jsonl")
    with pytest.raises(ConfigError, match=r"paths\.raw_text: no such file or folder"):
        iter_pretrain(no_text, tmp_path)


def test_cli_pretrain_with_overrides(raw_text: Path, tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.cfg"
    assert main(["init-config", str(config), "--pipeline", "ner", "--pretraining"]) == 0
    args = ["pretrain", str(config), str(tmp_path / "out"), "--paths.raw_text", str(raw_text), "--pretraining.max_epochs", "1",
            "--components.tok2vec.model.encode.width", "16", "--components.tok2vec.model.encode.depth", "1",
            "--pretraining.objective.hidden_size", "16", "--corpora.pretrain.limit", "60"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "LOSS/WORD" in out and "model0.bin" in out and "init_tok2vec" in out
    assert (tmp_path / "out" / "model0.bin").exists()


def test_dropout_schedule_goes_on_across_epoch_resume(raw_text: Path, tmp_path: Path, monkeypatch) -> None:
    """`[pretraining] dropout` may be a schedule, counted in batches over every epoch: a run resumed with
    --epoch-resume uses exactly the rates the uninterrupted run used for its later epochs."""
    from nbnlp.core.commands import pretrain as pretrain_module

    rates: list[float] = []
    real = pretrain_module.set_dropout_rate
    monkeypatch.setattr(pretrain_module, "set_dropout_rate", lambda model, rate: (rates.append(rate), real(model, rate))[1])
    config = small_config(raw_text, width=16, epochs=2, rows=[200, 50, 100, 100])
    config["corpora"]["pretrain"]["limit"] = 60
    config["pretraining"]["batcher"]["size"] = 300
    config["pretraining"]["dropout"] = {"@schedules": "warmup_linear.v1", "initial_rate": 0.5, "warmup_steps": 2, "total_steps": 20}
    full = pretrain(config, tmp_path / "full")
    epoch0 = full.epochs[0]["steps"]
    assert len(set(rates)) > 3 and len(rates) == full.steps and max(rates) <= 0.5  # a new rate each batch
    full_rates = list(rates)
    rates.clear()
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    for name in ("config.cfg", "log.jsonl", "model0.bin", "objective0.bin"):
        (resumed / name).write_bytes((tmp_path / "full" / name).read_bytes())
    pretrain(config, resumed, epoch_resume=0)
    assert rates == full_rates[epoch0:]
    config["pretraining"]["dropout"] = {"@schedules": "constant.v1", "rate": 1.5}
    with pytest.raises(ConfigError, match=r"pretraining\.dropout: the schedule's rate at step 0 is outside"):
        iter_pretrain(config, tmp_path / "bad")
