"""NER benchmark on UniversalNER English-EWT: train on dev.iob2, score on test.iob2 (JSON).

Trains the config `nbnlp init-config --pipeline ner` writes for a wall-clock budget (default 223 s,
what spaCy used), then scores **model-last** on test with gold tokenization (test is only watched
during training, never used to pick a model) and times `nlp.pipe` over the test docs.

Usage: python benchmarks/uner.py [--seconds 223] [--entity-weight 3] [--hidden-width 128]
       [--window-size 0] [--dropout 0.1] [--output results.json]
       [--against-spacy PYTHON [--spacy-max-steps 4000] [--spacy-work DIR]]
Reference (spaCy 3.8 efficiency CPU config, 223 s): test ents_f 43.32 (P 59.36, R 34.10;
LOC 60.3, ORG 33.3, PER 35.8).

With `--against-spacy PYTHON` (a Python with spacy==3.8.18) spaCy trains at the same time on the
other core (benchmarks/spacy_side.py under `taskset -c 1`; this process on core 0, one BLAS thread
each): `spacy init config --pipeline ner --optimize efficiency` with max_steps = --spacy-max-steps,
on the same dev.iob2 (evaluating on test.iob2, as nbnlp does), cut at the same --seconds. Its
model-last then tags the gold-tokenized test docs and nbnlp's scorer scores both systems; speed
for both is `nlp.pipe` over those docs, best of 2 passes after a warm-up. Both rows and the ratios
nbnlp / spaCy are printed.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import against_spacy

if any(arg.startswith("--against-spacy") for arg in sys.argv[1:]):
    against_spacy.one_blas_thread()  # must run before numpy is imported (by nbnlp, below)

from _common import gold_examples, machine, peak_memory_mib, train_for, words_per_second  # noqa: E402
from nbnlp.core.config import load_config  # noqa: E402
from nbnlp.core.commands.init_config import init_config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SCORE_KEYS = ("ents_p", "ents_r", "ents_f")
SETTINGS = ("entity_weight", "hidden_width", "window_size", "dropout")
COMPARED = ("ents_f", "ents_p", "ents_r", "inference_words_per_sec", "train_seconds", "train_steps", "peak_memory_mib")


def build_config(data: Path, args: argparse.Namespace):
    text = init_config(pipeline=["ner"], train_path=str(data / "dev.iob2"), dev_path=str(data / "test.iob2"))
    config = load_config(text, interpolate=False)
    ner = config["components"]["ner"]
    ner["entity_weight"] = args.entity_weight
    ner["model"].update({"hidden_width": args.hidden_width, "window_size": args.window_size})
    config["training"].update(
        {"max_steps": args.max_steps, "eval_frequency": args.eval_frequency, "patience": 0, "dropout": args.dropout}
    )
    for split in ("train", "dev"):
        config["corpora"][split]["gold_preproc"] = True
    return config


def rounded(scores: dict) -> dict:
    out = {k: round(scores[k], 4) if scores.get(k) is not None else None for k in SCORE_KEYS}
    out["ents_per_type"] = {label: {m: round(v, 4) for m, v in prf.items()} for label, prf in (scores.get("ents_per_type") or {}).items()}
    return out


def best_words_per_second(nlp, inputs: list) -> int:
    """The protocol's speed: best of 2 `nlp.pipe` passes after one warm-up pass."""
    words_per_second(nlp, inputs)
    return max(words_per_second(nlp, inputs) for _ in range(2))


def start_spacy(args: argparse.Namespace, data: Path) -> tuple[against_spacy.SpacyRun, Path]:
    """Convert UNER for spaCy and start its training on the other core; returns at once."""
    work = Path(args.spacy_work or tempfile.mkdtemp(prefix="uner-spacy-"))
    prep = against_spacy.prepare(args.against_spacy, data, work, pipeline="ner", max_steps=args.spacy_max_steps)
    print(f"spaCy trains on core {against_spacy.SPACY_CORE}; its log: {work / 'train.log'}", flush=True)
    return against_spacy.start_training(args.against_spacy, prep["config"], work / "output",
                                        max_seconds=args.seconds, log=work / "train.log"), work


def spacy_figures(args: argparse.Namespace, spacy_run: against_spacy.SpacyRun, examples: list) -> dict:
    """spaCy's model-last on the gold-tokenized test docs, scored by nbnlp's scorer."""
    trained = spacy_run.wait()
    model = trained["model_last"]
    refs = [eg.reference for eg in examples]
    predictions = against_spacy.predict(args.against_spacy, model, refs, gold_tokens=True)
    return {
        "train_seconds": trained["seconds"],
        "train_steps": trained["steps"],
        "train_epochs": trained["epochs"],
        "train_words": trained["words"],
        "train_words_per_sec": trained["train_words_per_sec"],
        "test": rounded(against_spacy.score_spacy_predictions(predictions, refs)),
        "inference_words_per_sec": against_spacy.speed(args.against_spacy, model, refs)["words_per_sec"],
        "peak_memory_mib": trained["peak_rss_mib"],
        "model": model,
    }


def flat(figures: dict) -> dict:
    """One system's figures with its test scores at the top level (the row the comparison reads)."""
    return {**figures, **figures["test"]}


def print_side_by_side(ours: dict, theirs: dict, ratios: dict) -> None:
    heads = ("ents_f", "ents_p", "ents_r", "words/s", "train s", "steps", "peak MiB")
    print(f"\n{'':<12}" + "".join(f"{h:>10}" for h in heads))
    for name, row in (("nbnlp", flat(ours)), ("spaCy 3.8", flat(theirs)), ("nbnlp/spaCy", ratios)):
        print(f"{name:<12}" + "".join(f"{'-' if row.get(k) is None else row[k]:>10}" for k in COMPARED))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "uner-english-ewt"))
    parser.add_argument("--seconds", type=float, default=223.0, help="training wall-clock budget")
    parser.add_argument("--max-steps", type=int, default=20000)
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--entity-weight", type=float, default=3.0)
    parser.add_argument("--hidden-width", type=int, default=128)
    parser.add_argument("--window-size", type=int, default=0)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--output", default=None, help="write the JSON figures here")
    parser.add_argument("--against-spacy", metavar="PYTHON", help="train and score spaCy side by side in this Python")
    parser.add_argument("--spacy-max-steps", type=int, default=4000, help="spaCy's [training] max_steps")
    parser.add_argument("--spacy-work", default=None, help="folder for spaCy's corpora, config, models (default: a temp dir)")
    args = parser.parse_args()
    data = Path(args.data)
    spacy_run = None
    if args.against_spacy:
        against_spacy.pin_self_to_core(against_spacy.NBNLP_CORE)
        spacy_run, _ = start_spacy(args, data)
    try:
        run = train_for(build_config(data, args), args.seconds, keep="model-last", describe=lambda i: {"ents_f": i.scores.get("ents_f") or 0.0})
    except BaseException:
        if spacy_run is not None:
            spacy_run.terminate()
        raise
    nlp = run.nlp
    examples = gold_examples(nlp, data / "test.iob2")
    figures = {
        **run.figures(),
        "settings": {k: getattr(args, k) for k in SETTINGS},
        "test": rounded(nlp.evaluate(examples)),
        "inference_words_per_sec": best_words_per_second(nlp, [eg.predicted for eg in examples]),
        "peak_memory_mib": peak_memory_mib(),
        "history": run.history,
        "machine": machine(),
    }
    if spacy_run is not None:
        figures["spacy"] = spacy_figures(args, spacy_run, examples)
        figures["ratios"] = against_spacy.ratios(flat(figures), flat(figures["spacy"]), COMPARED)
    print(json.dumps({k: v for k, v in figures.items() if k != "history"}, indent=2))
    if spacy_run is not None:
        print_side_by_side(figures, figures["spacy"], figures["ratios"])
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
