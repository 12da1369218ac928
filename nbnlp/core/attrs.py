"""Names of token attributes for `Doc.to_array` / `Doc.from_array` (spaCy users know these names)."""
from __future__ import annotations

# Columns stored on the Doc itself (string ids, except HEAD, SPACY, ENT_IOB, SENT_START).
DOC_COLUMNS = ("ORTH", "SPACY", "TAG", "POS", "MORPH", "LEMMA", "HEAD", "DEP", "ENT_IOB", "ENT_TYPE", "SENT_START")
# String-valued lexical attributes looked up through the vocabulary.
LEX_STRING = ("LOWER", "NORM", "PREFIX", "SUFFIX", "SHAPE")
LEX_FLAGS = (
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE",
    "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT", "IS_CURRENCY", "LIKE_NUM", "LIKE_URL",
    "LIKE_EMAIL", "IS_STOP",
)
ALL_ATTRS = DOC_COLUMNS + LEX_STRING + LEX_FLAGS

# ENT_IOB codes, as spaCy: 0 = missing, 1 = inside, 2 = outside, 3 = begin.
IOB_STRINGS = ("", "I", "O", "B")


def normalize_attr(name: str) -> str:
    """Upper-case attribute name, with a clear error for unknown ones."""
    upper = name.upper()
    if upper not in ALL_ATTRS:
        raise KeyError(f"Unknown token attribute {name!r}; expected one of {', '.join(ALL_ATTRS)}")
    return upper
