"""Live view of `pretrain`: one row per finished epoch (loss per word, words/s, weights file), updated in place.

Like the training view it is plain HTML behind one display handle, throttled, so it works wherever
HTML output does.
"""
from __future__ import annotations

import html
import time
from typing import Any, Optional

from .training_view import FINISHED, INTERRUPTED, TRAINING, _STATUS_COLOURS, format_duration

_CELL = "padding:2px 8px;text-align:right;border-bottom:1px solid #e5e7eb"


class PretrainView:
    """Consumes PretrainSteps (`nbnlp.core.commands.pretrain`) and shows the epochs so far and the current batch."""

    def __init__(self, max_epochs: int, *, min_interval: float = 0.3) -> None:
        self.max_epochs = max_epochs
        self.min_interval = min_interval
        self.status = TRAINING
        self.message = ""
        self.last: Any = None
        self.epochs: list[Any] = []
        self._handle: Any = None
        self._last_render = 0.0

    def start(self) -> None:
        from IPython.display import HTML, display

        self._handle = display(HTML(self.html()), display_id=True)
        self._last_render = time.monotonic()

    def update(self, step: Any) -> None:
        self.last = step
        if step.is_epoch_end:
            self.epochs.append(step)
        if step.is_epoch_end or time.monotonic() - self._last_render >= self.min_interval:
            self.refresh()

    def finish(self, status: str, message: str = "") -> None:
        self.status, self.message = status, message
        self.refresh()

    def refresh(self) -> None:
        from IPython.display import HTML

        if self._handle is None:
            self.start()
            return
        self._handle.update(HTML(self.html()))
        self._last_render = time.monotonic()

    def html(self) -> str:
        colour = _STATUS_COLOURS.get(self.status, "#374151")
        step: Optional[Any] = self.last
        progress = "waiting for the first batch"
        if step is not None:
            rate = step.words / step.seconds if step.seconds else 0.0
            progress = (
                f"epoch {step.epoch + 1}/{self.max_epochs} · batch {step.step:,} · {step.words:,} words · "
                f"{rate:,.0f} words/s · loss/word {step.epoch_loss:.4f} · {format_duration(step.seconds)} elapsed"
            )
        head = "".join(f'<th style="{_CELL};border-bottom:2px solid #9ca3af">{h}</th>' for h in ("EPOCH", "WORDS", "LOSS/WORD", "SECONDS", "WEIGHTS"))
        rows = "".join(
            f'<tr class="nbnlp-row"><td style="{_CELL}">{s.epoch}</td><td style="{_CELL}">{s.words:,}</td>'
            f'<td style="{_CELL}">{s.loss:.4f}</td><td style="{_CELL}">{s.seconds:.1f}</td>'
            f'<td style="{_CELL};text-align:left">{html.escape(s.saved.name if s.saved else "")}</td></tr>'
            for s in self.epochs
        )
        status = html.escape(self.status + (f": {self.message}" if self.message else ""))
        return (
            '<div class="nbnlp-pretraining" style="font-family:system-ui,-apple-system,\'Segoe UI\',sans-serif">'
            f'<div class="nbnlp-status" data-status="{self.status.lower()}" style="font-weight:600;color:{colour}">Pretraining · {status}</div>'
            f'<div style="font-size:12px;color:#374151">{html.escape(progress)}</div>'
            '<table class="nbnlp-metrics" style="border-collapse:collapse;font-family:ui-monospace,monospace;font-size:12px">'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
        )


__all__ = ["PretrainView", "FINISHED", "INTERRUPTED", "TRAINING"]
