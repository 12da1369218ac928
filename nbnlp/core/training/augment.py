"""Data augmenters for `[corpora.train.augmenter]`: lower-casing and quote/dash variants, per example.

An augmenter is `augment(pred, ref, alignment, rng) -> (pred, ref)`: it gets the predicted and reference docs
of one example and returns changed copies (or the docs themselves). It changes token texts only, never token
boundaries, so the alignment and every annotation stay valid. `rng` is the reader's per-epoch RNG, seeded from
the training loop's shuffle RNG (which a resume replays), so the same run augments the same examples alike.
"""
from __future__ import annotations

import random
from typing import Callable, Optional, Sequence

import numpy as np

from ..alignment import Alignment
from ..doc import Doc
from ..registry import registry

Augmenter = Callable[[Doc, Doc, Alignment, random.Random], tuple[Doc, Doc]]

DASHES: tuple[str, ...] = ("-", "–", "—")
QUOTE_PAIRS: tuple[tuple[str, str], ...] = (('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"))


def _with_orths(doc: Doc, words: Sequence[str]) -> Doc:
    """A copy of `doc` (annotations included) whose tokens read `words`."""
    out = doc.copy()
    out.arrays["ORTH"][:] = doc.vocab.strings.add_many(words)
    return out


def _check_level(level: float) -> None:
    if not 0 <= level <= 1:
        raise ValueError(f"level must be a probability from 0 to 1, got {level}")


@registry.augmenters("nbnlp.lower_case.v1")
def create_lower_case(level: float = 0.3) -> Augmenter:
    """Lower-case a whole example with probability `level`, so the model copes with text typed without capitals."""
    _check_level(level)

    def lower_case(pred: Doc, ref: Doc, alignment: Alignment, rng: random.Random) -> tuple[Doc, Doc]:
        if rng.random() >= level:
            return pred, ref
        return _with_orths(pred, [w.lower() for w in pred.words]), _with_orths(ref, [w.lower() for w in ref.words])

    return lower_case


@registry.augmenters("nbnlp.orth_variants.v1")
def create_orth_variants(level: float = 0.2, lower: float = 0.0) -> Augmenter:
    """With probability `level`, write an example's quotes and dashes in another style (one style per example),
    so the model does not depend on the corpus' typography; then lower-case it with probability `lower`.

    Only tokens that are a quote or dash by themselves, in both docs and aligned one to one, change."""
    _check_level(level)
    _check_level(lower)
    lower_case = create_lower_case(lower)

    def orth_variants(pred: Doc, ref: Doc, alignment: Alignment, rng: random.Random) -> tuple[Doc, Doc]:
        if rng.random() < level:
            pred, ref = _vary(pred, ref, alignment, rng.choice(DASHES), rng.choice(QUOTE_PAIRS))
        return lower_case(pred, ref, alignment, rng) if lower else (pred, ref)

    return orth_variants


def _vary(pred: Doc, ref: Doc, alignment: Alignment, dash: str, quotes: tuple[str, str]) -> tuple[Doc, Doc]:
    """Dashes and quotes replaced; quotes alternate opening/closing in reading order (per quote family)."""
    p_words, r_words = pred.words, ref.words
    one_to_one: np.ndarray = alignment.x2y_one_to_one
    open_next = {"double": True, "single": True}
    changed = False
    for i, word in enumerate(p_words):
        j = int(one_to_one[i])
        if j < 0 or r_words[j] != word:
            continue
        new: Optional[str] = None
        if word in DASHES:
            new = dash
        else:
            family = "double" if word in ('"', "“", "”") else "single" if word in ("‘", "’") else None  # not ': apostrophes
            if family is not None:
                opening = word in ("“", "‘") or (word not in ("”", "’") and open_next[family])
                open_next[family] = not opening
                new = quotes[0] if opening else quotes[1]
        if new is not None and new != word:
            p_words[i] = r_words[j] = new
            changed = True
    if not changed:
        return pred, ref
    return _with_orths(pred, p_words), _with_orths(ref, r_words)
