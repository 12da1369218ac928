"""`nbnlp.Corpus.v1`: the reader `[corpora.train]` / `[corpora.dev]` name, turning a corpus into Examples.

The training loop walks the corpus once per epoch, so the reference docs are read once and kept in
memory; each call hands out fresh predicted docs (components may write onto them) that reuse the
tokenization and alignment computed the first time.
"""
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

import numpy as np

from ..alignment import Alignment
from ..config import ConfigError, ConfigProblem
from ..corpus.loader import load_docs
from ..doc import Doc
from ..example import Example
from ..registry import registry

if TYPE_CHECKING:
    from ..language import Language


class Corpus:
    """Callable `corpus(nlp) -> Iterator[Example]` over one corpus file or folder."""

    def __init__(
        self, path: Optional[str], *, gold_preproc: bool = False, max_length: int = 0, limit: int = 0, n_sents: int = 1
    ) -> None:
        if n_sents < 1:
            raise ValueError(f"n_sents must be at least 1 (sentences per document), got {n_sents}")
        self.path = None if path in (None, "") else str(path)
        self.gold_preproc = gold_preproc
        self.n_sents = n_sents
        self.max_length = max_length
        self.limit = limit
        # The setting users edit to fix a bad path; train() points it at paths.train / paths.dev.
        self.config_key = "corpora.path"
        self._vocab_id: Optional[int] = None
        self._items: list[tuple[Doc, np.ndarray, np.ndarray, Alignment]] = []

    def check_path(self) -> None:
        """Raise a ConfigError naming `config_key` if the path is unset or does not exist."""
        if self.path is None:
            raise ConfigError([ConfigProblem(self.config_key, "no corpus path given", expected="a corpus file or folder")])
        if not Path(self.path).exists():
            raise ConfigError([ConfigProblem(self.config_key, "no such file or folder", given=self.path)])

    def __call__(self, nlp: "Language") -> Iterator[Example]:
        if self._vocab_id != id(nlp.vocab):
            self._load(nlp)
        for ref, orths, spaces, alignment in self._items:
            yield Example(Doc.from_orths(nlp.vocab, orths, spaces), ref, alignment)

    def __len__(self) -> int:
        return len(self._items)

    def _load(self, nlp: "Language") -> None:
        self.check_path()
        items = []
        for ref in load_docs(self.path, vocab=nlp.vocab, n_sents=self.n_sents):
            if self.max_length and len(ref) > self.max_length:
                continue
            if len(ref) == 0:
                continue
            pred = Doc.from_orths(nlp.vocab, ref.arrays["ORTH"], ref.arrays["SPACY"]) if self.gold_preproc else nlp.make_doc(ref.text)
            items.append((ref, pred.arrays["ORTH"].copy(), pred.arrays["SPACY"].copy(), Alignment.from_docs(pred, ref)))
            if self.limit and len(items) >= self.limit:
                break
        self._items = items
        self._vocab_id = id(nlp.vocab)


@registry.readers("nbnlp.Corpus.v1")
def create_corpus(
    path: Optional[str], gold_preproc: bool = False, max_length: int = 0, limit: int = 0, n_sents: int = 1
) -> Callable[["Language"], Iterator[Example]]:
    """Examples from a corpus file or folder (any format `load_docs` reads).

    `n_sents` groups that many consecutive sentences of a sentence-based corpus into one
    document (as `convert --n-sents` does; a new document in the source starts a new group), so
    that a parser learns where sentences end in running text. `gold_preproc` keeps the reference
    tokens instead of re-tokenizing the text; `max_length` skips longer docs and `limit` caps how
    many are used (0 = no limit for both).
    """
    return Corpus(path, gold_preproc=gold_preproc, max_length=max_length, limit=limit, n_sents=n_sents)
