"""Configs written by spaCy v3 (`spacy init config`) train in nbnlp: spaCy's registered names become nbnlp's.

spaCy users arrive with a `config.cfg` naming `spacy.*` functions. Rather than registering look-alike
functions (which would pretend spaCy's models are what runs), the config is rewritten before it is
resolved: each `spacy.*` name becomes the nbnlp function that does the same job, arguments nbnlp's
function does not have are dropped, and every substitution is reported once, in one line, naming
what was dropped. A `spacy.*` name with no equivalent is a `ConfigProblem` naming the nearest nbnlp
name. The substitutions are data (`SUBSTITUTES`, `FACTORY_SETTINGS`, `SPACY_ONLY_SETTINGS`), so
adding one is adding a row. spaCy itself is never imported.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional

from thinc.api import Config

from .config import ConfigError, ConfigProblem


@dataclass(frozen=True)
class Substitute:
    """The nbnlp function standing in for a spaCy one: argument renames, arguments without meaning here, and why."""

    nbnlp: str
    renames: Mapping[str, str] = field(default_factory=dict)
    unused: tuple[str, ...] = ()
    note: str = ""
    when: Optional[tuple[str, Any]] = None  # (argument, value): this row applies only where the argument has it


_LISTENER = Substitute("nbnlp.Tok2VecListener.v1")
_TOK2VEC = Substitute("nbnlp.Tok2Vec.v1")
_EMBED = Substitute("nbnlp.HashEmbed.v1", note="hashed NORM/PREFIX/SUFFIX/SHAPE tables (+ static vectors) mixed by maxout")
_ENCODER = Substitute("nbnlp.MaxoutWindowEncoder.v2")
_TAGGER = Substitute("nbnlp.Tagger.v1", unused=("normalize",))
_PARSER_UNUSED = ("state_type", "extra_state_tokens", "hidden_width", "maxout_pieces", "use_upper")
_PARSER = Substitute(
    "nbnlp.BiaffineParser.v2", unused=_PARSER_UNUSED, when=("state_type", "parser"),
    note="nbnlp's biaffine parser (finds the sentences of running text, then one tree per sentence) stands in for the transition-based parser",
)
_NER = Substitute(
    "nbnlp.EntityTagger.v1", unused=("state_type", "extra_state_tokens", "use_upper"), when=("state_type", "ner"),
    note="nbnlp's entity tagger (BILUO tags, Viterbi-decoded) stands in for the transition-based NER model",
)
_BOW = Substitute("nbnlp.TextCatBOW.v1", unused=("no_output_layer",))
_CORPUS = Substitute("nbnlp.Corpus.v1")
_CONSOLE = Substitute("nbnlp.ConsoleLogger.v1", unused=("console_output", "output_file"))

# (registry key, spaCy name) -> its substitutes (several only where an argument decides which applies).
SUBSTITUTES: dict[tuple[str, str], tuple[Substitute, ...]] = {
    ("@architectures", "spacy.Tok2Vec.v1"): (_TOK2VEC,),
    ("@architectures", "spacy.Tok2Vec.v2"): (_TOK2VEC,),
    ("@architectures", "spacy.MultiHashEmbed.v1"): (_EMBED,),
    ("@architectures", "spacy.MultiHashEmbed.v2"): (_EMBED,),
    ("@architectures", "spacy.MaxoutWindowEncoder.v1"): (_ENCODER,),
    ("@architectures", "spacy.MaxoutWindowEncoder.v2"): (_ENCODER,),
    ("@architectures", "spacy.Tok2VecListener.v1"): (_LISTENER,),
    ("@architectures", "spacy.Tagger.v1"): (_TAGGER,),
    ("@architectures", "spacy.Tagger.v2"): (_TAGGER,),
    ("@architectures", "spacy.TransitionBasedParser.v1"): (_PARSER, _NER),
    ("@architectures", "spacy.TransitionBasedParser.v2"): (_PARSER, _NER),
    ("@architectures", "spacy.TransitionBasedParser.v3"): (_PARSER, _NER),
    ("@architectures", "spacy.TextCatBOW.v1"): (_BOW,),
    ("@architectures", "spacy.TextCatBOW.v2"): (_BOW,),
    ("@architectures", "spacy.TextCatBOW.v3"): (_BOW,),
    ("@architectures", "spacy.TextCatEnsemble.v2"): (Substitute("nbnlp.TextCatEnsemble.v1"),),
    ("@readers", "spacy.Corpus.v1"): (_CORPUS,),
    ("@augmenters", "spacy.lower_case.v1"): (Substitute("nbnlp.lower_case.v1"),),
    ("@augmenters", "spacy.orth_variants.v1"): (
        Substitute("nbnlp.orth_variants.v1", unused=("orth_variants",), note="nbnlp's built-in quote and dash variants"),),
    ("@batchers", "spacy.batch_by_words.v1"): (Substitute("nbnlp.batch_by_words.v1"),),
    ("@batchers", "spacy.batch_by_sequence.v1"): (Substitute("nbnlp.batch_by_sequence.v1", unused=("get_length",)),),
    ("@loggers", "spacy.ConsoleLogger.v1"): (_CONSOLE,),
    ("@loggers", "spacy.ConsoleLogger.v2"): (_CONSOLE,),
    ("@loggers", "spacy.ConsoleLogger.v3"): (_CONSOLE,),
    ("@readers", "spacy.read_labels.v1"): (Substitute("nbnlp.read_labels.v1", note="labels from nbnlp init-labels"),),
    ("@tokenizers", "spacy.Tokenizer.v1"): (Substitute("nbnlp.Tokenizer.v1", note="nbnlp's rule-based tokenizer for the language"),),
}

# Settings of spaCy's component factories that nbnlp's factory of the same name does not have (dropped, reported).
# `scorer`: nbnlp's components score themselves.
FACTORY_SETTINGS: dict[str, tuple[str, ...]] = {
    "tagger": ("label_smoothing", "overwrite", "neg_prefix", "scorer"),
    "parser": ("moves", "update_with_oracle_cut_size", "learn_tokens", "min_action_freq", "scorer"),
    "ner": ("moves", "update_with_oracle_cut_size", "incorrect_spans_key", "scorer"),
    "textcat": ("scorer",),
    "textcat_multilabel": ("scorer",),
}

# spaCy settings outside the components that nbnlp does not use: dropped when empty (null, [], {}), a problem otherwise.
SPACY_ONLY_SETTINGS: dict[str, tuple[str, ...]] = {
    "nlp": ("vectors",),  # `disabled` and the creation callbacks: nbnlp uses them (pipeline/creation.py)
    "initialize": ("vocab_data", "lookups", "before_init", "after_init"),  # `tokenizer`, `components`: nbnlp passes them on
    "pretraining": ("n_save_epoch", "layer"),  # nbnlp pretrains the whole tok2vec and saves every `n_save_every` batches
}
# `[nlp.vectors] @vectors = "spacy.Vectors.v1"` is spaCy's default table: nbnlp keeps vectors in the vocab.
EMPTY_BLOCKS = {("@vectors", "spacy.Vectors.v1")}

# Scores in spaCy's generated `[training.score_weights]` that nbnlp's evaluation does not report (dropped when weighted null or 0).
UNREPORTED_SCORES = frozenset({"tag_micro_p", "tag_micro_r", "tag_micro_f", "pos_acc"})  # pos_acc: only with label_attr "pos"


def translate_spacy(config: Config, report: Optional[list[str]] = None) -> Config:
    """`config` with spaCy's names replaced by nbnlp's; one line per substitution is appended to `report`.

    Raises ConfigError naming each `spacy.*` function without an equivalent (with the nearest nbnlp name)
    and each spaCy-only setting that is not empty."""
    out = Config(config).copy()
    lines: dict[str, _Line] = {}
    problems: list[ConfigProblem] = []
    _drop_factory_settings(out, lines)
    for loc, block in list(_blocks(out)):
        _substitute(loc, block, lines, problems)
    _drop_spacy_only(out, lines, problems)
    _drop_unreported_scores(out, lines)
    if problems:
        raise ConfigError(problems)
    if report is not None:
        report.extend(line.text() for line in lines.values() if line.text() not in report)
    return out


@dataclass
class _Line:
    head: str
    places: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    note: str = ""
    unused_label: str = "unused"

    def text(self) -> str:
        where = self.places[0] + (f" and {len(self.places) - 1} more" if len(self.places) > 1 else "")
        unused = f"; {self.unused_label}: {', '.join(self.unused)}" if self.unused else ""
        note = f": {self.note}" if self.note else ""
        return f"{self.head} at {where}{note}{unused}"


def _line(lines: dict[str, _Line], key: str, head: str, place: str, unused: list[str], note: str = "", label: str = "unused") -> None:
    line = lines.setdefault(key, _Line(head, note=note, unused_label=label))
    line.places.append(place)
    line.unused.extend(u for u in unused if u not in line.unused)


def _blocks(node: Any, loc: str = "") -> Iterator[tuple[str, dict]]:
    """(dotted location, block) for every section holding an `@registry` key, outermost first."""
    if not isinstance(node, dict):
        return
    if any(isinstance(k, str) and k.startswith("@") for k in node):
        yield loc, node
    for key, value in node.items():
        yield from _blocks(value, f"{loc}.{key}" if loc else str(key))


def _substitute(loc: str, block: dict, lines: dict[str, _Line], problems: list[ConfigProblem]) -> None:
    key = next(k for k in block if isinstance(k, str) and k.startswith("@"))
    name = block[key]
    if not isinstance(name, str) or not name.startswith("spacy"):
        return
    if (key, name) in EMPTY_BLOCKS:
        return  # dropped with its setting (SPACY_ONLY_SETTINGS)
    rows = SUBSTITUTES.get((key, name))
    if rows is None:
        problems.append(ConfigProblem(f"{loc}.{key}", f"spaCy's {name!r} has no nbnlp equivalent{_nearest(key, name)}", given=name))
        return
    row = next((r for r in rows if r.when is None or block.get(r.when[0], r.when[1]) == r.when[1]), None)
    if row is None:
        arg = rows[0].when[0] if rows[0].when else ""
        choices = " or ".join(repr(r.when[1]) for r in rows if r.when)
        problems.append(ConfigProblem(f"{loc}.{arg}", f"nbnlp has an equivalent of {name!r} only for {arg} {choices}", given=block.get(arg)))
        return
    dropped = [arg for arg in row.unused if arg in block]
    for arg in dropped:
        del block[arg]
    for old, new in row.renames.items():
        if old in block:
            block[new] = block.pop(old)
    block[key] = row.nbnlp
    variant = f" ({row.when[0]} {row.when[1]!r})" if row.when else ""
    _line(lines, f"{key}:{name}:{row.nbnlp}", f"spaCy {name}{variant} -> {row.nbnlp}", loc, dropped, row.note)


def _nearest(key: str, name: str) -> str:
    """'; nearest nbnlp name: ...' from the registry `key` names (compared without the 'spacy.'/'nbnlp.' prefix)."""
    from .registry import registry

    _register_builtins()
    namespace = key[1:]
    if not hasattr(registry, namespace):
        return f" (nbnlp has no @{namespace} functions)"
    names = sorted(getattr(registry, namespace).get_all())
    stem = name.split(".", 1)[-1].lower()
    scored = sorted(names, key=lambda n: -difflib.SequenceMatcher(None, stem, n.split(".", 1)[-1].lower()).ratio())
    return f"; nearest nbnlp name: {scored[0]!r}" if scored else ""


def _register_builtins() -> None:
    """Import the modules whose functions the nearest-name hint chooses from."""
    from . import components  # noqa: F401
    from .training import batchers, corpus, loggers, raw_text  # noqa: F401


def _drop_factory_settings(config: Config, lines: dict[str, _Line]) -> None:
    for name, block in (config.get("components") or {}).items():
        if not isinstance(block, dict):
            continue
        factory = block.get("factory")
        dropped = [key for key in FACTORY_SETTINGS.get(str(factory), ()) if key in block]
        for key in dropped:
            del block[key]
        if dropped:
            _line(lines, f"factory:{factory}", f"spaCy's {factory} settings have no meaning for nbnlp's {factory}", f"components.{name}",
                  dropped, label="dropped")


def _drop_spacy_only(config: Config, lines: dict[str, _Line], problems: list[ConfigProblem]) -> None:
    for section, keys in SPACY_ONLY_SETTINGS.items():
        values = config.get(section)
        if not isinstance(values, dict):
            continue
        dropped = []
        for key in keys:
            if key not in values:
                continue
            if _empty(values[key]):
                del values[key]
                dropped.append(key)
            else:
                problems.append(ConfigProblem(f"{section}.{key}", "a spaCy setting nbnlp does not support", expected="null or empty", given=values[key]))
        if dropped:
            _line(lines, f"only:{section}", "spaCy settings nbnlp does not use, all empty", section, dropped, label="dropped")


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(k.startswith("@") and (k, v) in EMPTY_BLOCKS for k, v in value.items()) or not value
    return value is None or value == [] or value == ""


def _drop_unreported_scores(config: Config, lines: dict[str, _Line]) -> None:
    weights = (config.get("training") or {}).get("score_weights")
    if not isinstance(weights, dict):
        return
    dropped = [k for k, v in weights.items() if k in UNREPORTED_SCORES and not v]
    for key in dropped:
        del weights[key]
    if dropped:
        _line(lines, "scores", "spaCy scores nbnlp does not report (weight null or 0)", "training.score_weights", dropped, label="dropped")


__all__ = ["EMPTY_BLOCKS", "FACTORY_SETTINGS", "SPACY_ONLY_SETTINGS", "SUBSTITUTES", "Substitute", "UNREPORTED_SCORES", "translate_spacy"]
