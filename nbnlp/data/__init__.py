"""Data shipped inside the package: the built-in demo corpus (see demo/README.md for sources and licenses)."""
from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_FILES = {
    "ewt-train": "ewt-train.conllu",
    "ewt-dev": "ewt-dev.conllu",
    "uner-train": "uner-train.iob2",
    "uner-dev": "uner-dev.iob2",
    "sms-train": "sms-train.jsonl",
    "sms-dev": "sms-dev.jsonl",
    # The same EWT and UNER slices as spaCy stores them (`../demo_spacy/*.spacy`, DocBin files made by spaCy
    # 3.8, ten sentences a doc; tools/make_demo_spacy.py; a folder of their own so converting demo/ meets no duplicates): what a spaCy user's corpora look like.
    "ewt-train-spacy": "../demo_spacy/ewt-train.spacy",
    "ewt-dev-spacy": "../demo_spacy/ewt-dev.spacy",
    "uner-train-spacy": "../demo_spacy/uner-train.spacy",
    "uner-dev-spacy": "../demo_spacy/uner-dev.spacy",
}


def demo_path(name: str) -> Path:
    """Path of one demo corpus file by short name (e.g. "ewt-train"); the folder itself for ""."""
    if not name:
        return DEMO_DIR
    try:
        return (DEMO_DIR / DEMO_FILES[name]).resolve()
    except KeyError:
        raise ValueError(f"Unknown demo corpus {name!r}; expected one of {', '.join(DEMO_FILES)}") from None
