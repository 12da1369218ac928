"""Stopping a run by signal: Ctrl-C (SIGINT) and a scheduler's `kill` (SIGTERM) stop training the same way.

While a run is active, either signal raises `KeyboardInterrupt` (`Terminated` for SIGTERM) in the
main thread, so the run saves model-last and a checkpoint and ends. Inside `protected()` (an
update, which must not stop half-applied; a save, which a second Ctrl-C must not cut) the signal is
remembered and raised when the protected part ends, or dropped if the run is already stopping.
Handlers are installed only from the main thread (elsewhere Python cannot) and restored afterwards.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType
from typing import Any, Iterator, Optional

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """Training was stopped by SIGTERM (a job scheduler, `kill`, a container stop)."""


class StopSignals:
    """Turns SIGINT/SIGTERM into a clean stop for the duration of a run (see the module docstring)."""

    def __init__(self) -> None:
        self.received: Optional[int] = None  # the first signal that stopped the run
        self.stopping = False  # set once the run is ending: later signals are ignored
        self._protect_depth = 0
        self._deferred: Optional[int] = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, OSError):
                self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous = {}

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.received is None:
            self.received = signum
        if self.stopping:
            return  # already saving and ending: a second Ctrl-C must not cut the save short
        if self._protect_depth:
            self._deferred = signum
            return
        raise self.interrupt(signum)

    @staticmethod
    def interrupt(signum: int) -> KeyboardInterrupt:
        if signum == signal.SIGTERM:
            return Terminated("stopped by SIGTERM")
        return KeyboardInterrupt()

    @contextlib.contextmanager
    def protected(self) -> Iterator[None]:
        """Hold signals back for the body; one that arrived is raised when it ends (unless stopping)."""
        self._protect_depth += 1
        try:
            yield
        finally:
            self._protect_depth -= 1
        if not self._protect_depth and self._deferred is not None and not self.stopping:
            signum, self._deferred = self._deferred, None
            raise self.interrupt(signum)

    @property
    def stopped_by(self) -> Optional[str]:
        """"SIGINT" or "SIGTERM" when a signal stopped the run."""
        if self.received is None:
            return None
        return signal.Signals(self.received).name


def exit_status(stopped_by: Optional[str]) -> int:
    """The CLI's exit status for a run stopped by this signal (documented in the README)."""
    return EXIT_TERMINATED if stopped_by == "SIGTERM" else EXIT_INTERRUPTED
