"""Language-neutral special cases: emoticons and symbol strings that must stay one token.

Special cases map an exact string to the tokens it becomes; here every entry maps to itself,
which stops prefix/suffix/infix rules from cutting ":-)" into ":", "-", ")".
"""
from __future__ import annotations

EMOTICONS: tuple[str, ...] = tuple(
    """
:) :-) :)) :-)) :))) (: (-: :] :-] [: =) (= =] :} :-} :> :-> ;) ;-) (; ;] ;-] ;D ;-D
:( :-( :(( :-(( :[ :-[ =( =[ :'( :'-( :'-) :') :/ :-/ =/ :\\ :-\\ :| :-| =| :S :-S
:D :-D =D xD XD xDD XDD 8) 8-) B) B-) :P :-P :p :-p :b :-b ;p ;-p ;P ;-P =P =p :O :-O :o :-o
:0 :-0 o.O O.o O.O o.o 0.0 -_- -__- ^_^ ^^ ^.^ ^__^ >_< >.< <3 </3 <33 :* :-* ;* :3 :-3 :@ :$
\\o/ \\m/ \\(^o^)/ ¯\\_(ツ)_/¯ (╯°□°）╯︵┻━┻ :x :-x :X :-X
""".split()
)

# Symbols and symbol pairs that are words in their own right.
SYMBOLS: tuple[str, ...] = ("''", "``", "...", "<<", ">>", "->", "<-", "=>", "<=", ">=", "--", "&&", "||", "a.m.", "p.m.", "A.M.", "P.M.")


def base_exceptions() -> dict[str, list[str]]:
    """Special cases shared by all languages (a fresh dict each call: callers extend it)."""
    rules: dict[str, list[str]] = {}
    for s in EMOTICONS + SYMBOLS:
        rules[s] = [s]
    return rules
