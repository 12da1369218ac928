"""Starting from trained pipelines: `[components.NAME] source`, `frozen_components`, `annotating_components`, and
`nbnlp train --base-model` (labels kept, new ones added, output layers grown with the trained rows kept)."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from thinc.api import Model

import nbnlp
from nbnlp.core.config import ConfigError, load_config
from nbnlp.core.language import Language
from nbnlp.core.models.listener import find_listener_layers
from nbnlp.core.pipeline.component import Component
from nbnlp.core.pipeline.factory import factory
from nbnlp.core.pipeline.resize import add_labels
from nbnlp.core.training import train
from nbnlp.core.training.blocks import resolve_corpus
from nbnlp.core.training.check import check_config
from nbnlp.core.training.setup import prepare_training
from nbnlp.data import demo_path

TEXTS = ["I went to Paris with John Smith yesterday.", "The Microsoft office in London is closed on Sundays."]
QUIET = {"stdout": io.StringIO(), "stderr": io.StringIO()}


def corpora(train_path: Any, dev_path: Any, limit: int = 100) -> str:
    return f"""
[paths]
train = "{train_path}"
dev = "{dev_path}"

[corpora]
[corpora.train]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.train}}
limit = {limit}
[corpora.dev]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.dev}}
limit = 20
"""


def config(pipeline: list[str], components: str, corpus: str = "ewt", training: str = "", limit: int = 100) -> str:
    names = ", ".join(f'"{n}"' for n in pipeline)
    return (f'[nlp]\nlang = "en"\npipeline = [{names}]\n\n[components]\n{components}\n'
            + corpora(demo_path(f"{corpus}-train"), demo_path(f"{corpus}-dev"), limit)
            + f"\n[training]\nmax_steps = 4\neval_frequency = 2\n{training}\n")


def weights(model: Model) -> list[np.ndarray]:
    return [np.array(node.get_param(name)) for node in model.walk() for name in node.param_names if node.has_param(name)]


def same_weights(a: Model, b: Model) -> bool:
    wa, wb = weights(a), weights(b)
    return len(wa) == len(wb) and all(x.shape == y.shape and (x == y).all() for x, y in zip(wa, wb))


def initialized(cfg_text: str) -> Language:
    """The pipeline of `cfg_text`, initialised on its training corpus as `train` does."""
    cfg = load_config(cfg_text)
    nlp = Language.from_config(cfg)
    reader = resolve_corpus(cfg, cfg, "corpora.train", [])
    nlp.initialize(lambda: reader(nlp))
    return nlp


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two short-trained pipelines: tok2vec + tagger on EWT, tok2vec + NER on UNER without its ORG entities."""
    root = tmp_path_factory.mktemp("sources")
    no_org = root / "uner-no-org.iob2"
    no_org.write_text(demo_path("uner-train").read_text(encoding="utf8").replace("\tB-ORG\t", "\tO\t").replace("\tI-ORG\t", "\tO\t"), encoding="utf8")
    tagger = "[components.tok2vec]\nfactory = \"tok2vec\"\n[components.tagger]\nfactory = \"tagger\"\n"
    ner = "[components.tok2vec]\nfactory = \"tok2vec\"\n[components.ner]\nfactory = \"ner\"\n"
    train(config(["tok2vec", "tagger"], tagger), root / "tag", **QUIET)
    train(config(["tok2vec", "ner"], ner, "uner").replace(str(demo_path("uner-train")), str(no_org)), root / "ner", **QUIET)
    return {"tag": root / "tag" / "model-last", "ner": root / "ner" / "model-last", "uner_no_org": no_org}


# ----- sourcing -----------------------------------------------------------------------------------------
def test_tagger_sourced_with_its_tok2vec_listens_to_it(sources):
    src = nbnlp.load(sources["tag"])
    cfg = config(["tok2vec", "tagger"], f'[components.tok2vec]\nsource = "{sources["tag"]}"\n[components.tagger]\nsource = "{sources["tag"]}"\ncomponent = "tagger"\n')
    nlp = initialized(cfg)  # initialize keeps sourced weights (same labels in the data: nothing to add)
    tagger = nlp.get_pipe("tagger")
    assert find_listener_layers(tagger.model) and tagger.model.get_ref("tok2vec") in nlp.get_pipe("tok2vec")._active_listeners()
    assert same_weights(tagger.model, src.get_pipe("tagger").model) and same_weights(nlp.get_pipe("tok2vec").model, src.get_pipe("tok2vec").model)
    assert tagger.labels == src.get_pipe("tagger").labels
    assert [[t.tag_ for t in nlp(x)] for x in TEXTS] == [[t.tag_ for t in src(x)] for x in TEXTS]
    block = nlp.config["components"]["tagger"]
    assert "source" not in block and block["factory"] == "tagger" and block["model"]["tok2vec"]["@architectures"] == "nbnlp.Tok2VecListener.v1"


def test_ner_sourced_alone_gets_its_own_tok2vec_and_loads_without_its_source(sources, tmp_path):
    folder = tmp_path / "ner-src"
    shutil.copytree(sources["ner"], folder)
    src = nbnlp.load(folder)
    cfg = config(["tok2vec", "tagger", "ner"], f'[components.tok2vec]\nfactory = "tok2vec"\n[components.tagger]\nfactory = "tagger"\n'
                 f'[components.ner]\nsource = "{folder}"\n')
    nlp = initialized(cfg)  # a new tok2vec and tagger: the NER must not listen to them
    ner = nlp.get_pipe("ner")
    assert not find_listener_layers(ner.model) and len(nlp.get_pipe("tok2vec")._active_listeners()) == 1
    docs = [nlp.make_doc(x) for x in TEXTS]
    expected = src.get_pipe("ner").predict(list(src.get_pipe("tok2vec").pipe([src.make_doc(x) for x in TEXTS])))
    assert all(np.array_equal(a, b) for a, b in zip(ner.predict(docs), expected))
    block = nlp.config["components"]["ner"]
    assert "source" not in block and block["model"]["tok2vec"] == src.config["components"]["tok2vec"]["model"]
    nlp.to_disk(tmp_path / "saved")
    assert "source" not in (tmp_path / "saved" / "config.cfg").read_text()
    shutil.rmtree(folder)
    loaded = nbnlp.load(tmp_path / "saved")
    assert [[(e.text, e.label_) for e in loaded(x).ents] for x in TEXTS] == [[(e.text, e.label_) for e in nlp(x).ents] for x in TEXTS]
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_pipe("ner").predict([loaded.make_doc(x) for x in TEXTS]), expected))


def test_sourced_component_brings_its_static_vectors(tmp_path):
    from nbnlp.core.commands.init_vectors import init_vectors
    from test_vectors import vectors_config, write_vectors

    words = sorted({w for doc in nbnlp.load_docs(demo_path("ewt-train")) for w in doc.words})[:300]
    data = np.random.default_rng(0).normal(size=(len(words), 12)).astype("float32")
    init_vectors("en", write_vectors(tmp_path / "v.vec", words, data), tmp_path / "vectors")
    with_vectors = vectors_config(str(tmp_path / "vectors"))
    with_vectors["training"].update({"max_steps": 2, "eval_frequency": 2})
    with_vectors["corpora"]["train"]["limit"] = with_vectors["corpora"]["dev"]["limit"] = 20
    src = train(with_vectors, tmp_path / "src", **QUIET).nlp
    nlp = Language.from_config(load_config(config(["tagger"], f'[components.tagger]\nsource = "{tmp_path / "src" / "model-last"}"\n')))
    assert nlp.vocab.vectors.shape == (300, 12)
    source = nbnlp.load(tmp_path / "src" / "model-last")
    assert [[t.tag_ for t in nlp(x)] for x in TEXTS] == [[t.tag_ for t in source(x)] for x in TEXTS]
    assert src.vocab.vectors.shape == (300, 12)
    # Another table for the pipeline ([initialize] vectors) would give the sourced layers other rows: refused.
    init_vectors("en", write_vectors(tmp_path / "w.vec", words, data[::-1].copy()), tmp_path / "other")
    other = config(["tagger"], f'[components.tagger]\nsource = "{tmp_path / "src" / "model-last"}"\n') + (
        f'\n[initialize]\nvectors = "{tmp_path / "other"}"\n')
    with pytest.raises(ConfigError, match="components.tagger.source: its static vectors were trained with its source's table"):
        initialized(other)


def test_replace_listeners_copies_a_tok2vec_sourced_with_it(sources):
    cfg = config(["tok2vec", "tagger"], f'[components.tok2vec]\nsource = "{sources["tag"]}"\n[components.tagger]\nsource = "{sources["tag"]}"\n'
                 'replace_listeners = ["model.tok2vec"]\n')
    nlp = Language.from_config(load_config(cfg))
    assert not find_listener_layers(nlp.get_pipe("tagger").model)
    assert nlp.config["components"]["tagger"]["model"]["tok2vec"]["@architectures"] == "nbnlp.Tok2Vec.v1"


def test_frozen_sourced_component_unchanged_while_another_trains(sources, tmp_path):
    src = nbnlp.load(sources["tag"])
    cfg = config(["tok2vec", "ner", "tagger"], f'[components.tok2vec]\nfactory = "tok2vec"\n[components.ner]\nfactory = "ner"\n'
                 f'[components.tagger]\nsource = "{sources["tag"]}"\n', "uner", 'frozen_components = ["tagger"]')
    result = train(cfg, tmp_path / "run", **QUIET)
    assert result.steps == 4
    for nlp in (result.nlp, nbnlp.load(tmp_path / "run" / "model-last")):
        tagger = nlp.get_pipe("tagger").model  # with its own copy of the source's tok2vec
        assert same_weights(tagger.get_ref("tok2vec"), src.get_pipe("tok2vec").model)
        assert same_weights(tagger.get_ref("output_layer"), src.get_pipe("tagger").model.get_ref("output_layer"))
        assert not same_weights(nlp.get_pipe("tok2vec").model, src.get_pipe("tok2vec").model)
        assert [[t.tag_ for t in nlp(x)] for x in TEXTS] == [[t.tag_ for t in src(x)] for x in TEXTS]
    # Labels given to a frozen component that it does not have: said, not ignored.
    (tmp_path / "tagger.json").write_text(json.dumps([*src.get_pipe("tagger").labels, "NEWTAG"]))
    given = cfg + (f'\n[initialize.components.tagger.labels]\n@readers = "nbnlp.read_labels.v1"\npath = "{tmp_path / "tagger.json"}"\n')
    with pytest.raises(ConfigError, match=r"initialize.components.tagger.labels: the component is frozen .*NEWTAG"):
        initialized(given)


def test_a_component_disabled_in_its_source_can_be_sourced(sources, tmp_path):
    source = nbnlp.load(sources["tag"])
    source.disable_pipe("tagger")
    source.to_disk(tmp_path / "disabled")
    nlp = Language.from_config(load_config(config(["tok2vec", "tagger"], f'[components.tok2vec]\nsource = "{tmp_path / "disabled"}"\n'
                                                  f'[components.tagger]\nsource = "{tmp_path / "disabled"}"\n')))
    assert nlp.pipe_names == ["tok2vec", "tagger"]
    assert nlp.get_pipe("tagger").labels == nbnlp.load(sources["tag"]).get_pipe("tagger").labels
    text = "The new library opens next week."
    assert [t.tag_ for t in nlp(text)] == [t.tag_ for t in nbnlp.load(sources["tag"])(text)]


def test_frozen_tok2vec_feeding_trained_components_must_annotate(sources):
    cfg = config(["tok2vec", "tagger"], f'[components.tok2vec]\nsource = "{sources["tag"]}"\n[components.tagger]\nfactory = "tagger"\n',
                 training='frozen_components = ["tok2vec"]')
    with pytest.raises(ConfigError, match="training.frozen_components.*annotating_components"):
        prepare_training(cfg)
    # The config check (%%nlp_config, fill-config) says it before any training.
    assert any(p.loc == "training.frozen_components" for p in check_config(cfg).problems)
    # An annotating component that is disabled would never run: refused, not ignored.
    disabled = cfg.replace('[nlp]\n', '[nlp]\ndisabled = ["tagger"]\n', 1).replace(
        'frozen_components = ["tok2vec"]', 'frozen_components = ["tok2vec"]\nannotating_components = ["tok2vec", "tagger"]')
    assert "'tagger' is disabled" in str(check_config(disabled).problems)


# ----- annotating components ------------------------------------------------------------------------------
SEEN: list[list[str]] = []


class TagProbe(Component):
    """Trains on nothing: records the tags the docs it is updated on already carry."""

    is_trainable = True

    def update(self, examples: Any, *, drop: float = 0.0, sgd: Any = None, losses: Any = None) -> Any:
        SEEN.append([t.tag_ for eg in examples for t in eg.predicted])
        return losses

    def finish_update(self, sgd: Any) -> None:
        pass


@factory("test_tag_probe")
def make_tag_probe(nlp: Any, name: str) -> TagProbe:
    return TagProbe()


def test_annotating_component_tags_docs_before_later_components_update(sources, tmp_path):
    comps = f'[components.tagger]\nsource = "{sources["tag"]}"\n[components.probe]\nfactory = "test_tag_probe"\n'
    SEEN.clear()
    train(config(["tagger", "probe"], comps, training='frozen_components = ["tagger"]'), tmp_path / "plain", **QUIET)
    assert SEEN and not any(any(tags) for tags in SEEN)  # not annotating: the probe sees untagged docs
    SEEN.clear()
    train(config(["tagger", "probe"], comps, training='frozen_components = ["tagger"]\nannotating_components = ["tagger"]'),
          tmp_path / "annotating", **QUIET)
    assert len(SEEN) == 4 and all(tags and all(tags) for tags in SEEN)
    with pytest.raises(ConfigError, match="training.annotating_components"):
        prepare_training(config(["tagger", "probe"], comps, training='annotating_components = ["parser"]'))
    # Updated and annotating: the tags are the tagger's own predictions on those docs.
    nlp = initialized(config(["tagger", "probe"], comps))
    docs = [nlp.make_doc(x) for x in TEXTS]
    from nbnlp import Example

    SEEN.clear()
    nlp.update([Example(d, nlp.make_doc(d.text)) for d in docs], annotates=["tagger"])
    assert SEEN[0] == [t.tag_ for x in TEXTS for t in nbnlp.load(sources["tag"])(x)]


# ----- --base-model -------------------------------------------------------------------------------------
NER_CONFIG = '[components.tok2vec]\nfactory = "tok2vec"\n[components.ner]\nfactory = "ner"\n'


def test_base_model_keeps_trained_rows_and_adds_new_labels(sources, tmp_path):
    base = nbnlp.load(sources["ner"])
    old = base.get_pipe("ner")
    assert "ORG" not in old.labels
    setup = prepare_training(config(["tok2vec", "ner"], NER_CONFIG, "uner"), base_model=sources["ner"])
    ner = setup.nlp.get_pipe("ner")
    assert ner.labels == (*old.labels, "ORG")
    assert setup.substitutions == [f"Base model {sources['ner']}: tok2vec, ner continue from it (its settings, weights and labels)"]
    layer, old_layer = ner.model.get_ref("output_layer"), old.model.get_ref("output_layer")
    n_old = len(old.tag_names)
    assert layer.get_dim("nO") == n_old + 4 and ner.tag_names[:n_old] == old.tag_names
    assert np.array_equal(layer.get_param("W")[:n_old], old_layer.get_param("W")) and not layer.get_param("W")[n_old:].any()
    assert np.array_equal(layer.get_param("b")[:n_old], old_layer.get_param("b"))
    assert same_weights(setup.nlp.get_pipe("tok2vec").model, base.get_pipe("tok2vec").model)
    # The new label can be predicted: scores that favour U-ORG decode to an ORG entity.
    doc = setup.nlp.make_doc("Microsoft")
    scores = ner.model.ops.alloc2f(1, len(ner.tag_names))
    scores[0, ner.tag_names.index("U-ORG")] = 5.0
    ner.set_annotations([doc], [scores])
    assert [e.label_ for e in doc.ents] == ["ORG"]

    result = train(config(["tok2vec", "ner"], NER_CONFIG, "uner"), tmp_path / "run", base_model=sources["ner"], **QUIET)
    saved = nbnlp.load(tmp_path / "run" / "model-last")
    assert saved.get_pipe("ner").labels == (*old.labels, "ORG") and json.loads((tmp_path / "run" / "model-last" / "meta.json").read_text())["labels"]["ner"][-1] == "ORG"
    assert "source" not in (tmp_path / "run" / "model-last" / "config.cfg").read_text()
    # Resuming a base-model run: the checkpoint's weights win over the base model's, and it ends as a run never stopped.
    longer = config(["tok2vec", "ner"], NER_CONFIG, "uner").replace("max_steps = 4", "max_steps = 6")
    with pytest.raises(ConfigError, match=r"--base-model: this run started from the base model .*: give --base-model .* again"):
        train(longer, tmp_path / "run", resume=True, **QUIET)  # left off: one line saying so, not a list of settings
    resumed = train(longer, tmp_path / "run", base_model=sources["ner"], resume=True, **QUIET)
    straight = train(longer, tmp_path / "straight", base_model=sources["ner"], **QUIET)
    assert resumed.resumed_from == result.steps == 4 and resumed.steps == straight.steps == 6
    a, b = nbnlp.load(tmp_path / "run" / "model-last"), nbnlp.load(tmp_path / "straight" / "model-last")
    assert all(same_weights(a.get_pipe(n).model, b.get_pipe(n).model) for n in ("tok2vec", "ner"))


@pytest.mark.parametrize("pipeline,corpus", [(["tagger", "parser"], "ewt"), (["ner"], "uner"), (["textcat"], "sms")])
def test_add_labels_grows_each_output_layer_keeping_rows(pipeline, corpus):
    from nbnlp.core.commands.init_config import init_config

    text = init_config(pipeline=pipeline, train_path=str(demo_path(f"{corpus}-train")), dev_path=str(demo_path(f"{corpus}-dev")))
    nlp = initialized(load_config(text, {"corpora.train.limit": 30}).to_str())
    for name in pipeline:
        component = nlp.get_pipe(name)
        names, params = component.output_names(), component.output_params()
        before = [np.array(layer.get_param(p)) for layer, p, _ in params]
        assert add_labels(component, ["AANEW", *component.labels[:1]]) == ["AANEW"]
        position = [component.output_names().index(n) for n in names]
        for (layer, p, axis), old in zip(params, before):
            new = layer.get_param(p)
            assert new.shape[axis] == len(component.output_names()) > old.shape[axis]
            assert np.array_equal(np.take(new, position, axis=axis), old)
    assert len(list(nlp.pipe(TEXTS))) == 2  # the grown components predict


# ----- errors -------------------------------------------------------------------------------------------
def test_source_errors_name_the_setting(sources, tmp_path):
    def problems(components: str) -> str:
        with pytest.raises(ConfigError) as err:
            Language.from_config(load_config(config(["tagger"], components)))
        return str(err.value)

    text = problems(f'[components.tagger]\nsource = "{tmp_path / "nowhere"}"\n')
    assert "components.tagger.source" in text and "nowhere" in text
    text = problems(f'[components.tagger]\nsource = "{sources["tag"]}"\ncomponent = "parser"\n')
    assert "components.tagger.component" in text and "tok2vec or tagger" in text
    text = problems(f'[components.tagger]\nsource = "{sources["tag"]}"\nlabel_attr = "pos"\n')
    assert "components.tagger.label_attr" in text


def test_spacy_trained_pipeline_is_refused(tmp_path, capsys):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    tagger = nlp.add_pipe("tagger")
    tagger.add_label("NN")
    nlp.initialize()
    nlp.to_disk(tmp_path / "spacy_model")
    with pytest.raises(ConfigError, match="trained by spaCy.*cannot load it.*spaCy's architectures.*train the component in nbnlp"):
        Language.from_config(load_config(config(["tagger"], f'[components.tagger]\nsource = "{tmp_path / "spacy_model"}"\n')))
    with pytest.raises(ConfigError, match="--base-model.*trained by spaCy"):
        prepare_training(config(["tok2vec", "ner"], NER_CONFIG, "uner"), base_model=tmp_path / "spacy_model")
    # Asked to load it (nbnlp.load, evaluate), the answer is the same, not a config error about spaCy's settings.
    with pytest.raises(ValueError, match=r"spacy_model: is a pipeline trained by spaCy \(.*\): nbnlp cannot load it"):
        nbnlp.load(tmp_path / "spacy_model")
    from nbnlp.cli import main
    from nbnlp.data import demo_path

    assert main(["evaluate", str(tmp_path / "spacy_model"), str(demo_path("ewt-dev"))]) == 1
    assert "is a pipeline trained by spaCy" in capsys.readouterr().err


# ----- front ends ---------------------------------------------------------------------------------------
def test_cli_and_magic_base_model(sources, tmp_path, capsys):
    from nbnlp.cli import main

    cfg = tmp_path / "ner.cfg"
    cfg.write_text(config(["tok2vec", "ner"], NER_CONFIG, "uner"))
    assert main(["train", str(cfg), "--output", str(tmp_path / "cli"), "--base-model", str(sources["ner"]), "--training.max_steps", "2"]) == 0
    assert nbnlp.load(tmp_path / "cli" / "model-last").get_pipe("ner").labels[-1] == "ORG"
    # An override of a component that continues from the base model would be lost: refused, naming it.
    assert main(["train", str(cfg), "--output", str(tmp_path / "lost"), "--base-model", str(sources["ner"]),
                 "--components.ner.entity_weight", "2.0", "--training.max_steps", "2"]) == 1
    assert "--components.ner.entity_weight: this component continues from the base model" in capsys.readouterr().err
    assert not (tmp_path / "lost" / "model-last").exists()

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "nbnlp")
    with capture_output():
        shell.run_line_magic("nlp_train", f"{cfg} --output {tmp_path / 'magic'} --base-model {sources['ner']} --view console "
                             "--training.max_steps 2 --as based")
    assert shell.user_ns["based"].nlp.get_pipe("ner").labels[-1] == "ORG"
    # A training result variable names its saved model: training goes on from the last one.
    with capture_output():
        shell.run_line_magic("nlp_train", f"{cfg} --output {tmp_path / 'again'} --base-model based --view console "
                             "--training.max_steps 2 --as again")
    assert shell.user_ns["again"].nlp.get_pipe("ner").labels == shell.user_ns["based"].nlp.get_pipe("ner").labels
