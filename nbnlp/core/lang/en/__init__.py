"""English defaults: tokenizer rules and lexical attributes.

The splits follow Universal Dependencies English (EWT) conventions, measured on its training
data: hyphens between words are split ("15-year" -> "15" "-" "year") except after common
prefixes ("non-stop", "e-mail"); slashes between words are split ("and/or"); numbers lose their
units ("10km" -> "10" "km") but keep ordinals and decades ("21st", "1980s"); possessives and
clitics are split ("company's" -> "company" "'s"); phone numbers, dates, times, emails and URLs
stay whole.
"""
from __future__ import annotations

from .. import punctuation as P
from .lex_attrs import LEX_ATTRS_FLAGS, LEX_ATTRS_STRING
from .tokenizer_exceptions import TOKENIZER_EXCEPTIONS

# Word prefixes that keep their hyphen ("anti-war", "e-mail", "co-op").
HYPHEN_PREFIXES = (
    "e", "non", "pre", "anti", "mid", "re", "post", "co", "over", "pro", "multi", "ex", "sub", "semi",
    "cross", "neo", "psycho", "socio", "intra", "counter", "micro", "macro", "arch", "mis",
    "ultra", "extra", "mega", "mini", "bi", "tri", "un", "under", "hyper", "pseudo", "quasi",
    "trans", "infra", "meta", "auto",
)
_NOT_AFTER_PREFIX = "".join(rf"(?<!\b{p})(?<!\b{p.upper()})(?<!\b{p.title()})" for p in HYPHEN_PREFIXES)

UNITS = (
    "km|kg|mg|g|m|cm|mm|nm|µm|mi|ft|yd|lb|lbs|oz|mph|kph|kmh|km/h|hr|hrs|min|mins|sec|secs|ms|"
    "am|pm|AM|PM|a\\.m\\.|p\\.m\\.|k|K|M|MM|mm|B|bn|GB|MB|KB|TB|gb|mb|kb|Gb|Mb|Hz|hz|kHz|MHz|GHz|"
    "W|kW|kw|MW|V|mAh|ml|mL|L|l|cc|sqft|px|pt|dpi|yrs|yr|mo|mos|wk|wks|days|persons|people|"
    "gal|gals|mpg|bps|Kbps|Mbps"
)

PREFIXES = [*P.PREFIXES, r"[@>](?=\d)", r"/(?=[A-Za-z])"]
SUFFIXES = [
    # clitics and possessives after a letter: "company's", "I'm", "don't", "Mama`s"
    rf"(?<=[{P.ALPHA}])[nN]['’][tT]",
    rf"(?<=[{P.ALPHA}])['’`](?:[sSmMdD]|ll|LL|re|RE|ve|VE)",
    rf"(?<=\d)(?:{UNITS})",
    r"(?<=\w)\+",  # "A+", "6,000+"
    r"(?<=[A-Za-z])(?::-?[()DPp]|;-?\))",  # emoticon glued to a word: "great:)"
    *P.SUFFIXES,
]
INFIXES = [
    *P.INFIXES,
    # hyphen between letters/digits ("well-known", "15-year", "F-102"), not after a listed prefix
    # (the leading lookahead makes the many lookbehinds run only at hyphens)
    rf"(?=[-‐‑])(?<=[^\W_]){_NOT_AFTER_PREFIX}[-‐‑](?=[{P.ALPHA}])",
    rf"(?=[-‐‑])(?<=[{P.ALPHA}]){_NOT_AFTER_PREFIX}[-‐‑](?=[0-9])",
    r"(?<=[0-9])[-‐‑](?=[0-9])",
    # slash between words ("and/or", "he/she"); not between digits (dates, fractions)
    rf"(?<=[{P.ALPHA}]{{2}})/(?=[{P.ALPHA}])|(?<=[{P.ALPHA}])/(?=[{P.ALPHA}]{{2}})",
    rf"(?<=[0-9])/(?=[{P.ALPHA}]{{2}})|(?<=[{P.ALPHA}]{{2}})/(?=[0-9])",
    # "word.Word" run together; "word:word"
    rf"(?<=[{P.ALPHA_LOWER}]{{2}})\.(?=[{P.ALPHA_UPPER}][{P.ALPHA_LOWER}])",
    rf"(?<=[{P.ALPHA}]{{2}}):(?=[{P.ALPHA}])",
    r"(?<=\w)\+(?=[A-Za-z])|(?<=[A-Za-z])\+(?=\w)",
]

# Kept whole before any affix is stripped: emails, phone numbers, dates, times, abbreviations.
TOKEN_MATCH = [
    P.EMAIL_PATTERN,
    P.REPEATED_SYMBOL,
    r"(?:\+?\d{1,3}[-.])?\(?\d{3}\)?[-.]\d{3}[-.]\d{4}",  # 713-853-1696, 1.800.233.1234
    r"\d{3}-\d{4}|\d-\d{4}|\d{5}-\d{4}|\d+(?:-\d+){2,}",  # 345-9945, 77415-0027, 1-800-991-9019
    r"\d{1,4}/\d{1,4}(?:/\d{1,4})?",  # 9/11, 11/28/2000
    r"\d{1,2}:\d{2}(?::\d{2})?",  # 7:30, 08:27:46
    r"(?:[A-Za-z]\.){2,}[A-Za-z]?|[A-Za-z]\.",  # U.S.A., p.m, J.
    r"[A-Za-z]/[A-Za-z]",  # w/o, I/S, L/C
    r"['’]\d\d|\d+['’]s|#['’]s",  # '07, 1960's
    r"[\w#.-]*\w\.(?i:docx?|xlsx?|pptx?|pdf|txt|rtf|wpd|csv|html?|jpe?g|gif|png|zip|exe|mp3)",  # ld2d-#69366-1.DOC
    r"x\d+(?:-\d+)*",  # phone extensions: x35172, x3-9890
    r"[+-]?\d+(?:[.,]\d+)+|[+-]\d+",  # 1,000.50  +44  -5
]
URL_MATCH = [P.URL_PATTERN]

LANG_DEFAULTS = {
    "lang": "en",
    "rules": TOKENIZER_EXCEPTIONS,
    "prefixes": PREFIXES,
    "suffixes": SUFFIXES,
    "infixes": INFIXES,
    "infix_chars": P.INFIX_CHARS,
    "token_match": TOKEN_MATCH,
    "url_match": URL_MATCH,
    "split_final_period": True,
    "string_attrs": LEX_ATTRS_STRING,
    "flag_attrs": LEX_ATTRS_FLAGS,
}
