"""The training loop, checkpoints, interrupts, config checks, loggers and device selection."""
import io
import json
import zlib
from typing import Any, Callable

import numpy as np
import pytest
from thinc.api import HashEmbed, Model, Softmax, chain, with_array

import nbnlp
from nbnlp.core.config import ConfigError
from nbnlp.core.language import Language
from nbnlp.core.pipeline.component import TrainableComponent
from nbnlp.core.pipeline.factory import factory
from nbnlp.core.registry import registry
from nbnlp.core.scorer import score_token_attr
from nbnlp.core.training import (
    StepInfo,
    TrainingTable,
    configure_batch_by_sequence,
    configure_batch_by_words,
    create_corpus,
    iter_training,
    train,
    weighted_score,
)
from nbnlp.data import demo_path
from nbnlp.gpu import DeviceError, device_info, select_device


# ----- a tiny trainable component: tag from a hashed word embedding ---------------------------
def _orth_ids() -> Model:
    def forward(model: Model, docs: list, is_train: bool) -> tuple[list, Callable]:
        # Hash the word text: string ids depend on the order strings were added, so they differ after loading.
        keys = [np.array([zlib.crc32(w.lower().encode()) for w in d.words], dtype="uint64") for d in docs]
        return [model.ops.asarray(k) for k in keys], lambda d: []

    return Model("orth_ids", forward)


class TinyTagger(TrainableComponent):
    """Predicts TAG per token; enough to exercise the loop without the real tagger."""

    def __init__(self, nlp: Any, name: str) -> None:
        model = chain(_orth_ids(), with_array(chain(HashEmbed(16, 500), Softmax())))
        super().__init__(nlp, name, model)

    def initialize(self, get_examples: Callable, *, nlp: Any = None) -> None:
        labels = set()
        for eg in get_examples():
            labels.update(t for t in eg.get_aligned("TAG", as_string=True) if t)
        self._set_labels(sorted(labels))
        self.prepare_model_for_load()
        self.model.initialize()

    def prepare_model_for_load(self) -> None:
        softmax = self.model.layers[-1].layers[0].layers[-1]
        softmax.set_dim("nO", len(self.labels), force=True)
        softmax.set_dim("nI", 16, force=True)

    def get_cfg(self) -> dict:
        return {"labels": self.labels}

    def set_cfg(self, cfg: dict) -> None:
        self._set_labels(cfg["labels"])

    def predict(self, docs: list) -> list:
        return self.model.predict(docs)

    def set_annotations(self, docs: list, scores: list) -> None:
        ids = self.vocab.strings.add_many(self.labels)
        for doc, s in zip(docs, scores):
            doc.arrays["TAG"][:] = ids[np.asarray(s).argmax(axis=1)] if len(doc) else []

    def get_loss(self, examples: list, scores: list) -> tuple[float, list]:
        index = {label: i for i, label in enumerate(self.labels)}
        grads, loss = [], 0.0
        for eg, s in zip(examples, scores):
            gold = np.zeros_like(s)
            mask = np.zeros((len(s), 1), dtype=s.dtype)
            for i, tag in enumerate(eg.get_aligned("TAG", as_string=True)):
                if tag in index:
                    gold[i, index[tag]] = 1.0
                    mask[i] = 1.0
            d = (s - gold) * mask
            grads.append(d)
            loss += float((d**2).sum())
        return loss, grads

    def score(self, examples: list, **kwargs: Any) -> dict:
        return score_token_attr(examples, "TAG")


@factory("tiny_tagger", default_score_weights={"tag_acc": 1.0})
def make_tiny_tagger(nlp: Any, name: str) -> TinyTagger:
    return TinyTagger(nlp, name)


@registry.callbacks("test.interrupt_at.v1")
def interrupt_at(step: int) -> Callable[[Language, dict], None]:
    """Raises KeyboardInterrupt before the update of `step` (1-based), like Ctrl-C mid-run."""

    def before_update(nlp: Language, info: dict) -> None:
        if info["step"] + 1 >= step:
            raise KeyboardInterrupt

    return before_update


def make_config(**training: Any) -> str:
    settings = {"max_steps": 30, "eval_frequency": 10, "patience": 0, "max_epochs": 0, "dropout": 0.1, **training}
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    return f"""
[paths]
train = "{demo_path('ewt-train')}"
dev = "{demo_path('ewt-dev')}"

[system]
seed = 1
gpu_id = -1

[nlp]
lang = "en"
pipeline = ["tiny", "other"]

[components]

[components.tiny]
factory = "tiny_tagger"

[components.other]
factory = "tiny_tagger"

[corpora]

[corpora.train]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.train}}

[corpora.dev]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.dev}}
limit = 60

[training]
{lines}

[training.batcher]
@batchers = "nbnlp.batch_by_words.v1"
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.01
use_averages = true

[training.score_weights]
tag_acc = 1.0
token_acc = null
"""


def weights_of(nlp: Language, name: str) -> list[np.ndarray]:
    model = nlp.get_pipe(name).model
    return [node.get_param(p).copy() for node in model.walk() for p in node.param_names if node.has_param(p)]


# ----- the loop ----------------------------------------------------------------------------
def test_steps_scores_and_checkpoints(tmp_path: Any) -> None:
    run = iter_training(make_config(), tmp_path)
    infos = list(run)
    assert [i.step for i in infos] == list(range(1, 31))
    assert all(isinstance(i, StepInfo) for i in infos)
    evals = [i for i in infos if i.is_evaluation]
    assert [i.step for i in evals] == [10, 20, 30]
    for info in evals:
        assert 0.0 <= info.score <= 1.0 and "tag_acc" in info.scores and "speed" in info.scores
        assert info.best_score is not None and info.best_step is not None
    assert evals[0].is_best and evals[-1].stop_reason == "max_steps"
    assert infos[5].scores is None and infos[5].losses["tiny"] > 0
    assert infos[-1].words > infos[0].words > 0
    result = run.result
    assert result is not None and not result.interrupted and result.stop_reason == "max_steps"
    assert result.best_score == max(i.score for i in evals)
    assert len(result.history) == 3 and result.final_scores == evals[-1].scores
    best = nbnlp.core.language.load(result.model_best)
    last = nbnlp.core.language.load(result.model_last)
    assert best.meta["performance"]["tag_acc"] == pytest.approx(
        next(i for i in evals if i.step == result.best_step).scores["tag_acc"]
    )
    assert last.meta["training"]["steps"] == 30 and last.meta["seed"] == 1
    assert best.pipe_names == ["tiny", "other"]
    # The returned pipeline carries the best weights, as saved in model-best.
    for a, b in zip(weights_of(result.nlp, "tiny"), weights_of(best, "tiny")):
        np.testing.assert_allclose(a, b)
    dev = list(create_corpus(str(demo_path("ewt-dev")), limit=60)(best))
    assert best.evaluate(dev)["tag_acc"] == pytest.approx(best.meta["performance"]["tag_acc"])


def test_training_learns_something(tmp_path: Any) -> None:
    result = train(make_config(max_steps=60, eval_frequency=20), None, stdout=io.StringIO())
    assert result.history[-1].scores["tag_acc"] > 0.3
    assert result.model_best is None and result.model_last is None


def test_interrupt_from_inside_the_loop(tmp_path: Any) -> None:
    config = make_config() + '\n[training.before_update]\n@callbacks = "test.interrupt_at.v1"\nstep = 25\n'
    out = io.StringIO()
    result = train(config, tmp_path, stdout=out, stderr=io.StringIO())
    assert result.interrupted and result.steps == 24
    assert (tmp_path / "model-best" / "config.cfg").exists() and (tmp_path / "model-last" / "config.cfg").exists()
    assert result.best_step in (10, 20) and len(result.history) == 2
    assert nbnlp.core.language.load(tmp_path / "model-last").meta["training"]["steps"] == 24
    for a, b in zip(weights_of(result.nlp, "tiny"), weights_of(nbnlp.core.language.load(tmp_path / "model-best"), "tiny")):
        np.testing.assert_allclose(a, b)


def test_generator_interrupt_reaches_consumer_and_saves(tmp_path: Any) -> None:
    config = make_config() + '\n[training.before_update]\n@callbacks = "test.interrupt_at.v1"\nstep = 15\n'
    run = iter_training(config, tmp_path)
    seen = []
    with pytest.raises(KeyboardInterrupt):
        for info in run:
            seen.append(info.step)
    assert seen[-1] == 14
    assert run.result is not None and run.result.interrupted
    assert (tmp_path / "model-best").exists() and (tmp_path / "model-last").exists()


def test_closing_the_generator_saves(tmp_path: Any) -> None:
    run = iter_training(make_config(), tmp_path)
    for info in run:
        if info.step == 12:
            break
    run.close()
    assert run.result.interrupted and run.result.steps == 12 and run.result.best_step == 10
    assert (tmp_path / "model-best").exists() and (tmp_path / "model-last").exists()


def test_patience_stops_early() -> None:
    # With a zero learning rate nothing improves after the first evaluation.
    config = make_config(max_steps=200, eval_frequency=5, patience=10).replace("learn_rate = 0.01", "learn_rate = 0.0")
    infos = list(iter_training(config))
    assert infos[-1].step == 15 and infos[-1].stop_reason == "patience"


def test_max_epochs() -> None:
    config = make_config(max_steps=0, max_epochs=1, eval_frequency=1000)
    config = config.replace("[corpora.train]\n", "[corpora.train]\nlimit = 100\n")
    config = config.replace("[training.batcher.size]\n@schedules", "[training.batcher.unused]\n@schedules")
    config = config.replace("tolerance = 0.2\n", "tolerance = 0.2\nsize = 200\n")
    with pytest.raises(ConfigError, match="training.batcher.unused"):
        iter_training(config)  # the renamed block is an unexpected argument
    config = config.split("[training.batcher.unused]")[0] + "[training.optimizer]" + config.split("[training.optimizer]")[1]
    infos = list(iter_training(config))
    assert {i.epoch for i in infos} == {0}
    assert infos[-1].stop_reason == "max_epochs" and infos[-1].is_evaluation
    n_words = sum(len(eg.reference) for eg in create_corpus(str(demo_path("ewt-train")), limit=100)(Language("en")))
    assert abs(infos[-1].words - n_words) < n_words * 0.1  # one pass (retokenized, so roughly)


def test_frozen_components_not_updated() -> None:
    run = iter_training(make_config(max_steps=12, frozen_components=["other"]))
    before_other, before_tiny = weights_of(run.nlp, "other"), weights_of(run.nlp, "tiny")
    infos = list(run)
    assert "other" not in infos[-1].losses
    for a, b in zip(before_other, weights_of(run.nlp, "other")):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(before_tiny, weights_of(run.nlp, "tiny")))


def test_accumulate_gradient_updates_once_per_batch() -> None:
    run = iter_training(make_config(max_steps=4, eval_frequency=4, accumulate_gradient=3))
    infos = list(run)
    assert [i.step for i in infos] == [1, 2, 3, 4]
    assert run.optimizer.nr_update and max(run.optimizer.nr_update.values()) == 4
    assert infos[-1].losses["tiny"] > 0


def test_corpus_groups_sentences_into_documents() -> None:
    nlp = nbnlp.blank("en")
    single = list(create_corpus(str(demo_path("ewt-dev")))(nlp))
    grouped = list(create_corpus(str(demo_path("ewt-dev")), n_sents=10)(nlp))
    assert len(single) == 200 and 20 <= len(grouped) < 40  # a `# newdoc` also starts a document
    assert sum(len(eg.reference) for eg in grouped) == sum(len(eg.reference) for eg in single)
    n_sents = [len(list(eg.reference.sents)) for eg in grouped]
    assert max(n_sents) == 10 and sum(n_sents) == 200
    # The predicted side is the document's raw text, tokenized by the pipeline (no sentence starts).
    assert all(eg.predicted.text == eg.reference.text and not eg.predicted.has_annotation("SENT_START") for eg in grouped)
    with pytest.raises(ValueError, match="n_sents must be at least 1"):
        create_corpus(str(demo_path("ewt-dev")), n_sents=0)


def test_batchers() -> None:
    items = [[0] * n for n in (3, 4, 5, 30, 2, 9)]
    batches = list(configure_batch_by_words(10, tolerance=0.2)(items))
    assert [len(x) for b in batches for x in b] == [3, 4, 5, 30, 2, 9]
    assert all(sum(map(len, b)) <= 12 or len(b) == 1 for b in batches)
    assert [30] not in [[len(x) for x in b] for b in configure_batch_by_words(10, discard_oversize=True)(items)]
    assert [len(b) for b in configure_batch_by_sequence(4)(range(10))] == [4, 4, 2]
    growing = configure_batch_by_sequence(iter([1.0, 2.0, 3.0]))  # a finite schedule keeps its last value
    assert [len(b) for b in growing(range(9))] == [1, 2, 3, 3]


def test_weighted_score() -> None:
    assert weighted_score({"a": 0.5, "b": 1.0}, {"a": 0.5, "b": 0.5}) == pytest.approx(0.75)
    assert weighted_score({"a": 0.5, "b": None}, {"a": 0.5, "b": 0.5}) == pytest.approx(0.5)
    assert weighted_score({"a": 0.5, "c": 0.1}, {"a": 1.0, "c": None}) == pytest.approx(0.5)


def test_default_score_weights_from_factories() -> None:
    config = make_config().replace("[training.score_weights]\ntag_acc = 1.0\ntoken_acc = null\n", "")
    run = iter_training(config)
    assert run.settings.score_weights == {"tag_acc": pytest.approx(1.0)}


def test_with_the_real_tok2vec_and_tagger(tmp_path: Any) -> None:
    config = make_config(max_steps=40, eval_frequency=20)
    config = config.replace('pipeline = ["tiny", "other"]', 'pipeline = ["tok2vec", "tagger"]')
    config = config.replace('factory = "tiny_tagger"\n\n[components.other]\nfactory = "tiny_tagger"', 'factory = "tok2vec"\n\n[components.tagger]\nfactory = "tagger"')
    config = config.replace("[components.tiny]", "[components.tok2vec]")
    config = config.replace("[training.score_weights]\ntag_acc = 1.0\ntoken_acc = null\n", "")  # the tagger's defaults
    result = train(config, tmp_path, stdout=io.StringIO())
    assert [i.step for i in result.history] == [20, 40]
    assert result.history[-1].scores["tag_acc"] > 0.2 and result.best_score == pytest.approx(max(i.score for i in result.history))
    best = nbnlp.core.language.load(result.model_best)
    assert best.pipe_names == ["tok2vec", "tagger"] and best("A short test.").has_annotation("TAG")


# ----- config problems ----------------------------------------------------------------------
def test_several_problems_in_one_error() -> None:
    with pytest.raises(ConfigError) as err:
        iter_training(make_config(dropout=2.0, eval_frequency=0, frozen_components=["nope"], max_epochs=-1))
    locs = {p.loc for p in err.value.problems}
    assert {"training.dropout", "training.eval_frequency", "training.frozen_components", "training.max_epochs"} <= locs
    text = str(err.value)
    assert "training.dropout" in text and "given 2.0" in text


def test_unknown_training_key_with_hint() -> None:
    with pytest.raises(ConfigError) as err:
        iter_training(make_config(max_step=10))
    assert any(p.loc == "training.max_step" and "max_steps" in p.message for p in err.value.problems)


def test_bad_block_settings_are_located() -> None:
    with pytest.raises(ConfigError) as err:
        iter_training(make_config(), overrides={"training.batcher.tolerance": "lots", "training.optimizer.@optimizers": "Adamm.v1"})
    locs = {p.loc for p in err.value.problems}
    assert "training.batcher.tolerance" in locs and "training.optimizer.@optimizers" in locs


def test_missing_corpus_path_names_paths_train(tmp_path: Any) -> None:
    with pytest.raises(ConfigError) as err:
        iter_training(make_config(), overrides={"paths.train": None, "paths.dev": str(tmp_path / "nope.conllu")})
    locs = {p.loc for p in err.value.problems}
    assert locs == {"paths.train", "paths.dev"}


def test_unknown_score_weight() -> None:
    with pytest.raises(ConfigError) as err:
        iter_training(make_config(), overrides={"training.score_weights": {"tag_ac": 1.0}})
    assert "tag_acc" in str(err.value) and err.value.problems[0].loc == "training.score_weights.tag_ac"


# ----- loggers ------------------------------------------------------------------------------
def test_console_table_header_and_rows() -> None:
    out = io.StringIO()
    train(make_config(max_steps=20), stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    header = next(line for line in lines if line.startswith("E "))
    assert header.split() == ["E", "#", "LOSS", "TINY", "LOSS", "OTHER", "TAG_ACC", "TOKEN_ACC", "SCORE"]
    rows = [line.split() for line in lines if line.strip() and line.split()[0].isdigit()]
    assert [r[1] for r in rows] == ["10", "20"]
    assert 0 <= float(rows[-1][4]) <= 100 and 0 <= float(rows[-1][-1]) <= 100  # SCORE is a percentage too


def test_table_is_reusable() -> None:
    table = TrainingTable(["tagger"], ["tag_acc", "speed"])
    info = StepInfo(epoch=0, step=10, losses={"tagger": 1.5}, words=100, seconds=1.0, scores={"tag_acc": 0.9234, "speed": 1234.5}, score=0.9234)
    assert table.headers() == ["E", "#", "LOSS TAGGER", "TAG_ACC", "SPEED", "SCORE"]
    assert table.row(info) == ["0", "10", "1.50", "92.34", "1,234", "92.34"]


def test_jsonl_logger_one_line_per_evaluation(tmp_path: Any) -> None:
    log = tmp_path / "logs" / "train.jsonl"
    config = make_config() + f'\n[training.logger]\n@loggers = "nbnlp.JSONLLogger.v1"\npath = "{log}"\n'
    train(config, stdout=io.StringIO())
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in records] == [10, 20, 30]
    assert {"step", "epoch", "losses", "scores", "score", "words", "seconds"} <= set(records[0])


# ----- device -------------------------------------------------------------------------------
def test_cpu_device() -> None:
    assert select_device(-1) == "cpu"
    assert device_info()["ops"] == "NumpyOps"


def test_gpu_request_without_gpu_is_one_clear_error() -> None:
    try:
        import cupy  # noqa: F401

        pytest.skip("cupy is installed here")
    except ImportError:
        pass
    with pytest.raises(DeviceError, match=r"^GPU 0 requested, but cupy is not installed"):
        select_device(0)
    with pytest.raises(DeviceError):
        iter_training(make_config(), use_gpu=0)
