"""Small helpers shared by the pipeline and the training loop."""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def minibatch(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter), consuming `items` lazily."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    iterator = iter(items)
    while True:
        batch = list(itertools.islice(iterator, size))
        if not batch:
            return
        yield batch


def import_code(path: "str | None") -> None:
    """Import a Python file (or comma-separated files) so the functions it registers (architectures, readers, ...)
    exist before a config resolves; see `user_code.py`."""
    from .user_code import import_code as _import

    _import(path)


class SteppedRun(Iterator[T]):
    """A long run handed out step by step (training, pretraining): iterate it for the steps; `close()` stops it
    after the current step, and the subclass's `_run` generator saves what it keeps in its `finally`."""

    def __init__(self) -> None:
        self._gen = self._run()

    def __iter__(self) -> "SteppedRun[T]":
        return self

    def __next__(self) -> T:
        return next(self._gen)

    def close(self) -> None:
        self._gen.close()

    def _run(self) -> Iterator[T]:  # pragma: no cover - every run defines its steps
        raise NotImplementedError
