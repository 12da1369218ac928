"""`info()`: the environment and installed pipelines, for bug reports; `validate()`: are they compatible?

Installed pipeline packages are found through the `nbnlp_pipelines` entry point group that
`nbnlp package` writes, and their meta.json is read from disk without importing them.
"""
from __future__ import annotations

import platform
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ..about import __version__
from ..damaged import DamagedFileError
from ..installed import ENTRY_POINT_GROUP, package_data_dir
from ..pipeline_folder import check_pipeline_folder, read_meta
from ..scores.display import format_score, is_number

MODEL_KEYS = ("name", "lang", "version", "pipeline", "labels", "performance", "nbnlp_version", "license")


def _version(module: str) -> str | None:
    try:
        return str(__import__(module).__version__)
    except Exception:  # not installed, or broken (e.g. cupy without CUDA): report it as absent
        return None


def installed_pipelines() -> list[dict[str, Any]]:
    """One entry per installed pipeline package: name, package version, data path and meta."""
    found: dict[str, dict[str, Any]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            continue  # the same package on sys.path twice: the first one wins, as for imports
        entry: dict[str, Any] = {"name": ep.name, "version": ep.dist.version if ep.dist else None, "path": None, "meta": {}}
        try:
            folder = package_data_dir(ep.module)
            entry["path"] = str(folder)
            entry["meta"] = read_meta(folder)
        except (FileNotFoundError, DamagedFileError) as err:
            entry["error"] = str(err)
        found[ep.name] = entry
    return sorted(found.values(), key=lambda e: e["name"])


def model_meta(model: str | Path) -> dict[str, Any]:
    """The meta of a pipeline folder or installed pipeline package (pipeline, labels, performance...)."""
    folder = Path(model)
    if folder.exists() or not isinstance(model, str):
        check_pipeline_folder(folder)
    else:
        folder = package_data_dir(model)
    meta = read_meta(folder)
    return {"path": str(folder), **{k: meta[k] for k in MODEL_KEYS if k in meta}}


def info(model: str | Path | None = None) -> dict[str, Any]:
    """Versions of nbnlp and what it runs on, installed pipelines, and with `model` that pipeline's meta."""
    data: dict[str, Any] = {
        "nbnlp": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "thinc": _version("thinc"),
        "numpy": _version("numpy"),
        "cupy": _version("cupy"),
        "gpu": _gpu(),
        "pipelines": {p["name"]: p["version"] for p in installed_pipelines()},
    }
    if model is not None:
        data["model"] = model_meta(model)
    return data


def _gpu() -> str | None:
    try:
        from ...gpu.device import device_info
    except ImportError:
        return None
    try:
        device = device_info()
    except Exception:
        return None
    return None if device.get("device") == "cpu" else f"{device.get('device')} {device.get('name', '')}".strip()


_LABELS = {
    "nbnlp": "nbnlp version", "python": "Python version", "platform": "Platform", "thinc": "thinc version",
    "numpy": "numpy version", "cupy": "cupy version", "gpu": "GPU", "pipelines": "Pipelines",
}


def format_info(data: dict[str, Any], markdown: bool = False) -> str:
    """`info()` as aligned text, or as a markdown table to paste into an issue."""
    rows = [(_LABELS.get(k, k), _show(v)) for k, v in data.items() if k != "model"]
    model = data.get("model")
    if model:
        rows += [("Model " + k, _show(v)) for k, v in model.items() if k not in ("labels", "performance")]
        rows += [(f"Model labels ({c})", str(len(ls))) for c, ls in (model.get("labels") or {}).items()]
        rows += [(f"Score {k}", format_score(k, v, unit=True)) for k, v in (model.get("performance") or {}).items() if is_number(v)]
    if markdown:
        body = "\n".join(f"| **{k}** | {v.replace('|', '/')} |" for k, v in rows)
        return f"## Info about nbnlp\n\n| | |\n| --- | --- |\n{body}\n"
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k} ({v})" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def is_compatible(saved_with: str | None, current: str) -> bool:
    """Same major.minor nbnlp: weights and configs are only promised to load within a minor series."""
    if not saved_with:
        return False
    return saved_with.split(".")[:2] == current.split(".")[:2]


def validate() -> list[dict[str, Any]]:
    """Each installed pipeline package with the nbnlp version it was saved with and whether it fits this one."""
    results = []
    for p in installed_pipelines():
        saved = p["meta"].get("nbnlp_version")
        results.append({
            "name": p["name"], "version": p["version"], "nbnlp_version": saved,
            "compatible": "error" not in p and is_compatible(saved, __version__), "error": p.get("error"),
        })
    return results


def format_validation(results: list[dict[str, Any]]) -> str:
    """`validate()`'s results as lines: name, version, the nbnlp it was saved with, OK / INCOMPATIBLE."""
    if not results:
        return f"No nbnlp pipeline packages installed (nbnlp {__version__})."
    return "\n".join(
        f"{r['name']:<30} {r['version'] or '-':<12} "
        + (f"BROKEN: {r['error']}" if r.get("error") else
           f"saved with nbnlp {r['nbnlp_version'] or '?':<10} {'OK' if r['compatible'] else 'INCOMPATIBLE'}")
        for r in results
    )
