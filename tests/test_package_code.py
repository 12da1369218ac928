"""`--code` files: imported with errors naming the file and line; `nbnlp package --code` bundles them, so a pipeline
with a custom architecture loads by name after `pip install`, in a fresh process that never saw the code file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nbnlp
from nbnlp.cli import main
from nbnlp.core.commands.init_config import demo_config
from nbnlp.core.commands.package import package
from nbnlp.core.config import load_config
from nbnlp.core.user_code import code_files, import_code
from nbnlp.data import demo_path

TEXT = "The quick brown fox jumps over the lazy dog. It was not amused."
REPO = Path(__file__).resolve().parents[1]
ARCH = "test_package_code.HiddenTagger.v1"
CODE = f'''"""A tagger variant with a hidden ReLU layer, registered only by this file."""
from thinc.api import Relu, Softmax_v2, chain, with_array

import nbnlp


@nbnlp.registry.architectures("{ARCH}")
def hidden_tagger(tok2vec, hidden_width: int = 16, nO=None):
    width = tok2vec.maybe_get_dim("nO")
    output = Softmax_v2(nO, hidden_width, normalize_outputs=False)
    model = chain(tok2vec, with_array(chain(Relu(hidden_width, width), output)))
    model.name = "tagger"
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    return model
'''


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(code file, a tiny pipeline trained with the custom tagger architecture it registers)."""
    root = tmp_path_factory.mktemp("custom")
    code = root / "custom_arch.py"
    code.write_text(CODE, encoding="utf8")
    import_code(str(code))
    cfg = load_config(demo_config(), interpolate=False)
    cfg["components"]["tagger"]["model"]["@architectures"] = ARCH
    cfg["components"]["tok2vec"]["model"]["encode"].update(width=32, depth=1)
    overrides = {"training.max_steps": 5, "training.eval_frequency": 5, "corpora.train.limit": 100, "corpora.dev.limit": 20}
    with open(os.devnull, "w") as devnull:
        nbnlp.train(cfg, root / "out", overrides=overrides, stdout=devnull)
    return code, root / "out" / "model-best"


def test_installed_package_with_code_loads_in_a_fresh_process(custom: tuple[Path, Path], tmp_path: Path) -> None:
    code, model = custom
    assert main(["package", str(model), str(tmp_path / "pkg"), "--name", "custom_tiny", "--version", "1.0.0", "--code", str(code)]) == 0
    wheel = next((tmp_path / "pkg" / "en_custom_tiny-1.0.0" / "dist").glob("*.whl"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    assert (site / "en_custom_tiny" / "code" / "custom_arch.py").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import json, nbnlp\n"
        f"assert not nbnlp.registry.has('architectures', {ARCH!r})\n"
        f"doc = nbnlp.load('en_custom_tiny')({TEXT!r})\n"
        f"print(json.dumps([t.tag_ for t in doc]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [t.tag_ for t in nbnlp.load(model)(TEXT)]


def test_unregistered_function_without_code_is_named(custom: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, model = custom
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    for file in model.rglob("*"):
        if file.is_file():
            target = unknown / file.relative_to(model)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.read_bytes())
    config = unknown / "config.cfg"
    config.write_text(config.read_text(encoding="utf8").replace(ARCH, "test_package_code.Unregistered.v1"), encoding="utf8")
    with pytest.raises(ValueError, match=r"components\.tagger\.model\.@architectures = 'test_package_code\.Unregistered\.v1'.*--code FILE"):
        package(unknown, tmp_path / "pkg", build="none")
    assert main(["package", str(unknown), str(tmp_path / "pkg"), "--build", "none"]) == 1
    err = capsys.readouterr().err
    assert "Unregistered.v1" in err and "--code" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "pkg").exists() or not any((tmp_path / "pkg").iterdir())


def test_code_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad_code.py"
    bad.write_text("import nbnlp\n\nundefined_name()\n", encoding="utf8")
    with pytest.raises(ValueError, match=rf"--code {bad}:3: importing it failed: NameError"):
        import_code(str(bad))
    with pytest.raises(FileNotFoundError, match="--code: no such file: .*nowhere.py"):
        import_code(f"{tmp_path / 'nowhere.py'}")
    first, second = tmp_path / "first_code.py", tmp_path / "second_code.py"
    first.write_text("VALUE = 1\n", encoding="utf8")
    second.write_text("import sys\nVALUE = sys.modules['nbnlp_user_code_first_code'].VALUE + 1\n", encoding="utf8")
    assert code_files(f"{first},{second}") == [first, second]
    assert [m.VALUE for m in import_code(f"{first}, {second}")] == [1, 2]  # imported in order
    (tmp_path / "other").mkdir()
    twin = tmp_path / "other" / "first_code.py"
    twin.write_text("VALUE = 3\n", encoding="utf8")
    with pytest.raises(ValueError, match="--code: two files named first_code.py"):
        code_files(f"{first},{twin}")


def test_evaluate_cli_takes_code(custom: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, model = custom
    data = demo_path("ewt-dev")
    assert main(["evaluate", str(model), str(data), "--code", str(code)]) == 0
    assert "TAG" in capsys.readouterr().out.upper()
    bad = tmp_path / "broken.py"
    bad.write_text("def f(:\n", encoding="utf8")
    assert main(["evaluate", str(model), str(data), "--code", str(bad)]) == 1
    assert f"--code {bad}:1: not valid Python" in capsys.readouterr().err
