"""A run's settings as comparable values, so a resume can refuse a config that would train something else.

Every setting of the interpolated config counts except those the settings schema marks as only
steering the run (max_steps, eval_frequency, patience, loggers, ...) and the device. A value that
names an existing file or folder is compared by the SHA-256 of its content, so moving a corpus is
fine but editing it is not.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Mapping

from ..config import ConfigProblem
from ..settings import steers_run

DEVICE_KEYS = frozenset({"system.gpu_id", "system.gpu_allocator"})


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"section.sub.key": value}` for every leaf of a nested config."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def content_hash(path: Path) -> str:
    """SHA-256 of a file, or of a folder's relative file names and contents in sorted order."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if file is not path:
            digest.update(str(file.relative_to(path)).encode("utf8") + b"\0")
        with file.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and value and len(value) < 4096:
        path = Path(value).expanduser()
        try:
            exists = path.exists()
        except OSError:
            exists = False
        if exists:
            return {"path": value, "sha256": content_hash(path)}
    if isinstance(value, tuple):
        return [_comparable(v) for v in value]
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def config_fingerprint(config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that must match for a resume, from an interpolated (not resolved) config."""
    return {
        key: _comparable(value)
        for key, value in flatten(config).items()
        if key not in DEVICE_KEYS and not steers_run(key)
    }


def fingerprint_problems(saved: Mapping[str, Any], current: Mapping[str, Any]) -> list[ConfigProblem]:
    """One problem per setting that differs between the checkpoint's run and this config."""
    problems = []
    for key in sorted(set(saved) | set(current)):
        before, now = saved.get(key, _MISSING), current.get(key, _MISSING)
        if _same(before, now) or {id(before), id(now)} == {id(_MISSING), id(None)}:
            continue  # the same, or a setting one side does not have and the other leaves off (None)
        problems.append(ConfigProblem(key, _difference(before, now)))
    return problems


_MISSING = object()


def _same(before: Any, now: Any) -> bool:
    if isinstance(before, dict) and isinstance(now, dict) and "sha256" in before and "sha256" in now:
        return bool(before["sha256"] == now["sha256"])
    if isinstance(before, (list, tuple)) and isinstance(now, (list, tuple)):
        return len(before) == len(now) and all(_same(b, n) for b, n in zip(before, now))
    return bool(before == now)


def _shown(value: Any) -> str:
    if value is _MISSING:
        return "not set"
    if isinstance(value, dict) and "sha256" in value:
        return repr(value["path"])
    return repr(value)


def _difference(before: Any, now: Any) -> str:
    if isinstance(before, dict) and isinstance(now, dict) and "sha256" in before and "sha256" in now:
        return f"the content of {now['path']} differs from the data the checkpoint was trained on"
    return (
        f"differs from the checkpoint's run ({_shown(before)} there, {_shown(now)} now); "
        "a resumed run must train the same model on the same data: undo the change, or start a new run without --resume"
    )
