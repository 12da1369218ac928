"""`shuffled`: the bounded-buffer shuffle of the training stream (nbnlp/core/training/shuffle.py)."""
from __future__ import annotations

import random
import weakref
from typing import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbnlp.core.training.shuffle import shuffled

lists = st.lists(st.integers(), max_size=60)
sizes = st.integers(min_value=1, max_value=70)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@settings(max_examples=200, deadline=None)
@given(items=lists, size=sizes, seed=seeds)
def test_output_is_a_permutation(items: list[int], size: int, seed: int) -> None:
    out = list(shuffled(iter(items), random.Random(seed), size))
    assert sorted(out) == sorted(items)


@settings(max_examples=200, deadline=None)
@given(items=lists, extra=st.integers(min_value=0, max_value=10), seed=seeds)
def test_a_stream_that_fits_is_exactly_rng_shuffle(items: list[int], extra: int, seed: int) -> None:
    """<= buffer_size items: the order and the rng's state after are those of rng.shuffle(list(items))."""
    rng, expected_rng = random.Random(seed), random.Random(seed)
    expected = list(items)
    expected_rng.shuffle(expected)
    assert list(shuffled(iter(items), rng, max(1, len(items) + extra))) == expected
    assert rng.getstate() == expected_rng.getstate()


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=0, max_value=50), size=sizes, seed=seeds)
def test_deterministic_and_content_independent(n: int, size: int, seed: int) -> None:
    """Same seed and count: same order and rng state, whatever the items (replaying an epoch re-reads them)."""
    a_rng, b_rng = random.Random(seed), random.Random(seed)
    a = list(shuffled(range(n), a_rng, size))
    b = list(shuffled((f"doc{i}" for i in range(n)), b_rng, size))
    assert [f"doc{i}" for i in a] == b
    assert a_rng.getstate() == b_rng.getstate()
    assert list(shuffled(range(n), random.Random(seed), size)) == a


class Pulls:
    """An iterator over 0..n-1 counting how many items were pulled."""

    def __init__(self, n: int) -> None:
        self.n, self.pulled = n, 0

    def __iter__(self) -> Iterator[int]:
        for i in range(self.n):
            self.pulled += 1
            yield i


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=0, max_value=80), size=sizes, seed=seeds)
def test_lazy_pulls_at_most_buffer_plus_one_ahead(n: int, size: int, seed: int) -> None:
    source = Pulls(n)
    out = shuffled(source, random.Random(seed), size)
    assert source.pulled == 0  # nothing read before iteration starts
    emitted = 0
    for _ in out:
        emitted += 1
        assert source.pulled <= emitted + size  # the first emission after at most size + 1 pulls
    assert emitted == n == source.pulled


def test_first_item_comes_out_before_the_stream_is_read() -> None:
    def endless() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    out = shuffled(endless(), random.Random(0), 100)
    first = [next(out) for _ in range(1000)]
    assert len(set(first)) == 1000
    assert max(first) < 1000 + 100  # nothing emitted that was not pulled, and pulls stay 101 ahead


def test_a_longer_stream_is_shuffled() -> None:
    out = list(shuffled(range(10_000), random.Random(1), 100))
    assert sorted(out) == list(range(10_000)) and out != list(range(10_000))
    # Local: nothing leaves more than the buffer size before its place in the stream.
    assert all(pos >= item - 100 for pos, item in enumerate(out))


class Item:
    pass


def test_memory_is_bounded_by_the_buffer() -> None:
    """At any moment at most buffer_size + 1 items are alive (none kept after being emitted)."""
    alive: weakref.WeakSet = weakref.WeakSet()

    def items() -> Iterator[Item]:
        for _ in range(2000):
            item = Item()
            alive.add(item)
            yield item
            del item

    most = 0
    for emitted in shuffled(items(), random.Random(3), 50):
        del emitted  # no cycles: freed at once by reference counting
        most = max(most, len(alive))
    assert most <= 51
    assert len(alive) == 0


@pytest.mark.parametrize("size", [0, -1, 1.5, True, None])
def test_buffer_size_must_be_a_positive_integer(size: object) -> None:
    with pytest.raises(ValueError, match="shuffle buffer size"):
        shuffled([1, 2], random.Random(0), size)  # type: ignore[arg-type]
