"""Config files (thinc/confection syntax): loading, `--section.key value` overrides, readable errors.

The config is the single source of truth for a pipeline. Problems are collected and reported
together, each as `section.key: expected ..., got ...`, so a user fixes them in one pass.
"""
from __future__ import annotations

import copy
import difflib
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from confection import ConfigValidationError
from thinc.api import Config

from .config_sections import add_parent_sections


@dataclass(frozen=True)
class ConfigProblem:
    """One problem at `loc` (a dotted section.key path)."""

    loc: str
    message: str
    expected: str | None = None
    given: Any = None

    def __str__(self) -> str:
        text = f"{self.loc}: {self.message}" if self.loc else self.message
        parts = []
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        if self.given is not None:
            given = repr(self.given)
            limit = 400 if isinstance(self.given, (str, Path)) else 80  # a file path is kept whole: it names the file
            parts.append(f"given {given if len(given) < limit else given[:limit - 3] + '...'}")
        return text + (f" ({', '.join(parts)})" if parts else "")


def unique_problems(problems: Iterable[ConfigProblem]) -> list[ConfigProblem]:
    """The problems in order, each reported once."""
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def is_int(x: Any) -> bool:
    """An integer setting (true/false parse as bool, which Python counts as int)."""
    return isinstance(x, int) and not isinstance(x, bool)


class ConfigError(ValueError):
    """An invalid config: every problem found, one per line."""

    def __init__(self, problems: Sequence[ConfigProblem], *, source: str | None = None) -> None:
        self.problems = unique_problems(problems)  # checks that overlap report a problem once
        self.source = source
        head = f"Invalid config{f' ({source})' if source else ''}: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in self.problems))

    def __reduce__(self) -> tuple:  # rebuilt from its problems when it crosses processes (Ray workers and trials)
        return (ConfigError, (self.problems,), {"source": self.source})

    def __setstate__(self, state: dict) -> None:
        if state.get("source"):
            self.__init__(self.problems, source=state["source"])  # type: ignore[misc]

    def with_source(self, source: str) -> "ConfigError":
        """The same problems, saying which config file they are in."""
        return ConfigError(self.problems, source=source)


def load_config(
    source: str | Path | Config | Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    interpolate: bool = True,
    report: list[str] | None = None,
) -> Config:
    """A config from a file path, a config string or a dict, with overrides applied and checked.

    spaCy's function names become nbnlp's (`spacy_config.py`); one line per substitution goes to `report`, and one
    per part of the config nothing reads (`config_usage.py`).
    An override of a setting the config leaves out is applied to the filled config (defaults added)."""
    from .spacy_config import translate_spacy

    label = None
    try:
        if isinstance(source, Config):
            config = Config(source)
        elif isinstance(source, Mapping):
            config = Config(dict(source))
        elif _names_a_file(source):
            path = Path(source)
            label = str(path)
            config = Config().from_str(add_parent_sections(read_config_text(path)), interpolate=False)
        else:
            config = Config().from_str(add_parent_sections(str(source)), interpolate=False)  # [a.b.c] needs no [a.b]
    except ConfigError:
        raise
    except Exception as err:  # confection's parse errors name the line; keep them, as one problem
        raise ConfigError([ConfigProblem("", f"cannot parse config: {parse_error_text(err)}")], source=label) from None
    with naming_source(label):
        config = translate_spacy(config, report)
        if overrides:
            config = translate_spacy(apply_overrides(config, overrides, fill=_fill), report)
        if report is not None:  # what nothing reads, said once (config_usage.py)
            from .config_usage import unused_parts

            report.extend(line for line in unused_parts(config) if line not in report)
        if interpolate:
            try:
                config = config.interpolate()
            except Exception as err:
                raise ConfigError([ConfigProblem("", f"cannot resolve a ${{...}} reference: {parse_error_text(err)}")]) from None
    return config


def read_config_text(path: Path) -> str:
    """The text of a config file; missing, a folder, empty or binary is a ConfigError naming the file."""
    if not path.exists():
        raise ConfigError([ConfigProblem("", f"config file not found: {path}")])
    if path.is_dir():
        problem = f"is a folder, not a config file (a pipeline folder's config is {path / 'config.cfg'})"
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            problem = f"not UTF-8 text (byte {data[err.start:err.start + 1]!r} at offset {err.start}), so not a config file"
        else:
            if text.strip():
                return text
            problem = "the file is empty (write one with nbnlp init-config)"
    raise ConfigError([ConfigProblem("", problem)], source=str(path))


def parse_error_text(err: Exception) -> str:
    """confection's parse error on one line, without its '<string>' stand-in for the file and its boilerplate."""
    text = str(err)
    for noise in ("Config validation error", "Make sure the sections and values are formatted correctly.", "file: '<string>', ", "'<string>'"):
        text = text.replace(noise, " ")
    text = " ".join(text.split())
    return text if len(text) <= 240 else text[:237] + "..."


def _names_a_file(source: Any) -> bool:
    return isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and "[" not in source)


def source_file(source: Any) -> str | None:
    """The config file `source` names (a path, not config text or a dict), else None."""
    return str(source) if _names_a_file(source) and Path(source).is_file() else None


@contextmanager
def naming_source(source: str | Path | None) -> Iterator[None]:
    """ConfigErrors raised inside name `source` (the config file being checked) when they name none yet."""
    try:
        yield
    except ConfigError as err:
        if source is None or err.source is not None:
            raise
        raise err.with_source(str(source)) from None


def parse_overrides(args: Sequence[str]) -> dict[str, Any]:
    """`["--training.max_steps", "100", "--paths.train=x.conllu"]` -> {"training.max_steps": 100, ...}.

    Values are parsed as JSON where they parse (numbers, true/false/null, lists), else kept as strings.
    A flag without a value means true.
    """
    result: dict[str, Any] = {}
    i = 0
    args = list(args)
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) <= 2:
            raise ConfigError([ConfigProblem("", f"unexpected argument {arg!r}", expected="--section.key value")])
        key = arg[2:]
        if "=" in key:
            key, raw = key.split("=", 1)
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            raw = args[i + 1]
            i += 1
        else:
            raw = "true"
        if "." not in key:
            raise ConfigError([ConfigProblem(key, "an override must name a section and a key", expected="--section.key value", given=arg)])
        result[key.replace("-", "_")] = parse_value(raw)
        i += 1
    return result


def parse_value(raw: str) -> Any:
    """A command-line value as JSON where it parses (numbers, true, lists...), else the string itself.

    The standard json module, not srsly's (ujson), which reads 0.3 as 0.30000000000000004."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _fill(config: Config) -> Config:
    from .training.check import fill_config  # the factories and registries: imported only when an override needs them

    return fill_config(config)


def apply_overrides(config: Config, overrides: Mapping[str, Any], *, fill: Callable[[Config], Config] | None = None) -> Config:
    """A copy of `config` with dotted keys replaced; every key must exist in the config or, given `fill`, in
    `fill(config)` (a setting left at its default: it is added, with the default block around it); typos get a hint."""
    problems = []
    updated = Config(config).copy()
    filled: list[Config] = []
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = updated
        for depth, part in enumerate(parts):
            is_last = depth == len(parts) - 1
            if isinstance(node, dict) and part not in node and fill is not None:
                if not filled:
                    filled.append(fill(updated))
                default = _at(filled[0], parts[:depth + 1])
                if default is not _ABSENT:
                    node[part] = copy.deepcopy(default)  # the default it would have had (a block comes whole)
            if not isinstance(node, dict) or part not in node:
                where = ".".join(parts[:depth]) or "the config"
                options = list(node) if isinstance(node, dict) else []
                known = _at(filled[0], parts[:depth]) if filled else _ABSENT
                options += list(known) if isinstance(known, dict) else []
                close = difflib.get_close_matches(part, options, n=1)
                hint = f"; did you mean {'.'.join(parts[:depth] + [close[0]])!r}?" if close else ""
                problems.append(ConfigProblem(dotted, f"no such setting: {where} has no {part!r}{hint}"))
                break
            if is_last:
                if isinstance(node[part], dict) and not isinstance(value, dict):
                    problems.append(ConfigProblem(dotted, "is a section, not a single setting", expected="--section.key value"))
                else:
                    node[part] = value
            else:
                node = node[part]
    if problems:
        raise ConfigError(problems)
    return updated


_ABSENT = object()


def _at(config: Mapping[str, Any], parts: Sequence[str]) -> Any:
    node: Any = config
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def problems_from_validation(err: ConfigValidationError, prefix: str = "") -> list[ConfigProblem]:
    """confection's validation error as our problems, each located by its full section.key path."""
    out = []
    for item in err.errors or []:
        loc = [str(x) for x in item.get("loc", []) if str(x) != "__root__"]
        full = ".".join(x for x in [prefix, *loc] if x)
        msg = str(item.get("msg", "invalid value"))
        if msg.startswith("at root: "):
            msg = msg[len("at root: "):]
        wrong_type = _WRONG_TYPE.match(msg)
        if wrong_type:
            out.append(ConfigProblem(full, "wrong type", expected=wrong_type.group(2), given=_Raw(wrong_type.group(1))))
        else:
            out.append(ConfigProblem(full, msg))
    if not out:
        out.append(ConfigProblem(prefix, str(err).strip()))
    return out


_WRONG_TYPE = re.compile(r"^(.*) is not <class '([\w.]+)'>$", re.S)


class _Raw(str):
    """A value already written as Python would print it (no second repr)."""

    def __repr__(self) -> str:
        return str(self)


def dotted_items(config: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(section.key, value) for every leaf setting, in order."""
    for key, value in config.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from dotted_items(value, path)
        else:
            yield path, value
