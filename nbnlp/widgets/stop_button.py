"""The live view's Stop button: end a training run after the step under way, save it, and let the notebook go on.

While a cell trains, the kernel is busy, so the button's click waits in its queue behind the cell.
`StopButton.poll`, called between training steps, reads the waiting shell messages
(`kernel_queue.ShellQueue`), acts on this button's click and keeps everything else (a queued
cell runs after the training cell, as it would have). It reads at most every `interval` seconds;
`polls` and `poll_seconds` say what it cost.

Only a cell run by an ipykernel 7+ kernel can poll; elsewhere (terminal IPython, older kernels, a
widget callback that is itself handling a message) `StopButton.available` is False and no button
is shown: Interrupt still stops training cleanly.
"""
from __future__ import annotations

import contextlib
import time
from typing import Any, Callable, Iterator

POLL_INTERVAL = 0.5  # seconds between looks at the kernel's queue: a click is seen within about this long


class StopButton:
    """An ipywidgets Button (CSS class `nbnlp-stop-button`) calling `on_stop` once when clicked."""

    def __init__(self, on_stop: Callable[[], None], *, interval: float = POLL_INTERVAL) -> None:
        import ipywidgets

        self.on_stop = on_stop
        self.interval = interval
        self.clicked = False
        self.polls = 0
        self.poll_seconds = 0.0
        self._queue: Any = None
        self._last_poll = 0.0
        self.widget = ipywidgets.Button(
            description="Stop", icon="stop", button_style="warning",
            tooltip="Stop after the current step: model-best, model-last and the checkpoint are saved; continue later with --resume",
        )
        self.widget.add_class("nbnlp-stop-button")
        self.widget.on_click(self._clicked)

    @staticmethod
    def available(shell: Any) -> bool:
        """True in a cell run by a Jupyter kernel whose shell messages can be read while the cell runs."""
        from .kernel_queue import ShellQueue

        kernel = getattr(shell, "kernel", None)
        if kernel is None or not ShellQueue.supported(kernel):
            return False
        try:
            parent = kernel.get_parent()
        except Exception:  # an ipykernel without get_parent: do not risk intercepting its messages
            return False
        return (parent or {}).get("header", {}).get("msg_type") == "execute_request"

    def _clicked(self, _button: Any = None) -> None:
        if self.clicked:
            return
        self.clicked = True
        self.widget.disabled = True
        self.widget.description = "Stopping…"
        self.on_stop()

    def show(self) -> None:
        from IPython.display import display

        display(self.widget)

    @contextlib.contextmanager
    def polling(self) -> Iterator["StopButton"]:
        """Read the kernel's waiting messages while training runs; give back the ones kept when it ends."""
        from IPython import get_ipython

        from .kernel_queue import ShellQueue

        self._queue = ShellQueue(get_ipython().kernel)
        self._last_poll = time.monotonic()
        try:
            yield self
        finally:
            queue, self._queue = self._queue, None
            queue.release()

    def poll(self) -> None:
        """Look for this button's click among the waiting messages if `interval` seconds have passed since the last look."""
        if self._queue is None:
            return
        now = time.monotonic()
        if now - self._last_poll < self.interval:
            return
        self._queue.read(self._is_my_click)
        self._last_poll = time.monotonic()
        self.polls += 1
        self.poll_seconds += self._last_poll - now

    def _is_my_click(self, msg_type: str, content: dict[str, Any]) -> bool:
        """A click on this button (as the front end sends it) stops the run; any other message is kept."""
        data = content.get("data") or {}
        if msg_type == "comm_msg" and content.get("comm_id") == self.widget.model_id and data.get("method") == "custom" \
                and (data.get("content") or {}).get("event") == "click":
            self._clicked()
            return True
        return False

    def close(self) -> None:
        """Remove the button: the run is over (a saved notebook then shows only the view)."""
        self.widget.close()
