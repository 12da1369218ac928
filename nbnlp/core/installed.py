"""Installed pipeline packages (made by `nbnlp package`): where their data lies and how to load one by name.

Kept apart from `package.py` (which builds packages) so that `load()` in `language.py` can reach
installed pipelines without importing the packaging tool.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any, Callable, Optional

ENTRY_POINT_GROUP = "nbnlp_pipelines"
DATA_DIRNAME = "pipeline"  # the pipeline folder inside the package module
NAME_RE = re.compile(r"^[a-z0-9_]+$")


SPACY_REFUSAL = (
    "is a pipeline trained by spaCy{version}: nbnlp cannot load it, since its weights belong to spaCy's architectures; "
    "train the component in nbnlp from its config instead (nbnlp train reads spaCy's config.cfg)"
)


def spacy_version_of(folder: Path) -> Optional[str]:
    """spaCy's version ("" if unnamed) when `folder` holds a pipeline spaCy saved (its meta.json says so), else None."""
    try:
        meta = json.loads((Path(folder) / "meta.json").read_text(encoding="utf8"))
    except (OSError, ValueError):
        return None
    if isinstance(meta, dict) and "spacy_version" in meta and "nbnlp_version" not in meta:
        return str(meta.get("spacy_version") or "")
    return None


def spacy_refusal(what: str, version: str) -> str:
    """The one message for a spaCy-trained pipeline wherever one is given (load, source, --base-model)."""
    return f"{what} " + SPACY_REFUSAL.format(version=f" ({version})" if version else "")


def package_data_dir(name: str) -> Path:
    """The pipeline folder shipped by the installed package `name` (found without importing it)."""
    spec = importlib.util.find_spec(name) if NAME_RE.match(name) else None
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"No pipeline {name!r}: it is neither a folder nor an installed pipeline package")
    folder = Path(spec.origin).parent / DATA_DIRNAME
    version = spacy_version_of(Path(spec.origin).parent)
    if version is not None:
        raise ValueError(spacy_refusal(f"The installed package {name!r}", version))
    if not (folder / "config.cfg").exists():
        raise FileNotFoundError(f"{name!r} is not a folder, and the installed package {name!r} ships no nbnlp pipeline")
    return folder


def package_loader(name: str) -> tuple[Path, Optional[Callable[[], Any]]]:
    """The installed package's data folder and its own `load()` when it has one (it may customise loading)."""
    folder = package_data_dir(name)
    loader = getattr(importlib.import_module(name), "load", None)
    return folder, loader if callable(loader) else None
