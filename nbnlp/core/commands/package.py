"""Turn a saved pipeline folder into an installable Python package (`installed.py` finds and loads them).

`package()` writes `OUTPUT_DIR/<lang>_<name>-<version>/` (pyproject.toml, README.md, meta.json and
the module `<lang>_<name>/` with the pipeline data inside) and builds it. Wheels are written here
directly (a wheel is a zip with a dist-info folder), so packaging works offline without the `wheel`
or `build` tools; sdists go through setuptools' own build backend. Packages declare an entry point
in the `nbnlp_pipelines` group, which is how `nbnlp info` / `nbnlp validate` find them.
"""
from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import srsly

from ..about import __version__
from ..corpus.atomic import atomic_directory
from ..damaged import read_json_file
from ..installed import DATA_DIRNAME, ENTRY_POINT_GROUP, NAME_RE
from ..pipeline_folder import read_meta
from ..user_code import CodeSpec
from .package_code import CODE_DIRNAME, bundle_code, load_checked, load_source, prepare_code

BUILDS = ("wheel", "sdist", "none")
_VERSION_RE = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def check_name(name: str, what: str = "name") -> str:
    """Package names become Python module and distribution names, so only a safe subset is allowed."""
    if not isinstance(name, str) or not NAME_RE.match(name) or name.startswith("_") or name.endswith("_"):
        raise ValueError(
            f"Invalid package {what} {name!r}: use lowercase letters, digits and single underscores "
            "(e.g. 'core_web_sm'), not starting or ending with an underscore"
        )
    if "__" in name:
        raise ValueError(f"Invalid package {what} {name!r}: no double underscores")
    return name


def check_version(version: str) -> str:
    """A plain PEP 440 release version such as 1.0.0 (or 1.0.0rc1 / 1.0.0.dev3)."""
    if not isinstance(version, str) or not _VERSION_RE.match(version):
        raise ValueError(f"Invalid package version {version!r}: use a version like 1.0.0 (digits and dots)")
    return version


def nbnlp_requirement() -> str:
    """`nbnlp>=MAJOR.MINOR` of the running nbnlp: packages need at least the version that saved them."""
    major, minor = (__version__.split(".") + ["0"])[:2]
    return f"nbnlp>={major}.{minor}"


def describe_package(folder: Path) -> str:
    """"Wrote package FOLDER" and a "Built FILE" line for each file built into its dist/."""
    built = sorted((folder / "dist").glob("*")) if (folder / "dist").exists() else []
    return f"Wrote package {folder}" + "".join(f"\nBuilt {b}" for b in built)


def package(
    input_dir: str | Path,
    output_dir: str | Path,
    name: str | None = None,
    version: str | None = None,
    meta_path: str | Path | None = None,
    build: str = "wheel",
    force: bool = False,
    code: CodeSpec = None,
) -> Path:
    """Write the package folder for the pipeline in `input_dir`, build it into `dist/`, return the folder.

    `code` (a file, comma-separated files or a list) registers the pipeline's custom functions: imported here,
    bundled in the package and imported by its `load()` (see `package_code.py`)."""
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    if not (input_dir / "config.cfg").exists():
        raise ValueError(f"{input_dir} is not an nbnlp pipeline folder: no config.cfg in it")
    if build not in BUILDS:
        raise ValueError(f"Unknown build {build!r}: choose one of {', '.join(BUILDS)}")
    if output_dir.exists() and not output_dir.is_dir():
        raise ValueError(f"{output_dir}: is a file; the package is written into a folder, give a folder's path")
    meta = _read_meta(input_dir, meta_path)
    files = prepare_code(code)
    load_checked(input_dir, files)  # a damaged pipeline, or one naming an unregistered function, fails here
    lang = check_name(str(meta.get("lang", "")), "language")
    name = check_name(name if name is not None else _default_name(meta, lang))
    version = check_version(version if version is not None else str(meta.get("version", "0.0.0")))
    meta.update(name=name, version=version, requirements=[nbnlp_requirement()])
    module = f"{lang}_{name}"
    folder = output_dir / f"{module}-{version}"
    if folder.exists() and not force:
        raise ValueError(f"{folder} exists already: use --force (force=True) to overwrite it")
    with atomic_directory(folder) as tmp:
        _write_sources(tmp, input_dir, module, meta, files)
    if build == "wheel":
        build_wheel(folder, module, version, meta)
    elif build == "sdist":
        build_sdist(folder)
    return folder


def _read_meta(input_dir: Path, meta_path: str | Path | None) -> dict[str, Any]:
    meta: dict[str, Any] = read_meta(input_dir)
    if meta_path is not None:
        extra = read_json_file(Path(meta_path), what="the --meta-path file (a JSON object of meta.json keys)",
                               fix="Give a JSON object such as {\"license\": \"MIT\"}", expect=dict)
        meta.update(extra)
    return meta


def _default_name(meta: dict[str, Any], lang: str) -> str:
    name = str(meta.get("name", "pipeline"))
    return name[len(lang) + 1 :] if name.startswith(f"{lang}_") else name


def _write_sources(folder: Path, input_dir: Path, module: str, meta: dict[str, Any], code: list[Path]) -> None:
    pkg = folder / module
    shutil.copytree(input_dir, pkg / DATA_DIRNAME, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    for target in (folder / "meta.json", pkg / "meta.json", pkg / DATA_DIRNAME / "meta.json"):
        srsly.write_json(target, meta)
    (pkg / "__init__.py").write_text(_module_source(module, meta, bundle_code(code, pkg)), encoding="utf8")
    (folder / "README.md").write_text(readme(module, meta), encoding="utf8")
    (folder / "pyproject.toml").write_text(_pyproject(module, meta), encoding="utf8")
    (folder / "MANIFEST.in").write_text(f"include meta.json README.md\nrecursive-include {module} *\n", encoding="utf8")


def _module_source(module: str, meta: dict[str, Any], code: list[str]) -> str:
    return f'''"""nbnlp pipeline {module} {meta["version"]}: `{module}.load()` or `nbnlp.load("{module}")`."""
from pathlib import Path

import nbnlp

__version__ = {meta["version"]!r}
DATA_DIR = Path(__file__).parent / {DATA_DIRNAME!r}


def load() -> "nbnlp.Language":
    """The pipeline shipped in this package."""
''' + load_source(code)


def _pyproject(module: str, meta: dict[str, Any]) -> str:
    summary = str(meta.get("description") or f"nbnlp pipeline {module}").replace('"', "'")
    lines = [
        "[build-system]",
        'requires = ["setuptools>=64"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{module}"',
        f'version = "{meta["version"]}"',
        f'description = "{summary}"',
        'readme = "README.md"',
        'requires-python = ">=3.10"',
        f'dependencies = ["{nbnlp_requirement()}"]',
    ]
    if meta.get("license"):
        lines.append(f'license = {{ text = "{str(meta["license"]).replace(chr(34), chr(39))}" }}')
    lines += [
        "",
        f"[project.entry-points.{ENTRY_POINT_GROUP}]",
        f'{module} = "{module}:load"',
        "",
        "[tool.setuptools]",
        f'packages = ["{module}"]',
        "",
        "[tool.setuptools.package-data]",
        f'{module} = ["meta.json", "{DATA_DIRNAME}/*", "{DATA_DIRNAME}/**/*", "{CODE_DIRNAME}/*.py"]',
        "",
    ]
    return "\n".join(lines)


def readme(module: str, meta: dict[str, Any]) -> str:
    """README.md: what the pipeline is, how to load it, its scores and its license."""
    lines = [f"# {module} {meta['version']}", ""]
    if meta.get("description"):
        lines += [str(meta["description"]), ""]
    lines += [
        "| | |", "| --- | --- |",
        f"| **Language** | {meta.get('lang', '')} |",
        f"| **Pipeline** | {', '.join(meta.get('pipeline', []))} |",
        f"| **nbnlp** | {', '.join(meta.get('requirements', []))} (saved with {meta.get('nbnlp_version', '?')}) |",
        f"| **License** | {meta.get('license') or 'not specified'} |",
        "",
        "```python",
        "import nbnlp",
        f'nlp = nbnlp.load("{module}")',
        "```",
        "",
    ]
    performance = {k: v for k, v in (meta.get("performance") or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if performance:
        lines += ["## Scores", "", "| Score | Value |", "| --- | ---: |"]
        for key, value in performance.items():
            lines.append(f"| `{key}` | {value:,.0f} |" if key == "speed" else f"| `{key}` | {100 * value:.2f} |")
        lines.append("")
    lines.append(f"License: {meta['license']}" if meta.get("license") else "License: not specified")
    return "\n".join(lines) + "\n"


# ----- building -------------------------------------------------------------------------------
def build_wheel(folder: Path, module: str, version: str, meta: dict[str, Any]) -> Path:
    """Write `dist/<module>-<version>-py3-none-any.whl`: the module's files plus a dist-info folder."""
    dist_info = f"{module}-{version}.dist-info"
    files: list[tuple[str, bytes]] = [
        (path.relative_to(folder).as_posix(), path.read_bytes())
        for path in sorted((folder / module).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    files += [
        (f"{dist_info}/METADATA", _metadata(module, meta, (folder / "README.md").read_text(encoding="utf8")).encode()),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: nbnlp package\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist_info}/entry_points.txt", f"[{ENTRY_POINT_GROUP}]\n{module} = {module}:load\n".encode()),
        (f"{dist_info}/top_level.txt", f"{module}\n".encode()),
    ]
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    wheel = folder / "dist" / f"{module}-{version}-py3-none-any.whl"
    wheel.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return wheel


def _metadata(module: str, meta: dict[str, Any], readme_text: str) -> str:
    lines = [
        "Metadata-Version: 2.1", f"Name: {module}", f"Version: {meta['version']}",
        f"Summary: {meta.get('description') or f'nbnlp pipeline {module}'}",
        "Requires-Python: >=3.10", f"Requires-Dist: {nbnlp_requirement()}",
    ]
    if meta.get("license"):
        lines.append(f"License: {meta['license']}")
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + readme_text


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_sdist(folder: Path) -> Path:
    """Build `dist/<module>-<version>.tar.gz` with setuptools' build backend (works offline)."""
    code = "import setuptools.build_meta as b, sys; print(b.build_sdist(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", code, "dist"], cwd=folder, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ValueError(f"Building the sdist failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    return folder / "dist" / proc.stdout.strip().splitlines()[-1]
