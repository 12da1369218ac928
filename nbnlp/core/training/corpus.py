"""`nbnlp.Corpus.v1`: the reader `[corpora.train]` / `[corpora.dev]` name, turning a corpus into Examples.

The corpus is streamed: each call reads the docs again (`load_docs` streams every format: the text
formats line by line, `.nbnlp` frame by frame), tokenizes and aligns one doc at a time and yields
its Example, so reading never holds more than a few docs; the training loop shuffles the stream
through a bounded buffer (`training/shuffle.py`). Every call hands out fresh predicted docs
(components may write onto them).

Reading again costs time (CoNLL-U: reading, tokenizing and aligning run at about 50k words/s on one
core, against over 1M words/s handing out kept docs), so a corpus of at most `cache_words` words is
kept in memory once it has been read to its end: later calls reuse its reference docs, tokenization
and alignment (about 300 bytes a word for one-sentence documents, 110 for ten-sentence ones). A
larger corpus is read again on every call. Kept or read again, the Examples are the same.

An `augmenter` (`[corpora.train.augmenter]`, training/augment.py) changes examples as they are handed out,
only when the call passes a `seed` (the training loop draws one per epoch from its shuffle RNG, which a
resume replays); other reads (initialization, checks) see the corpus as it is.
"""
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

import random

import numpy as np

from ..alignment import Alignment
from ..config import ConfigError, ConfigProblem
from ..corpus.loader import load_docs
from ..doc import Doc
from ..example import Example
from ..registry import registry
from ..vocab import Vocab
from . import augment  # noqa: F401  (registers the @augmenters the reader takes)

if TYPE_CHECKING:
    from ..language import Language
    from .augment import Augmenter

DEFAULT_CACHE_WORDS = 1_000_000
Item = tuple[Doc, np.ndarray, np.ndarray, Alignment]  # reference doc, predicted ORTH and SPACY, alignment


class Corpus:
    """Callable `corpus(nlp) -> Iterator[Example]` over one corpus file or folder, read anew on each call
    unless it has at most `cache_words` words (see the module docstring)."""

    def __init__(
        self, path: Optional[str], *, gold_preproc: bool = False, max_length: int = 0, limit: int = 0, n_sents: int = 1,
        cache_words: int = DEFAULT_CACHE_WORDS, augmenter: Optional["Augmenter"] = None,
    ) -> None:
        if n_sents < 1:
            raise ValueError(f"n_sents must be at least 1 (sentences per document), got {n_sents}")
        if cache_words < 0:
            raise ValueError(f"cache_words must be 0 (never keep the corpus in memory) or more, got {cache_words}")
        self.path = None if path in (None, "") else str(path)
        self.gold_preproc = gold_preproc
        self.n_sents = n_sents
        self.max_length = max_length
        self.limit = limit
        self.cache_words = cache_words
        self.augmenter = augmenter
        # The setting users edit to fix a bad path; train() points it at paths.train / paths.dev.
        self.config_key = "corpora.path"
        # The whole corpus, once a call has read it to its end and it has at most cache_words words; per vocab,
        # since string ids belong to one vocab (a reference, not id(): a freed vocab's id can be reused).
        self._cache: Optional[list[Item]] = None
        self._cache_vocab: Optional[Vocab] = None
        self._too_big_for: Optional[Vocab] = None  # a call read more than cache_words words with this vocab

    def check_path(self) -> None:
        """Raise a ConfigError naming `config_key` if the path is unset or does not exist."""
        if self.path is None:
            raise ConfigError([ConfigProblem(self.config_key, "no corpus path given", expected="a corpus file or folder")])
        if not Path(self.path).exists():
            raise ConfigError([ConfigProblem(self.config_key, "no such file or folder", given=self.path)])

    @property
    def cached(self) -> bool:
        """Whether the corpus is kept in memory (it has been read to its end and fits in `cache_words`)."""
        return self._cache is not None

    def __call__(self, nlp: "Language", *, seed: Optional[int] = None) -> Iterator[Example]:
        """The Examples; augmented (if there is an augmenter) with an RNG seeded by `seed` when one is given."""
        vocab = nlp.vocab
        rng = random.Random(seed) if seed is not None and self.augmenter is not None else None
        if self._cache is not None and self._cache_vocab is vocab:
            items: Iterator[Item] = iter(self._cache)
        else:
            items = self._read(nlp)
        for ref, orths, spaces, alignment in items:
            pred = Doc.from_orths(vocab, orths, spaces)
            if rng is not None and self.augmenter is not None:
                pred, ref = self.augmenter(pred, ref, alignment, rng)  # copies: the kept items stay as read
            yield Example(pred, ref, alignment)

    def _read(self, nlp: "Language") -> Iterator[Item]:
        """The corpus' items, read, tokenized and aligned one doc at a time; kept when the read ends within the budget."""
        self.check_path()
        vocab = nlp.vocab
        keep: Optional[list[Item]] = [] if self.cache_words and self._too_big_for is not vocab else None
        words = n = 0
        for ref in load_docs(self.path, vocab=vocab, n_sents=self.n_sents):
            if len(ref) == 0 or (self.max_length and len(ref) > self.max_length):
                continue
            pred = Doc.from_orths(vocab, ref.arrays["ORTH"], ref.arrays["SPACY"]) if self.gold_preproc else nlp.make_doc(ref.text)
            item = (ref, pred.arrays["ORTH"].copy(), pred.arrays["SPACY"].copy(), Alignment.from_docs(pred, ref))
            del pred
            if keep is not None:
                words += len(ref)
                if words <= self.cache_words:
                    keep.append(item)
                else:  # too big to keep: stream it on every call from now on
                    keep, self._too_big_for = None, vocab
            yield item
            n += 1
            if self.limit and n >= self.limit:
                break
        if keep is not None:  # read to its end (a call abandoned half-way keeps nothing)
            self._cache, self._cache_vocab = keep, vocab


@registry.readers("nbnlp.Corpus.v1")
def create_corpus(
    path: Optional[str], gold_preproc: bool = False, max_length: int = 0, limit: int = 0, n_sents: int = 1,
    cache_words: int = DEFAULT_CACHE_WORDS, augmenter: Optional[Callable] = None,
) -> Callable[["Language"], Iterator[Example]]:
    """Examples from a corpus file or folder (any format `load_docs` reads), read as a stream.

    `n_sents` groups that many consecutive sentences of a sentence-based corpus into one
    document (as `convert --n-sents` does; a new document in the source starts a new group), so
    that a parser learns where sentences end in running text. `gold_preproc` keeps the reference
    tokens instead of re-tokenizing the text; `max_length` skips longer docs and `limit` caps how
    many are used (0 = no limit for both). A corpus of at most `cache_words` words is kept in
    memory after its first full read instead of being read again each epoch (0 = always read again).
    `augmenter` (an `@augmenters` block) changes training examples each epoch (training/augment.py).
    """
    return Corpus(path, gold_preproc=gold_preproc, max_length=max_length, limit=limit, n_sents=n_sents, cache_words=cache_words,
                  augmenter=augmenter)
