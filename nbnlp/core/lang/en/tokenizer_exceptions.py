"""English special cases: contractions (with and without apostrophes), abbreviations, oddities.

Splits follow the Penn Treebank / Universal Dependencies English conventions: "don't" -> "do"
"n't", "can't" -> "ca" "n't", "cannot" -> "can" "not", "gonna" -> "gon" "na", "I'm" -> "I" "'m".
Every entry is generated in lower, Title and UPPER case and with straight and curly apostrophes,
since web text uses all of them.
"""
from __future__ import annotations

from ..base_exceptions import base_exceptions

APOSTROPHES = ("'", "’")

# Subjects that take clitic auxiliaries ('m, 're, 's, 've, 'll, 'd).
_PRONOUN_CLITICS: dict[str, tuple[str, ...]] = {
    "i": ("m", "ve", "ll", "d"),
    "you": ("re", "ve", "ll", "d"),
    "we": ("re", "ve", "ll", "d"),
    "they": ("re", "ve", "ll", "d"),
    "he": ("s", "ll", "d"),
    "she": ("s", "ll", "d"),
    "it": ("s", "ll", "d"),
    "that": ("s", "ll", "d"),
    "there": ("s", "ll", "d", "re", "ve"),
    "here": ("s",),
    "what": ("s", "re", "ll", "d", "ve"),
    "who": ("s", "re", "ll", "d", "ve"),
    "where": ("s", "d"),
    "when": ("s",),
    "why": ("s", "d"),
    "how": ("s", "d"),
    "let": ("s",),
    "y": ("all",),
}

# Auxiliaries negated with n't: written form -> the stem token before "n't".
_NEGATED: dict[str, str] = {
    "don't": "do", "doesn't": "does", "didn't": "did", "can't": "ca", "couldn't": "could",
    "won't": "wo", "wouldn't": "would", "shan't": "sha", "shouldn't": "should", "isn't": "is",
    "aren't": "are", "wasn't": "was", "weren't": "were", "haven't": "have", "hasn't": "has",
    "hadn't": "had", "mustn't": "must", "mightn't": "might", "needn't": "need", "ain't": "ai",
    "daren't": "dare", "oughtn't": "ought",
}

# Contractions typed without an apostrophe that are not also ordinary words (so not "its",
# "were", "ill", "well", "lets", "hell", "shell", "wed", "id").
_NO_APOSTROPHE: dict[str, list[str]] = {
    "dont": ["do", "nt"], "doesnt": ["does", "nt"], "didnt": ["did", "nt"], "cant": ["ca", "nt"],
    "couldnt": ["could", "nt"], "wont": ["wo", "nt"], "wouldnt": ["would", "nt"],
    "shouldnt": ["should", "nt"], "isnt": ["is", "nt"], "arent": ["are", "nt"], "arnt": ["ar", "nt"],
    "wasnt": ["was", "nt"], "werent": ["were", "nt"], "havent": ["have", "nt"], "hasnt": ["has", "nt"],
    "hadnt": ["had", "nt"], "aint": ["ai", "nt"], "im": ["i", "m"], "ive": ["i", "ve"],
    "youre": ["you", "re"], "youve": ["you", "ve"], "theyre": ["they", "re"], "theyve": ["they", "ve"],
    "thats": ["that", "s"], "whats": ["what", "s"], "theres": ["there", "s"], "hes": ["he", "s"],
    "cannot": ["can", "not"], "gonna": ["gon", "na"], "wanna": ["wan", "na"], "gotta": ["got", "ta"],
}

# Words with an apostrophe that stay whole.
_WHOLE_WITH_APOSTROPHE = (
    "'s", "'re", "'ve", "'ll", "'d", "'m", "n't", "'em", "'cause", "'til", "'till", "'bout", "'n'",
    "ma'am", "o'clock", "ol'", "nothin'", "somethin'", "goin'", "doin'", "lovin'", "rock'n'roll",
)

# Abbreviations ending in a period (kept whole; titles, months, days, states, companies, Latin).
ABBREVIATIONS = """
Mr. Mrs. Ms. Messrs. Dr. Drs. Prof. Rev. Hon. Gen. Lt. Col. Capt. Cmdr. Maj. Sgt. Cpl. Pvt. Adm.
Sen. Sens. Rep. Reps. Gov. Pres. Supt. Amb. Jr. Sr. St. Ste. Ft. Mt. Atty. Insp. Fr. Esq.
Inc. Corp. Co. Cos. Ltd. Bros. Assn. Assoc. Dept. Univ. Inst. Intl. Natl. Govt. Admin. Mfg.
Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec.
Mon. Tue. Tues. Wed. Thu. Thur. Thurs. Fri. Sat. Sun.
Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ida. Ind. Kan. Kans. Ky. La. Md. Mass. Mich.
Minn. Miss. Mo. Mont. Neb. Nev. Okla. Ore. Pa. Penn. Tenn. Tex. Va. Vt. Wash. Wis. Wyo.
Ave. Blvd. Rd. Hwy. Pl. Sq. Ln. Apt. Ste. Bldg. Rm.
etc. vs. v. viz. cf. al. ca. approx. appt. est. esp. fig. figs. no. nos. vol. vols. pp. ed. eds.
p. ph. tel. ext. attn. dept. min. max. misc. govt. yr. yrs. wk. mo. hr. hrs. sec. secs. pt. pts.
e.g. i.e. a.m. p.m. a.k.a. c.o.d. ph.d. o.k. et. seq.
Ph.D. M.D. B.A. M.A. B.S. M.S. D.C. U.S. U.K. U.N. E.U. L.A. N.Y. P.S. P.O. T.V.
""".split()

# Abbreviations spelled without a final period that contain one ("p.m" is handled by regex).
_LOWER_ONLY_ABBREVIATIONS = {"e.g.", "i.e.", "a.m.", "p.m.", "a.k.a.", "c.o.d.", "et.", "seq.", "cf.", "viz.", "v."}


def _case_variants(tokens: list[str]) -> list[list[str]]:
    """lower, Title (first token capitalised) and UPPER versions of a token list."""
    lower = [t.lower() for t in tokens]
    title = [lower[0][:1].upper() + lower[0][1:]] + lower[1:]
    upper = [t.upper() for t in tokens]
    out: list[list[str]] = []
    for variant in (lower, title, upper):
        if variant not in out:
            out.append(variant)
    return out


def _add(rules: dict[str, list[str]], tokens: list[str]) -> None:
    for variant in _case_variants(tokens):
        for apos in APOSTROPHES:
            toks = [t.replace("'", apos) for t in variant]
            rules["".join(toks)] = toks


def english_exceptions() -> dict[str, list[str]]:
    """All English special cases, plus the language-neutral ones (a fresh dict each call)."""
    rules = base_exceptions()
    for pron, clitics in _PRONOUN_CLITICS.items():
        for clitic in clitics:
            if pron == "y":
                _add(rules, ["y'", "all"])
            else:
                _add(rules, [pron, "'" + clitic])
    for written, stem in _NEGATED.items():
        _add(rules, [stem, "n't"])  # "can't" -> "ca" + "n't", "won't" -> "wo" + "n't"
    for pron in ("i", "you", "he", "she", "it", "we", "they"):  # "I'd've", "wouldn't've"
        _add(rules, [pron, "'d", "'ve"])
    for written, tokens in _NO_APOSTROPHE.items():
        for variant in _case_variants(tokens):
            rules["".join(variant)] = variant
    for word in _WHOLE_WITH_APOSTROPHE:
        for variant in _case_variants([word]):
            for apos in APOSTROPHES:
                w = variant[0].replace("'", apos)
                rules[w] = [w]
    for variant in (["I", "'m", "a"], ["I", "’m", "a"]):  # "I'ma" (I'm going to)
        rules["".join(variant)] = variant
    for word in ("Yahoo!", "Jeopardy!"):
        rules[word] = [word]
    for abbr in ABBREVIATIONS:
        rules[abbr] = [abbr]
        if abbr not in _LOWER_ONLY_ABBREVIATIONS:
            rules[abbr[:1].upper() + abbr[1:]] = [abbr[:1].upper() + abbr[1:]]
        if abbr.islower() or abbr in _LOWER_ONLY_ABBREVIATIONS:
            rules[abbr.upper()] = [abbr.upper()]
    return rules


TOKENIZER_EXCEPTIONS = english_exceptions()
