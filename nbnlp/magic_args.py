"""A magic's line: its arguments from the shared tables (`nbnlp.arguments`) and `--section.key value` overrides.

`@command_arguments("train", before=..., after=...)` is IPython's `@magic_arguments()` with one
`@argument` per entry of the command's table, so `%nlp_train?` shows the same options as
`nbnlp train --help`.
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Callable, Sequence, TypeVar

from IPython.core.magic_arguments import argument, magic_arguments
from IPython.utils.process import arg_split

from .arguments import Arg, command_args
from .core.config import parse_overrides

F = TypeVar("F", bound=Callable[..., Any])


def command_arguments(command: str, before: Sequence[Arg] = (), after: Sequence[Arg] = ()) -> Callable[[F], F]:
    """Declare a magic's arguments from the command's table (the CLI reads the same table)."""

    def decorate(func: F) -> F:
        for item in reversed(command_args(command, before, after)):  # decorators apply bottom-up
            func = argument(*item.flags, **item.options)(func)
        return magic_arguments()(func)

    return decorate


def parse_line(func: Callable[..., Any], line: str, *, overrides: bool = False) -> tuple[argparse.Namespace, dict[str, Any]]:
    """The magic's arguments; with `overrides`, the `--section.key value` pairs (anywhere in the line) as a dict.

    Bad arguments raise UsageError (IPython's parser does); bad overrides raise ConfigError.
    """
    argv = arg_split(line, posix=os.name != "nt")  # quotes group words and are removed, as in a shell
    options, pairs = split_overrides(argv) if overrides else (argv, [])
    args = func.parser.parse_args(options)  # type: ignore[attr-defined]  # built by @magic_arguments
    return args, parse_overrides(pairs) if pairs else {}


def split_overrides(argv: list[str]) -> tuple[list[str], list[str]]:
    """Separate `--section.key value` / `--section.key=value` pairs (a dot in the option name) from the rest."""
    options: list[str] = []
    pairs: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token.startswith("--") and "." in token[2:].split("=", 1)[0]:
            pairs.append(token)
            if "=" not in token and i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                pairs.append(argv[i + 1])
                i += 1
        else:
            options.append(token)
        i += 1
    return options, pairs
