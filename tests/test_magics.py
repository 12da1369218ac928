"""The IPython magics, run in an in-process shell that re-raises errors: happy paths and every error path."""
import json
import re
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from thinc.api import Config

import nbnlp
from nbnlp.core.commands.init_config import demo_config
from nbnlp.core.registry import registry
from nbnlp.core.training.train import TrainResult
from nbnlp.data import demo_path
from nbnlp.widgets import training_view
from nbnlp.magics.live import CellInterrupted

TRAIN = str(demo_path("ewt-train"))
DEV = str(demo_path("ewt-dev"))
SHORT = "--training.max_steps 40 --training.eval_frequency 20"


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nbnlp")
    ip.run_line_magic("reload_ext", "nbnlp")  # loading twice is safe
    return ip


def html_outputs(cap) -> list[str]:
    return [o.data["text/html"] for o in cap.outputs if "text/html" in o.data]


def config_cell(shell: InteractiveShell, line: str, body: str) -> list[str]:
    with capture_output() as cap:
        shell.run_cell_magic("nlp_config", line, body)
    return html_outputs(cap)


@pytest.fixture(scope="module")
def trained(shell, tmp_path_factory) -> tuple[TrainResult, list[str], Path]:
    """One short training run through the magic, shared by the tests that only read its result."""
    out = tmp_path_factory.mktemp("magic-train")
    config_cell(shell, "demo_cfg --no-form", demo_config())
    with capture_output() as cap:
        returned = shell.run_line_magic("nlp_train", f"demo_cfg --output {out} --view html {SHORT} --as demo_run")
    assert returned is None  # bound to --as, not echoed as Out[n] under a view that says where it is
    return shell.user_ns["demo_run"], html_outputs(cap), out


# ----- %%nlp_config -----------------------------------------------------------------------------------
def test_config_cell_stores_filled_config_and_shows_summary(shell):
    body = """
[paths]
train = null
dev = null
home = "$HOME"

[nlp]
lang = "en"
pipeline = ["tagger"]

[components]

[components.tagger]
factory = "tagger"

[corpora]

[corpora.train]
@readers = "nbnlp.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "nbnlp.Corpus.v1"
path = ${paths.dev}
"""
    outputs = config_cell(shell, "small --no-form", body)
    cfg = shell.user_ns["small"]
    assert isinstance(cfg, Config)
    assert cfg["paths"]["home"] == "$HOME"  # IPython's $var expansion does not touch config bodies
    assert cfg["corpora"]["train"]["path"] == "${paths.train}"  # references are kept
    # filled: the factory's default model block and the training defaults are now explicit
    assert cfg["components"]["tagger"]["model"]["@architectures"] == "nbnlp.Tagger.v1"
    assert cfg["training"]["optimizer"]["@optimizers"] == "Adam.v1"
    assert cfg["training"]["dropout"] == pytest.approx(0.1)
    text = "".join(outputs)
    assert "small" in text and "tagger" in text
    assert "paths.train" in text and "no corpus path given" in text  # a note, not an error


def test_config_cell_rerun_replaces_the_variable(shell):
    config_cell(shell, "again --no-form", demo_config())
    first = shell.user_ns["again"]
    config_cell(shell, "again --no-form", demo_config().replace("max_steps = 1000", "max_steps = 7"))
    assert shell.user_ns["again"] is not first
    assert shell.user_ns["again"]["training"]["max_steps"] == 7


def test_config_cell_default_name(shell):
    config_cell(shell, "--no-form", demo_config())
    assert isinstance(shell.user_ns["config"], Config)


def test_invalid_config_lists_every_problem(shell):
    body = demo_config().replace("dropout = 0.1", "dropout = 2").replace('"Adam.v1"', '"Adamm.v1"')
    shell.user_ns.pop("broken", None)
    with pytest.raises(UsageError) as err:
        config_cell(shell, "broken --no-form", body)
    message = str(err.value)
    assert "2 problems" in message
    assert "training.dropout" in message and "a number from 0 to below 1" in message and "given 2" in message
    assert "training.optimizer.@optimizers" in message and "did you mean 'Adam.v1'" in message
    assert "broken" not in shell.user_ns


def test_unparsable_config_and_bad_name(shell):
    with pytest.raises(UsageError, match="cannot parse config"):
        config_cell(shell, "x --no-form", "[nlp\nlang = ")
    with pytest.raises(UsageError, match="not a valid variable name"):
        config_cell(shell, "1abc --no-form", demo_config())
    with pytest.raises(UsageError, match="unrecognized arguments"):
        config_cell(shell, "x --bogus", demo_config())


# ----- %nlp_train ---------------------------------------------------------------------------------------
def test_train_binds_result_and_saves_models(shell, trained):
    result, _, out = trained
    assert isinstance(result, TrainResult)
    assert shell.user_ns["demo_run"] is result
    assert len(result.history) == 2 and not result.interrupted
    assert result.best_score is not None and result.best_score > 0.2
    assert (out / "model-best" / "config.cfg").exists() and (out / "model-last" / "meta.json").exists()
    doc = result.nlp("The cat sat on the mat.")
    assert all(t.tag_ for t in doc)
    assert "best score" in repr(result) and "2 evaluations" in repr(result)


def test_train_live_view_html(trained):
    result, outputs, _ = trained
    final = outputs[-1]
    assert 'data-status="finished"' in final
    header = re.search(r"<thead>(.*?)</thead>", final).group(1)
    for column in ("E", "#", "LOSS TAGGER", "TAG_ACC", "SCORE"):
        assert f">{column}</th>" in header
    rows = re.findall(r'<tr class="(nbnlp-row[^"]*)" data-step="(\d+)"', final)
    assert [int(step) for _, step in rows] == [info.step for info in result.history]
    best_rows = [step for css, step in rows if "nbnlp-best" in css]
    assert best_rows == [str(result.best_step)]
    assert 'class="nbnlp-curves"' in final and "data:image/png;base64," in final
    assert "model-best" in final and "model-last" in final
    assert len(outputs) >= 3  # first display, updates in place, final state


def test_train_default_result_name_and_overrides_anywhere(shell, tmp_path):
    shell.user_ns.pop("train_result", None)
    with capture_output():
        shell.run_line_magic("nlp_train", f"--training.max_steps 10 demo_cfg --output {tmp_path} --training.eval_frequency 5")
    result = shell.user_ns["train_result"]
    assert result.steps == 10 and len(result.history) == 2


def test_train_demo_keyword_and_console_view(shell, tmp_path):
    with capture_output() as cap:
        shell.run_line_magic("nlp_train", f"demo --output {tmp_path} --view console --training.max_steps 10 --training.eval_frequency 5 --as console_run")
    assert shell.user_ns["console_run"].steps == 10
    assert "TAG_ACC" in cap.stderr and "Finished" in cap.stderr


@pytest.mark.parametrize(
    "line, message",
    [
        ("no_such_config", "no config variable or file named 'no_such_config'"),
        ("demo_cfg --training.max_stepz 3", "did you mean 'training.max_steps'"),
        ("demo_cfg --paths.train missing.conllu", "paths.train: no such file or folder"),
        ("demo_cfg --code missing_code.py", "no such file: missing_code.py"),
        ("demo_cfg --gpu-id 0", "GPU 0 requested"),
        ("demo_cfg --as 1bad", "not a valid variable name"),
        ("demo_cfg --gpu-id x", "invalid int value"),
        ("demo_cfg -h", "unrecognized arguments: -h"),
    ],
)
def test_train_user_errors_are_usage_errors(shell, trained, line, message):
    try:
        import cupy  # noqa: F401
        if "gpu-id 0" in line:
            pytest.skip("a GPU stack is installed")
    except ImportError:
        pass
    with pytest.raises(UsageError) as err, capture_output():
        shell.run_line_magic("nlp_train", line)
    assert message in str(err.value)


def test_train_wrong_variable_type(shell):
    shell.user_ns["not_a_config"] = 42
    with pytest.raises(UsageError, match="is a int, not a config"):
        shell.run_line_magic("nlp_train", "not_a_config")


def test_interrupt_from_the_view_keeps_best_and_last(shell, tmp_path, monkeypatch):
    """Ctrl-C while the view updates: training stops cleanly, both models are on disk, the result holds the best."""
    original = training_view.HTMLTrainingView.update

    def update(self, info):
        original(self, info)
        if info.step == 25:
            raise KeyboardInterrupt

    monkeypatch.setattr(training_view.HTMLTrainingView, "update", update)
    with capture_output() as cap, pytest.raises(CellInterrupted) as ended:
        shell.run_line_magic("nlp_train", f"demo_cfg --output {tmp_path} --view html --training.max_steps 200 --training.eval_frequency 10 --as stopped")
    # the cell ends as interrupted (a Run All stops), shown as one line instead of a traceback
    assert ended.value._render_traceback_() == [
        "Training interrupted at step 25: model-best and model-last saved, result stored as stopped (continue with --resume)"]
    result = shell.user_ns["stopped"]
    assert result.interrupted
    assert result.steps == 25 and result.best_step in (10, 20)
    assert (tmp_path / "model-best" / "config.cfg").exists() and (tmp_path / "model-last" / "config.cfg").exists()
    final = html_outputs(cap)[-1]
    assert 'data-status="interrupted"' in final and "Interrupted" in final
    assert len(re.findall(r'<tr class="nbnlp-row', final)) == 2
    reloaded = nbnlp.load(tmp_path / "model-best")
    text = "Interrupted training still gives a working pipeline."
    assert [t.tag_ for t in reloaded(text)] == [t.tag_ for t in result.nlp(text)]


def test_interrupt_inside_the_loop(shell, tmp_path):
    """Ctrl-C arriving inside the training loop (here from a before_update callback) is handled the same way."""

    @registry.callbacks("test.magic_interrupt_at.v1")
    def interrupt_at(step: int):
        def callback(nlp, info):
            if info["step"] == step:
                raise KeyboardInterrupt

        return callback

    cfg = Config(shell.user_ns["demo_cfg"]).copy()
    cfg["training"]["before_update"] = {"@callbacks": "test.magic_interrupt_at.v1", "step": 15}
    shell.user_ns["cfg_with_interrupt"] = cfg
    with capture_output() as cap, pytest.raises(CellInterrupted, match="Training interrupted at step 15"):
        shell.run_line_magic("nlp_train", f"cfg_with_interrupt --output {tmp_path} --view html --training.max_steps 100 --training.eval_frequency 10")
    result = shell.user_ns["train_result"]
    assert result.interrupted and result.best_step == 10
    assert (tmp_path / "model-best").is_dir() and (tmp_path / "model-last").is_dir()
    assert 'data-status="interrupted"' in html_outputs(cap)[-1]


# ----- help ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("magic", ["nlp_train", "nlp_evaluate", "nlp_inspect", "nlp_convert", "nlp_info", "nlp_debug_data", "nlp_package", "nlp_init_config", "nlp_init_labels"])
def test_line_magics_have_argument_help(shell, magic):
    doc = shell.find_line_magic(magic).__doc__
    assert doc.lstrip(":\n ").startswith(f"%{magic}")  # the usage line
    assert "options:" in doc or "optional arguments:" in doc


def test_cell_magic_help(shell):
    doc = shell.find_cell_magic("nlp_config").__doc__
    assert "--no-form" in doc and "${section.key}" in doc


# ----- toolbox magics -------------------------------------------------------------------------------------
def test_convert_magic(shell, tmp_path):
    with capture_output() as cap:
        results = shell.run_line_magic("nlp_convert", f"{demo_path('uner-dev')} {tmp_path} --file-type jsonl")
    assert len(results) == 1 and results[0].output.exists() and results[0].n_docs == 200
    assert "200 docs" in cap.stdout
    with pytest.raises(UsageError, match="missing-input"):
        shell.run_line_magic("nlp_convert", f"missing-input.conllu {tmp_path}")
    with pytest.raises(UsageError, match="invalid choice"):
        shell.run_line_magic("nlp_convert", f"{demo_path('uner-dev')} {tmp_path} --file-type csv")


def test_init_config_magic(shell, tmp_path):
    target = tmp_path / "ner.cfg"
    with capture_output() as cap:
        shell.run_line_magic("nlp_init_config", f"ner_cfg --pipeline ner,textcat --output {target}")
    cfg = shell.user_ns["ner_cfg"]
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "ner", "textcat"]
    assert target.read_text().startswith("#") or "[nlp]" in target.read_text()
    assert "ner_cfg" in "".join(html_outputs(cap))
    with pytest.raises(UsageError, match="parser"):
        shell.run_line_magic("nlp_init_config", "bad --pipeline parsre")


def test_init_labels_magic_writes_the_labels_a_config_then_uses(shell, tmp_path):
    with capture_output() as cap:
        shell.run_line_magic("nlp_init_labels", f"demo_cfg {tmp_path / 'labels'} --paths.train {TRAIN} --paths.dev {DEV}")
    written = shell.user_ns["labels_files"]
    assert set(written) == {"tagger"} and f"Wrote {written['tagger']} (tagger)" in cap.stdout
    labels = json.loads(Path(written["tagger"]).read_text())
    assert "NN" in labels and len(labels) == len(set(labels)) > 30
    with pytest.raises(UsageError, match="no such file"):
        shell.run_line_magic("nlp_init_labels", f"demo_cfg {tmp_path / 'other'} --paths.train nowhere.conllu")
    assert not (tmp_path / "other").exists()


def test_debug_data_magic_renders_collapsible_report(shell):
    with capture_output() as cap:
        shell.run_line_magic("nlp_debug_data", f"demo_cfg --paths.train {TRAIN} --paths.dev {DEV}")
    report = shell.user_ns["debug_report"]
    page = "".join(html_outputs(cap))
    assert f"{report.n_passed} checks passed" in page
    assert page.count("<details") == len(report.sections) >= 3
    assert "Tagging" in page or "tag" in page.lower()
    with pytest.raises(UsageError, match="no such file"):
        shell.run_line_magic("nlp_debug_data", "demo_cfg --paths.train nowhere.conllu")


def test_package_info_validate_magics(shell, trained, tmp_path):
    result, _, _ = trained
    with capture_output() as cap:
        folder = shell.run_line_magic("nlp_package", f"demo_run {tmp_path} --name magic_demo --version 0.0.1 --build none")
    assert (folder / "pyproject.toml").exists() and "Wrote package" in cap.stdout
    with pytest.raises(UsageError, match="exists already"):
        shell.run_line_magic("nlp_package", f"demo_run {tmp_path} --name magic_demo --version 0.0.1 --build none")
    with pytest.raises(UsageError, match="not an nbnlp pipeline folder"):
        shell.run_line_magic("nlp_package", f"{tmp_path} {tmp_path / 'x'}")
    with capture_output() as cap:
        shell.run_line_magic("nlp_info", "demo_run --markdown")
    assert "thinc" in cap.stdout and "tagger" in cap.stdout and "|" in cap.stdout
    with capture_output() as cap:
        shell.run_line_magic("nlp_info", "")
    assert any("text/markdown" in o.data for o in cap.outputs)
    with capture_output() as cap:
        listed = shell.run_line_magic("nlp_validate", "")
    assert isinstance(listed, list)
    with pytest.raises(UsageError, match="unrecognized"):
        shell.run_line_magic("nlp_validate", "extra")


# ----- %nlp_evaluate / %nlp_inspect -------------------------------------------------------------------------
def test_evaluate_magic_shows_scores_and_binds_result(shell, trained):
    result, _, out = trained
    for ref in ("demo_run", str(out / "model-best")):
        with capture_output() as cap:
            shell.run_line_magic("nlp_evaluate", f"{ref} {DEV} --gold-preproc --as ev")
        evaluation = shell.user_ns["ev"]
        page = "".join(html_outputs(cap))
        assert f"{100 * evaluation.scores['tag_acc']:.2f}" in page
        assert 'class="nbnlp-per-label"' in page and "nbnlp-confusion" in page
        assert 0.2 < evaluation.scores["tag_acc"] <= 1.0
    from nbnlp.core.commands.evaluate import evaluate

    assert evaluation.scores["tag_acc"] == pytest.approx(evaluate(out / "model-best", DEV, gold_preproc=True).scores["tag_acc"])


def test_evaluate_magic_errors(shell, trained):
    with pytest.raises(UsageError, match=r"^no pipeline variable, pipeline folder.* named 'nope'$"):  # said once
        shell.run_line_magic("nlp_evaluate", f"nope {DEV}")
    with pytest.raises(UsageError, match="missing.conllu"):
        shell.run_line_magic("nlp_evaluate", "demo_run missing.conllu")
    shell.user_ns["number"] = 3
    with pytest.raises(UsageError, match="not a pipeline"):
        shell.run_line_magic("nlp_evaluate", f"number {DEV}")
    with pytest.raises(UsageError, match="the following arguments are required"):
        shell.run_line_magic("nlp_evaluate", "demo_run")


def test_inspect_magic(shell, trained):
    from nbnlp.widgets.inspector import ExampleInspector, count_errors

    with capture_output() as cap:
        shell.run_line_magic("nlp_inspect", f"demo_run {DEV} --errors-only")
    assert cap.outputs, "the inspector displays something"
    with capture_output():
        shell.run_line_magic("nlp_evaluate", f"demo_run {DEV} --as ev2")
    inspector = ExampleInspector(shell.user_ns["ev2"].examples, errors_only=True)
    assert all(count_errors(shell.user_ns["ev2"].examples[i]) > 0 for i in inspector.visible_indices)
    with capture_output() as cap:
        shell.run_line_magic("nlp_inspect", "ev2")  # an evaluation result needs no DATA
    assert cap.outputs
    with pytest.raises(UsageError, match="'demo_run' is a TrainResult: give the DATA to evaluate it on"):
        shell.run_line_magic("nlp_inspect", "demo_run")
    with pytest.raises(UsageError, match=r"^no variable named 'no_such_variable': give an evaluation result"):
        shell.run_line_magic("nlp_inspect", "no_such_variable")


def test_config_form_rebinds_config_and_trains(shell, tmp_path, monkeypatch):
    """The form under %%nlp_config: edits update the stored config; Train runs %nlp_train NAME's training."""
    monkeypatch.chdir(tmp_path)
    with capture_output():
        shell.run_cell_magic("nlp_config", "form_cfg", demo_config())
    form = shell.user_ns["form_cfg_form"]
    form.set_value("training.max_steps", 12)
    form.set_value("training.eval_frequency", 6)
    form.set_value("training.dropout", 0.25)
    assert shell.user_ns["form_cfg"]["training"]["max_steps"] == 12
    assert shell.user_ns["form_cfg"]["training"]["dropout"] == pytest.approx(0.25)
    assert "--training.max_steps 12" in form.diff_lines()
    shell.user_ns.pop("train_result", None)
    with capture_output():
        form.train()
    result = shell.user_ns["train_result"]
    assert result.steps == 12 and len(result.history) == 2
    assert isinstance(shell.user_ns["form_cfg"], Config)  # the config variable still holds the config
    assert (tmp_path / "training" / "form_cfg" / "run-1" / "model-best").is_dir()  # each Train: a new run folder
    with capture_output():
        form.train()
    assert sorted(p.name for p in (tmp_path / "training" / "form_cfg").iterdir()) == ["run-1", "run-2"]


def test_init_vectors_and_pretrain_magics(shell, tmp_path):
    """Vectors from a word2vec file made here; pretraining a tok2vec on raw demo text with the live view."""
    import json

    import numpy as np

    words = ["the", "cat", "sat", "on", "mat", "dog", "ran"]
    rows = np.random.default_rng(0).normal(size=(len(words), 8)).round(4)
    vectors_file = tmp_path / "vectors.txt"
    vectors_file.write_text(f"{len(words)} 8\n" + "".join(w + " " + " ".join(map(str, r)) + "\n" for w, r in zip(words, rows)))
    with capture_output() as cap:
        result = shell.run_line_magic("nlp_init_vectors", f"en {vectors_file} {tmp_path / 'vectors'} --prune 5")
    assert result.vectors.shape == (5, 8) and "Wrote" in cap.stdout
    assert nbnlp.load(tmp_path / "vectors").vocab.vectors.shape == (5, 8)
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\nthe 1 2 3\ncat 1 x 3\n")
    with pytest.raises(UsageError, match="bad.txt.*3"):
        shell.run_line_magic("nlp_init_vectors", f"en {bad} {tmp_path / 'bad-vectors'}")

    raw = tmp_path / "raw.jsonl"
    texts = [doc.text for _, doc in zip(range(200), nbnlp.load_docs(demo_path("ewt-train")))]
    raw.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    with capture_output():
        shell.run_line_magic("nlp_init_config", "pcfg --pipeline tagger --pretraining")
    with capture_output() as cap:
        returned = shell.run_line_magic(
            "nlp_pretrain", f"pcfg {tmp_path / 'pretrain'} --paths.raw_text {raw} --pretraining.max_epochs 2 --components.tok2vec.model.encode.depth 1"
        )
    pretrained = shell.user_ns["pretrain_result"]
    assert returned is None and not pretrained.interrupted  # bound, not echoed as Out[n] under the view
    assert [p.name for p in pretrained.saved][-2:] == ["model0.bin", "model1.bin"]
    final = html_outputs(cap)[-1]
    assert 'data-status="finished"' in final and final.count('<tr class="nbnlp-row"') == 2 and "init_tok2vec" in final
    with pytest.raises(UsageError, match="raw_text"):
        shell.run_line_magic("nlp_pretrain", f"pcfg {tmp_path / 'p2'}")

    from nbnlp.widgets.pretrain_view import PretrainView

    def interrupted(self, info):
        raise KeyboardInterrupt

    original, PretrainView.update = PretrainView.update, interrupted
    try:  # Ctrl-C in pretraining: the result is bound, then the cell ends as interrupted in one line
        with capture_output(), pytest.raises(CellInterrupted, match="^Pretraining interrupted: result stored as stopped_pretrain"):
            shell.run_line_magic("nlp_pretrain", f"pcfg {tmp_path / 'p3'} --paths.raw_text {raw} --as stopped_pretrain")
    finally:
        PretrainView.update = original
    assert shell.user_ns["stopped_pretrain"].interrupted


def test_quoted_paths_with_spaces(shell, trained, tmp_path):
    spaced = tmp_path / "dev data.conllu"
    spaced.write_text(Path(DEV).read_text(encoding="utf8"), encoding="utf8")
    with capture_output():
        shell.run_line_magic("nlp_evaluate", f'demo_run "{spaced}" --gold-preproc --as quoted_eval')
    assert shell.user_ns["quoted_eval"].scores["tag_acc"] > 0.2


def test_rerunning_a_training_cell_never_replaces_a_run_silently(shell, trained, tmp_path):
    """Running the same %nlp_train cell with --output again is refused; --overwrite replaces the run (one note line),
    and its models are replaced, not mixed."""
    line = f"demo_cfg --output {tmp_path} --training.max_steps 10 --training.eval_frequency 5 --as rerun"
    with capture_output():
        shell.run_line_magic("nlp_train", line)
    first = shell.user_ns["rerun"]
    with pytest.raises(UsageError, match=r"already holds a run: continue it with --resume, replace it with --overwrite"):
        shell.run_line_magic("nlp_train", line)
    with capture_output() as cap:
        shell.run_line_magic("nlp_train", line.replace("max_steps 10", "max_steps 15") + " --overwrite")
    assert cap.stdout.splitlines()[0] == f"--overwrite: replacing the run in {tmp_path}"
    second = shell.user_ns["rerun"]
    assert first is not second and second.steps == 15
    import json

    meta = json.loads((tmp_path / "model-last" / "meta.json").read_text())
    assert meta["training"]["steps"] == 15
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint", "config.cfg", "model-best", "model-last", "run.json"]
    from nbnlp.core.training.checkpoint import read_checkpoint

    assert read_checkpoint(tmp_path / "checkpoint").loop.step == 15  # the second run's, for a --resume


# ----- --code on every magic that reads a config or loads a pipeline --------------------------------------------
CUSTOM_ARCH = "test_magics.HiddenTagger.v1"
CUSTOM_CODE = f'''from thinc.api import Relu, Softmax_v2, chain, with_array
import nbnlp


@nbnlp.registry.architectures("{CUSTOM_ARCH}")
def hidden_tagger(tok2vec, hidden_width: int = 16, nO=None):
    output = Softmax_v2(nO, hidden_width, normalize_outputs=False)
    model = chain(tok2vec, with_array(chain(Relu(hidden_width, tok2vec.maybe_get_dim("nO")), output)))
    model.name = "tagger"
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    return model
'''


@pytest.mark.parametrize("magic, args", [
    ("nlp_train", "demo_cfg"), ("nlp_pretrain", "demo_cfg out"), ("nlp_debug_data", "demo_cfg"), ("nlp_sweep", "demo_cfg"),
    ("nlp_evaluate", f"demo_run {DEV}"), ("nlp_inspect", f"demo_run {DEV}"), ("nlp_package", "demo_run out"),
])
def test_magics_import_code_and_a_bad_file_is_one_line(shell, trained, tmp_path, magic, args):
    bad = tmp_path / "bad_code.py"
    bad.write_text("import nbnlp\nraise RuntimeError('broken on purpose')\n", encoding="utf8")
    with pytest.raises(UsageError) as err, capture_output():
        shell.run_line_magic(magic, f"{args} --code {bad}")
    assert str(err.value) == f"--code {bad}:2: importing it failed: RuntimeError: broken on purpose"


def test_custom_architecture_through_config_train_evaluate_package(shell, tmp_path):
    code = tmp_path / "custom_arch.py"
    code.write_text(CUSTOM_CODE, encoding="utf8")
    body = demo_config().replace('@architectures = "nbnlp.Tagger.v1"', f'@architectures = "{CUSTOM_ARCH}"')
    config_cell(shell, f"custom_cfg --no-form --code {code}", body)
    assert shell.user_ns["custom_cfg"]["components"]["tagger"]["model"]["@architectures"] == CUSTOM_ARCH
    with capture_output():
        shell.run_line_magic("nlp_train", f"custom_cfg --output {tmp_path / 'run'} --view console --code {code} --training.max_steps 4 "
                             "--training.eval_frequency 4 --corpora.train.limit 50 --corpora.dev.limit 10 --as custom_run")
        shell.run_line_magic("nlp_evaluate", f"{tmp_path / 'run' / 'model-best'} {DEV} --code {code} --as custom_eval")
        folder = shell.run_line_magic("nlp_package", f"custom_run {tmp_path / 'pkg'} --name custom --build none --code {code}")
    assert "tag_acc" in shell.user_ns["custom_eval"].scores
    assert (folder / "en_custom" / "code" / "custom_arch.py").read_text(encoding="utf8") == CUSTOM_CODE
