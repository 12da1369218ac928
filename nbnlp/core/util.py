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
    """Import a Python file so the functions it registers (architectures, readers, ...) exist before a config resolves."""
    if not path:
        return
    import importlib.util
    import sys
    from pathlib import Path

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--code: no such file: {file}")
    name = f"nbnlp_user_code_{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ValueError(f"--code: cannot import {file} as Python code")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (SyntaxError, UnicodeDecodeError) as err:  # cut short, binary, or not Python: say where, without a traceback
        sys.modules.pop(name, None)
        line = f":{err.lineno}" if isinstance(err, SyntaxError) and err.lineno else ""
        reason = err.msg if isinstance(err, SyntaxError) else f"not UTF-8 text ({err.reason} at byte {err.start})"
        raise ValueError(f"--code {file}{line}: not valid Python: {reason}") from None


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
