"""NER benchmark on UniversalNER English-EWT: entity P/R/F, training and inference speed, peak memory (JSON).

UNER's train split is not available here, so tok2vec + ner train on dev.iob2 (2,001 sentences,
966 entities) for a wall-clock budget and are evaluated on test.iob2 with gold tokenization.
The test set is also scored during training to show the trend, but nothing is selected on it:
the final figures are those of model-last (the weights when the budget ran out).

Usage: python benchmarks/uner.py [--seconds 223] [--output results.json]
Reference (spaCy 3.8, same data and budget): ents_p 59.36, ents_r 34.10, ents_f 43.32 on test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import nbnlp
from nbnlp.core.config import load_config
from nbnlp.core.example import Example
from nbnlp.core.init_config import init_config
from nbnlp.core.training import iter_training

REPO = Path(__file__).resolve().parents[1]
SCORE_KEYS = ("ents_p", "ents_r", "ents_f")


def ner_block(width: int, entity_weight: float, hidden_width: int, window_size: int) -> dict:
    """The `[components.ner]` block (what init-config writes for ner), listening to the shared tok2vec."""
    return {
        "factory": "ner",
        "entity_weight": entity_weight,
        "model": {
            "@architectures": "nbnlp.EntityTagger.v1",
            "hidden_width": hidden_width,
            "window_size": window_size,
            "maxout_pieces": 2,
            "nO": None,
            "tok2vec": {"@architectures": "nbnlp.Tok2VecListener.v1", "width": width, "upstream": "tok2vec"},
        },
    }


def build_config(train: Path, dev: Path, args: argparse.Namespace):
    # init-config's tok2vec and training sections; the ner block is set here so the settings can vary.
    config = load_config(init_config(pipeline=["tagger"], train_path=str(train), dev_path=str(dev)), interpolate=False)
    del config["components"]["tagger"]
    width = config["components"]["tok2vec"]["model"]["encode"]["width"]
    config["components"]["ner"] = ner_block(width, args.entity_weight, args.hidden_width, args.window_size)
    config["nlp"]["pipeline"] = ["tok2vec", "ner"]
    config["training"]["score_weights"] = {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None}
    config["training"]["max_steps"] = args.max_steps
    config["training"]["eval_frequency"] = args.eval_frequency
    config["training"]["patience"] = 0
    config["training"]["dropout"] = args.dropout
    config["corpora"]["train"]["gold_preproc"] = True
    config["corpora"]["dev"]["gold_preproc"] = True
    return config


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gold_examples(nlp, path: Path) -> list[Example]:
    refs = list(nbnlp.load_docs(path, vocab=nlp.vocab))
    return [Example(nbnlp.Doc.from_orths(nlp.vocab, r.arrays["ORTH"], r.arrays["SPACY"]), r) for r in refs]


def rounded(scores: dict) -> dict:
    out = {k: round(scores[k], 4) if scores.get(k) is not None else None for k in SCORE_KEYS}
    per_type = scores.get("ents_per_type") or {}
    out["ents_per_type"] = {label: {k: round(v, 4) for k, v in prf.items()} for label, prf in per_type.items()}
    return out


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
    args = parser.parse_args()
    data = Path(args.data)
    config = build_config(data / "dev.iob2", data / "test.iob2", args)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        last = None
        history = []
        steps = iter_training(config, Path(tmp) / "out")
        for info in steps:
            last = info
            if info.scores is not None:
                history.append({"step": info.step, "epoch": info.epoch, "seconds": round(info.seconds, 1), **{k: info.scores.get(k) for k in SCORE_KEYS}})
                print(f"step {info.step:>6}  epoch {info.epoch:>3}  {info.seconds:7.1f}s  ents_f {info.scores.get('ents_f') or 0:.4f}", flush=True)
            if time.perf_counter() - start >= args.seconds:
                break
        steps.close()  # ends training the way an interrupt does: model-last is written
        train_seconds = time.perf_counter() - start
        nlp = nbnlp.load(Path(tmp) / "out" / "model-last")

    examples = gold_examples(nlp, data / "test.iob2")
    test = rounded(nlp.evaluate(examples))
    docs = [nbnlp.Doc.from_orths(nlp.vocab, eg.reference.arrays["ORTH"], eg.reference.arrays["SPACY"]) for eg in examples]
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(docs))
    infer_seconds = time.perf_counter() - start
    figures = {
        "pipeline": nlp.pipe_names,
        "settings": {k: getattr(args, k) for k in ("entity_weight", "hidden_width", "window_size", "dropout")},
        "train_seconds": round(train_seconds, 1),
        "train_steps": last.step if last else 0,
        "train_epochs": (last.epoch + 1) if last else 0,
        "train_words": last.words if last else 0,
        "train_words_per_sec": round((last.words if last else 0) / train_seconds),
        "test": test,
        "inference_words_per_sec": round(n_words / infer_seconds),
        "peak_memory_mib": round(peak_memory_mib(), 1),
        "history": history,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps({k: v for k, v in figures.items() if k != "history"}, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
