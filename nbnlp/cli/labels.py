"""`nbnlp init-labels CONFIG OUTPUT_DIR`: write each component's labels for `[initialize.components.NAME] labels`."""
from __future__ import annotations

import argparse
from typing import Callable

from ..arguments import add_arguments


def _add_init_labels(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "init-labels",
        help="write each component's labels from the training corpus, for faster start-up",
        description="Read the config's training corpus once and write OUTPUT_DIR/NAME.json with each component's labels; "
        "then [initialize.components.NAME] labels = {\"@readers\": \"nbnlp.read_labels.v1\", \"path\": \"OUTPUT_DIR/NAME.json\"} "
        "initialises NAME from the file. Any --section.key value after the options overrides the config.",
        epilog="Example: nbnlp init-labels config.cfg labels --paths.train train.conllu",
    )
    add_arguments(p, "init-labels")
    p.set_defaults(accepts_overrides=True)

    def run(args: argparse.Namespace) -> int:
        from ..core.commands.init_labels import init_labels
        from ..core.config import parse_overrides
        from ..core.util import import_code

        import_code(args.code)
        written = init_labels(args.config, args.output_dir, overrides=parse_overrides(args.overrides))
        for name, path in written.items():
            print(f"Wrote {path} ({name})")
        return 0

    p.set_defaults(run=run)
    return run
