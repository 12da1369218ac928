"""Command line: `nbnlp COMMAND ...` / `python -m nbnlp COMMAND ...`.

Only argument parsing and printing live here; every command calls one function of `nbnlp.core`.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from .core.corpus.errors import CorpusError


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 1."""


def _add_convert(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "convert",
        help="convert CoNLL-U / IOB / CoNLL NER / UNER / JSONL data to .nbnlp or JSONL",
        description="Convert a corpus file, or every corpus file in a folder, for training.",
    )
    p.add_argument("input", help="input file or folder")
    p.add_argument("output_dir", help="folder for the converted files")
    p.add_argument("--converter", "-c", default="auto", help="auto|conllu|uner|iob|ner|jsonl (default: auto)")
    p.add_argument("--n-sents", "-n", type=int, default=1, help="sentences grouped into one doc (default: 1)")
    p.add_argument("--file-type", "-t", default="nbnlp", choices=["nbnlp", "jsonl"], help="output type")
    p.add_argument("--lang", "-l", default="en", help="language of the tokenizer for raw text (default: en)")

    def run(args: argparse.Namespace) -> int:
        from .core.corpus.convert import convert

        results = convert(
            args.input, args.output_dir, converter=args.converter, n_sents=args.n_sents,
            file_type=args.file_type, lang=args.lang,
        )
        for r in results:
            print(f"{r.source} ({r.format}) -> {r.output}: {r.n_docs} docs, {r.n_sents} sentences, {r.n_words} words")
        return 0

    p.set_defaults(run=run)
    return run


COMMANDS = (_add_convert,)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="nbnlp", description="Train, evaluate and ship NLP pipelines.")
    parser.add_argument("--version", action="version", version=f"nbnlp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (CorpusError, UserError, ValueError, FileNotFoundError) as err:
        print(f"nbnlp {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"nbnlp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
