"""CoNLL-U reader (Universal Dependencies): one Doc per sentence, streamed line by line.

Tokens are the syntactic words (lines with an integer ID). Column mapping: FORM -> word,
LEMMA -> lemma, UPOS -> pos, XPOS -> tag, FEATS -> morph, HEAD -> head (1-based, 0 = root, made
absolute 0-based with the root pointing to itself), DEPREL -> dep. Whitespace comes from MISC:
`SpaceAfter=No` -> no space, `SpacesAfter=...` -> a space flag (the exact whitespace, where it is
not one plain space, is kept in `user_data["spaces_after"]` as {token index: whitespace}, since
a Doc holds one flag per token); otherwise a space. The last token of a sentence never gets a
space: the sentence text is `# text` and sentences are joined with " " by `Doc.from_docs`.

Multiword tokens (`3-4 didn't`): inside the range the parts get no space between them and the
last part takes its space from the MWT line's MISC. Where the parts spell the surface form (all
of English EWT) the parts stay separate tokens. Where they do not (e.g. Spanish `del` = `de el`),
the surface form becomes ONE token carrying the annotations of the part that heads the others
(the part whose head lies outside the range; if several, one that other parts attach to, else
the first), and heads that pointed at the dropped parts point at that token. This keeps
`doc.text` equal to the real text, which tokenizers and NER offsets need. Every MWT is listed
in `user_data["mwt"]` as `(start_token, end_token, surface)` with `end_token` exclusive; a merged
one spans a single token.

Empty nodes (`8.1`) belong to the enhanced graph only and are skipped. An underscore field is
unset (None), except that a FORM is always a real word (a FORM `_` is an underscore) and a
LEMMA `_` is an underscore when the FORM is made of underscores and UPOS is PUNCT/SYM or the
FORM is exactly `_`.

user_data keys: "text", "sent_id", "newdoc" (True) and "doc_id", "newpar" (True) and "par_id",
"mwt", "spaces_after", "comments" (other comment lines) — each set only where present.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..doc import Doc
from ..vocab import Vocab
from ._lines import iter_lines
from .errors import CorpusError, warn_corpus

N_COLUMNS = 10
KIND = "a CoNLL-U file"
COLUMN_NAMES = "ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC"
_ID_RE = re.compile(r"^(\d+)(?:([-.])(\d+))?$")
_ESCAPES = {"s": " ", "t": "\t", "n": "\n", "r": "\r", "p": "|", "\\": "\\"}


def sniff_conllu(path: str | Path, head_lines: list[str]) -> bool:
    """True where the first token line has 10 tab-separated columns and a CoNLL-U ID."""
    for line in head_lines:
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        return len(cols) == N_COLUMNS and _ID_RE.match(cols[0]) is not None
    return False


def read_conllu(path: str | Path, vocab: Vocab, *, check_text: bool = True) -> Iterator[Doc]:
    """Yield one Doc per sentence. `check_text`: warn where `# text` differs from the rebuilt text."""
    sent = _Sentence()
    n_sents = 0
    for line_no, line in iter_lines(path, kind=KIND):
        if not line or line.isspace():
            if sent.forms:
                yield sent.to_doc(path, vocab, check_text)
                n_sents += 1
                sent = _Sentence()
            continue
        if line[0] == "#":
            sent.add_comment(line_no, line)
            continue
        cols = line.split("\t")
        if len(cols) != N_COLUMNS:
            raise _column_error(path, line_no, line, cols)
        sent.add_line(path, line_no, cols)
    if sent.forms:
        yield sent.to_doc(path, vocab, check_text)
        n_sents += 1
    elif sent.mwts:
        raise CorpusError(path, sent.mwts[-1][4], "multiword token with no words after it", expected="its word lines")
    if n_sents == 0:
        raise CorpusError(path, None, "no sentences", expected="at least one sentence of tab-separated token lines")


def _column_error(path: str | Path, line_no: int, line: str, cols: list[str]) -> CorpusError:
    hint = ""
    if len(cols) == 1 and len(line.split()) == N_COLUMNS:
        hint = "; the columns look separated by spaces, CoNLL-U needs tabs"
    return CorpusError(
        path, line_no, f"found {len(cols)} tab-separated column(s){hint}",
        expected=f"{N_COLUMNS} columns ({COLUMN_NAMES})", got=line if len(line) < 120 else line[:117] + "...",
    )


class _Sentence:
    """The lines of one sentence while it is being read (columns as parallel lists)."""

    __slots__ = ("forms", "lemmas", "upos", "xpos", "feats", "heads", "deprels", "miscs", "lines",
                 "mwts", "user_data", "text_line", "comments")

    def __init__(self) -> None:
        self.forms: list[str] = []
        self.lemmas: list[str] = []
        self.upos: list[str] = []
        self.xpos: list[str] = []
        self.feats: list[str] = []
        self.heads: list[str] = []
        self.deprels: list[str] = []
        self.miscs: list[str] = []
        self.lines: list[int] = []
        self.mwts: list[tuple[int, int, str, str, int]] = []  # (first id, last id, surface, misc, line)
        self.user_data: dict = {}
        self.text_line: int | None = None
        self.comments: list[str] = []

    # ----- collecting lines -----------------------------------------------------------------
    def add_comment(self, line_no: int, line: str) -> None:
        body = line[1:].strip()
        key, eq, value = body.partition("=")
        key = key.strip()
        value = value.strip()
        if eq and key in ("text", "sent_id"):
            self.user_data[key] = value
            if key == "text":
                self.text_line = line_no
        elif key in ("newdoc", "newpar") or key in ("newdoc id", "newpar id"):
            name = key.split()[0]
            self.user_data[name] = True
            if eq:
                self.user_data["doc_id" if name == "newdoc" else "par_id"] = value
        else:
            self.comments.append(body)

    def add_line(self, path: str | Path, line_no: int, cols: list[str]) -> None:
        tid, form, lemma, upos, xpos, feats, head, deprel, _deps, misc = cols
        expected = len(self.forms) + 1
        if tid.isdigit():
            if int(tid) != expected:
                raise CorpusError(path, line_no, "word ids are not consecutive", field="ID", expected=str(expected), got=tid)
            if not form:
                raise CorpusError(path, line_no, "empty FORM", field="FORM", expected="the word's text ('_' for an underscore)")
            if not all(cols):
                name = COLUMN_NAMES.split()[cols.index("")]
                raise CorpusError(path, line_no, f"empty {name} column", field=name, expected="a value, or '_' where it is unset")
            self.forms.append(form)
            self.lemmas.append(lemma)
            self.upos.append(upos)
            self.xpos.append(xpos)
            self.feats.append(feats)
            self.heads.append(head)
            self.deprels.append(deprel)
            self.miscs.append(misc)
            self.lines.append(line_no)
            return
        match = _ID_RE.match(tid)
        if match is None:
            raise CorpusError(path, line_no, "malformed ID", field="ID", expected="an integer, a range like 3-4 or an empty node like 8.1", got=tid)
        first, sep, last = int(match.group(1)), match.group(2), int(match.group(3))
        if sep == ".":
            return  # empty node: enhanced dependencies only
        if first != expected or last <= first:
            raise CorpusError(
                path, line_no, "bad multiword token range", field="ID",
                expected=f"a range {expected}-N with N > {expected}, starting at the next word", got=tid,
            )
        if self.mwts and self.mwts[-1][1] >= first:
            prev = self.mwts[-1]
            raise CorpusError(path, line_no, f"multiword token {tid} overlaps {prev[0]}-{prev[1]} (line {prev[4]})", field="ID", expected=f"a range after {prev[1]}", got=tid)
        self.mwts.append((first, last, form, misc, line_no))

    # ----- building the Doc ---------------------------------------------------------------
    def to_doc(self, path: str | Path, vocab: Vocab, check_text: bool) -> Doc:
        n = len(self.forms)
        for first, last, surface, _misc, line_no in self.mwts:
            if last > n:
                raise CorpusError(path, line_no, f"multiword token {first}-{last} runs past the last word", field="ID", expected=f"a range ending at most at {n}", got=f"{first}-{last}")
        parents = self._parse_heads(path, n)
        _check_cycles(path, parents, self.forms, self.lines)
        words = list(self.forms)
        spaces, spaces_after = self._spaces(n)
        lemmas = [_unset_lemma(l, f, u) for l, f, u in zip(self.lemmas, self.forms, self.upos)]
        upos = [None if v == "_" else v for v in self.upos]
        xpos = [None if v == "_" else v for v in self.xpos]
        feats = [None if v == "_" else v for v in self.feats]
        deprels = [None if v == "_" else v for v in self.deprels]
        mwt_spans: list[tuple[int, int, str]] = []
        if self.mwts:
            keep, mwt_spans = self._merge_plan(parents)
            if keep[-1] < n - 1:  # some multiword tokens collapse into one token
                words, spaces, lemmas, upos, xpos, feats, deprels, heads, spaces_after = self._merge(
                    keep, words, spaces, lemmas, upos, xpos, feats, deprels, parents, spaces_after
                )
            else:
                heads = _absolute(parents)
        else:
            heads = _absolute(parents)
        user_data = dict(self.user_data)
        if mwt_spans:
            user_data["mwt"] = mwt_spans
        if spaces_after:
            user_data["spaces_after"] = spaces_after
        if self.comments:
            user_data["comments"] = self.comments
        m = len(words)
        doc = Doc(
            vocab, words, spaces, user_data=user_data,
            tags=xpos if _any_set(xpos) else None, pos=upos if _any_set(upos) else None,
            morphs=feats if _any_set(feats) else None, lemmas=lemmas if _any_set(lemmas) else None,
            heads=heads if _any_set(heads) else None, deps=deprels if _any_set(deprels) else None,
            sent_starts=[True] + [False] * (m - 1),
        )
        text = user_data.get("text")
        if check_text and text is not None and doc.text != text:
            warn_corpus(path, self.text_line, f"sentence {user_data.get('sent_id', '')!s}: '# text' {text!r} differs from the text rebuilt from the words {doc.text!r}")
        return doc

    def _parse_heads(self, path: str | Path, n: int) -> list[int | None]:
        """0-based head word per word; -1 = root, None = unset."""
        parents: list[int | None] = []
        for head, line_no in zip(self.heads, self.lines):
            if head == "_":
                parents.append(None)
                continue
            if not head.isdigit():
                raise CorpusError(path, line_no, "HEAD is not an integer", field="HEAD", expected=f"a word id 0..{n} (0 = root) or '_'", got=head)
            h = int(head)
            if h > n:
                raise CorpusError(path, line_no, f"HEAD points past the last word of a {n}-word sentence", field="HEAD", expected=f"a word id 0..{n}", got=head)
            parents.append(h - 1)
        return parents

    def _spaces(self, n: int) -> tuple[list[bool], dict[int, str]]:
        spaces: list[bool] = []
        exact: dict[int, str] = {}
        for i, misc in enumerate(self.miscs):
            flag, ws = _space_after(misc)
            spaces.append(flag)
            if ws is not None:
                exact[i] = ws
        for first, last, _surface, misc, _line in self.mwts:
            for i in range(first - 1, last - 1):
                spaces[i] = False
                exact.pop(i, None)
            flag, ws = _space_after(misc)
            spaces[last - 1] = flag
            exact.pop(last - 1, None)
            if ws is not None:
                exact[last - 1] = ws
        if n:
            spaces[-1] = False
            exact.pop(n - 1, None)
        return spaces, exact

    def _merge_plan(self, parents: list[int | None]) -> tuple[list[int], list[tuple[int, int, str]]]:
        """Word -> token map and the MWT spans (in token indices) after merging unspelled MWTs."""
        n = len(self.forms)
        drop = [False] * n
        for first, last, surface, _misc, _line in self.mwts:
            lo, hi = first - 1, last
            if "".join(self.forms[lo:hi]) != surface:
                head_part = _head_part(parents, lo, hi)
                for i in range(lo, hi):
                    drop[i] = i != head_part
        keep: list[int] = []
        token_of_kept: dict[int, int] = {}
        t = -1
        for i in range(n):
            if not drop[i]:
                t += 1
                token_of_kept[i] = t
            keep.append(t)  # placeholder for dropped words, fixed below
        spans: list[tuple[int, int, str]] = []
        for first, last, surface, _misc, _line in self.mwts:
            lo, hi = first - 1, last
            kept = [i for i in range(lo, hi) if not drop[i]]
            if len(kept) == 1 and hi - lo > 1:
                for i in range(lo, hi):
                    keep[i] = token_of_kept[kept[0]]
                spans.append((token_of_kept[kept[0]], token_of_kept[kept[0]] + 1, surface))
            else:
                spans.append((token_of_kept[lo], token_of_kept[hi - 1] + 1, surface))
        return keep, spans

    def _merge(self, keep: list[int], words: list[str], spaces: list[bool], lemmas: list, upos: list, xpos: list,
               feats: list, deprels: list, parents: list[int | None], spaces_after: dict[int, str]) -> tuple:
        """Columns with each unspelled MWT collapsed into its surface form (see module docstring)."""
        n = len(words)
        surface_at: dict[int, tuple[int, str]] = {}
        for first, last, surface, _misc, _line in self.mwts:
            surface_at[first - 1] = (last, surface)
        out = [[] for _ in range(8)]
        new_exact: dict[int, str] = {}
        i = 0
        while i < n:
            span = surface_at.get(i)
            if span is not None and keep[i] == keep[span[0] - 1]:
                last, surface = span
                src = _head_part(parents, i, last)
                word, space, end = surface, spaces[last - 1], last
                if (last - 1) in spaces_after:
                    new_exact[keep[i]] = spaces_after[last - 1]
            else:
                src, word, space, end = i, words[i], spaces[i], i + 1
                if i in spaces_after:
                    new_exact[keep[i]] = spaces_after[i]
            p = parents[src]
            head = None if p is None else (keep[src] if p == -1 else keep[p])
            for col, value in zip(out, (word, space, lemmas[src], upos[src], xpos[src], feats[src], deprels[src], head)):
                col.append(value)
            i = end
        words, spaces, lemmas, upos, xpos, feats, deprels, heads = out
        return words, spaces, lemmas, upos, xpos, feats, deprels, heads, new_exact


def _any_set(column: list) -> bool:
    return any(v is not None for v in column)


def _absolute(parents: list[int | None]) -> list[int | None]:
    """Word-level parents (-1 = root) -> absolute heads with the root pointing to itself."""
    return [i if p == -1 else p for i, p in enumerate(parents)]


def _head_part(parents: list[int | None], lo: int, hi: int) -> int:
    """The part of words [lo, hi) that heads the others: its head is outside the range."""
    outside = [i for i in range(lo, hi) if parents[i] is None or parents[i] == -1 or not lo <= parents[i] < hi]
    for i in outside:
        if any(parents[j] == i for j in range(lo, hi)):
            return i
    return outside[0] if outside else lo


def _check_cycles(path: str | Path, parents: list[int | None], forms: list[str], lines: list[int]) -> None:
    """CorpusError naming the words of the first cycle in the heads (a word can't be its own ancestor)."""
    state = [0] * len(parents)  # 0 new, 1 on the current path, 2 reaches a root or an unset head
    for start in range(len(parents)):
        path_nodes: list[int] = []
        i: int | None = start
        while i is not None and i >= 0 and state[i] == 0:
            state[i] = 1
            path_nodes.append(i)
            i = parents[i]
        if i is not None and i >= 0 and state[i] == 1:
            cycle = path_nodes[path_nodes.index(i):]
            names = " -> ".join(f"{k + 1} {forms[k]!r}" for k in cycle + [i])
            raise CorpusError(
                path, lines[i], f"the heads form a cycle: {names}", field="HEAD",
                expected="a tree: every word leads up to the root (HEAD 0)",
            )
        for k in path_nodes:
            state[k] = 2


def _space_after(misc: str) -> tuple[bool, str | None]:
    """(space flag, exact whitespace if not one plain space) from a MISC column."""
    if "Space" not in misc:
        return True, None
    for item in misc.split("|"):
        if item == "SpaceAfter=No":
            return False, None
        if item.startswith("SpacesAfter="):
            ws = _unescape(item[len("SpacesAfter="):])
            return bool(ws), (None if ws == " " else ws)
    return True, None


def _unescape(value: str) -> str:
    r"""UD's escapes in SpacesAfter: \s space, \t, \n, \r, \p pipe, \\ backslash, \uXXXX."""
    out: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(value):
                try:
                    out.append(chr(int(value[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
        out.append(c)
        i += 1
    return "".join(out)


def _unset_lemma(lemma: str, form: str, upos: str) -> str | None:
    if lemma != "_":
        return lemma
    if form == "_" or (upos in ("PUNCT", "SYM") and form.strip("_") == ""):
        return "_"
    return None
