"""Shuffle a stream of training examples in bounded memory.

`shuffled(items, rng, buffer_size)` is what the training loop does with each epoch's examples.
A stream of at most `buffer_size` items is shuffled whole, with exactly the random draws of
`rng.shuffle(list(items))`, so a corpus that fits gives the same order (and leaves `rng` in the same
state) as shuffling a list. A longer stream goes through a buffer of `buffer_size` items: each new
item replaces a buffered one drawn at random, which is emitted; at the end of the stream the
buffer is shuffled and emitted. Memory is O(buffer_size) items whatever the length of the stream,
at the price of a local shuffle: an item comes out at the earliest `buffer_size` places before its
place in the stream, so a corpus sorted by genre or source should be shuffled once on disk (or the
buffer made larger).

The draws depend only on the number of items, never on their content, so reading the corpus again
and shuffling with the same `rng` repeats an epoch exactly (what a resumed run relies on).
"""
from __future__ import annotations

import itertools
import random
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def shuffled(items: Iterable[T], rng: random.Random, buffer_size: int) -> Iterator[T]:
    """Yield `items` in a random order drawn from `rng`, holding at most `buffer_size` + 1 of them at a time.

    Lazy: at most `buffer_size` + 1 items are pulled before the first is emitted. Raises ValueError
    at once if `buffer_size` is not an integer of 1 or more.
    """
    if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < 1:
        raise ValueError(f"shuffle buffer size must be an integer of 1 or more, got {buffer_size!r}")
    return _shuffled(iter(items), rng, buffer_size)


def _shuffled(iterator: Iterator[T], rng: random.Random, buffer_size: int) -> Iterator[T]:
    buffer = list(itertools.islice(iterator, buffer_size))
    sentinel = object()
    item = next(iterator, sentinel)
    while item is not sentinel:  # more items than the buffer holds: replace a random buffered one
        i = rng.randrange(buffer_size)
        out, buffer[i] = buffer[i], item  # type: ignore[assignment]
        yield out
        del out  # hold no reference to an emitted item while waiting for the next one
        item = next(iterator, sentinel)
    rng.shuffle(buffer)  # all of a stream that fits: exactly rng.shuffle(list(items))
    buffer.reverse()  # emit by popping, so emitted items are not kept alive by the buffer
    while buffer:
        yield buffer.pop()
