"""Reading the kernel's waiting shell messages while a cell runs, to see a widget click without running queued cells.

A busy ipykernel (7 and later) receives shell messages on its main thread through an in-process
socket that only its event loop reads, and the loop waits for the running cell. `ShellQueue.read`
takes the messages that have arrived from that socket (the kernel's own thread, between training
steps), hands each to `handle`, and keeps every message `handle` does not consume; `release`
gives the kept ones back to the kernel's own handler in their order once the work is done, so a
queued cell runs after the training cell exactly as it would have (or is aborted with the rest of
the queue when that cell ends with an error). Messages are only peeked at (the signature is
checked, nothing is recorded), so the kernel later reads them as new.

jupyter-ui-poll did this through `kernel.do_one_iteration()`, which ipykernel 7 no longer has; on
a kernel without the in-process shell socket, `ShellQueue.supported` is False and nothing is read.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Callable, Iterator, Optional


class ShellQueue:
    """The main shell's message socket of a running ipykernel, read between steps of a long cell."""

    def __init__(self, kernel: Any) -> None:
        pair = _main_socket_pair(kernel)
        if pair is None:
            raise RuntimeError("this kernel has no in-process shell socket to read (ipykernel 7 or later is needed)")
        self.kernel = kernel
        self.socket = pair.to_socket
        self.stream = pair.to_stream
        self.kept: list[list[Any]] = []

    @staticmethod
    def supported(kernel: Any) -> bool:
        return _main_socket_pair(kernel) is not None

    def read(self, handle: Callable[[str, dict[str, Any]], bool], limit: int = 100) -> int:
        """Pass each waiting message's type and content to `handle`; keep those it returns False for. Returns how many
        messages were read."""
        import zmq

        count = 0
        with _interrupt_held():  # a message taken off the socket is never dropped half-way by a Ctrl-C
            while count < limit and self.socket.poll(0, zmq.POLLIN):
                frames = self.socket.recv_multipart(copy=False)
                count += 1
                peeked = self._peek(frames)
                if peeked is None or not handle(*peeked):
                    self.kept.append(frames)
        return count

    def release(self) -> None:
        """Give the kept messages back to the kernel's handler, in the order they came (they run after this cell)."""
        callback = getattr(self.stream, "_recv_callback", None)
        kept, self.kept = self.kept, []
        if not kept:
            return
        if callback is None:  # nothing to hand them to: better to say so than to lose a queued cell silently
            raise RuntimeError(f"{len(kept)} kernel messages could not be given back")
        for frames in kept:
            self.stream.io_loop.add_callback(callback, frames)

    def _peek(self, frames: list[Any]) -> Optional[tuple[str, dict[str, Any]]]:
        """(msg_type, content) of a message, checking its signature without recording it; None if it does not parse."""
        session = self.kernel.session
        try:
            _, parts = session.feed_identities(frames, copy=False)
            message = session.deserialize(parts, content=False, copy=False)
            content = session.unpack(bytes(parts[4].bytes))
        except Exception:  # not ours to judge: the kernel reports bad messages itself when it reads them
            return None
        return message["header"].get("msg_type", ""), content if isinstance(content, dict) else {}


@contextlib.contextmanager
def _interrupt_held() -> Iterator[None]:
    """Hold SIGINT while the body runs, then deliver it to the handler that was in place (training's own)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            signal.raise_signal(signal.SIGINT)


def _main_socket_pair(kernel: Any) -> Any:
    thread = getattr(kernel, "shell_channel_thread", None)
    manager = getattr(thread, "manager", None)
    pair = getattr(manager, "_shell_channel_to_main", None)
    if pair is None or getattr(pair, "to_socket", None) is None or getattr(pair, "to_stream", None) is None:
        return None
    return pair
