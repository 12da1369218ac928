"""Text classification benchmark on the SMS Spam Collection: macro F, accuracy, AUC, speed, memory (JSON).

Trains `textcat` (BOW by default; `--ensemble` adds a shared tok2vec and the pooled tok2vec
network) on train.jsonl for a wall-clock budget, then evaluates model-best on dev.jsonl and
times `nlp.pipe` over the raw dev texts (tokenizer included).

Usage: python benchmarks/sms.py [--seconds 25] [--ensemble] [--output results.json]
Reference (spaCy 3.8, textcat BOW, 25 s on the same data): cats_macro_f 96.82, accuracy 98.65, AUC 0.9916.
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

from thinc.api import Config

import nbnlp
from nbnlp.core.components.textcat import DEFAULT_TEXTCAT_MODEL
from nbnlp.core.config import load_config
from nbnlp.core.example import Example
from nbnlp.core.init_config import init_config
from nbnlp.core.training import iter_training

REPO = Path(__file__).resolve().parents[1]

BOW_MODEL = dict(DEFAULT_TEXTCAT_MODEL)  # the textcat factory's default: unigrams of LOWER and SHAPE


def build_config(train: Path, dev: Path, ensemble: bool, max_steps: int, eval_frequency: int) -> Config:
    """init-config's tagger config with the tagger swapped for a textcat (and tok2vec kept for --ensemble)."""
    config = load_config(init_config(pipeline=["tagger"], train_path=str(train), dev_path=str(dev)), interpolate=False)
    components = config["components"]
    del components["tagger"]
    if ensemble:
        model = {
            "@architectures": "nbnlp.TextCatEnsemble.v1",
            "hidden_width": 64,
            "dropout": 0.0,
            "nO": None,
            "linear_model": BOW_MODEL,
            "tok2vec": {"@architectures": "nbnlp.Tok2VecListener.v1", "width": "${components.tok2vec.model.encode.width}", "upstream": "tok2vec"},
        }
        config["nlp"]["pipeline"] = ["tok2vec", "textcat"]
    else:
        model = BOW_MODEL
        del components["tok2vec"]
        config["nlp"]["pipeline"] = ["textcat"]
    components["textcat"] = {"factory": "textcat", "threshold": 0.5, "model": model}
    training = config["training"]
    training["max_steps"] = max_steps
    training["eval_frequency"] = eval_frequency
    training["patience"] = 0
    training["score_weights"] = {"cats_score": 1.0}
    return Config(config).interpolate()


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "sms-spam-collection"))
    parser.add_argument("--seconds", type=float, default=25.0, help="training wall-clock budget")
    parser.add_argument("--max-steps", type=int, default=20000)
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--ensemble", action="store_true", help="TextCatEnsemble over a shared tok2vec instead of BOW only")
    parser.add_argument("--output", default=None, help="write the JSON figures here")
    args = parser.parse_args()
    data = Path(args.data)
    config = build_config(data / "train.jsonl", data / "dev.jsonl", args.ensemble, args.max_steps, args.eval_frequency)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        last = None
        history = []
        steps = iter_training(config, Path(tmp) / "out")
        for info in steps:
            last = info
            if info.scores is not None:
                history.append({"step": info.step, "seconds": round(info.seconds, 1), "score": info.score, "cats_macro_f": info.scores.get("cats_macro_f")})
                print(f"step {info.step:>6}  {info.seconds:7.1f}s  score {info.score:.4f}", flush=True)
            if time.perf_counter() - start >= args.seconds:
                break
        steps.close()  # ends training the way an interrupt does: model-best and model-last are written
        train_seconds = time.perf_counter() - start
        nlp = nbnlp.load(Path(tmp) / "out" / "model-best")

    refs = list(nbnlp.load_docs(data / "dev.jsonl", vocab=nlp.vocab))
    scores = nlp.evaluate([Example(nlp.make_doc(ref.text), ref) for ref in refs])
    texts = [ref.text for ref in refs]
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(texts))
    infer_seconds = time.perf_counter() - start
    figures = {
        "pipeline": nlp.pipe_names,
        "model": nlp.config["components"]["textcat"]["model"]["@architectures"],
        "train_seconds": round(train_seconds, 1),
        "train_steps": last.step if last else 0,
        "train_epochs": (last.epoch + 1) if last else 0,
        "train_words": last.words if last else 0,
        "train_words_per_sec": round((last.words if last else 0) / train_seconds),
        "dev": {
            "cats_macro_f": scores["cats_macro_f"],
            "accuracy": scores["cats_accuracy"],
            "cats_macro_auc": scores["cats_macro_auc"],
            "cats_f_per_type": scores["cats_f_per_type"],
        },
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
