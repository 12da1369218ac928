"""`RUN/run.json`: what a run folder says about its run, kept up to date while it trains.

The runs table (`nbnlp runs`, `%nlp_runs`) reads only this file and `RUN/config.cfg` (the interpolated
config the run used), so listing many runs never loads a pipeline. Every write is atomic
(`atomic_write`): a reader sees the previous record or the new one, never half of one. A run whose
process died without writing its end still says "running"; `read_record` checks the recorded pid on
this host and reports it as "killed" once that process is gone.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Optional

from ..corpus.atomic import atomic_write

RECORD_FILE = "run.json"
CONFIG_FILE = "config.cfg"
FORMAT = 1

RUNNING = "running"
FINISHED = "finished"  # ended by its own settings: max_steps, max_epochs or patience
STOPPED = "stopped"  # the notebook's Stop button (`TrainingRun.request_stop`)
INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, a lost worker, or the consumer closing the run
FAILED = "failed"  # an error ended it (the record's "error" says which)
KILLED = "killed"  # recorded as running, but its process is gone (SIGKILL, a crashed kernel)
UNKNOWN = "unknown"  # a folder with models but no run.json (saved before runs were recorded)
STATUSES = (RUNNING, FINISHED, STOPPED, INTERRUPTED, FAILED, KILLED, UNKNOWN)


def _process_start(pid: int) -> Optional[str]:
    """The start time of process `pid` (from /proc), so a recycled pid is not taken for the run's process."""
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    return None


def process_alive(pid: int, started: Optional[str] = None) -> bool:
    """Whether process `pid` of this host still runs (and is the same process, when its start time is known)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    if started is not None:
        now = _process_start(pid)
        return now is None or now == started
    return True


class RunRecorder:
    """Writes `run.json` (and `config.cfg` once) for a TrainingRun: at the start, at each evaluation and at the end."""

    def __init__(self, folder: Path, *, config_text: Optional[str] = None, resumed_from: Optional[int] = None) -> None:
        self.folder = folder
        self.path = folder / RECORD_FILE
        previous = read_json(self.path) if resumed_from is not None else None
        self.data: dict[str, Any] = {
            "format": FORMAT,
            "name": folder.name,
            "status": RUNNING,
            "started": (previous or {}).get("started") or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "pid": os.getpid(),
            "pid_started": _process_start(os.getpid()),
            "hostname": socket.gethostname(),
            "steps": 0, "epochs": 0, "seconds": 0.0, "words": 0,
            "best_score": None, "best_step": None, "stop_reason": None, "resumed_from": resumed_from,
            "history": [],
        }
        if config_text is not None:
            with atomic_write(folder / CONFIG_FILE, "w", encoding="utf8") as f:
                f.write(config_text)

    def update(self, info: Any, history: list[Any], *, status: str = RUNNING, error: Optional[str] = None) -> None:
        """Record the run as of StepInfo `info` (None before the first step) with its evaluations so far."""
        from .loggers import jsonable

        data = self.data
        if info is not None:
            data.update(steps=info.step, epochs=info.epoch + 1, seconds=round(info.seconds, 3), words=info.words,
                        best_score=info.best_score, best_step=info.best_step)
        data["status"] = status
        data["stop_reason"] = info.stop_reason if info is not None else None
        data["history"] = [
            {"step": h.step, "epoch": h.epoch, "seconds": round(h.seconds, 3), "score": h.score,
             "scores": {k: v for k, v in (h.scores or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}}
            for h in history
        ]
        if error is not None:
            data["error"] = error
        data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with contextlib.suppress(OSError):  # a full disk must not end the training; the models matter more
            with atomic_write(self.path, "w", encoding="utf8") as f:
                f.write(json.dumps(jsonable(data), indent=1) + "\n")


def read_json(path: Path) -> Optional[dict[str, Any]]:
    """A run.json's content, or None when it is missing or unreadable (a damaged record only loses its row's details)."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf8"))
        return data if isinstance(data, dict) else None
    return None


def live_status(data: dict[str, Any]) -> str:
    """The record's status, "killed" for a run recorded as running whose process on this host is gone."""
    status = str(data.get("status") or UNKNOWN)
    if status != RUNNING:
        return status
    pid, host = data.get("pid"), data.get("hostname")
    if isinstance(pid, int) and host == socket.gethostname() and not process_alive(pid, data.get("pid_started")):
        return KILLED
    return status
