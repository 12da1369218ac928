"""Command line: `nbnlp COMMAND ...` / `python -m nbnlp COMMAND ...`.

Only argument parsing and printing live here; every command calls one function of `nbnlp.core`.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..core.config import ConfigError, naming_source, source_file
from ..core.corpus.errors import CorpusError
from ..core.damaged import DamagedFileError
from ..core.distributed.ray_session import DistributedError
from ..gpu.device import DeviceError
from .common import UserError
from .tools import (
    CONFUSION_TOP_N, _add_convert, _add_debug_data, _add_evaluate, _add_fill_config, _add_info, _add_init_config, _add_init_vectors, _add_package,
    _add_pretrain, _add_validate, format_evaluation,
)
from .labels import _add_init_labels
from .training import _add_runs, _add_sweep, _add_train

__all__ = ["CONFUSION_TOP_N", "UserError", "build_parser", "error_text", "format_evaluation", "main"]


COMMANDS = (
    _add_convert, _add_init_config, _add_fill_config, _add_train, _add_evaluate, _add_debug_data, _add_init_labels, _add_init_vectors, _add_pretrain, _add_package,
    _add_info, _add_validate, _add_sweep, _add_runs,
)


def build_parser() -> argparse.ArgumentParser:
    from ..core.about import __version__

    parser = argparse.ArgumentParser(prog="nbnlp", description="Train, evaluate and ship NLP pipelines.")
    parser.add_argument("--version", action="version", version=f"nbnlp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_overrides", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.overrides = extra
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        with naming_source(_config_file(args)):
            return int(args.run(args) or 0)
    except (ConfigError, CorpusError, DamagedFileError, DeviceError, DistributedError, UserError, ValueError, OSError) as err:
        print(f"nbnlp {args.command}: error: {error_text(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"nbnlp {args.command}: interrupted", file=sys.stderr)
        return 130


def _config_file(args: argparse.Namespace) -> str | None:
    """The config file a command was given, so that config problems found later name it."""
    return source_file(getattr(args, "config", None))


def error_text(err: BaseException) -> str:
    """The one-line message for a user error; an OSError as `FILE: reason` (its own str has an errno in brackets)."""
    if isinstance(err, OSError) and err.strerror:
        where = err.filename if err.filename is not None else ""
        return f"{where}: {err.strerror}" if where else err.strerror
    return str(err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
