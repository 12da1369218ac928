"""What a spaCy user gets from `spacy train` vs `nbnlp train` with the SAME config file and corpora.

Why: README's "From spaCy" says a config written by `spacy init config` trains in nbnlp as it is
(its `spacy.*` names replaced by nbnlp's). This measures what that gives, next to spaCy 3.8 itself,
on UD English-EWT: same config file, same .spacy corpora, same max_steps, same eval_frequency.

How:
* `against_spacy.prepare` (spacy_side.py under the spaCy venv): `spacy convert -c conllu -n 10` of
  train/dev/test.conllu and `spacy init config --lang en --pipeline tagger,parser --optimize efficiency`,
  untouched except [paths] and [training] max_steps.
* spaCy trains that config on core 1 (spacy_side.py, `taskset -c 1`, one BLAS thread) while this
  process, pinned to core 0 with one BLAS thread, runs what
  `nbnlp train CONFIG --paths.train train.spacy --paths.dev dev.spacy --training.max_steps N` runs
  (`iter_training` with those overrides, its log and substitution lines printed as the CLI prints them).
* Both model-best (model-last where a run never evaluated) are run on the EWT test set as raw
  documents (the `# text` lines of 10 sentences joined by one space, as in ewt.py) and scored by
  nbnlp's scorer: tag_acc, dep_uas, dep_las, sents_f (token_acc too). Training seconds (config
  loading to the end), training words/s (over the training loop's seconds) and inference words/s
  (nlp.pipe on those documents, best of 2 after a warm-up, each system on its own core) complete it.
  Both evaluate on dev every eval_frequency steps (spaCy's config: 200); nbnlp also at the last step,
  spaCy also after its first update, so keep max_steps a multiple of eval_frequency for like model-bests.

Run from the repository root (PYTHONPATH=. so this checkout's nbnlp is the one measured; about 2 free cores):
    PYTHONPATH=. python benchmarks/spacy_config.py [--max-steps 1000] [--spacy-python /work/spacy-venv/bin/python]
                                      [--work DIR] [--test-docs N] [--output results.json]
"""
from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import against_spacy as vs

vs.one_blas_thread()  # before numpy is imported (by nbnlp, below)

import nbnlp  # noqa: E402
from _common import machine, peak_memory_mib  # noqa: E402
from ewt import best_words_per_second  # noqa: E402
from nbnlp.core.config import parse_overrides  # noqa: E402
from nbnlp.core.example import Example  # noqa: E402
from nbnlp.core.training import iter_training  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SCORES = ("tag_acc", "dep_uas", "dep_las", "sents_f", "token_acc")
SPEEDS = ("train_seconds", "train_steps", "train_words_per_sec", "words_per_sec", "train_peak_memory_mib")


def train_nbnlp(config: Path, output: Path, train: str, dev: str, max_steps: int) -> dict[str, Any]:
    """`nbnlp train CONFIG --paths.train .. --paths.dev .. --training.max_steps N`, in this process."""
    args = ["--paths.train", train, "--paths.dev", dev, "--training.max_steps", str(max_steps)]
    print("$ " + shlex.join(["nbnlp", "train", str(config), "--output", str(output), *args]), flush=True)
    start = time.perf_counter()
    run = iter_training(config, output, overrides=parse_overrides(args))
    for line in run.setup.substitutions:
        print(line, flush=True)
    log_step, finalize = run.logger(run.nlp, sys.stdout, sys.stderr)
    last = None
    try:
        for last in run:
            log_step(last)
    finally:
        finalize()
    seconds = time.perf_counter() - start
    assert last is not None and run.result is not None
    return {
        "train_seconds": round(seconds, 2), "train_loop_seconds": round(last.seconds, 2), "train_steps": last.step,
        "train_epochs": last.epoch + 1, "train_words": last.words,
        "train_words_per_sec": round(last.words / last.seconds) if last.seconds else 0,
        "train_peak_memory_mib": peak_memory_mib(), "substitutions": list(run.setup.substitutions),
        "model": str(run.result.model_best or run.result.model_last),
    }


def score_lowercased(nlp: Any, texts: list[str], golds: list[Any]) -> dict[str, Any]:
    """nbnlp's scores of its predictions with dependency labels lowercased, as spaCy's are (`doc_from_prediction`):
    trained on spaCy's corpora, both name the root "ROOT" where the UD gold says "root"."""
    from nbnlp.core.scorer import Scorer

    docs = list(nlp.pipe(texts))
    for doc in docs:
        strings, deps = doc.vocab.strings, doc.arrays["DEP"]
        deps[:] = [strings.add(strings[int(d)].lower()) if d else 0 for d in deps]
    return Scorer().score([Example(doc, gold) for doc, gold in zip(docs, golds)], [c for _, c in nlp.pipeline])


def rounded(scores: dict[str, Any]) -> dict[str, float]:
    return {k: round(scores[k], 4) for k in SCORES if scores.get(k) is not None}


def print_table(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    print(f"\n{'':<26}{'nbnlp':>12}{'spaCy 3.8':>12}{'nbnlp-spaCy':>13}{'nbnlp/spaCy':>13}")
    for key in SCORES:
        a, b = ours["scores"].get(key), theirs["scores"].get(key)
        if a is not None and b is not None:
            print(f"{key:<26}{100 * a:12.2f}{100 * b:12.2f}{100 * (a - b):+13.2f}")
    for key in SPEEDS:
        a, b = ours.get(key), theirs.get(key)
        if a is not None and b is not None:
            print(f"{key:<26}{a:12,}{b:12,}{'':>13}{a / b if b else float('nan'):13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "ud-english-ewt"))
    parser.add_argument("--spacy-python", default="/work/spacy-venv/bin/python", help="a Python with spacy==3.8.18")
    parser.add_argument("--max-steps", type=int, default=1000, help="[training] max_steps, for both")
    parser.add_argument("--raw-docs", type=int, default=10, help="sentences per raw test document")
    parser.add_argument("--test-docs", type=int, default=0, help="score and time only the first N test documents (0: all)")
    parser.add_argument("--work", default=None, help="folder for the corpora, config and both runs (default: a temp dir)")
    parser.add_argument("--output", default=None, help="also write the JSON figures here")
    args = parser.parse_args()
    data, python = Path(args.data), args.spacy_python
    work = Path(args.work or tempfile.mkdtemp(prefix="spacy-config-"))
    vs.pin_self_to_core(vs.NBNLP_CORE)
    prep = vs.prepare(python, data, work, max_steps=args.max_steps)
    config = Path(prep["config"])
    print(f"spaCy's config: {config}\nspaCy trains on core {vs.SPACY_CORE}; its log: {work / 'spacy-train.log'}", flush=True)
    spacy_run = vs.start_training(python, config, work / "spacy-out", max_steps=args.max_steps, log=work / "spacy-train.log")
    try:
        ours = train_nbnlp(config, work / "nbnlp-out", prep["train"], prep["dev"], args.max_steps)
    except BaseException:
        spacy_run.terminate()
        raise
    trained = spacy_run.wait()
    theirs = {"train_seconds": trained["seconds"], "train_loop_seconds": trained["loop_seconds"], "train_steps": trained["steps"],
              "train_epochs": trained["epochs"], "train_words": trained["words"], "train_words_per_sec": trained["train_words_per_sec"],
              "train_peak_memory_mib": trained["peak_rss_mib"], "model": trained["model_best"] or trained["model_last"]}

    nlp = nbnlp.load(ours["model"])
    texts, golds = vs.raw_documents(data / "test.conllu", args.raw_docs, vocab=nlp.vocab)
    if args.test_docs:
        texts, golds = texts[:args.test_docs], golds[:args.test_docs]
    ours["scores"] = rounded(score_lowercased(nlp, texts, golds))
    ours["words_per_sec"] = best_words_per_second(nlp, texts)
    theirs["scores"] = rounded(vs.score_spacy_predictions(vs.predict(python, theirs["model"], texts), golds))
    theirs["words_per_sec"] = vs.speed(python, theirs["model"], texts)["words_per_sec"]

    figures = {
        "command": shlex.join([sys.executable, *sys.argv]), "machine": f"{machine()}; {platform.platform()}",
        "nbnlp_from": str(Path(nbnlp.__file__).parent),
        "config": str(config), "max_steps": args.max_steps, "test_docs": len(texts), "raw_docs_sentences": args.raw_docs,
        "nbnlp": ours, "spacy": theirs,
        "ratios": vs.ratios(ours, theirs, ("train_seconds", "train_words_per_sec", "words_per_sec")),
    }
    print(f"\ncommand: {figures['command']}\nmachine: {figures['machine']}\nnbnlp from: {figures['nbnlp_from']}")
    print("nbnlp's substitutions in spaCy's config:\n" + "\n".join(f"  {line}" for line in ours["substitutions"]))
    print(f"test: {len(texts)} raw documents of {args.raw_docs} sentences; max_steps {args.max_steps}; "
          f"models: nbnlp {Path(ours['model']).name}, spaCy {Path(theirs['model']).name}")
    print_table(ours, theirs)
    print(json.dumps(figures))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
