"""Each command's arguments, declared once for the command line (argparse) and the magics (`magic_arguments`).

An `Arg` is what `add_argument` takes. `COMMON` holds the arguments a command has in both places;
the CLI and the magics add their own around them (a magic names a variable where the CLI names a
file, and binds its result with `--as`). Nothing here imports IPython.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Sequence


@dataclass(frozen=True)
class Arg:
    """The flags (or positional name) and options of one `add_argument` call."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(*self.flags, **self.options)


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(tuple(flags), options)


GPU_ID = arg("--gpu-id", "-g", type=int, default=None, help="GPU id (-1 = CPU; default: [system] gpu_id)")
CODE = arg("--code", "-c", default=None, help="Python file (or comma-separated files) registering custom functions, imported first")
GOLD_PREPROC = arg("--gold-preproc", "-G", action="store_true", help="use the corpus' own tokens")

COMMON: dict[str, tuple[Arg, ...]] = {
    "convert": (
        arg("input", help="input file or folder"),
        arg("output_dir", help="folder for the converted files"),
        arg("--converter", "-c", default="auto", help="auto|conllu|uner|iob|ner|jsonl|spacy (default: auto)"),
        arg("--n-sents", "-n", type=int, default=1, help="sentences grouped into one doc (default: 1)"),
        arg("--file-type", "-t", default="nbnlp", choices=["nbnlp", "jsonl", "spacy"], help="output type (spacy: a DocBin spaCy reads)"),
        arg("--lang", "-l", default="en", help="language of the tokenizer for raw text (default: en)"),
    ),
    "init-config": (
        arg("--lang", "-l", default="en", help="language (default: en)"),
        arg("--pipeline", "-p", default="tagger", help="comma-separated components (default: tagger)"),
        arg("--optimize", "-o", default="efficiency", choices=["efficiency", "accuracy"], help="smaller/faster or larger/more accurate models"),
        arg("--gpu", "-G", action="store_true", help="settings for training on a GPU"),
        arg("--pretraining", "-pt", action="store_true", help="add a [pretraining] section for pretraining the tok2vec"),
    ),
    "fill-config": (
        arg("input_file", help="config file to fill (a partial one, or one written by spaCy's init config)"),
        arg("output_file", help="where to write the filled config, or - for stdout"),
        CODE,
    ),
    "train": (
        GPU_ID,
        CODE,
        arg("--resume", "-r", action="store_true",
            help="continue the run saved in the output folder's checkpoint exactly where it stopped "
                 "(in a notebook without --output: the config's latest run, training/<config>/run-N)"),
        arg("--overwrite", action="store_true",
            help="replace the run already saved in --output (without it, an --output holding a run is refused)"),
        arg("--workers", "-w", type=int, default=1,
            help="train data-parallel on N Ray workers (default 1: this process; needs nbnlp[ray])"),
        arg("--address", default=None,
            help="Ray cluster for the workers: 'auto', ray://host:port or HOST:PORT (default: $RAY_ADDRESS, else a new local Ray with N CPUs)"),
        arg("--base-model", "-b", default=None, metavar="PATH",
            help="continue training a saved pipeline (folder or installed package): each component of the config that it has "
                 "starts from its weights, settings and labels; labels new in the data are added"),
    ),
    "evaluate": (
        arg("data", help="annotated corpus file or folder (any format nbnlp.load_docs reads)"),
        GOLD_PREPROC,
        GPU_ID,
        CODE,
    ),
    "debug-data": (
        arg("--verbose", "-V", action="store_true", help="show more examples per check"),
        CODE,
    ),
    "init-labels": (
        arg("config", help="config file (see nbnlp init-config)"),
        arg("output_dir", help="folder for the labels: one NAME.json per component"),
        CODE,
    ),
    "init-vectors": (
        arg("lang", help="language of the pipeline (e.g. en)"),
        arg("vectors_file", help="word2vec/fastText text file (.txt, .vec, .gz, .zip, .tar.gz)"),
        arg("output_dir", help="folder for the pipeline with the vectors"),
        arg("--truncate", "-t", type=int, default=0, help="read only the first N rows (default: 0 = all)"),
        arg("--prune", "-p", type=int, default=0, help="keep N rows, map the other words to their nearest kept vector (default: 0 = off)"),
        arg("--name", "-n", default=None, help="name of the vectors table (default: the file name)"),
    ),
    "pretrain": (
        arg("output_dir", help="folder for the weights (modelN.bin), log.jsonl and the config used"),
        arg("--epoch-resume", "-er", type=int, default=None, help="continue from OUTPUT_DIR/modelN.bin with epoch N + 1"),
        GPU_ID,
        CODE,
    ),
    "package": (
        arg("output_dir", help="folder for the package folder"),
        arg("--name", "-n", default=None, help="package name: lowercase letters, digits, underscores (default: meta name)"),
        arg("--version", "-v", default=None, help="package version (default: meta version)"),
        arg("--meta-path", "-m", default=None, help="JSON file whose keys override meta.json (license, description...)"),
        arg("--build", "-b", default="wheel", choices=["wheel", "sdist", "none"], help="what to build (default: wheel)"),
        arg("--force", "-f", action="store_true", help="overwrite an existing package folder"),
        arg("--code", "-c", default=None,
            help="Python file (or comma-separated files) registering the pipeline's custom functions: imported now, "
                 "bundled in the package and imported by its load()"),
    ),
    "info": (
        arg("model", nargs="?", default=None, help="pipeline folder or installed pipeline package (in a notebook: or a variable)"),
        arg("--markdown", "-md", action="store_true", help="print a markdown table to paste into an issue"),
    ),
    "validate": (),
    "runs": (
        arg("--sort", "-s", default="name",
            help="sort by name, status, steps, time, score (best first), step or started; a leading - reverses (default: name)"),
        arg("--metric", "-m", default="score", help="score the curves show: 'score' (the weighted score) or e.g. tag_acc (default: score)"),
    ),
    "sweep": (
        arg("--param", "-p", dest="params", action="append", default=None, metavar="KEY=DIST",
            help="a setting to sweep and where its values come from: choice(v1,v2,...), uniform(a,b), loguniform(a,b) "
                 "or randint(a,b) (a and b included), e.g. training.dropout=uniform(0.05,0.3); repeat for each setting"),
        arg("--trials", "-n", type=int, default=8, help="trials to run (default: 8)"),
        arg("--concurrent", "-k", type=int, default=2, help="trials running at once (default: 2)"),
        arg("--scheduler", "-s", default="fifo", choices=["fifo", "asha"],
            help="fifo runs every trial to its end; asha stops poor trials early (default: fifo)"),
        arg("--metric", "-m", default="score",
            help="score to maximise: 'score' (the weighted score) or one of the evaluation's scores, e.g. tag_acc (default: score)"),
        arg("--address", "-a", default=None,
            help="Ray cluster to run the trials on: host:port, 'auto' or ray://host:port (default: a local Ray)"),
        arg("--seed", type=int, default=None, help="seed for drawing the trials' settings (default: random)"),
        GPU_ID,
        CODE,
    ),
}


def command_args(command: str, before: Sequence[Arg] = (), after: Sequence[Arg] = ()) -> list[Arg]:
    """A command's arguments in order: a front end's own `before` (e.g. a positional it names differently),
    the common ones, then its own `after`."""
    return [*before, *COMMON[command], *after]


def add_arguments(parser: argparse.ArgumentParser, command: str, before: Sequence[Arg] = (), after: Sequence[Arg] = ()) -> None:
    for argument in command_args(command, before, after):
        argument.add_to(parser)
