"""`nbnlp package` / `info` / `validate`: a tiny trained pipeline is packaged, its wheel installed, and loaded by name."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import srsly

import nbnlp
from nbnlp.cli import main
from nbnlp.core.commands.info import format_info, info, is_compatible
from nbnlp.core.commands.init_config import demo_config
from nbnlp.core.commands.package import check_name, package

TEXT = "The quick brown fox jumps over the lazy dog. It was not amused."
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trained")
    with open(os.devnull, "w") as devnull:
        nbnlp.train(demo_config(), out, overrides={"training.max_steps": 10, "training.eval_frequency": 10}, stdout=devnull)
    return out / "model-best"


@pytest.fixture(scope="module")
def site(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two wheels installed with pip into one target folder: a current pipeline and one from an older nbnlp."""
    root = tmp_path_factory.mktemp("pkg")
    meta = root / "extra.json"
    srsly.write_json(meta, {"license": "CC BY-SA 4.0", "description": "Tiny demo tagger"})
    good = package(model, root / "out", name="demo_tiny", version="1.0.0", meta_path=meta)
    old_meta = root / "old.json"
    srsly.write_json(old_meta, {"nbnlp_version": "0.0.1"})
    old = package(model, root / "out", name="old_tiny", version="0.1.0", meta_path=old_meta)
    wheels = [str(next((p / "dist").glob("*.whl"))) for p in (good, old)]
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target), *wheels],
        check=True, capture_output=True,
    )
    return target


def run_in_site(site: Path, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=site.parent)


def test_package_folder_layout(model: Path, tmp_path: Path) -> None:
    folder = package(model, tmp_path, name="demo", version="2.1.0", build="none")
    assert folder == tmp_path / "en_demo-2.1.0"
    pyproject = (folder / "pyproject.toml").read_text()
    major_minor = ".".join(nbnlp.__version__.split(".")[:2])
    assert f'"nbnlp>={major_minor}"' in pyproject
    assert "[project.entry-points.nbnlp_pipelines]" in pyproject
    meta = srsly.read_json(folder / "meta.json")
    assert meta["name"] == "demo" and meta["version"] == "2.1.0" and meta["nbnlp_version"] == nbnlp.__version__
    assert meta["performance"]["tag_acc"] == srsly.read_json(model / "meta.json")["performance"]["tag_acc"]
    readme = (folder / "README.md").read_text()
    assert "| `tag_acc` |" in readme and "License: not specified" in readme
    assert (folder / "en_demo" / "pipeline" / "config.cfg").exists()
    assert not (folder / "dist").exists()
    # the data folder inside the package is a loadable pipeline with the new name
    assert nbnlp.load(folder / "en_demo" / "pipeline").meta["name"] == "demo"


def test_wheel_contents(site: Path) -> None:
    wheel = next((site.parent / "out" / "en_demo_tiny-1.0.0" / "dist").glob("*.whl"))
    assert wheel.name == "en_demo_tiny-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read("en_demo_tiny-1.0.0.dist-info/METADATA").decode()
    assert {"en_demo_tiny/__init__.py", "en_demo_tiny/pipeline/config.cfg", "en_demo_tiny-1.0.0.dist-info/RECORD"} <= names
    assert "License: CC BY-SA 4.0" in metadata and "Requires-Dist: nbnlp>=" in metadata
    assert "License: CC BY-SA 4.0" in (site.parent / "out" / "en_demo_tiny-1.0.0" / "README.md").read_text()


def test_installed_package_loads_by_name_with_same_tags(model: Path, site: Path) -> None:
    code = (
        "import json, nbnlp\n"
        "from nbnlp.core.commands.info import info, validate\n"
        "import en_demo_tiny\n"
        f"doc = nbnlp.load('en_demo_tiny')({TEXT!r})\n"
        f"doc2 = en_demo_tiny.load()({TEXT!r})\n"
        "print(json.dumps({'tags': [t.tag_ for t in doc], 'tags2': [t.tag_ for t in doc2], 'info': info('en_demo_tiny'),"
        " 'validate': validate(), 'file': en_demo_tiny.__file__}))\n"
    )
    proc = run_in_site(site, code)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    original = [t.tag_ for t in nbnlp.load(model)(TEXT)]
    assert result["tags"] == original == result["tags2"]
    assert Path(result["file"]).is_relative_to(site)
    assert result["info"]["pipelines"] == {"en_demo_tiny": "1.0.0", "en_old_tiny": "0.1.0"}
    assert result["info"]["model"]["pipeline"] == ["tok2vec", "tagger"]
    assert result["info"]["model"]["license"] == "CC BY-SA 4.0"
    checks = {r["name"]: r for r in result["validate"]}
    assert checks["en_demo_tiny"]["compatible"] is True
    assert checks["en_old_tiny"]["compatible"] is False and checks["en_old_tiny"]["nbnlp_version"] == "0.0.1"


def test_validate_cli_exit_code(site: Path) -> None:
    proc = run_in_site(site, "import sys; from nbnlp.cli import main; sys.exit(main(['validate']))")
    assert proc.returncode == 1
    assert "en_demo_tiny" in proc.stdout and "INCOMPATIBLE" in proc.stdout


def test_load_unknown_name_names_both_possibilities(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neither a folder nor an installed pipeline package"):
        nbnlp.load("no_such_pipeline_xyz")
    with pytest.raises(FileNotFoundError, match="ships no nbnlp pipeline"):
        nbnlp.load("json")  # an importable package that is not a pipeline


def test_refuses_to_overwrite_without_force(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    package(model, tmp_path, name="demo", version="1.0.0", build="none")
    marker = tmp_path / "en_demo-1.0.0" / "marker.txt"
    marker.write_text("keep")
    with pytest.raises(ValueError, match="exists already.*--force"):
        package(model, tmp_path, name="demo", version="1.0.0", build="none")
    assert marker.exists()
    assert main(["package", str(model), str(tmp_path), "--name", "demo", "--version", "1.0.0", "--build", "none"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["package", str(model), str(tmp_path), "--name", "demo", "--version", "1.0.0", "--build", "none", "--force"]) == 0
    assert not marker.exists()


@pytest.mark.parametrize("bad", ["Demo", "my-model", "my model", "_demo", "demo_", "a__b", "", "démo"])
def test_invalid_names(bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid package name"):
        check_name(bad)


def test_invalid_name_and_version_in_cli(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["package", str(model), str(tmp_path), "--name", "My-Model"]) == 1
    assert "lowercase letters, digits" in capsys.readouterr().err
    assert main(["package", str(model), str(tmp_path), "--name", "ok", "--version", "v1"]) == 1
    assert "Invalid package version" in capsys.readouterr().err
    assert main(["package", str(tmp_path / "missing"), str(tmp_path)]) == 1
    assert "not an nbnlp pipeline" in capsys.readouterr().err
    assert check_name("core_web_sm2") == "core_web_sm2"


def test_info_markdown_and_silent(model: Path, capsys: pytest.CaptureFixture) -> None:
    data = info(str(model))
    assert data["nbnlp"] == nbnlp.__version__ and data["thinc"] and data["numpy"]
    assert data["model"]["labels"]["tagger"] and "tag_acc" in data["model"]["performance"]
    assert main(["info", str(model), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Info about nbnlp") and "| **nbnlp version** |" in out and "| **Model pipeline** | tok2vec, tagger |" in out
    assert main(["info", "--silent"]) == 0
    assert capsys.readouterr().out == ""
    assert "nbnlp version" in format_info(info())


def test_is_compatible() -> None:
    assert is_compatible("0.1.0", "0.1.7") and not is_compatible("0.0.9", "0.1.0")
    assert not is_compatible(None, "0.1.0") and not is_compatible("1.1.0", "0.1.0")
