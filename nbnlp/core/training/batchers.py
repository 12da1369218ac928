"""Batchers: split an epoch's (shuffled) examples into the batches of one update each.

`[training.batcher]` names one. A size is a number or a thinc schedule (an infinite generator,
e.g. `compounding.v1`); a schedule is advanced once per batch and keeps going across epochs, so
batch sizes grow over the whole run rather than restarting every epoch.
"""
import itertools
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar, Union

from ..registry import registry

T = TypeVar("T")
Size = Union[int, Iterator[float]]
Batcher = Callable[[Iterable[Any]], Iterator[list[Any]]]


def _sizes(size: Size) -> Iterator[int]:
    """One batch size per batch: the constant, or the schedule's next value (never below 1)."""
    if isinstance(size, (int, float)):
        return itertools.repeat(max(1, int(size)))
    return (max(1, int(value)) for value in _last_repeating(size))


def _last_repeating(values: Iterator[float]) -> Iterator[float]:
    """A schedule's values, then its last value forever once a finite schedule runs out."""
    last = None
    for last in values:
        yield last
    if last is None:
        raise ValueError("the batch size schedule yielded no values")
    yield from itertools.repeat(last)


def item_length(item: Any) -> int:
    """Words in an example (its predicted tokens), or `len` of anything else."""
    predicted = getattr(item, "predicted", None)
    return len(predicted) if predicted is not None else len(item)


class BatchByWords:
    """Batches whose word counts add up to about `size` (at most `size * (1 + tolerance)`)."""

    def __init__(self, size: Size, tolerance: float, discard_oversize: bool, get_length: Callable[[Any], int]) -> None:
        self.sizes = _sizes(size)  # shared across calls: a schedule continues from epoch to epoch
        self.tolerance = tolerance
        self.discard_oversize = discard_oversize
        self.get_length = get_length

    def __call__(self, items: Iterable[T]) -> Iterator[list[T]]:
        target = next(self.sizes)
        batch: list[T] = []
        words = 0
        for item in items:
            n = self.get_length(item)
            limit = target * (1 + self.tolerance)
            if n > limit:  # too long for any batch of this size: alone, or not at all
                if not self.discard_oversize:
                    yield [item]
                    target = next(self.sizes)
                continue
            if batch and words + n > limit:
                yield batch
                target = next(self.sizes)
                batch, words = [], 0
            batch.append(item)
            words += n
            if words >= target:
                yield batch
                target = next(self.sizes)
                batch, words = [], 0
        if batch:
            yield batch


class BatchBySequence:
    """Batches of a fixed (or scheduled) number of examples."""

    def __init__(self, size: Size) -> None:
        self.sizes = _sizes(size)

    def __call__(self, items: Iterable[T]) -> Iterator[list[T]]:
        iterator = iter(items)
        while True:
            batch = list(itertools.islice(iterator, next(self.sizes)))
            if not batch:
                return
            yield batch


@registry.batchers("nbnlp.batch_by_words.v1")
def configure_batch_by_words(
    size: Size,
    tolerance: float = 0.2,
    discard_oversize: bool = False,
    get_length: Optional[Callable[[Any], int]] = None,
) -> Batcher:
    """Batches of about `size` words, so an update costs about the same however long the sentences are."""
    if tolerance < 0:
        raise ValueError(f"batch_by_words: tolerance must be 0 or more, got {tolerance}")
    return BatchByWords(size, tolerance, discard_oversize, get_length or item_length)


@registry.batchers("nbnlp.batch_by_sequence.v1")
def configure_batch_by_sequence(size: Size) -> Batcher:
    """Batches of `size` examples each (the last one may be smaller)."""
    return BatchBySequence(size)
