"""Running a long job under a live view in a cell: the steps, the Stop button's polling, and how the cell ends.

A kernel Interrupt stops a run cleanly (what it keeps is saved and its result bound) and then
ends the cell as interrupted with one short line (`CellInterrupted`), so a Run All queue stops as
after any interrupted cell. The Stop button ends a run the same clean way, and the notebook goes on.
"""
from __future__ import annotations

import contextlib
from typing import Any, Optional

from ..magic_errors import USER_ERRORS


class CellInterrupted(KeyboardInterrupt):
    """Ends a cell as interrupted, shown as one line (IPython renders `_render_traceback_` instead of a traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def _render_traceback_(self) -> list[str]:
        return [self.message]


def view_kind(shell: Any, requested: str) -> str:
    """"html" in notebooks (and any non-terminal shell), "console" in terminal IPython."""
    if requested != "auto":
        return requested
    return "console" if type(shell).__name__ == "TerminalInteractiveShell" else "html"


def drive(run: Any, view: Any, stop_button: Optional[Any] = None) -> str:
    """Feed a run's steps to its live view until it ends; returns the final status word.

    Ctrl-C stops the run cleanly (`close()` saves what it keeps) and returns INTERRUPTED; a run that
    the Stop button ended returns STOPPED; a user error while running marks the view failed and goes
    on up (the magics' `@user_errors` turns it into a UsageError)."""
    from ..widgets.training_view import FAILED, FINISHED, INTERRUPTED, STOPPED

    view.start()
    polling = stop_button.polling() if stop_button is not None else contextlib.nullcontext()
    # A Ctrl-C while the view draws (matplotlib, display messages, the Stop button's reads) waits until it is done:
    # raised inside library code it could leave a lock taken, and the next drawing would then hang the kernel.
    signals = getattr(run, "signals", None)
    between_steps = signals.protected if signals is not None else contextlib.nullcontext
    try:
        with polling:
            for step in run:
                with between_steps():
                    view.update(step)
        return STOPPED if stop_button is not None and stop_button.clicked else FINISHED
    except KeyboardInterrupt:
        run.close()  # a no-op when the loop itself was interrupted and has saved already
        return INTERRUPTED
    except USER_ERRORS as err:
        view.finish(FAILED, str(err).splitlines()[0])
        raise
