"""Runs: one folder per training, so that no training ever replaces another one's models by accident.

A run folder holds `run.json` (status, steps, time, best score, evaluation history; see run_record.py),
`config.cfg` (the interpolated config it trained with), `checkpoint/`, `model-best` and `model-last`.
Training without an output folder in a notebook writes `training/<config>/run-N` (the next number after
the highest there, claimed with mkdir so two kernels never share one); an output folder that already
holds a run is refused unless the run is resumed or explicitly overwritten. Sweep trials are runs too.
This module names, finds, lists and compares runs; the front ends only print or draw what it returns.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .checkpoint import CHECKPOINT_DIR
from .run_record import CONFIG_FILE, RECORD_FILE, UNKNOWN, live_status, read_json

RUNS_ROOT = Path("training")
RUN_PREFIX = "run-"
MODEL_DIRS = ("model-best", "model-last")
RUN_ENTRIES = (RECORD_FILE, CONFIG_FILE, CHECKPOINT_DIR, *MODEL_DIRS)  # what --overwrite removes (nothing else)
SORT_KEYS = ("name", "status", "steps", "time", "score", "step", "started")
PathLike = Union[str, Path]


class RunsError(ValueError):
    """A run folder that cannot be used as asked (it names the folder and what to do)."""


@dataclass
class RunOutput:
    """Where a training writes: `path` (None: nothing saved), whether it resumes, and a note to show (e.g. --overwrite)."""

    path: Optional[Path]
    resume: bool = False
    note: Optional[str] = None
    new: bool = False  # a run-N folder made for this training (removed again if the training never starts)
    overwrite: bool = False  # `path` holds a run to replace (`iter_training(..., overwrite=True)` clears it once set up)


# ----- naming -------------------------------------------------------------------------------------
def run_number(name: str) -> Optional[int]:
    match = re.fullmatch(rf"{RUN_PREFIX}(\d+)", name)
    return int(match.group(1)) if match else None


def runs_folder(config_name: str, root: PathLike = RUNS_ROOT) -> Path:
    """`training/<config>`: where a config's runs go."""
    return Path(root) / config_name


def holds_run(path: Path) -> bool:
    """Whether `path` holds a run's record, checkpoint or models."""
    return any((path / entry).exists() for entry in RUN_ENTRIES)


def new_run(folder: Path, prefix: str = RUN_PREFIX) -> Path:
    """Make and return `folder/run-N`, N one more than the highest there; mkdir claims it, so concurrent trainings
    (two kernels, a CLI and a notebook) each get their own."""
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        taken = [int(m.group(1)) for p in folder.iterdir() if (m := re.fullmatch(rf"{re.escape(prefix)}(\d+)", p.name))]
        path = folder / f"{prefix}{max(taken, default=0) + 1}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue  # another process took that number between the listing and the mkdir


def latest_run(folder: Path) -> Optional[Path]:
    """The highest-numbered run-N in `folder` that holds a run."""
    runs = [p for p in folder.glob(f"{RUN_PREFIX}*") if run_number(p.name) is not None and holds_run(p)] if folder.is_dir() else []
    return max(runs, key=lambda p: run_number(p.name) or 0, default=None)


def discard_new_run(output: RunOutput) -> None:
    """Remove a run folder made for a training that failed before it started (a config error), if still empty."""
    if output.new and output.path is not None:
        folders = [output.path, output.path.parent]  # run-N, training/<config>
        if output.path.parent.parent.name in (RUNS_ROOT.name, "sweeps"):
            folders.append(output.path.parent.parent)
        for folder in folders:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (other runs, or something was written): keep it


def check_output(path: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse to train into a folder holding a run unless it is resumed or replaced on purpose."""
    if not resume and not overwrite and path.is_dir() and holds_run(path):
        raise RunsError(f"{path} already holds a run: continue it with --resume (resume=True), replace it with "
                        "--overwrite (overwrite=True), or give another output folder")


def clear_run(path: Path) -> None:
    """Remove the run in `path` (its record, config, checkpoint and models; other files stay)."""
    for entry in RUN_ENTRIES:
        target = path / entry
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def resolve_output(
    output: Optional[PathLike], *, runs: Optional[PathLike] = None, resume: bool = False, overwrite: bool = False,
) -> RunOutput:
    """The folder a training writes to.

    `output` given: used as is, but one that already holds a run needs `resume` (continue it) or `overwrite`
    (its run is replaced once the new training is set up, so a config error loses nothing; the note says so). No `output`: with `runs` (the config's runs folder,
    `training/<config>`) a new `run-N` there, or with `resume` its latest run; without `runs` nothing is saved.
    """
    if resume and overwrite:
        raise RunsError("--resume continues a run and --overwrite replaces it: give one of them")
    if output is not None:
        path = Path(output)
        if resume:
            return RunOutput(path, resume=True)
        if path.exists() and not path.is_dir():
            raise RunsError(f"{path}: is a file; --output needs a folder")
        if path.is_dir() and holds_run(path):
            if not overwrite:
                raise RunsError(
                    f"{path} already holds a run: continue it with --resume, replace it with --overwrite, "
                    "or give another --output" + (" (or none: each training then gets a new run folder)" if runs is not None else "")
                )
            return RunOutput(path, note=f"--overwrite: replacing the run in {path}", overwrite=True)  # once the new run is set up
        return RunOutput(path)
    if overwrite:
        raise RunsError("--overwrite replaces the run in --output: give the folder (without --output each training gets a new run folder)")
    if runs is None:
        return RunOutput(None, resume=resume)  # the command line without --output: nothing is saved
    folder = Path(runs)
    if resume:
        latest = latest_run(folder)
        if latest is None:
            raise RunsError(f"{folder}: no run to resume there; train without --resume first, or give the run's folder with --output")
        return RunOutput(latest, resume=True, note=f"Resuming {latest}")
    return RunOutput(new_run(folder), new=True)


# ----- reading runs ----------------------------------------------------------------------------------
@dataclass
class RunInfo:
    """One row of the runs table. Scores are fractions 0-1; `settings` are `--section.key value` lines that
    differ from the first run's config."""

    name: str
    path: Path
    status: str
    steps: int = 0
    seconds: float = 0.0
    best_score: Optional[float] = None
    best_step: Optional[int] = None
    started: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # flattened: {"training.dropout": 0.1, ...}
    settings: list[str] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def model_best(self) -> Optional[Path]:
        return run_model(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "status": self.status, "steps": self.steps, "seconds": self.seconds,
                "best_score": self.best_score, "best_step": self.best_step, "started": self.started,
                "settings": list(self.settings), "history": list(self.history), "error": self.error}


def read_run(path: Path) -> Optional[RunInfo]:
    """A run folder's row (None if `path` holds no run). Folders saved before run.json existed show what their
    model-last's meta says, with status "unknown"."""
    if not path.is_dir() or not holds_run(path):
        return None
    data = read_json(path / RECORD_FILE)
    info = RunInfo(name=path.name, path=path, status=UNKNOWN, config=_flat_config(path))
    if data is None:
        meta = read_json(path / "model-last" / "meta.json") or {}
        training = meta.get("training") or {}
        info.steps = int(training.get("steps") or 0)
        info.seconds = float(training.get("seconds") or 0.0)
        info.best_score, info.best_step = training.get("best_score"), training.get("best_step")
        return info
    info.status = live_status(data)
    info.steps, info.seconds = int(data.get("steps") or 0), float(data.get("seconds") or 0.0)
    info.best_score, info.best_step = data.get("best_score"), data.get("best_step")
    info.started, info.error = str(data.get("started") or ""), data.get("error")
    info.history = [h for h in data.get("history") or [] if isinstance(h, dict)]
    return info


def _flat_config(path: Path) -> dict[str, Any]:
    """The run's config flattened to dotted keys: RUN/config.cfg, else a model's config (older runs)."""
    from thinc.api import Config

    from .fingerprint import flatten

    for candidate in (path / CONFIG_FILE, path / "model-last" / "config.cfg", path / "model-best" / "config.cfg"):
        if candidate.is_file():
            try:
                return flatten(Config().from_str(candidate.read_text(encoding="utf8"), interpolate=False))
            except Exception:  # a damaged config only loses the settings column
                return {}
    return {}


def list_runs(folder: PathLike) -> list[RunInfo]:
    """The runs in `folder` (its subfolders holding runs, in natural name order: run-2 before run-10), each with the
    settings that differ from the first; `folder` itself when it is a single run. Raises RunsError, naming the folder
    and what to pass, when there are none."""
    root = Path(folder)
    if not root.is_dir():
        raise RunsError(f"{root}: no such folder; give a config's runs folder (training/<config>) or a sweep's (sweeps/<config>/sweep-N)")
    runs = [r for p in sorted(root.iterdir(), key=_natural) if p.is_dir() and (r := read_run(p)) is not None]
    if not runs:
        single = read_run(root)
        if single is not None:
            runs = [single]
    if not runs:
        nested = sorted((p for p in root.iterdir() if p.is_dir() and any(holds_run(c) for c in p.iterdir() if c.is_dir())), key=_natural)
        hint = f"; it holds runs folders: {', '.join(str(p) for p in nested[:6])}" if nested else ""
        raise RunsError(f"{root}: no runs here (a run folder has run.json or model-best/model-last){hint}")
    base = runs[0].config
    for run in runs:
        run.settings = setting_diffs(base, run.config)
    return runs


def _natural(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def setting_diffs(base: dict[str, Any], flat: dict[str, Any]) -> list[str]:
    """`--section.key value` for each setting of `flat` that differs from (or is missing in) `base`."""
    from ..distributed.sweep_progress import override_line

    if not flat or not base:
        return []  # a run without a readable config: nothing to compare
    return [override_line(key, value) for key, value in flat.items() if key not in base or base[key] != value]


def sort_runs(runs: list[RunInfo], key: str = "name") -> list[RunInfo]:
    """Runs sorted by one of SORT_KEYS ("score": best first; "-KEY" reverses). Runs without the value go last."""
    reverse = key.startswith("-")
    name = key.lstrip("-")
    if name not in SORT_KEYS:
        raise RunsError(f"--sort {key!r}: sort by one of {', '.join(SORT_KEYS)} (a leading - reverses)")
    getters: dict[str, Callable[[RunInfo], Any]] = {
        "name": lambda r: _natural(Path(r.name)), "status": lambda r: r.status, "steps": lambda r: r.steps,
        "time": lambda r: r.seconds, "score": lambda r: r.best_score, "step": lambda r: r.best_step, "started": lambda r: r.started,
    }
    get = getters[name]
    present = [r for r in runs if get(r) is not None]
    missing = [r for r in runs if get(r) is None]
    descending = (name == "score") != reverse
    return sorted(present, key=get, reverse=descending) + missing


def curves(runs: list[RunInfo], metric: str = "score") -> list[tuple[str, list[int], list[float]]]:
    """(run name, steps, values 0-1) of each run's evaluations: the weighted score, or one score of `scores`."""
    lines = []
    for run in runs:
        points = [(h.get("step"), h.get("score") if metric == "score" else (h.get("scores") or {}).get(metric)) for h in run.history]
        points = [(int(s), float(v)) for s, v in points if isinstance(s, int) and isinstance(v, (int, float))]
        lines.append((run.name, [s for s, _ in points], [v for _, v in points]))
    return lines


# ----- a run's model by name ---------------------------------------------------------------------------
def run_model(path: Path) -> Optional[Path]:
    """The model a run folder offers: model-best, else model-last."""
    for name in MODEL_DIRS:
        if (path / name / "config.cfg").is_file():
            return path / name
    return None


def find_run_model(ref: str, runs: Optional[PathLike] = None) -> Optional[Path]:
    """The model for `ref`: a run folder path (its model-best, else model-last), or a run's name under `runs`."""
    candidates = [Path(ref)]
    if runs is not None and not Path(ref).is_absolute():
        candidates.append(Path(runs) / ref)
    for folder in candidates:
        if folder.is_dir() and holds_run(folder):
            model = run_model(folder)
            if model is not None:
                return model
    return None


# ----- the table as text -------------------------------------------------------------------------------
def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def table_rows(runs: list[RunInfo]) -> list[list[str]]:
    """The runs table's cells as shown (scores as percentages): RUN, STATUS, STEPS, TIME, BEST, AT STEP, SETTINGS."""
    from ..scores.display import MISSING, format_score

    return [[r.name, r.status, str(r.steps), format_seconds(r.seconds), format_score("score", r.best_score),
             MISSING if r.best_step is None else str(r.best_step), " ".join(r.settings)] for r in runs]


TABLE_HEADERS = ["RUN", "STATUS", "STEPS", "TIME", "BEST", "AT STEP", "SETTINGS"]


def format_runs_table(runs: list[RunInfo]) -> str:
    rows = table_rows(runs)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(TABLE_HEADERS[:-1])]
    lines = []
    for cells in [TABLE_HEADERS, *rows]:
        left = [f"{c:<{w}}" if i < 2 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths))]
        lines.append("  ".join([*left, cells[-1]]).rstrip())
    return "\n".join(lines)
