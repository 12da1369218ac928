"""Language defaults: which rules and lexical attributes a language's tokenizer and vocab use.

Each language module exposes a `LANG_DEFAULTS` dict of plain data (pattern strings, special-case
tables, attribute functions); `create_tokenizer` compiles the patterns, so the same data can be
saved and reloaded without pickling.
"""
from __future__ import annotations

import importlib
from typing import Any

from ..tokenizer import Tokenizer
from ..vocab import Vocab
from . import punctuation as P
from .base_exceptions import base_exceptions

NEUTRAL_DEFAULTS: dict[str, Any] = {
    "lang": "xx",
    "rules": base_exceptions(),
    "prefixes": P.PREFIXES,
    "suffixes": P.SUFFIXES,
    "infixes": [*P.INFIXES, rf"(?<=[{P.ALPHA}])[-‐‑](?=[{P.ALPHA}])"],
    "infix_chars": P.INFIX_CHARS,
    "token_match": [P.EMAIL_PATTERN, P.REPEATED_SYMBOL, r"[+-]?\d+(?:[.,:/]\d+)+"],
    "url_match": [P.URL_PATTERN],
    "split_final_period": False,
    "string_attrs": {},
    "flag_attrs": {},
}

# Language code -> module (relative to this package) holding LANG_DEFAULTS; None = neutral.
LANGUAGES: dict[str, str | None] = {"xx": None, "en": ".en"}


def get_lang_defaults(lang: str) -> dict[str, Any]:
    """The defaults of language `lang` ("xx" = language-neutral); ValueError for unknown codes."""
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}; known languages: {', '.join(sorted(LANGUAGES))}")
    module = LANGUAGES[lang]
    if module is None:
        return NEUTRAL_DEFAULTS
    return importlib.import_module(module, __name__).LANG_DEFAULTS


def create_vocab(lang: str) -> Vocab:
    """A Vocab with the language's lexical attribute overrides (norm, like_num, is_stop, ...)."""
    d = get_lang_defaults(lang)
    return Vocab(lang=d["lang"], string_attrs=d["string_attrs"], flag_attrs=d["flag_attrs"])


def tokenizer_settings(lang: str) -> dict[str, Any]:
    """The language's tokenizer rules as JSON-able data, in `Tokenizer.from_dict` format."""
    d = get_lang_defaults(lang)
    return {
        "rules": {k: list(v) for k, v in d["rules"].items()},
        "prefix_search": P.compile_prefix(d["prefixes"]).pattern,
        "suffix_search": P.compile_suffix(d["suffixes"]).pattern,
        "infix_finditer": P.compile_infix(d["infixes"], d.get("infix_chars")).pattern,
        "token_match": P.compile_whole(d["token_match"]).pattern if d["token_match"] else None,
        "url_match": P.compile_whole(d["url_match"]).pattern if d["url_match"] else None,
        "split_final_period": d["split_final_period"],
    }


def create_tokenizer(lang: str, vocab: Vocab | None = None) -> Tokenizer:
    """The rule-based tokenizer of language `lang`, over `vocab` (a new one if not given)."""
    settings = tokenizer_settings(lang)
    return Tokenizer.from_dict(vocab if vocab is not None else create_vocab(lang), settings)


__all__ = ["LANGUAGES", "create_tokenizer", "create_vocab", "get_lang_defaults", "tokenizer_settings"]
