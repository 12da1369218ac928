"""Language-neutral lexical attribute functions, computed once per unique string.

Languages override entries (e.g. English `like_num` knows number words, `norm` maps "n't" to
"not"); `Vocab` calls these once for each new word and caches the results in arrays.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

# Flag attributes: name -> predicate over the word text.
FlagGetter = Callable[[str], bool]

_URL_RE = re.compile(
    r"^(?:(?:https?|ftp)://|www\d{0,3}\.)\S+$|^[\w.-]+\.(?:com|org|net|edu|gov|io|co|uk|de|info|biz)(?:/\S*)?$",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_NUM_RE = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)*|\d*[.,]\d+)(?:st|nd|rd|th)?$", re.IGNORECASE)
_FRACTION_RE = re.compile(r"^\d+/\d+$")

BRACKETS = set("()[]{}<>")
QUOTES = set("'\"`‘’‚‛“”„‟«»‹›「」『』")
LEFT_PUNCT = set("([{<‘‚‛“„‟«‹「『¿¡")
RIGHT_PUNCT = set(")]}>’”»›」』")


def is_punct(text: str) -> bool:
    return bool(text) and all(unicodedata.category(c).startswith("P") for c in text)


def is_currency(text: str) -> bool:
    return bool(text) and all(unicodedata.category(c) == "Sc" for c in text)


def like_num(text: str) -> bool:
    t = text.replace(",", "").replace(".", "", 1) if text else text
    return bool(text) and (t.isdigit() or bool(_NUM_RE.match(text)) or bool(_FRACTION_RE.match(text)))


def is_title(text: str) -> bool:
    return text.istitle()


def word_shape(text: str) -> str:
    """Orthographic shape: letters to x/X, digits to d, runs longer than 4 cut to 4 ("Apple" -> "Xxxxx" -> "Xxxx")."""
    if len(text) >= 100:
        return "LONG"
    shape: list[str] = []
    last = ""
    seq = 0
    for char in text:
        if char.isalpha():
            shape_char = "X" if char.isupper() else "x"
        elif char.isdigit():
            shape_char = "d"
        else:
            shape_char = char
        if shape_char == last:
            seq += 1
        else:
            seq = 0
            last = shape_char
        if seq < 4:
            shape.append(shape_char)
    return "".join(shape)


def prefix(text: str) -> str:
    return text[:1]


def suffix(text: str) -> str:
    return text[-3:]


def lower(text: str) -> str:
    return text.lower()


def norm(text: str) -> str:
    return text.lower()


STRING_ATTRS: dict[str, Callable[[str], str]] = {
    "lower": lower,
    "norm": norm,
    "prefix": prefix,
    "suffix": suffix,
    "shape": word_shape,
}

FLAG_ATTRS: dict[str, FlagGetter] = {
    "is_alpha": str.isalpha,
    "is_ascii": lambda t: all(ord(c) < 128 for c in t),
    "is_digit": str.isdigit,
    "is_lower": str.islower,
    "is_upper": str.isupper,
    "is_title": is_title,
    "is_punct": is_punct,
    "is_space": str.isspace,
    "is_bracket": lambda t: t in BRACKETS,
    "is_quote": lambda t: bool(t) and all(c in QUOTES for c in t),
    "is_left_punct": lambda t: t in LEFT_PUNCT,
    "is_right_punct": lambda t: t in RIGHT_PUNCT,
    "is_currency": is_currency,
    "like_num": like_num,
    "like_url": lambda t: bool(_URL_RE.match(t)),
    "like_email": lambda t: bool(_EMAIL_RE.match(t)),
    "is_stop": lambda t: False,
}
