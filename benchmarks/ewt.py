"""Tagger and parser benchmark on UD English-EWT: accuracy on gold tokens and on raw documents,
inference speed by document length, training speed and peak memory (JSON), optionally side by side
with spaCy 3.8.

nbnlp trains the config `nbnlp init-config --pipeline tagger,parser` writes (10-sentence training
documents, nbnlp's own tokenization) on train.conllu, then model-best is scored on test
* with gold tokens (`evaluate --gold-preproc`: one sentence per doc, the corpus' words), and
* on raw documents (`--raw-docs 10`): the test set's `# text` lines joined by one space into
  documents of that many sentences, tokenized, split into sentences and parsed by the pipeline;
and `nlp.pipe` is timed (default batch size, best of 2 passes after a warm-up) over the test
texts joined into documents of 1, 10 and 100 sentences and into one document of everything.

Usage: python benchmarks/ewt.py [--seconds 815] [--raw-docs 10] [--pos] [--set SECTION.KEY=VALUE ...] [--output results.json]
       [--save DIR | --model DIR] [--against-spacy PYTHON [--spacy-max-steps 4000] [--spacy-work DIR [--reuse-spacy]]]

With `--against-spacy PYTHON` (a Python with spacy==3.8.18), spaCy trains at the same time on the
other core (benchmarks/spacy_side.py under `taskset -c 1`, this process on core 0, one BLAS thread
each): its config is `spacy init config --lang en --pipeline tagger,parser --optimize efficiency`
with max_steps = --spacy-max-steps, its corpora `spacy convert -c conllu -n 10`; nbnlp trains on
the same .conllu files until spaCy's training ends (the same wall-clock time). spaCy's model-best
is then run on the same inputs and scored by nbnlp's scorer, so both rows are scored alike, and
the speeds are measured one after the other, each on its own core.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import against_spacy

if any(arg.startswith("--against-spacy") for arg in sys.argv[1:]):
    against_spacy.one_blas_thread()  # must run before numpy is imported (by nbnlp, below)

import nbnlp  # noqa: E402
from _common import gold_examples, machine, peak_memory_mib, train_for, words_per_second  # noqa: E402
from nbnlp.core.config import apply_overrides, load_config, parse_overrides  # noqa: E402
from nbnlp.core.example import Example  # noqa: E402
from nbnlp.core.commands.init_config import init_config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SCORE_KEYS = ("tag_acc", "pos_acc", "dep_uas", "dep_las", "sents_f")
REPORT_KEYS = ("tag_acc", "pos_acc", "token_acc", "dep_uas", "dep_las", "sents_p", "sents_r", "sents_f")
LENGTHS = (1, 10, 100, None)  # sentences per document for the speed figures; None = all in one
COMPARED = ("tag_acc", "dep_uas", "dep_las", "sents_f", "token_acc")


def build_config(data: Path, args: argparse.Namespace) -> Any:
    text = init_config(pipeline=["tagger", "parser"], train_path=str(data / "train.conllu"), dev_path=str(data / "dev.conllu"))
    config = load_config(text, interpolate=False)
    if args.pos:
        config["nlp"]["pipeline"] = [*config["nlp"]["pipeline"], "pos"]
        config["components"]["pos"] = {**json.loads(json.dumps(config["components"]["tagger"])), "label_attr": "pos"}
        config["training"]["score_weights"]["pos_acc"] = config["training"]["score_weights"]["tag_acc"]
    config["training"].update({"max_steps": args.max_steps, "eval_frequency": args.eval_frequency, "patience": 0})
    # The same parsing and checking as `nbnlp train --section.key value` (JSON values, did-you-mean).
    return apply_overrides(config, parse_overrides([f"--{setting}" for setting in args.set]))


def rounded(scores: dict) -> dict:
    return {k: round(scores[k], 4) for k in REPORT_KEYS if scores.get(k) is not None}


def best_words_per_second(nlp: Any, inputs: list) -> int:
    """The protocol's speed: best of 2 `nlp.pipe` passes after one warm-up pass."""
    words_per_second(nlp, inputs)
    return max(words_per_second(nlp, inputs) for _ in range(2))


def length_label(k: int | None) -> str:
    return "all" if k is None else str(k)


def nbnlp_figures(nlp: Any, data: Path, raw_k: int) -> dict:
    test = data / "test.conllu"
    figures: dict[str, Any] = {}
    for split in ("dev", "test"):
        figures[f"{split}_gold_tokens"] = rounded(nlp.evaluate(gold_examples(nlp, data / f"{split}.conllu")))
    texts, golds = against_spacy.raw_documents(test, raw_k, vocab=nlp.vocab)
    figures[f"test_raw_{raw_k}"] = rounded(nlp.evaluate([Example(nlp.make_doc(t), g) for t, g in zip(texts, golds)]))
    figures["words_per_sec_by_doc_length"] = {
        length_label(k): best_words_per_second(nlp, against_spacy.raw_documents(test, k, vocab=nlp.vocab)[0]) for k in LENGTHS
    }
    return figures


def spacy_figures(python: str, model: str, data: Path, raw_k: int) -> dict:
    """spaCy's pipeline on the same inputs, scored by nbnlp's scorer."""
    test = data / "test.conllu"
    figures: dict[str, Any] = {}
    for split in ("dev", "test"):
        refs = list(nbnlp.load_docs(data / f"{split}.conllu"))
        predictions = against_spacy.predict(python, model, refs, gold_tokens=True)
        figures[f"{split}_gold_tokens"] = rounded(against_spacy.score_spacy_predictions(predictions, refs))
    texts, golds = against_spacy.raw_documents(test, raw_k)
    figures[f"test_raw_{raw_k}"] = rounded(against_spacy.score_spacy_predictions(against_spacy.predict(python, model, texts), golds))
    figures["words_per_sec_by_doc_length"] = {
        length_label(k): against_spacy.speed(python, model, against_spacy.raw_documents(test, k)[0])["words_per_sec"] for k in LENGTHS
    }
    return figures


def print_side_by_side(ours: dict, theirs: dict, raw_k: int) -> None:
    rows = [(f"{part}: {key}", ours.get(part, {}).get(key), theirs.get(part, {}).get(key))
            for part in ("test_gold_tokens", f"test_raw_{raw_k}") for key in COMPARED]
    rows += [(f"words/s, {k}-sentence docs", ours["words_per_sec_by_doc_length"][k], theirs["words_per_sec_by_doc_length"][k])
             for k in ours["words_per_sec_by_doc_length"]]
    rows += [(key, ours.get(key), theirs.get(key)) for key in ("train_seconds", "train_steps", "train_words_per_sec", "train_peak_memory_mib")]
    print(f"\n{'':<34}{'nbnlp':>12}{'spaCy 3.8':>12}{'nbnlp-spaCy':>13}{'nbnlp/spaCy':>13}")
    for name, a, b in rows:
        if a is None or b is None:
            continue
        score = isinstance(a, float) and a <= 1.0 and isinstance(b, float)
        shown = (f"{100 * a:12.2f}{100 * b:12.2f}{100 * (a - b):+13.2f}{'':>13}" if score
                 else f"{a:12,}{b:12,}{'':>13}{a / b if b else float('nan'):13.2f}")
        print(f"{name:<34}{shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "ud-english-ewt"))
    parser.add_argument("--seconds", type=float, default=815.0, help="training budget (with --against-spacy: at most this, ending with spaCy's run)")
    parser.add_argument("--max-steps", type=int, default=50000)
    parser.add_argument("--eval-frequency", type=int, default=500)
    parser.add_argument("--raw-docs", type=int, default=10, help="sentences per raw test document")
    parser.add_argument("--pos", action="store_true", help="also train a UPOS tagger on the shared tok2vec")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="change one setting of the config (JSON value), e.g. training.dropout=0.2")
    parser.add_argument("--output", default=None, help="write the JSON figures here")
    parser.add_argument("--save", default=None, help="keep nbnlp's training output (model-best, model-last) in this folder")
    parser.add_argument("--model", default=None, help="score and time this saved pipeline instead of training one")
    parser.add_argument("--sent-threshold", type=float, default=None,
                        help="with --model: the parser's sentence-start threshold to use (it only affects inference)")
    parser.add_argument("--against-spacy", metavar="PYTHON", help="train and score spaCy side by side in this Python")
    parser.add_argument("--spacy-max-steps", type=int, default=4000, help="spaCy's [training] max_steps")
    parser.add_argument("--spacy-work", default=None, help="folder for spaCy's corpora, config and models (default: a temp dir)")
    parser.add_argument("--reuse-spacy", action="store_true",
                        help="use the spaCy run already in --spacy-work (nbnlp then trains for --seconds alone)")
    args = parser.parse_args()
    data = Path(args.data)
    spacy_run, spacy_trained = None, None
    if args.against_spacy:
        against_spacy.pin_self_to_core(against_spacy.NBNLP_CORE)
        work = Path(args.spacy_work or tempfile.mkdtemp(prefix="ewt-spacy-"))
        if args.reuse_spacy:
            spacy_trained = json.loads((work / "train-result.json").read_text(encoding="utf8"))
        else:
            prep = against_spacy.prepare(args.against_spacy, data, work, max_steps=args.spacy_max_steps)
            print(f"spaCy trains on core {against_spacy.SPACY_CORE}; its log: {work / 'train.log'}", flush=True)
            spacy_run = against_spacy.start_training(args.against_spacy, prep["config"], work / "output", log=work / "train.log")
    until = (lambda: spacy_run.poll() is not None) if spacy_run is not None else None
    if args.model:
        nlp = nbnlp.load(args.model)
        if args.sent_threshold is not None:
            nlp.get_pipe("parser").sent_threshold = args.sent_threshold
        figures: dict[str, Any] = {"model": args.model, "sent_threshold": nlp.get_pipe("parser").sent_threshold,
                                   **nbnlp_figures(nlp, data, args.raw_docs), "machine": machine()}
    else:
        try:
            run = train_for(build_config(data, args), args.seconds, until=until, save=args.save,
                            describe=lambda i: {k: i.scores[k] for k in SCORE_KEYS if i.scores.get(k) is not None})
        except BaseException:
            if spacy_run is not None:
                spacy_run.terminate()
            raise
        figures = {**run.figures(), "train_peak_memory_mib": peak_memory_mib(), **nbnlp_figures(run.nlp, data, args.raw_docs)}
        figures.update({"history": run.history, "machine": machine()})
    if args.against_spacy:
        trained = spacy_trained or spacy_run.wait()
        (work / "train-result.json").write_text(json.dumps(trained, indent=2) + "\n", encoding="utf8")
        model = trained["model_best"] or trained["model_last"]
        figures["spacy"] = {
            "train_seconds": trained["seconds"], "train_steps": trained["steps"], "train_words_per_sec": trained["train_words_per_sec"],
            "train_peak_memory_mib": trained["peak_rss_mib"], "model": model,
            **spacy_figures(args.against_spacy, model, data, args.raw_docs),
        }
    print(json.dumps({k: v for k, v in figures.items() if k != "history"}, indent=2))
    if args.against_spacy:
        print_side_by_side(figures, figures["spacy"], args.raw_docs)
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
