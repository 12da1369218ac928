"""English lexical attributes: number words for `like_num`, `norm` exceptions, stop words.

`norm` maps the pieces the tokenizer produces from contractions ("n't", "ca", "'m") and common
spelling variants to one canonical form, so models see "not" whether the text said "n't" or "nt".
"""
from __future__ import annotations

from ...lex_attrs import like_num as base_like_num

_NUM_WORDS = set(
    """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
thousand million billion trillion quadrillion dozen score
""".split()
)
_ORDINAL_WORDS = set(
    """
first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth
fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth fortieth
fiftieth sixtieth seventieth eightieth ninetieth hundredth thousandth millionth billionth
trillionth
""".split()
)


def like_num(text: str) -> bool:
    """Digits ("1,000", "3.5", "1/2", "21st") or English number words ("twelve", "twenty-one")."""
    if base_like_num(text.lstrip("+-~")):
        return True
    lower = text.lower()
    if lower in _NUM_WORDS or lower in _ORDINAL_WORDS:
        return True
    if "-" in lower:
        parts = lower.split("-")
        return all(p in _NUM_WORDS or p in _ORDINAL_WORDS for p in parts)
    return False


NORM_EXCEPTIONS: dict[str, str] = {
    # contraction pieces
    "n't": "not", "nt": "not", "'m": "am", "m": "m", "'re": "are", "'ve": "have", "'ll": "will",
    "'d": "'d", "'s": "'s", "ca": "can", "wo": "will", "sha": "shall", "ai": "am", "gon": "going",
    "na": "to", "wan": "want", "ta": "to", "y'": "you", "'em": "them", "'cause": "because",
    "'til": "until", "'till": "until", "cos": "because", "cuz": "because", "coz": "because",
    "ya": "you", "u": "you", "ur": "your", "thx": "thanks", "pls": "please", "plz": "please",
    "ok": "okay", "o.k.": "okay",
    # quotes and dashes
    "``": '"', "''": '"', "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "—": "--", "–": "--",
    "…": "...",
    # British / American spelling variants (a few frequent ones)
    "colour": "color", "favourite": "favorite", "centre": "center", "theatre": "theater",
    "organisation": "organization", "realise": "realize", "behaviour": "behavior", "honour": "honor",
    "labour": "labor", "neighbour": "neighbor", "travelling": "traveling", "cancelled": "canceled",
}


def norm(text: str) -> str:
    """Lowercase, curly apostrophes straightened, and the exceptions above applied."""
    lower = text.lower()
    hit = NORM_EXCEPTIONS.get(lower)
    if hit is not None:
        return hit
    straight = lower.replace("’", "'").replace("‘", "'")
    if straight != lower:
        return NORM_EXCEPTIONS.get(straight, straight)
    return lower


STOP_WORDS = set(
    """
a about above across after afterwards again against all almost alone along already also although
always am among amongst an and another any anyhow anyone anything anyway anywhere are around as at
be became because become becomes becoming been before beforehand behind being below beside besides
between beyond both but by can cannot could did do does doing done down during each either else
elsewhere enough even ever every everyone everything everywhere except few for former formerly from
further had has have having he hence her here hereafter hereby herein hers herself him himself his
how however i if in indeed into is it its itself just last latter least less many may me meanwhile
might mine more moreover most mostly much must my myself neither never nevertheless next no nobody
none noone nor not nothing now nowhere of off often on once only onto or other others otherwise our
ours ourselves out over own per perhaps please quite rather really same seem seemed seeming seems
several she should since so some somehow someone something sometime sometimes somewhere still such
than that the their theirs them themselves then thence there thereafter thereby therefore therein
these they this those though through throughout thus to together too toward towards under until up
upon us very via was we well were what whatever when whence whenever where whereafter whereas whereby
wherein whereupon wherever whether which while whither who whoever whole whom whose why will with
within without would yet you your yours yourself yourselves
n't nt 'm 're 've 'll 'd 's ca wo sha ai gon na
""".split()
)


def is_stop(text: str) -> bool:
    """Whether the word (any case, either apostrophe) is an English stop word."""
    lower = text.lower()
    return lower in STOP_WORDS or lower.replace("’", "'") in STOP_WORDS


LEX_ATTRS_STRING = {"norm": norm}
LEX_ATTRS_FLAGS = {"like_num": like_num, "is_stop": is_stop}
