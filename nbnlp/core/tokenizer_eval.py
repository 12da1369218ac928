"""Scoring a tokenizer against CoNLL-U gold: gold character spans, span P/R/F1 and error types.

Kept in the library (not the benchmark script) so tests and the benchmark share one definition
of "gold tokens": the tokens `read_conllu` makes of each sentence, i.e. the syntactic words,
except that a multiword token whose parts do not spell its surface form ("won't" = "will" +
"not") is its surface form, since no tokenizer can produce characters that are not in the text.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .corpus._align import Span, token_spans
from .corpus.conllu import read_conllu
from .doc import Doc
from .vocab import Vocab


@dataclass
class GoldSentence:
    """One sentence: its `# text` line, gold token strings and their character spans in the text."""

    text: str
    tokens: list[str]
    spans: list[Span]


def align_tokens(text: str, tokens: Sequence[str]) -> list[Span]:
    """Character spans of `tokens` in `text`, in order, skipping whitespace between them.

    A token that is not found where expected is searched for further on; one that is not found at
    all is dropped (the gold of a few corpora has such typos), so spans are always valid.
    """
    return token_spans(text, tokens, strict=False) or []  # lenient: never None


def read_conllu_gold(path: str | Path, limit: int | None = None) -> list[GoldSentence]:
    """Gold sentences of a CoNLL-U file (those with a `# text =` comment), at most `limit` of them."""
    out: list[GoldSentence] = []
    for doc in read_conllu(path, Vocab(), check_text=False):
        text = doc.user_data.get("text")
        if text is None:
            continue
        out.append(_gold_sentence(doc, text))
        if limit is not None and len(out) >= limit:
            break
    return out


def _gold_sentence(doc: Doc, text: str) -> GoldSentence:
    """The doc's words with their offsets, which are the gold spans where the doc spells `text`."""
    words = doc.words
    if doc.text == text:
        spans = list(zip(doc.idx.tolist(), doc.token_ends.tolist()))
    else:  # `# text` has other whitespace (or typos) than the words' MISC spacing says
        spans = align_tokens(text, words)
    return GoldSentence(text, words, spans)


def words_to_spans(words: Sequence[str], spaces: Sequence[bool]) -> list[Span]:
    """Character spans of non-whitespace tokens from a tokenizer's (words, trailing-space flags)."""
    spans: list[Span] = []
    pos = 0
    for w, sp in zip(words, spaces):
        end = pos + len(w)
        if not w.isspace():
            spans.append((pos, end))
        pos = end + (1 if sp else 0)
    return spans


@dataclass
class TokenScores:
    """Micro-averaged exact span match counts and rates."""

    tp: int = 0
    n_gold: int = 0
    n_pred: int = 0
    errors: Counter = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "n_gold": self.n_gold, "n_pred": self.n_pred}


def _error_regions(text: str, gold: list[Span], pred: list[Span]) -> Iterator[tuple[str, str]]:
    """Minimal regions where gold and predicted boundaries disagree, as ("a|b", "ab") strings."""
    gi = pi = 0
    while gi < len(gold) and pi < len(pred):
        if gold[gi] == pred[pi]:
            gi += 1
            pi += 1
            continue
        gj, pj = gi, pi
        g_end, p_end = gold[gj][1], pred[pj][1]
        while g_end != p_end:
            if g_end < p_end:
                gj += 1
                if gj >= len(gold):
                    break
                g_end = gold[gj][1]
            else:
                pj += 1
                if pj >= len(pred):
                    break
                p_end = pred[pj][1]
        yield "|".join(text[s:e] for s, e in gold[gi:gj + 1]), "|".join(text[s:e] for s, e in pred[pi:pj + 1])
        gi, pi = gj + 1, pj + 1


def score_tokenization(
    sentences: Iterable[GoldSentence],
    split: Callable[[str], tuple[list[str], list[bool]]],
    *,
    collect_errors: bool = False,
) -> TokenScores:
    """Exact character-span P/R/F1 of `split` (text -> words, spaces) over gold sentences."""
    scores = TokenScores()
    for sent in sentences:
        words, spaces = split(sent.text)
        pred = words_to_spans(words, spaces)
        gold = sent.spans
        tp = len(set(gold) & set(pred))
        scores.tp += tp
        scores.n_gold += len(gold)
        scores.n_pred += len(pred)
        if collect_errors and tp < max(len(gold), len(pred)):
            for g, p in _error_regions(sent.text, gold, pred):
                scores.errors[(g, p)] += 1
    return scores


__all__ = ["GoldSentence", "TokenScores", "align_tokens", "read_conllu_gold", "score_tokenization", "words_to_spans"]
