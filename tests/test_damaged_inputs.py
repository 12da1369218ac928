"""Damaged files and bad inputs: every command and magic that reads a file, given it missing, empty, cut short,
binary or of the wrong kind, fails with one short error naming the file (exit code 1 / a UsageError in a
notebook) and writes nothing; a pipeline with any of its files damaged does not load and says which file."""
from __future__ import annotations

import contextlib
import io
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import nbnlp
from nbnlp.cli import main
from nbnlp.core.commands.init_config import demo_config
from nbnlp.core.commands.package import package
from nbnlp.core.corpus.binary import write_nbnlp
from nbnlp.core.corpus.errors import CorpusError
from nbnlp.core.damaged import DamagedFileError, read_json_file, read_msgpack_file
from nbnlp.data import demo_path
from damaged_helpers import GARBAGE, KINDS, Bad, Inputs, tree

DEV = str(demo_path("ewt-dev"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Inputs:
    """A tok2vec + tagger pipeline trained for 2 steps, and damaged copies of everything the commands read."""
    root = tmp_path_factory.mktemp("damaged")
    with contextlib.redirect_stdout(io.StringIO()):
        nbnlp.train(demo_config(), root / "run", overrides={"training.max_steps": 2, "training.eval_frequency": 2})
    return Inputs(root, root / "run" / "model-best")


@dataclass
class Cell:
    """One command reading one damaged input: its arguments (shared by the CLI and the magic) and what must be named."""

    command: str
    args: list
    bad: Bad
    cli_only: list = field(default_factory=list)  # options only the command line has (--output of evaluate)

    def argv(self) -> list[str]:
        return [self.command, *map(str, self.args), *map(str, self.cli_only)]

    def magic(self) -> tuple[str, str]:
        return "nlp_" + self.command.replace("-", "_"), " ".join(map(str, self.args))


def _pretrain_resume(inp: Inputs, kind: str, out: Path) -> Cell:
    """--epoch-resume 0 with OUTPUT_DIR/model0.bin damaged (the folder exists: a run is being resumed)."""
    out.mkdir()
    weights = inp.weights(kind)
    if kind != "missing":
        shutil.copy(weights.arg, out / "model0.bin")
    return Cell("pretrain", [inp.pretrain_config, out, "--epoch-resume", "0"], Bad(out / "model0.bin", out / "model0.bin"))


CELLS: dict[str, Callable[[Inputs, str, Path], Cell]] = {
    "convert-input": lambda i, k, out: Cell("convert", [i.corpus(k).arg, out], i.corpus(k)),
    "convert-nbnlp-input": lambda i, k, out: Cell("convert", [i.binary_corpus(k).arg, out, "--file-type", "jsonl"], i.binary_corpus(k)),
    "evaluate-model": lambda i, k, out: Cell("evaluate", [i.model(k).arg, DEV], i.model(k), ["--output", out / "scores.json"]),
    "evaluate-data": lambda i, k, out: Cell("evaluate", [i.pipeline, i.corpus(k).arg], i.corpus(k), ["--output", out / "scores.json"]),
    "evaluate-nbnlp-data": lambda i, k, out: Cell("evaluate", [i.pipeline, i.binary_corpus(k).arg], i.binary_corpus(k), ["--output", out / "s.json"]),
    "debug-data-config": lambda i, k, out: Cell("debug-data", [i.config_file(k).arg], i.config_file(k)),
    "debug-data-corpus": lambda i, k, out: Cell("debug-data", [i.config, "--paths.train", i.corpus(k).arg], i.corpus(k)),
    "train-config": lambda i, k, out: Cell("train", [i.config_file(k).arg, "--output", out], i.config_file(k)),
    "train-corpus": lambda i, k, out: Cell("train", [i.config, "--output", out, "--paths.train", i.corpus(k).arg, "--training.max_steps", 2], i.corpus(k)),
    "train-init-tok2vec": lambda i, k, out: Cell(
        "train", [i.config, "--output", out, "--initialize.init_tok2vec", i.weights(k).arg, "--training.max_steps", 2], i.weights(k)),
    "init-vectors": lambda i, k, out: Cell("init-vectors", ["en", i.vectors(k).arg, out], i.vectors(k)),
    "pretrain-config": lambda i, k, out: Cell("pretrain", [i.config_file(k, pretraining=True).arg, out], i.config_file(k, pretraining=True)),
    "pretrain-raw-text": lambda i, k, out: Cell("pretrain", [i.pretrain_config, out, "--paths.raw_text", i.raw_text(k).arg], i.raw_text(k)),
    "pretrain-resume": _pretrain_resume,
    "package-model": lambda i, k, out: Cell("package", [i.model(k).arg, out, "--build", "none"], i.model(k)),
    "package-meta": lambda i, k, out: Cell("package", [i.pipeline, out, "--meta-path", i.meta_json(k).arg, "--build", "none"], i.meta_json(k)),
    "info-model": lambda i, k, out: Cell("info", [i.model(k, damage="meta.json").arg], i.model(k, damage="meta.json")),
}
MATRIX = [pytest.param(name, kind, id=f"{name}-{kind}") for name in CELLS for kind in KINDS]


def _cell(inputs: Inputs, name: str, kind: str, area: Path) -> tuple[Cell, list[str]]:
    cell = {**CELLS, **MAGIC_CELLS}[name](inputs, kind, area / "out")
    return cell, tree(area)


@pytest.mark.parametrize("name, kind", MATRIX)
def test_cli_names_the_damaged_file(inputs: Inputs, name: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cell, before = _cell(inputs, name, kind, tmp_path)
    code = main(cell.argv())
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    assert str(cell.bad.named) in out + err, (out, err)
    assert len(err.strip().splitlines()) <= 6, err  # a short message (a config error lists its problems)
    assert tree(tmp_path) == before  # nothing half-written


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nbnlp")
    return ip


# The training config's later problems (a config cut short) are named by the CLI; %nlp_train needs the core's
# prepare_training to wrap its checks in `naming_source(source_file(config))`, as debug_data and pretrain do.
MAGIC_CELLS: dict[str, Callable[[Inputs, str, Path], Cell]] = {
    **CELLS,  # and %nlp_inspect, which has no command-line twin
    "inspect-model": lambda i, k, out: Cell("inspect", [i.model(k).arg, DEV], i.model(k)),
    "inspect-data": lambda i, k, out: Cell("inspect", [i.pipeline, i.corpus(k).arg], i.corpus(k)),
}
MAGIC_MATRIX = [pytest.param(name, kind, id=f"{name}-{kind}") for name in MAGIC_CELLS for kind in KINDS]


@pytest.mark.parametrize("name, kind", MAGIC_MATRIX)
def test_magic_names_the_damaged_file(shell: InteractiveShell, inputs: Inputs, name: str, kind: str, tmp_path: Path) -> None:
    cell, before = _cell(inputs, name, kind, tmp_path)
    magic, line = cell.magic()
    if name == "debug-data-corpus" and kind != "missing":  # data problems are the report's subject: shown in it, as the CLI prints them
        with capture_output() as cap:
            shell.run_line_magic(magic, line + " --as damaged_report")
        assert shell.user_ns["damaged_report"].n_errors >= 1
        message = "".join(o.data.get("text/html", "") for o in cap.outputs)
    else:
        with capture_output(), pytest.raises(UsageError) as info:
            shell.run_line_magic(magic, line)
        message = str(info.value)
    assert str(cell.bad.named) in message, message
    assert tree(tmp_path) == before


# ----- a pipeline with one damaged file ---------------------------------------------------------------------
PIPELINE_FILES = ["config.cfg", "meta.json", "tokenizer.json", "tagger/cfg.json", "tagger/model", "tok2vec/model"]


@pytest.mark.parametrize("damage", PIPELINE_FILES)
@pytest.mark.parametrize("kind", ["missing", "empty", "truncated", "binary"])
def test_damaged_pipeline_file_is_named(inputs: Inputs, damage: str, kind: str) -> None:
    bad = inputs.pipeline_copy(f"{damage.replace('/', '-')}-{kind}", damage, kind)
    with pytest.raises(DamagedFileError) as info:
        nbnlp.load(bad.arg)
    message = str(info.value)
    assert message.startswith(f"{bad.named}: ") and "Save the pipeline again" in message
    assert "Unpack failed" not in message.split("(")[0] and "\n" not in message


def test_weights_of_another_component_are_named(inputs: Inputs, tmp_path: Path) -> None:
    folder = tmp_path / "swapped"
    shutil.copytree(inputs.pipeline, folder)
    shutil.copy(folder / "tok2vec" / "model", folder / "tagger" / "model")
    with pytest.raises(DamagedFileError, match=r"tagger/model: the 'tagger' component's weights file holds weights of another model"):
        nbnlp.load(folder)


def test_damaged_vectors_table_is_named(inputs: Inputs, tmp_path: Path) -> None:
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("2 3\nthe 0.1 0.2 0.3\ncat 0.4 0.5 0.6\n", encoding="utf8")
    assert main(["init-vectors", "en", str(vectors), str(tmp_path / "vec")]) == 0
    data = tmp_path / "vec" / "vectors" / "data.npy"
    data.write_bytes(data.read_bytes()[:40])
    with pytest.raises(DamagedFileError, match=r"vectors/data.npy: the vectors table's data is cut short"):
        nbnlp.load(tmp_path / "vec")
    shutil.rmtree(tmp_path / "vec" / "vectors")
    with pytest.raises(DamagedFileError, match=r"vectors/data.npy: the vectors table's data is missing"):
        nbnlp.load(tmp_path / "vec")  # meta.json says there is a table


def test_damaged_installed_package_is_named(inputs: Inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture) -> None:
    folder = package(inputs.pipeline, tmp_path, name="damaged_demo", version="1.0.0", build="none")
    monkeypatch.syspath_prepend(str(folder))  # as if installed: `nbnlp.load("en_damaged_demo")` finds the module
    data = folder / "en_damaged_demo" / "pipeline"
    weights = data / "tagger" / "model"
    weights.write_bytes(weights.read_bytes()[:100])
    try:
        with pytest.raises(DamagedFileError, match=f"^{weights}: the 'tagger' component's weights file is cut short"):
            nbnlp.load("en_damaged_demo")
        (data / "meta.json").write_bytes(GARBAGE)
        assert main(["info", "en_damaged_demo"]) == 1
        assert f"{data / 'meta.json'}: not UTF-8 text" in capsys.readouterr().err
    finally:
        sys.modules.pop("en_damaged_demo", None)


@pytest.mark.parametrize("kind", ["truncated", "binary"])
def test_code_file_that_is_not_python_is_one_line(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = tmp_path / "functions.py"
    code.write_bytes(b"import nbnlp\n\ndef reader(path:\n" if kind == "truncated" else GARBAGE)
    assert main(["debug-data", "config.cfg", "--code", str(code)]) == 1  # the code is imported first
    err = capsys.readouterr().err
    assert f"--code {code}" in err and "not valid Python" in err and len(err.strip().splitlines()) == 1


def test_read_helpers_name_the_file(tmp_path: Path) -> None:
    state = tmp_path / "state.msgpack"
    state.write_bytes(b"\x82\xa1a\x01")  # a map of two entries, cut after the first
    with pytest.raises(DamagedFileError, match=r"state.msgpack: the checkpoint state is cut short .*msgpack: .*\. Resume another run"):
        read_msgpack_file(state, what="the checkpoint state", fix="Resume another run")
    state.write_bytes(GARBAGE)
    with pytest.raises(DamagedFileError, match=r"state.msgpack: the checkpoint state is garbled"):
        read_msgpack_file(state, what="the checkpoint state", fix="Resume another run")
    cfg = tmp_path / "cfg.json"
    cfg.write_text('{"labels": ["A",', encoding="utf8")
    with pytest.raises(DamagedFileError, match=r"cfg.json: the settings file is cut short \(JSON: .* line 1, column 17\)\. Save again$"):
        read_json_file(cfg, what="the settings file", fix="Save again")
    cfg.write_text('["A"]', encoding="utf8")
    with pytest.raises(DamagedFileError, match=r"not the settings file: it holds a JSON list, not a JSON object"):
        read_json_file(cfg, what="the settings file", fix="Save again", expect=dict)
    with pytest.raises(DamagedFileError, match=r"is a folder, not the settings file"):
        read_json_file(tmp_path, what="the settings file", fix="Save again")


# ----- corpus readers: empty tag fields and binary data -----------------------------------------------------
EMPTY_FIELDS = {
    "word-tag.iob": ("The|O cat|\n", 1, "empty entity tag"),
    "word-pos-tag.iob": ("The|DT|O cat||O\n", 1, "empty POS tag"),
    "upos.conllu": ("1\tHi\thi\t\tUH\t_\t0\troot\t_\t_\n\n", 1, "empty UPOS column"),
    "deprel.conllu": ("1\tHi\thi\tINTJ\tUH\t_\t0\t\t_\t_\n\n", 1, "empty DEPREL column"),
    "head.conllu": ("# text = Hi\n1\tHi\thi\tINTJ\tUH\t_\t\troot\t_\t_\n\n", 2, "empty HEAD column"),
    "tag.iob2": ("# text = Hi you\n1\tHi\tO\t-\tx\n2\tyou\t\t-\tx\n\n", 3, "empty entity tag"),
    "label.jsonl": ('{"text": "good", "label": "pos"}\n{"text": "bad", "label": ""}\n', 2, "empty label"),
    "cats.jsonl": ('{"text": "good", "cats": {"": 1.0}}\n', 1, "'cats' has an empty label"),
}


@pytest.mark.parametrize("name", EMPTY_FIELDS)
def test_empty_tag_fields_name_file_and_line_and_convert_writes_nothing(name: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text, line, problem = EMPTY_FIELDS[name]
    source = tmp_path / name
    source.write_text(text, encoding="utf8")
    with pytest.raises(CorpusError, match=f"{name}:{line}: .*{problem}"):
        list(nbnlp.load_docs(source))
    assert main(["convert", str(source), str(tmp_path / "out")]) == 1
    assert f"{name}:{line}:" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_binary_and_latin1_input_say_what_was_expected(tmp_path: Path) -> None:
    binary = tmp_path / "weights.conllu"
    binary.write_bytes(GARBAGE)
    with pytest.raises(CorpusError, match=r"weights.conllu: binary data, not a text corpus"):
        list(nbnlp.load_docs(binary))
    with pytest.raises(CorpusError, match=r"weights.conllu:\d+: binary data, not text: .*expected UTF-8 text: a CoNLL-U file"):
        list(nbnlp.load_docs(binary, format="conllu"))
    latin = tmp_path / "latin.conllu"
    latin.write_bytes("1\tcaf\xe9\tcaf\xe9\tNOUN\tNN\t_\t0\troot\t_\t_\n\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin.conllu:1: not UTF-8 text: cannot decode byte b'\\xe9' at column 6 \(offset 5 in the file\)"):
        list(nbnlp.load_docs(latin))


def test_cut_binary_corpus_says_how_far_it_reads(tmp_path: Path) -> None:
    many = tmp_path / "many.nbnlp"
    assert write_nbnlp(nbnlp.load_docs(DEV), many, chunk_size=50) == 200  # 4 frames: a cut in the last keeps 150 docs
    data = many.read_bytes()
    cut = tmp_path / "cut.nbnlp"
    cut.write_bytes(data[: len(data) - 100])
    with pytest.raises(CorpusError, match=r"cut.nbnlp: the file is cut short: frame 4 has \d+ of its \d+ bytes; the first 150 docs \(\d+ bytes\) read fine"):
        list(nbnlp.load_docs(cut))
    cut.write_bytes(data[:5])
    with pytest.raises(CorpusError, match=r"cut.nbnlp: cut short inside its 8-byte header"):
        list(nbnlp.load_docs(cut))


def test_convert_to_a_file_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("not a folder", encoding="utf8")
    assert main(["convert", DEV, str(target)]) == 1
    err = capsys.readouterr().err
    assert f"{target}: is a file, but convert writes into a folder" in err and "Traceback" not in err
    assert target.read_text(encoding="utf8") == "not a folder" and tree(tmp_path) == ["taken.txt"]
    (tmp_path / "out" / "ewt-dev.nbnlp").mkdir(parents=True)  # a folder where an output file goes
    assert main(["convert", DEV, str(tmp_path / "out")]) == 1
    assert "ewt-dev.nbnlp: is a folder" in capsys.readouterr().err
