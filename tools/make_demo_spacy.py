"""Make the demo corpus' `.spacy` (DocBin) files with spaCy itself, for tutorial 08 (a spaCy user's corpora).

Run with a Python that has spaCy 3.8 (nbnlp never imports spaCy), from the repository root:

    python tools/make_demo_spacy.py

It reads the demo corpus shipped in `nbnlp/data/demo/` and writes into `nbnlp/data/demo_spacy/`, ten sentences per document (the running
text `spacy convert -n 10` makes):
- ewt-train.spacy / ewt-dev.spacy: from ewt-*.conllu through spaCy's CoNLL-U converter (`conllu_to_docs`): words,
  spaces, tags, POS, morphology, lemmas, heads and labels, sentence starts.
- uner-train.spacy / uner-dev.spacy: from uner-*.iob2; spaCy has no `.iob2` converter, so each sentence's words, their
  spacing in `# text` and its IOB2 tags become a `spacy.tokens.Doc`, and ten of them are joined (`Doc.from_docs`).
"""
from __future__ import annotations

from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin
from spacy.training.converters import conllu_to_docs

DEMO = Path(__file__).resolve().parents[1] / "nbnlp" / "data" / "demo"
OUT = DEMO.parent / "demo_spacy"
N_SENTS = 10


def spaces_from_text(words: list[str], text: str) -> list[bool]:
    """Whether each word is followed by whitespace in `text` (the words spell `text` in order)."""
    spaces, pos = [], 0
    for word in words:
        pos = text.index(word, pos) + len(word)
        spaces.append(pos < len(text) and text[pos].isspace())
    return spaces


def make_ewt(split: str) -> int:
    text = (DEMO / f"ewt-{split}.conllu").read_text(encoding="utf8")
    docs = list(conllu_to_docs(text, n_sents=N_SENTS, no_print=True))
    DocBin(docs=docs).to_disk(OUT / f"ewt-{split}.spacy")
    return len(docs)


def make_uner(split: str) -> int:
    nlp = spacy.blank("en")
    sentences = []
    for block in (DEMO / f"uner-{split}.iob2").read_text(encoding="utf8").strip().split("\n\n"):
        lines = block.splitlines()
        sent_text = next(line.split("=", 1)[1].strip() for line in lines if line.startswith("# text"))
        rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
        words = [row[1] for row in rows]
        starts = [True] + [False] * (len(words) - 1)
        sentences.append(Doc(nlp.vocab, words=words, spaces=spaces_from_text(words, sent_text),
                             ents=[row[2] for row in rows], sent_starts=starts))
    docs = [Doc.from_docs(sentences[i:i + N_SENTS]) for i in range(0, len(sentences), N_SENTS)]
    DocBin(docs=docs).to_disk(OUT / f"uner-{split}.spacy")
    return len(docs)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for split in ("train", "dev"):
        print(f"ewt-{split}.spacy: {make_ewt(split)} docs; uner-{split}.spacy: {make_uner(split)} docs")


if __name__ == "__main__":
    main()
