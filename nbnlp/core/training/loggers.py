"""Training loggers: `[training.logger]` turns the loop's StepInfos into a console table or a JSONL file.

A logger is `logger(nlp, stdout, stderr) -> (log_step, finalize)`; `log_step(info)` is called after
every step (rows are written on evaluation steps) and `finalize()` once at the end. The table's
columns and cell texts come from `TrainingTable`, which the notebook view reuses.
"""
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Mapping, Optional

import srsly

from ..registry import registry
from ..scores.display import format_score
from ..settings import TrainingSchema
from .loop import StepInfo, resolve_score_weights

if TYPE_CHECKING:
    from ..language import Language

LogStep = Callable[[Optional[StepInfo]], None]
Finalize = Callable[[], None]
Logger = Callable[["Language", IO, IO], tuple[LogStep, Finalize]]


@dataclass
class TrainingTable:
    """Columns `E  #  LOSS <COMPONENT>...  <SCORE>...  SCORE` and the text of each cell for a StepInfo."""

    loss_names: list[str]
    score_names: list[str]

    @classmethod
    def for_pipeline(cls, nlp: "Language", score_weights: Optional[Mapping[str, Optional[float]]] = None) -> "TrainingTable":
        """Columns for `nlp`'s trainable, unfrozen components and its score weights (config or defaults).

        A component whose "loss" is not one (`reports_loss` False: a tok2vec's is the squared norm of
        its listeners' gradients) gets no column; its value stays in the history and the JSONL log."""
        training = nlp.config.get("training", {})
        frozen = set(training.get("frozen_components") or [])
        weights = resolve_score_weights(nlp, score_weights if score_weights is not None else training.get("score_weights"))
        losses = [name for name, c in nlp.pipeline if c.is_trainable and name not in frozen and getattr(c, "reports_loss", True)]
        shown = [name for name in weights if not name.endswith("_per_type")]  # tables of their own, not one cell
        return cls(losses, shown)

    def headers(self) -> list[str]:
        return ["E", "#", *(f"LOSS {n.upper()}" for n in self.loss_names), *(s.upper() for s in self.score_names), "SCORE"]

    def widths(self) -> list[int]:
        minimum = [3, 6, *([8] * len(self.loss_names)), *([6] * len(self.score_names)), 6]
        return [max(len(h), w) for h, w in zip(self.headers(), minimum)]

    def row(self, info: StepInfo) -> list[str]:
        """Cell texts: losses with 2 decimals, scores and SCORE as percentages, speeds as words/s."""
        scores = info.scores or {}
        return [
            str(info.epoch),
            str(info.step),
            *(format_loss(info.losses.get(n, 0.0)) for n in self.loss_names),
            *(format_score(name, scores.get(name)) for name in self.score_names),
            format_score("score", info.score),
        ]

    def format_header(self) -> str:
        widths = self.widths()
        return "\n".join(
            ["  ".join(h.ljust(w) for h, w in zip(self.headers(), widths)).rstrip(), "  ".join("-" * w for w in widths)]
        )

    def format_row(self, info: StepInfo) -> str:
        return "  ".join(cell.rjust(w) for cell, w in zip(self.row(info), self.widths()))


def format_loss(value: float) -> str:
    """2 decimals; tiny non-zero losses (a tok2vec's squared gradient norm) in scientific notation, not as 0.00."""
    return f"{value:.2f}" if value == 0 or abs(value) >= 0.005 else f"{value:.1e}"


@registry.loggers("nbnlp.ConsoleLogger.v1")
def console_logger(progress_bar: bool = False) -> Logger:
    """The familiar table, one row per evaluation; `progress_bar` shows steps until the next one (on stderr)."""

    def setup(nlp: "Language", stdout: IO, stderr: IO) -> tuple[LogStep, Finalize]:
        table = TrainingTable.for_pipeline(nlp)
        eval_frequency = int(nlp.config.get("training", {}).get("eval_frequency") or TrainingSchema.default("eval_frequency"))
        stdout.write(f"Pipeline: {', '.join(nlp.pipe_names) or '(empty)'}\n")
        frozen = nlp.config.get("training", {}).get("frozen_components") or []
        if frozen:
            stdout.write(f"Frozen components: {', '.join(frozen)}\n")
        if getattr(nlp, "disabled", None):
            stdout.write(f"Disabled components (kept, not run or trained): {', '.join(nlp.disabled)}\n")
        stdout.write(table.format_header() + "\n")
        stdout.flush()
        bar: list[Any] = [None]

        def log_step(info: Optional[StepInfo]) -> None:
            if info is None:
                return
            if progress_bar and not info.is_evaluation:
                if bar[0] is None:
                    from tqdm import tqdm

                    bar[0] = tqdm(total=eval_frequency, leave=False, file=stderr, desc="Training")
                bar[0].update(1)
            if info.is_evaluation:
                close_bar()
                stdout.write(table.format_row(info) + "\n")
                stdout.flush()

        def close_bar() -> None:
            if bar[0] is not None:
                bar[0].close()
                bar[0] = None

        return log_step, close_bar

    return setup


@registry.loggers("nbnlp.JSONLLogger.v1")
def jsonl_logger(path: str) -> Logger:
    """One JSON line per evaluation, appended to `path` (each line written whole, so readers never see half a line)."""

    def setup(nlp: "Language", stdout: IO, stderr: IO) -> tuple[LogStep, Finalize]:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)

        def log_step(info: Optional[StepInfo]) -> None:
            if info is not None and info.is_evaluation:
                append_line(target, srsly.json_dumps(step_record(info)))

        return log_step, lambda: None

    return setup


@registry.loggers("nbnlp.MultiLogger.v1")
def multi_logger(first: Logger, second: Logger) -> Logger:
    """Two loggers at once (e.g. the console table and a JSONL file)."""

    def setup(nlp: "Language", stdout: IO, stderr: IO) -> tuple[LogStep, Finalize]:
        parts = [first(nlp, stdout, stderr), second(nlp, stdout, stderr)]

        def log_step(info: Optional[StepInfo]) -> None:
            for log, _ in parts:
                log(info)

        def finalize() -> None:
            for _, fin in parts:
                fin()

        return log_step, finalize

    return setup


def step_record(info: StepInfo) -> dict[str, Any]:
    """A StepInfo as plain JSON values."""
    return jsonable(
        {
            "step": info.step, "epoch": info.epoch, "losses": info.losses, "scores": info.scores, "score": info.score,
            "is_best": info.is_best, "best_score": info.best_score, "best_step": info.best_step,
            "words": info.words, "seconds": info.seconds,
        }
    )


def jsonable(value: Any) -> Any:
    """numpy scalars -> Python numbers, NaN -> None, recursively through dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def append_line(path: Path, line: str) -> None:
    """Append one line with a single write on an O_APPEND descriptor, then sync it to disk."""
    data = (line + "\n").encode("utf8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # the umask applies
    try:
        written = os.write(fd, data)
        while written < len(data):  # only for very long lines on unusual file systems
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
