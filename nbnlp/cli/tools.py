"""The toolbox commands: convert, init-config, fill-config, evaluate, debug-data, init-vectors, pretrain, package, info, validate."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from ..arguments import add_arguments, arg


def _add_convert(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "convert",
        help="convert CoNLL-U / IOB / CoNLL NER / UNER / JSONL data to .nbnlp or JSONL",
        description="Convert a corpus file, or every corpus file in a folder, for training.",
    )
    add_arguments(p, "convert")

    def run(args: argparse.Namespace) -> int:
        from ..core.corpus.convert import convert

        results = convert(
            args.input, args.output_dir, converter=args.converter, n_sents=args.n_sents,
            file_type=args.file_type, lang=args.lang,
        )
        for r in results:
            print(r.summary())
        return 0

    p.set_defaults(run=run)
    return run


def _add_init_config(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "init-config",
        help="write a complete, commented training config",
        description="Write a training config with every setting explicit ('-' writes to stdout).",
    )
    add_arguments(p, "init-config", before=[arg("output_file", help="where to write the config, or - for stdout")])

    def run(args: argparse.Namespace) -> int:
        from ..core.corpus.atomic import atomic_write
        from ..core.commands.init_config import init_config

        text = init_config(lang=args.lang, pipeline=args.pipeline.split(","), optimize=args.optimize, gpu=args.gpu, pretraining=args.pretraining)
        if args.output_file == "-":
            sys.stdout.write(text)
        else:
            with atomic_write(args.output_file, "w", encoding="utf8") as f:
                f.write(text)
            print(f"Wrote {args.output_file} (pipeline: tok2vec, {args.pipeline}). Train with: nbnlp train {args.output_file} --output OUTPUT_DIR --paths.train TRAIN --paths.dev DEV")
        return 0

    p.set_defaults(run=run)
    return run


def _add_fill_config(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "fill-config",
        help="write a config with every default filled in (spaCy's function names replaced by nbnlp's)",
        description="Fill every default of a partial config, as training does, and write it ('-' writes to stdout). "
        "Any --section.key value after the arguments overrides the config.",
    )
    add_arguments(p, "fill-config")
    p.set_defaults(accepts_overrides=True)

    def run(args: argparse.Namespace) -> int:
        from ..core.commands.fill_config import fill_config_text
        from ..core.config import parse_overrides
        from ..core.corpus.atomic import atomic_write
        from ..core.util import import_code

        import_code(args.code)
        filled = fill_config_text(args.input_file, parse_overrides(args.overrides))
        out = sys.stderr if args.output_file == "-" else sys.stdout
        for line in filled.substitutions + filled.notes:
            print(line, file=out)
        if args.output_file == "-":
            sys.stdout.write(filled.text)
        else:
            with atomic_write(args.output_file, "w", encoding="utf8") as f:
                f.write(filled.text)
            print(f"Wrote {args.output_file}. Train with: nbnlp train {args.output_file} --output OUTPUT_DIR")
        return 0

    p.set_defaults(run=run)
    return run


def _add_evaluate(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "evaluate",
        help="score a trained pipeline on annotated data",
        description="Score a pipeline on a corpus; print a table, optionally write scores JSON and HTML renderings.",
    )
    add_arguments(p, "evaluate", before=[arg("model", help="pipeline folder (e.g. out/model-best)")], after=[
        arg("--output", "-o", default=None, help="write the scores as JSON here"),
        arg("--displacy-path", "-dp", default=None, help="folder for HTML renderings of parses and entities"),
        arg("--displacy-limit", "-dl", type=int, default=25, help="docs to render (default: 25)"),
        arg("--per-label", "-pl", action="store_true", help="also print per-label tables with support counts and confusion matrices"),
    ])

    def run(args: argparse.Namespace) -> int:
        import srsly

        from ..core.corpus.atomic import atomic_write
        from ..core.commands.evaluate import evaluate
        from ..core.render import write_renderings
        from ..core.util import import_code

        import_code(args.code)
        result = evaluate(args.model, args.data, gold_preproc=args.gold_preproc, gpu_id=args.gpu_id)
        print(format_evaluation(result, per_label=args.per_label))
        if args.output:
            with atomic_write(args.output, "w", encoding="utf8") as f:
                f.write(srsly.json_dumps(result.scores, indent=2) + "\n")
            print(f"Wrote scores to {args.output}")
        if args.displacy_path:
            written = write_renderings(result.predicted[: args.displacy_limit], args.displacy_path, title=f"{args.model} on {args.data}")
            print(f"Wrote {', '.join(map(str, written))}" if written else "Nothing to render: the pipeline sets no parses or entities")
        return 0

    p.set_defaults(run=run)
    return run


def format_evaluation(result: Any, *, per_label: bool = False) -> str:
    """The overall scores as text, then the per-type tables of the scores, or with `per_label` every per-label
    table (with support counts) and confusion matrix the core computes."""
    from ..core.scores import display
    from ..core.scores.confusion import available_kinds, confusion_matrix, top_labels
    from ..core.scores.per_label import per_label_tables, score_tables

    sections = [display.format_overall(result.scores)]
    if not per_label:
        sections += [display.format_label_table(key, rows) for key, rows in score_tables(result.scores).items()]
        return display.join_sections(sections)
    for title, _, rows in per_label_tables(result).values():
        sections.append(display.format_label_table(title, rows, support=True))
    for kind in available_kinds(result):
        labels, counts = top_labels(*confusion_matrix(result, kind), CONFUSION_TOP_N)
        sections.append(display.format_confusion(display.KIND_TITLES.get(kind, kind), labels, counts))
    return display.join_sections(sections)


CONFUSION_TOP_N = 12  # labels with their own row in a text confusion matrix; the rest are merged


def _add_debug_data(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "debug-data",
        help="check a config's training and dev data before training",
        description="Report problems in the corpora a config names. Any --section.key value after the options overrides the config.",
        epilog="Example: nbnlp debug-data config.cfg --paths.train train.conllu --paths.dev dev.conllu",
    )
    add_arguments(p, "debug-data", before=[arg("config", help="config file (see nbnlp init-config)")],
                  after=[arg("--no-format", "-NF", action="store_true", help="plain text without symbols (for files)")])
    p.set_defaults(accepts_overrides=True)

    def run(args: argparse.Namespace) -> int:
        from ..core.config import parse_overrides
        from ..core.commands.debug_data import debug_data, format_report
        from ..core.util import import_code

        import_code(args.code)
        report = debug_data(args.config, overrides=parse_overrides(args.overrides), verbose=args.verbose)
        print(format_report(report, "plain" if args.no_format else "text"))
        return 1 if report.n_errors else 0

    p.set_defaults(run=run)
    return run


def _add_package(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "package",
        help="make an installable Python package (and wheel) from a pipeline folder",
        description="Write OUTPUT_DIR/<lang>_<name>-<version>/ with the pipeline inside and build it into dist/.",
    )
    add_arguments(p, "package", before=[arg("input_dir", help="pipeline folder (e.g. out/model-best)")])

    def run(args: argparse.Namespace) -> int:
        from ..core.commands.package import describe_package, package

        folder = package(args.input_dir, args.output_dir, name=args.name, version=args.version,
                         meta_path=args.meta_path, build=args.build, force=args.force, code=args.code)
        print(describe_package(folder))
        return 0

    p.set_defaults(run=run)
    return run


def _add_info(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser("info", help="versions, GPU and installed pipelines (for bug reports)",
                       description="Print nbnlp's environment, installed pipeline packages, and optionally one pipeline's meta.")
    add_arguments(p, "info", after=[arg("--silent", "-s", action="store_true", help="print nothing")])

    def run(args: argparse.Namespace) -> int:
        from ..core.commands.info import format_info, info

        data = info(args.model)
        if not args.silent:
            print(format_info(data, markdown=args.markdown))
        return 0

    p.set_defaults(run=run)
    return run


def _add_validate(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser("validate", help="check installed pipeline packages against this nbnlp version",
                       description="List installed pipeline packages; exit code 1 if any was saved with another nbnlp major.minor.")

    def run(args: argparse.Namespace) -> int:
        from ..core.commands.info import format_validation, validate

        results = validate()
        print(format_validation(results))
        return 0 if all(r["compatible"] for r in results) else 1

    p.set_defaults(run=run)
    return run


def _add_init_vectors(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "init-vectors",
        help="make a pipeline folder with word vectors from a word2vec/fastText text file",
        description="Read word vectors (word2vec text format: first line 'n_rows width'; plain, .gz, .zip or .tar.gz) "
        "into a blank pipeline folder; use it with [initialize] vectors = \"OUTPUT_DIR\".",
    )
    add_arguments(p, "init-vectors")

    def run(args: argparse.Namespace) -> int:
        from ..core.commands.init_vectors import init_vectors

        result = init_vectors(args.lang, args.vectors_file, args.output_dir, truncate=args.truncate, prune=args.prune, name=args.name)
        print(f"Wrote {result.output_dir}: {result.summary()}")
        return 0

    p.set_defaults(run=run)
    return run


def _add_pretrain(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "pretrain",
        help="pretrain a config's tok2vec on raw text",
        description="Pretrain the [pretraining] component (the tok2vec) on raw JSONL text, saving OUTPUT_DIR/modelN.bin "
        "after each epoch. Any --section.key value after the options overrides the config.",
        epilog="Example: nbnlp pretrain config.cfg pretrain-out --paths.raw_text raw.jsonl --pretraining.max_epochs 5",
    )
    add_arguments(p, "pretrain", before=[arg("config", help="config file with a [pretraining] section (nbnlp init-config --pretraining)")])
    p.set_defaults(accepts_overrides=True)

    def run(args: argparse.Namespace) -> int:
        from ..core.config import parse_overrides
        from ..core.commands.pretrain import pretrain
        from ..core.util import import_code

        import_code(args.code)

        def show(step) -> None:
            if step.is_epoch_end:
                print(f"{step.epoch:>5}  {step.words:>12,}  {step.loss:>9.4f}  {step.seconds:>8.1f}  {step.saved}", flush=True)

        print(f"{'EPOCH':>5}  {'WORDS':>12}  {'LOSS/WORD':>9}  {'SECONDS':>8}  WEIGHTS", flush=True)
        result = pretrain(args.config, args.output_dir, overrides=parse_overrides(args.overrides), epoch_resume=args.epoch_resume,
                          use_gpu=args.gpu_id, callback=show)
        if result.interrupted:
            print(f"Pretraining interrupted; the weights of finished epochs are in {args.output_dir}")
            return 130
        print(f"Saved {len(result.saved)} weight files to {args.output_dir}; use one with [initialize] init_tok2vec = \"{result.last_weights}\"")
        return 0

    p.set_defaults(run=run)
    return run
